/** Types of scripts/moto.mjs, for the TypeScript e2e tests that import it. */

export declare const MOTO_VERSION: string;

/** A moto server started by `startMoto`. */
export interface MotoServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  pid: number;
  /** Ends the server process (by PID) and waits for it to exit. */
  stop(): Promise<void>;
}

/** Why moto cannot be started here (with how to install it), or undefined when it can. */
export declare function motoProblem(): string | undefined;

/** A loopback port nothing listens on at the moment. */
export declare function freePort(): Promise<number>;

/** Starts `python3 -m moto.server` on a free loopback port; resolves once it answers. */
export declare function startMoto(options?: { timeoutMs?: number }): Promise<MotoServer>;

/** `POST /moto-api/reset`: clears everything moto holds. */
export declare function resetMoto(url: string): Promise<void>;
