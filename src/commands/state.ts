import { inputError } from '../errors.js';
import type { State } from '../state/schema.js';
import { StateStore, statePathFor } from '../state/store.js';
import type { GlobalOptions } from './common.js';
import type { Io } from './io.js';

/** The state file of an environment: --state when given, else `.hm-infra/<env>.json`. */
export function storeFor(globals: GlobalOptions, io: Io, env: string = globals.env): StateStore {
  return new StateStore(statePathFor(env, globals.state, io.cwd), io.cwd);
}

/** A state file passed with --state that belongs to another environment than --env. */
export function checkEnvironment(globals: GlobalOptions, state: State, store: StateStore): void {
  if (state.environment !== globals.env) {
    throw inputError(
      `the state file ${store.displayPath} is for environment "${state.environment}", not "${globals.env}"`,
      `Pass --env ${state.environment}, or another --state file.`,
    );
  }
}

/**
 * The state of an environment `init` has set up, for commands that only work on one
 * (verify-dns, print-env); a clear error when there is none. Reads local files only.
 */
export async function loadSetUpState(globals: GlobalOptions, io: Io): Promise<{ store: StateStore; state: State }> {
  const store = storeFor(globals, io);
  const state = await store.load();
  if (!state) {
    throw inputError(
      `environment "${globals.env}" has not been set up (no ${store.displayPath})`,
      `Run \`hm-infra init --env ${globals.env}\` first, or pass --state <file>.`,
    );
  }
  checkEnvironment(globals, state, store);
  return { store, state };
}
