import { main } from '../../src/cli.js';
import type { Io } from '../../src/commands/io.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in this process (so the fake account's mocks apply) and captures its output. */
export async function runCli(
  args: string[],
  options: { cwd: string; env?: Record<string, string>; interactive?: boolean; progressStream?: NodeJS.WriteStream },
): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    interactive: options.interactive ?? false,
    color: false,
    env: { ...process.env, ...options.env },
    cwd: options.cwd,
    ...(options.progressStream ? { progressStream: options.progressStream } : {}),
  };
  const code = await main(['node', 'hm-infra', ...args], io);
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}
