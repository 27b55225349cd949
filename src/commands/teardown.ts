import { ExitCode, inputError } from '../errors.js';
import { type LiveProgress, liveProgress, progressMode } from '../views/live-progress.js';
import { lineRenderer } from '../views/progress.js';
import {
  type TeardownMeta,
  removalPlanJson,
  renderRemovalPlan,
  renderTeardownResult,
  teardownJson,
} from '../views/teardown.js';
import type { State } from '../state/schema.js';
import { StateSession } from '../state/session.js';
import type { StateStore } from '../state/store.js';
import { accountStep } from '../resources/account/account.js';
import { provisioningSteps } from '../resources/index.js';
import type { AnyStep } from '../engine/types.js';
import {
  type DestroyOptions,
  type DestroyResult,
  removalBlockers,
  removalPlan,
  runDestroy,
  runSteps,
} from '../engine/runner.js';
import {
  type GlobalOptions,
  type Io,
  checkEnvironment,
  createAws,
  globalProblems,
  interruptible,
  storeFor,
  styleFor,
  waitMinutes,
} from './common.js';
import { reportFailure } from './plan.js';
import { abortedAtPrompt, isPromptAbort, terminalPrompter } from './prompts.js';

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
async function nothingRecorded(store: StateStore, globals: GlobalOptions, io: Io): Promise<number> {
  const [last] = await store.archives();
  if (last === undefined) {
    throw inputError(
      `environment "${globals.env}" has no state file (${store.displayPath}), so there is nothing hm-infra knows it created`,
      'Check --env (or pass the file with --state). Resources made without a state file are not removed by teardown: delete them in the AWS console.',
    );
  }
  const message = `environment "${globals.env}" was already torn down (its state is in ${store.display(last)}); nothing to remove`;
  if (globals.json)
    io.out(
      JSON.stringify(
        { kind: 'teardown', ok: true, nothingToDo: true, environment: globals.env, archivedState: last },
        null,
        2,
      ),
    );
  else io.out(message);
  return ExitCode.ok;
}

/** The credentials must be for the account the state belongs to: nothing else is ever removed. */
async function checkAccount(
  state: State,
  options: Pick<DestroyOptions, 'aws' | 'config'>,
  globals: GlobalOptions,
  io: Io,
): Promise<number | undefined> {
  const result = await runSteps([accountStep], {
    mode: 'plan',
    config: options.config,
    aws: options.aws,
    records: state.resources,
    recordedAccountId: state.accountId,
  });
  return result.ok ? undefined : reportFailure(result, globals, io);
}

/** Asks for the environment's name, typed out (as a repository deletion does); anything else stops. */
async function confirmByName(environment: string, globals: GlobalOptions, io: Io): Promise<boolean> {
  if (!io.interactive) {
    throw inputError(
      'teardown deletes AWS resources and needs a confirmation, but there is no terminal to ask in',
      `Re-run with --yes to confirm (as in CI), or with --dry-run to see what would be removed.`,
    );
  }
  const prompter = terminalPrompter(globals.json ? process.stderr : process.stdout);
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
  const style = styleFor(io);
  const removalWaitSeconds = flags.wait === false ? 0 : waitMinutes(flags.waitTimeout);
  const problems = globalProblems(globals, io);
  if (problems.length > 0) throw inputError(problems.join('\n'));
  const dryRun = flags.dryRun === true;
  const store = storeFor(globals, io);
  // Looked at before the lock, which would create the state folder for a mistyped --env.
  if (!(await store.load())) return nothingRecorded(store, globals, io);
  if (!dryRun) await store.lock('teardown');
  try {
    const state = await store.load();
    if (!state) return await nothingRecorded(store, globals, io);
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
      const refused = await checkAccount(state, options, globals, io);
      if (refused !== undefined) return refused;
      const steps = provisioningSteps(config);
      const { items, waitsFor } = removalPlan(steps, state.resources, options.includeAdopted);
      const blockers = await removalBlockers(steps, options);
      const preview = renderRemovalPlan(items, blockers, meta, { force: options.flags.force }, style);
      if (globals.json && (dryRun || blockers.length > 0))
        io.out(
          JSON.stringify({ ...removalPlanJson(items, blockers, meta), ok: blockers.length === 0, dryRun }, null, 2),
        );
      if (globals.json) io.err(preview);
      else io.out(preview);
      if (blockers.length > 0) {
        io.err(style.red('Nothing was removed.'));
        return ExitCode.usage;
      }
      if (dryRun) return ExitCode.ok;
      const toRemove = items.filter((i) => i.removal !== 'keep');
      if (toRemove.length > 0 && !globals.yes && !(await confirmByName(state.environment, globals, io))) {
        io.err('The name did not match. Nothing was removed.');
        return ExitCode.aborted;
      }
      return await removeAll(
        steps,
        items.map((i) => i.step),
        waitsFor,
        options,
        { store, meta, globals, io },
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
  run: { store: StateStore; meta: TeardownMeta; globals: GlobalOptions; io: Io },
): Promise<number> {
  const { store, meta, globals, io } = run;
  const style = styleFor(io);
  const verbose = globals.verbose === true;
  const mode = progressMode({ terminal: io.progressStream !== undefined, env: io.env, verbose });
  let live: LiveProgress | undefined;
  const interrupt = interruptible(io, style, () => live?.stopping());
  const started = Date.now();
  let result: DestroyResult;
  try {
    live =
      mode === 'live' && io.progressStream && shown.length > 0
        ? await liveProgress(shown, io.progressStream, style, (step) => waitsFor.get(step.id) ?? [])
        : undefined;
    try {
      result = await runDestroy(steps, {
        ...options,
        signal: interrupt.signal,
        onEvent: live ? live.onEvent : lineRenderer(io.err, style, verbose),
      });
    } finally {
      await live?.close();
    }
  } finally {
    interrupt.dispose();
  }
  const complete = result.ok && !result.pending && !result.aborted;
  const archived = complete ? await store.archive(options.session.state) : undefined;
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (globals.json) io.out(JSON.stringify(teardownJson(result, meta, archived), null, 2));
  else
    io.out(renderTeardownResult(result, { seconds, archived: archived ? store.display(archived) : undefined }, style));
  const again = `\`hm-infra teardown --env ${meta.environment}\``;
  if (result.aborted) {
    io.err(
      style.yellow(`Interrupted. Every removal so far is saved in ${store.displayPath}; re-run ${again} to continue.`),
    );
    return ExitCode.aborted;
  }
  if (!result.ok) {
    const code = reportFailure({ ...result, outputs: {} }, globals, io);
    io.err(`Removals so far are saved in ${store.displayPath}; fix the problem and re-run ${again} to continue.`);
    return code;
  }
  if (result.pending) {
    io.err(
      style.yellow(
        `Not finished: AWS is still removing something (see above). Re-run ${again} in a few minutes to finish.`,
      ),
    );
    return ExitCode.pending;
  }
  return ExitCode.ok;
}
