/**
 * `hm-infra state unlock | push | pull | list`: the team state on S3 handled by hand — a stale
 * lock removed, a local state moved up, the remote one brought down, the environments listed.
 */
import { relative, resolve } from 'node:path';
import { ExitCode, inputError } from '../errors.js';
import { stateText } from '../state/backend.js';
import { type S3StateStore, listStates } from '../state/s3-store.js';
import { StateStore, statePathFor } from '../state/store.js';
import { stateViewFor } from '../views/state.js';
import { type GlobalOptions, globalProblems } from './common.js';
import type { Io } from './io.js';
import { writeEnvFile } from './print-env.js';
import { abortedAtPrompt, isPromptAbort, terminalPrompter } from './prompts.js';
import { remoteLocation, storeFor } from './state.js';

function checked(globals: GlobalOptions, io: Io, command: string) {
  const problems = globalProblems(globals, io);
  if (problems.length > 0) throw inputError(problems.join('\n'));
  const location = remoteLocation(globals, io);
  if (location === undefined)
    throw inputError(
      `state ${command} works on a state on S3, and no --state s3://… (or HM_INFRA_STATE) was given`,
      'Pass --state s3://<bucket>/<prefix>, as `hm-infra state setup` printed it.',
    );
  return location;
}

const remoteStore = (globals: GlobalOptions, io: Io) => storeFor(globals, io) as S3StateStore;

/** `state unlock <lock-id>`: removes a lock a dead run left, after a typed confirmation, only when the id matches. */
export async function runStateUnlock(globals: GlobalOptions, lockId: string, io: Io): Promise<number> {
  checked(globals, io, 'unlock');
  const view = stateViewFor(globals, io);
  const store = remoteStore(globals, io);
  const current = await store.readLock();
  if (!current) {
    view.noLock(store.displayPath);
    return ExitCode.ok;
  }
  if (current.lockId !== lockId)
    throw inputError(
      `the lock on ${store.displayPath} has id ${current.lockId} (\`hm-infra ${current.command}\` of ${current.who}, started ${current.startedAt}), not ${lockId}; nothing was removed`,
      'Check that the run holding it has really died, then pass its id.',
    );
  if (!globals.yes) {
    if (!io.interactive)
      throw inputError(
        'state unlock removes a lock another run may still hold, and needs a confirmation, but there is no terminal to ask in',
        'Re-run with --yes to confirm (as in CI).',
      );
    let typed: string;
    try {
      typed = await terminalPrompter(view.promptOutput).input({
        id: 'confirm-unlock',
        message: `A run holding the lock may still write. Type the lock id to remove it (${lockId}):`,
      });
    } catch (err) {
      if (isPromptAbort(err)) throw abortedAtPrompt('the lock was left in place');
      throw err;
    }
    if (typed.trim() !== lockId) {
      view.declined();
      return ExitCode.aborted;
    }
  }
  const outcome = await store.removeLock(lockId);
  view.unlocked(store.displayPath, outcome === 'removed' ? current : undefined);
  return ExitCode.ok;
}

export interface PushFlags {
  from?: string;
  force?: boolean;
}

/** `state push`: the local state of an environment up to S3, refused when S3 holds another one (unless --force). */
export async function runStatePush(globals: GlobalOptions, flags: PushFlags, io: Io): Promise<number> {
  checked(globals, io, 'push');
  const view = stateViewFor(globals, io);
  const localPath = statePathFor(globals.env, flags.from, io.cwd);
  const local = new StateStore(localPath, io.cwd);
  const state = await local.load();
  if (!state)
    throw inputError(
      `there is no local state ${local.displayPath} to push`,
      'Pass --from <file> naming the state file, or --env for another environment.',
    );
  if (state.environment !== globals.env)
    throw inputError(
      `${local.displayPath} is the state of environment "${state.environment}", not "${globals.env}"`,
      `Pass --env ${state.environment}.`,
    );
  const remote = remoteStore(globals, io);
  await remote.lock('state push');
  try {
    const existing = await remote.load();
    if (existing && stateText(existing, new Date(0)) !== stateText(state, new Date(0))) {
      if (!flags.force)
        throw inputError(
          `${remote.displayPath} already holds a different state of environment "${globals.env}"; nothing was pushed`,
          'Compare them (`hm-infra state pull`), then pass --force to replace it (the bucket keeps the one replaced as a version).',
        );
    }
    const unchanged = existing !== undefined && stateText(existing, new Date(0)) === stateText(state, new Date(0));
    await remote.save(state);
    view.pushed(local.displayPath, remote.displayPath, unchanged);
    return ExitCode.ok;
  } finally {
    await remote.unlock();
  }
}

export interface PullFlags {
  write?: string;
  force?: boolean;
  showSecret?: boolean;
}

/** `state pull`: the state on S3, on stdout (the secret masked unless --show-secret) or in a 0600 file. */
export async function runStatePull(globals: GlobalOptions, flags: PullFlags, io: Io): Promise<number> {
  checked(globals, io, 'pull');
  const view = stateViewFor(globals, io);
  const remote = remoteStore(globals, io);
  const state = await remote.load();
  if (!state)
    throw inputError(
      `environment "${globals.env}" has no state at ${remote.displayPath}`,
      '`hm-infra state list` shows the environments under that prefix.',
    );
  if (flags.write !== undefined) {
    const path = resolve(io.cwd, flags.write);
    const rel = relative(io.cwd, path);
    const shown = rel.startsWith('..') ? path : rel;
    const outcome = await writeEnvFile(path, stateText(state), flags.force === true, shown);
    view.pulled(remote.displayPath, shown, outcome);
    return ExitCode.ok;
  }
  const masked = flags.showSecret
    ? state
    : {
        ...state,
        resources: Object.fromEntries(
          Object.entries(state.resources).map(([id, record]) => [
            id,
            record.secret ? { ...record, secret: { ...record.secret, secretAccessKey: '********' } } : record,
          ]),
        ),
      };
  view.state(
    JSON.stringify(masked, null, 2),
    !flags.showSecret && Object.values(state.resources).some((r) => r.secret),
  );
  return ExitCode.ok;
}

/** `state list`: the environments whose state is under the prefix, with account, region, last write and lock. */
export async function runStateList(globals: GlobalOptions, io: Io): Promise<number> {
  const location = checked(globals, io, 'list');
  const view = stateViewFor(globals, io);
  const store = remoteStore(globals, io);
  const listed = await listStates(location, await store.accessForListing());
  view.list(
    `s3://${location.bucket}/${location.prefix}`,
    listed.sort((a, b) => a.environment.localeCompare(b.environment)),
  );
  return ExitCode.ok;
}
