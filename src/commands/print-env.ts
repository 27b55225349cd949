import { chmod, readFile, stat } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { ExitCode, HmError, inputError } from '../errors.js';
import { envEntries, missingEntries, renderEnv } from '../views/env.js';
import { printEnvViewFor } from '../views/print-env.js';
import { type GlobalOptions, globalProblems } from './common.js';
import type { Io } from './io.js';
import { loadSetUpState } from './state.js';

export interface PrintEnvFlags {
  format?: string;
  showSecret?: boolean;
  write?: string;
  force?: boolean;
}

/**
 * Writes the block to a file only the user can read. A different file already there is kept
 * unless --force; the write is atomic, so the file is whole or untouched.
 */
export async function writeEnvFile(
  path: string,
  text: string,
  force: boolean,
  shownPath: string,
): Promise<'written' | 'unchanged'> {
  let existing: string | undefined;
  try {
    const info = await stat(path);
    if (info.isDirectory())
      throw inputError(`--write ${shownPath} is a directory`, 'Name a file, for example --write .env');
    existing = await readFile(path, 'utf8');
  } catch (err) {
    if (err instanceof HmError) throw err;
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new HmError('ENV_FILE', `cannot read ${shownPath}: ${(err as Error).message}`, 'user');
  }
  if (existing !== undefined && existing !== text && !force) {
    throw inputError(
      `${shownPath} already exists with other content; it was left untouched`,
      `Pass --force to replace it, or write to another file.`,
    );
  }
  if (existing === text) {
    await chmod(path, 0o600);
    return 'unchanged';
  }
  try {
    const { default: writeFileAtomic } = await import('write-file-atomic');
    await writeFileAtomic(path, text, { mode: 0o600, fsync: true });
    await chmod(path, 0o600);
  } catch (err) {
    throw new HmError('ENV_FILE', `cannot write ${shownPath}: ${(err as Error).message}`, 'user', {
      hint: 'Check that the folder exists and is writable.',
    });
  }
  return 'written';
}

/**
 * `hm-infra print-env`: the app's environment variables from the state file. No AWS call and
 * no SDK: it answers at once, offline. The secret is masked unless --show-secret or --write.
 */
export async function runPrintEnv(globals: GlobalOptions, flags: PrintEnvFlags, io: Io): Promise<number> {
  const view = printEnvViewFor(globals, io);
  const problems = globalProblems(globals, io);
  if (problems.length > 0) throw inputError(problems.join('\n'));
  const format = view.format(flags.format);
  if (flags.write !== undefined && flags.write.trim() === '')
    throw inputError('--write needs a file name, for example --write .env');
  const { state, store } = await loadSetUpState(globals, io);
  const entries = envEntries(state);
  const missing = missingEntries(entries);
  const header = [
    `${state.app} (${state.environment}) in ${state.region}: from ${store.displayPath} by hm-infra print-env`,
  ];

  if (flags.write !== undefined) {
    if (missing.length > 0) {
      throw new HmError(
        'ENV_INCOMPLETE',
        `the environment is not complete (${missing.map((e) => e.name).join(', ')}); nothing was written`,
        'user',
        {
          exitCode: ExitCode.failure,
          hint: missing[0]?.missing ?? `Run \`hm-infra init --env ${state.environment}\`.`,
        },
      );
    }
    const path = resolve(io.cwd, flags.write);
    const shownPath = relative(io.cwd, path).startsWith('..') ? path : relative(io.cwd, path);
    const text = `${renderEnv(entries, format, { showSecret: true, header })}\n`;
    const outcome = await writeEnvFile(path, text, flags.force === true, shownPath);
    const variables = entries.filter((e) => e.value !== undefined).length;
    view.written({ path, shownPath, format, variables, outcome });
    return ExitCode.ok;
  }

  view.env(renderEnv(entries, format, { showSecret: flags.showSecret === true, header }));
  if (missing.length > 0) {
    view.missing(missing, entries);
    return ExitCode.failure;
  }
  return ExitCode.ok;
}
