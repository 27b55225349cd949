import type { AwsContext } from '../aws/context.js';
import type { Config } from '../config/config.js';
import { ExitCode, HmError, inputError } from '../errors.js';
import { type InitView, initViewFor } from '../views/init.js';
import { summarize } from '../views/plan.js';
import { type State, newState } from '../state/schema.js';
import { StateSession } from '../state/session.js';
import { waitForDeployment } from '../resources/cloudfront/deployment.js';
import { type AccountStatus, accountStatus } from '../checks/ses-account.js';
import type { DnsProvider } from '../resources/dns/providers.js';
import { provisioningSteps } from '../resources/index.js';
import { planDifferences } from '../engine/plan-diff.js';
import { orderSteps } from '../engine/order.js';
import type { RunResult } from '../engine/outcome.js';
import { runSteps } from '../engine/run.js';
import { createAws, preloadAws } from './aws.js';
import {
  type ConfigFlags,
  type GlobalOptions,
  globalProblems,
  noConfigFlags,
  prepare,
  withConfigFile,
} from './common.js';
import { failureCode } from './exit-code.js';
import { interruptible } from './interrupt.js';
import type { Io } from './io.js';
import { computePlan, planMeta } from './plan.js';
import { type Prompter, abortedAtPrompt, isPromptAbort, terminalPrompter } from './prompts.js';
import { storeFor } from './state.js';
import { waitMinutes } from './wait-timeout.js';

export interface InitFlags extends ConfigFlags {
  wait?: boolean;
  /** Minutes, as typed. */
  waitTimeout?: string;
  overwriteDns?: boolean;
  rotateKey?: boolean;
}

/**
 * `--wait`: polls with the SDK waiter until the distribution is Deployed, showing the elapsed
 * time, and records the new status. Returns the error that ended the wait early (a timeout is
 * exit 3: the deployment goes on by itself), or undefined once deployed.
 */
async function waitForCdn(
  result: RunResult,
  session: StateSession,
  options: { aws: AwsContext; view: InitView; maxWaitSeconds: number; signal: AbortSignal },
): Promise<HmError | undefined> {
  const cdn = result.outputs.distribution;
  if (!cdn || cdn.status === 'Deployed') return undefined;
  const { view } = options;
  try {
    await view.waitForCdn(cdn.id, (report, everySeconds) =>
      waitForDeployment(options.aws, cdn.id, {
        maxWaitSeconds: options.maxWaitSeconds,
        signal: options.signal,
        progressEverySeconds: everySeconds,
        onProgress: report,
      }),
    );
  } catch (err) {
    if (err instanceof HmError) return err;
    throw err;
  }
  cdn.status = 'Deployed';
  await session.updateOutputs('distribution', { status: 'Deployed' });
  view.cdnDeployed();
  return undefined;
}

/**
 * When `init` asks instead of failing: on a terminal, without --yes, for a bare `init` (every
 * question) or when a required value is given by no flag, file or earlier run (just those).
 */
async function wizardScope(globals: GlobalOptions, flags: ConfigFlags, io: Io): Promise<'all' | 'missing' | 'none'> {
  if (!io.interactive || globals.yes) return 'none';
  if (noConfigFlags(flags)) return 'all';
  const state = await storeFor(globals, io).load();
  return !state && (flags.app === undefined || flags.domain === undefined) ? 'missing' : 'none';
}

/** Runs the wizard with the real prompts and lookups; Ctrl-C at a question is exit 130. */
async function askWizard(
  scope: 'all' | 'missing',
  globals: GlobalOptions,
  flags: ConfigFlags,
  io: Io,
  prompter: Prompter,
) {
  const { runWizard } = await import('./wizard.js');
  try {
    return await runWizard({ globals, flags, envGiven: globals.envGiven === true, askAll: scope === 'all' }, io, {
      prompter,
      loadState: (env) => storeFor(globals, io, env).load(),
      profiles: async () => (await import('../aws/discover.js')).listProfiles(),
      regionOf: async (profile) => (await import('../aws/context.js')).regionFromEnvironment(profile),
      zones: async (profile, region) => {
        const { listPublicZones } = await import('../aws/discover.js');
        const aws = await createAws({ ...globals, profile }, io, region);
        try {
          return await listPublicZones(aws);
        } finally {
          aws.destroy();
        }
      },
    });
  } catch (err) {
    if (isPromptAbort(err)) throw abortedAtPrompt('nothing was written');
    throw err;
  }
}

/** Asks to go ahead; Ctrl-C counts as no. */
async function goAhead(prompter: Prompter): Promise<boolean> {
  try {
    return await prompter.confirm({ id: 'apply', message: 'Apply these changes?', default: true });
  } catch (err) {
    if (!isPromptAbort(err)) throw err;
    return false;
  }
}

/**
 * Shows the plan and asks to go ahead. Once it is confirmed, reads everything again: when that
 * plan is not the one shown (someone changed something meanwhile), shows what changed and asks
 * again; when it is, returns it, to be applied with what it read. A plan with nothing to change
 * is applied without asking. An exit code when the answer is no or a plan cannot be read.
 */
async function confirmedPlan(
  config: Config,
  state: State | undefined,
  aws: AwsContext,
  flags: InitFlags,
  view: InitView,
  prompter: Prompter,
): Promise<RunResult | number> {
  const read = () => computePlan(config, state, aws, flags, view.planProgress());
  const meta = planMeta(config, false);
  let shown = await read();
  if (!shown.ok) {
    view.failedSteps(shown.outcomes);
    return failureCode(shown);
  }
  view.plan(shown.outcomes, meta);
  for (;;) {
    const { create, update } = summarize(shown.outcomes);
    if (create + update === 0) return shown;
    if (!(await goAhead(prompter))) {
      view.declined(shown.outcomes, meta);
      return ExitCode.aborted;
    }
    const fresh = await read();
    if (!fresh.ok) {
      view.failedSteps(fresh.outcomes);
      return failureCode(fresh);
    }
    const differences = planDifferences(shown.outcomes, fresh.outcomes);
    if (differences.length === 0) return fresh;
    view.planChanged(differences, fresh.outcomes);
    shown = fresh;
  }
}

/**
 * `hm-infra init`: (ask,) validate, (plan and confirm, then apply that plan,) provision, report.
 * With --yes no plan is shown: the steps are read as they are applied.
 */
export async function runInit(typedGlobals: GlobalOptions, typedFlags: InitFlags, io: Io): Promise<number> {
  const maxWaitSeconds = waitMinutes(typedFlags.waitTimeout);
  let { globals, flags } = await withConfigFile(typedGlobals, typedFlags, io);
  const view = initViewFor(globals, io);
  const early = globalProblems(globals, io);
  if (early.length > 0) throw inputError(early.join('\n'));
  const prompter = io.interactive && !globals.yes ? terminalPrompter(view.promptOutput) : undefined;
  const scope = await wizardScope(globals, flags, io);
  if (scope !== 'none' && prompter) {
    preloadAws(); // while the user answers
    ({ globals, flags } = await askWizard(scope, globals, flags, io, prompter));
  }
  const { store, state, config } = await prepare(globals, flags, io, { lockFor: 'init' });
  if (!prompter && !globals.yes) {
    await store.unlock();
    throw inputError(
      'init changes AWS resources and needs a confirmation, but there is no terminal to ask in',
      'Re-run with --yes to confirm (as in CI), or run `hm-infra plan` first to see what would change.',
    );
  }
  const aws = await createAws(globals, io, config.region);
  const steps = provisioningSteps(config);
  const interrupt = interruptible(() => view.stopping());
  try {
    const planned = prompter ? await confirmedPlan(config, state, aws, flags, view, prompter) : undefined;
    if (typeof planned === 'number') return planned;
    const session = new StateSession(store, state ?? newState(config));
    session.state.config = config;
    const started = Date.now();
    // The SES account status is only for the closing advice and needs nothing the steps make:
    // it is asked while they run, once the credentials have proved to work.
    let ses: Promise<AccountStatus | undefined> | undefined;
    let dnsHost: Promise<DnsProvider | undefined> | undefined;
    const progress = await view.startProgress(orderSteps(steps));
    let result: RunResult;
    try {
      result = await runSteps(steps, {
        mode: 'apply',
        config,
        flags: { overwriteDns: flags.overwriteDns === true, rotateKey: flags.rotateKey === true },
        aws,
        session,
        signal: interrupt.signal,
        ...(planned?.observations ? { observations: planned.observations } : {}),
        onEvent: (event) => {
          if (event.type === 'done' && event.outcome.id === 'account' && config.email && view.showsSendingStatus)
            ses = sendingStatus(aws);
          // Records the user adds at their DNS host are shown as that host's form wants them.
          if (event.type === 'done' && event.outcome.id === 'dns-zone' && view.showsSendingStatus)
            dnsHost = dnsHostFor(session.state, config.domain);
          progress.onEvent(event);
        },
      });
    } finally {
      await progress.close();
    }
    const waited =
      result.ok && !result.aborted && flags.wait
        ? await waitForCdn(result, session, { aws, view, maxWaitSeconds, signal: interrupt.signal })
        : undefined;
    const interrupted = result.aborted || waited?.exitCode === ExitCode.aborted;
    const sending = result.ok && !interrupted && result.outputs['email-identity'] ? await ses : undefined;
    view.result({
      result,
      store,
      state: session.state,
      seconds: ((Date.now() - started) / 1000).toFixed(1),
      ses: sending,
      waited,
      dnsHost: result.ok ? await dnsHost : undefined,
    });
    if (interrupted) {
      view.interrupted(store.displayPath, config.environment);
      return ExitCode.aborted;
    }
    if (!result.ok) {
      view.failure(result, store.displayPath, config.environment);
      return failureCode(result);
    }
    if (waited) {
      view.waitEnded(waited);
      return waited.exitCode;
    }
    return ExitCode.ok;
  } finally {
    interrupt.dispose();
    aws.destroy();
    await store.unlock();
  }
}

/** The DNS host of the domain when the records are to be added there (external DNS); undefined otherwise or when unknown. */
async function dnsHostFor(state: State, domain: string): Promise<DnsProvider | undefined> {
  if (state.resources['dns-zone']?.outputs['mode'] !== 'external') return undefined;
  const { dnsHostOf } = await import('../checks/dns-resolver.js');
  return dnsHostOf(domain).catch(() => undefined);
}

/** The account's SES status for the next steps; a failure only leaves the advice out. */
async function sendingStatus(aws: AwsContext): Promise<AccountStatus | undefined> {
  return accountStatus(aws).catch(() => undefined);
}
