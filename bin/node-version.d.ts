/** As package.json `engines` says it. */
export declare const ENGINES: string;
/** Whether hm-infra runs on Node.js `version` (`22.23.5` or `v22.23.5`). */
export declare function supported(version: string): boolean;
/** What an unsupported Node.js is told, naming its version and what to install. */
export declare function refusal(version: string): string;
