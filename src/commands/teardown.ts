import { ExitCode, inputError } from '../errors.js';
import { type TeardownMeta, type TeardownView, teardownViewFor } from '../views/teardown.js';
import type { State } from '../state/schema.js';
import { StateSession } from '../state/session.js';
import type { StateBackend } from '../state/backend.js';
import { accountStep } from '../resources/account/account.js';
import { teardownSteps } from '../resources/index.js';
import type { AnyStep } from '../engine/types.js';
import {
  type DestroyOptions,
  type DestroyResult,
  removalBlockers,
  removalPlan,
  runDestroy,
} from '../engine/destroy.js';
import { runSteps } from '../engine/run.js';
import { createAws } from './aws.js';
import { type GlobalOptions, checkDnsHost, globalProblems } from './common.js';
import { failureCode } from './exit-code.js';
import { interruptible } from './interrupt.js';
import type { Io } from './io.js';
import { abortedAtPrompt, isPromptAbort, terminalPrompter } from './prompts.js';
import { checkEnvironment, storeFor } from './state.js';
import { waitMinutes } from './wait-timeout.js';

export interface TeardownFlags {
  dryRun?: boolean;
  force?: boolean;
  includeAdopted?: boolean;
  /** false with --no-wait. */
  wait?: boolean;
  /** Minutes, as typed. */
  waitTimeout?: string;
}

/** No state file: torn down before (exit 0, nothing to do) or never set up (a typo in --env?). */
async function nothingRecorded(store: StateBackend, globals: GlobalOptions, view: TeardownView): Promise<number> {
  const [last] = await store.archives();
  if (last === undefined) {
    throw inputError(
      `environment "${globals.env}" has no state file (${store.displayPath}), so there is nothing hm-infra knows it created`,
      'Check --env (or pass the file with --state). Resources made without a state file are not removed by teardown: delete them in the AWS console.',
    );
  }
  view.nothingToDo(globals.env, { path: last, shown: store.display(last) });
  return ExitCode.ok;
}

/** The credentials must be for the account the state belongs to: nothing else is ever removed. */
async function checkAccount(
  state: State,
  options: Pick<DestroyOptions, 'aws' | 'config'>,
  view: TeardownView,
): Promise<number | undefined> {
  const result = await runSteps([accountStep], {
    mode: 'plan',
    config: options.config,
    aws: options.aws,
    records: state.resources,
    recordedAccountId: state.accountId,
  });
  if (result.ok) return undefined;
  view.failedSteps(result.outcomes);
  return failureCode(result);
}

/** Asks for the environment's name, typed out (as a repository deletion does); anything else stops. */
async function confirmByName(environment: string, view: TeardownView, io: Io): Promise<boolean> {
  if (!io.interactive) {
    throw inputError(
      'teardown deletes AWS resources and needs a confirmation, but there is no terminal to ask in',
      `Re-run with --yes to confirm (as in CI), or with --dry-run to see what would be removed.`,
    );
  }
  const prompter = terminalPrompter(view.promptOutput);
  try {
    const typed = await prompter.input({
      id: 'confirm-env',
      message: `This deletes the resources above. Type the environment name (${environment}) to confirm:`,
    });
    return typed.trim() === environment;
  } catch (err) {
    if (isPromptAbort(err)) throw abortedAtPrompt('nothing was removed');
    throw err;
  }
}

/**
 * `hm-infra teardown`: removes what the state says this tool created, dependents first; each
 * removal is saved as it happens, and the state file is moved aside once everything is gone.
 */
export async function runTeardown(globals: GlobalOptions, flags: TeardownFlags, io: Io): Promise<number> {
  const view = teardownViewFor(globals, io);
  const removalWaitSeconds = flags.wait === false ? 0 : waitMinutes(flags.waitTimeout);
  const problems = globalProblems(globals, io);
  if (problems.length > 0) throw inputError(problems.join('\n'));
  const dryRun = flags.dryRun === true;
  const store = storeFor(globals, io);
  // Looked at before the lock, which would create the state folder for a mistyped --env.
  if (!(await store.load())) return nothingRecorded(store, globals, view);
  if (!dryRun) await store.lock('teardown');
  try {
    const state = await store.load();
    if (!state) return await nothingRecorded(store, globals, view);
    checkEnvironment(globals, state, store);
    if (globals.region !== undefined && globals.region !== state.region) {
      throw inputError(
        `environment "${globals.env}" lives in ${state.region}, not ${globals.region}`,
        `Drop --region (teardown uses the state's region ${state.region}).`,
      );
    }
    const config = state.config;
    const meta: TeardownMeta = {
      app: state.app,
      environment: state.environment,
      region: state.region,
      accountId: state.accountId,
    };
    checkDnsHost(config, io);
    const aws = await createAws(globals, io, state.region);
    try {
      const session = new StateSession(store, state);
      const options = {
        config,
        flags: { force: flags.force === true, removalWaitSeconds },
        aws,
        session,
        includeAdopted: flags.includeAdopted === true,
      };
      const refused = await checkAccount(state, options, view);
      if (refused !== undefined) return refused;
      const steps = teardownSteps(config, new Set(Object.keys(state.resources)));
      const { items, waitsFor } = removalPlan(steps, state.resources, options.includeAdopted);
      const blockers = await removalBlockers(steps, options);
      view.removalPlan(items, blockers, meta, { force: options.flags.force, dryRun });
      if (blockers.length > 0) {
        view.blocked();
        return ExitCode.usage;
      }
      if (dryRun) return ExitCode.ok;
      const toRemove = items.filter((i) => i.removal !== 'keep');
      if (toRemove.length > 0 && !globals.yes && !(await confirmByName(state.environment, view, io))) {
        view.declined();
        return ExitCode.aborted;
      }
      return await removeAll(
        steps,
        items.map((i) => i.step),
        waitsFor,
        options,
        { store, meta, view },
      );
    } finally {
      aws.destroy();
    }
  } finally {
    await store.unlock();
  }
}

async function removeAll(
  steps: readonly AnyStep[],
  shown: readonly AnyStep[],
  waitsFor: Map<string, string[]>,
  options: Omit<DestroyOptions, 'signal' | 'onEvent'>,
  run: { store: StateBackend; meta: TeardownMeta; view: TeardownView },
): Promise<number> {
  const { store, meta, view } = run;
  const interrupt = interruptible(() => view.stopping());
  const started = Date.now();
  let result: DestroyResult;
  try {
    const progress = await view.startProgress(shown, (step) => waitsFor.get(step.id) ?? []);
    try {
      result = await runDestroy(steps, { ...options, signal: interrupt.signal, onEvent: progress.onEvent });
    } finally {
      await progress.close();
    }
  } finally {
    interrupt.dispose();
  }
  const complete = result.ok && !result.pending && !result.aborted;
  const archived = complete ? await store.archive(options.session.state) : undefined;
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  view.result(result, meta, {
    seconds,
    archived: archived ? { path: archived, shown: store.display(archived) } : undefined,
  });
  if (result.aborted) {
    view.interrupted(store.displayPath, meta.environment);
    return ExitCode.aborted;
  }
  if (!result.ok) {
    view.failure(result, store.displayPath, meta.environment);
    return failureCode(result);
  }
  if (result.pending) {
    view.pending(meta.environment);
    return ExitCode.pending;
  }
  return ExitCode.ok;
}
