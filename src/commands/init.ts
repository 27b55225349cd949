import type { AwsContext } from '../aws/context.js';
import type { Config } from '../config/config.js';
import { ExitCode, HmError, inputError } from '../errors.js';
import { renderRecordTable, zoneFileSnippet } from '../views/dns.js';
import { MASK, envEntries, renderEnv } from '../views/env.js';
import { renderError } from '../views/errors.js';
import { type LiveProgress, liveProgress, liveWait, progressMode } from '../views/live-progress.js';
import { planJson, renderPlan, summarize } from '../views/plan.js';
import { lineRenderer } from '../views/progress.js';
import { sandboxAdvice } from '../views/ses.js';
import { type Style, pad } from '../views/style.js';
import { type State, newState } from '../state/schema.js';
import { StateSession } from '../state/session.js';
import type { StateStore } from '../state/store.js';
import { waitForDeployment } from '../resources/cloudfront/deployment.js';
import { type AccountStatus, accountStatus } from '../checks/email-verification.js';
import { provisioningSteps } from '../resources/index.js';
import { type RunResult, orderSteps, runSteps } from '../engine/runner.js';
import {
  type ConfigFlags,
  type GlobalOptions,
  type Io,
  createAws,
  globalProblems,
  interruptible,
  noConfigFlags,
  preloadAws,
  prepare,
  storeFor,
  styleFor,
  waitMinutes,
  withConfigFile,
} from './common.js';
import { computePlan, planMeta, reportFailure } from './plan.js';
import { type Prompter, abortedAtPrompt, isPromptAbort, terminalPrompter } from './prompts.js';

export interface InitFlags extends ConfigFlags {
  wait?: boolean;
  /** Minutes, as typed. */
  waitTimeout?: string;
  overwriteDns?: boolean;
  rotateKey?: boolean;
}

function renderResult(
  result: RunResult,
  store: StateStore,
  state: State,
  run: { seconds: string; ses: AccountStatus | undefined },
  style: Style,
): string {
  const s = summarize(result.outcomes);
  const lines = [
    '',
    style.bold(`Done in ${run.seconds}s: ${s.create} created, ${s.update} updated, ${s.unchanged} unchanged.`),
  ];
  const bucket = result.outputs.bucket;
  if (bucket) lines.push(`  ${pad('S3 bucket', 14)}${bucket.name} (${bucket.region})`);
  const cdn = result.outputs.distribution;
  if (cdn) {
    const state =
      cdn.status === 'Deployed' ? 'deployed' : 'deploying: serves in about 5–15 minutes; --wait waits for it';
    lines.push(`  ${pad('CDN', 14)}${cdn.url} (${state})`);
    if (cdn.aliases.length > 0)
      lines.push(
        `  ${pad('', 14)}DNS: point ${cdn.aliases.join(', ')} at ${cdn.domainName} (CNAME, or a Route 53 alias record)`,
      );
  }
  lines.push(...renderEmail(result, style));
  const account = result.outputs.account;
  if (account) lines.push(`  ${pad('AWS account', 14)}${account.accountId}`);
  lines.push(`  ${pad('State', 14)}${store.displayPath}`);
  lines.push(...renderAppEnv(result, state, style));
  lines.push('', style.bold('Next steps:'), ...nextSteps(result, state, run.ses));
  return lines.join('\n');
}

/** What to do after init, in order: verify the domain, leave the SES sandbox, hand the app its env. */
function nextSteps(result: RunResult, state: State, ses: AccountStatus | undefined): string[] {
  const env = `--env ${state.environment}`;
  const commands: Array<[string, string]> = [];
  const identity = result.outputs['email-identity'];
  if (identity && !identity.verifiedForSending) {
    commands.push([
      `hm-infra verify-dns ${env}`,
      'wait until SES has verified the domain (minutes with Route 53; up to 72 hours elsewhere)',
    ]);
  }
  commands.push([
    `hm-infra print-env ${env} --write ${envFileFor(state.environment)}`,
    'the block above with the secret, in a file only you can read',
  ]);
  commands.push([`hm-infra smoke-test ${env}`, 'upload, CDN and email, used as the app will use them, with its key']);
  commands.push([`hm-infra plan ${env}`, 'compare what exists with the configuration (says nothing to do now)']);
  const width = Math.max(...commands.map(([c]) => c.length)) + 3;
  const lines = commands.map(([command, why]) => `  ${pad(command, width)}${why}`);
  if (identity && ses && !ses.productionAccess)
    lines.push('', ...sandboxAdvice(ses, state.region, identity.domain).map((line) => `  ${line}`));
  return lines;
}

/** The app's environment variables (the secret masked), and the access key's state. */
function renderAppEnv(result: RunResult, state: State, style: Style): string[] {
  const key = result.outputs['access-key'];
  const lines: string[] = [];
  if (key) {
    const check = key.verified ? 'works' : style.yellow('not yet accepted by AWS; the next run checks again');
    lines.push(`  ${pad('Access key', 14)}${key.accessKeyId} of IAM user ${key.userName} (${check})`);
    if (key.retiring.length > 0)
      lines.push(
        `  ${pad('', 14)}${style.yellow(`old key(s) ${key.retiring.join(', ')} are deleted once the new key works (re-run init)`)}`,
      );
  }
  lines.push(
    '',
    style.bold('Environment variables for your app:'),
    renderEnv(envEntries(state), 'dotenv', { showSecret: false }),
  );
  return lines;
}

/** The email part of the result: identity, sender, and the DNS records (written, or to add by hand). */
function renderEmail(result: RunResult, style: Style): string[] {
  const identity = result.outputs['email-identity'];
  if (!identity) return [];
  const lines: string[] = [];
  const verified = identity.verifiedForSending
    ? 'verified'
    : `verification ${identity.verificationStatus.toLowerCase()}`;
  lines.push(
    `  ${pad('SES identity', 14)}${identity.domain} (${verified}), configuration set ${identity.configurationSet}`,
  );
  const templates = [result.outputs['template-email-verification'], result.outputs['template-password-reset']].filter(
    (t) => t !== undefined,
  );
  if (templates.length > 0)
    lines.push(
      `  ${pad('Templates', 14)}${templates.map((t) => `${t.name} ({{${t.variables.join('}}, {{')}}})`).join(', ')}`,
    );
  const dns = result.outputs['dns-records'];
  if (!dns) return lines;
  if (dns.mode === 'route53') {
    const insync = dns.changeStatus === 'PENDING' ? ' (Route 53 still applying the change)' : '';
    lines.push(
      `  ${pad('DNS', 14)}${dns.records.length} records in Route 53 zone ${dns.zoneId ?? ''}${insync}:`,
      '',
      renderRecordTable(dns.records, identity.domain, style),
      '',
    );
    return lines;
  }
  lines.push(
    `  ${pad('DNS', 14)}${style.yellow('add these records at your DNS host')} (${result.outputs['dns-zone']?.mode === 'external' ? (result.outputs['dns-zone'] as { reason: string }).reason : 'external DNS'}):`,
  );
  lines.push(
    '',
    renderRecordTable(dns.records, identity.domain, style),
    '',
    style.dim('As a zone-file snippet (BIND):'),
    zoneFileSnippet(dns.records, identity.domain),
  );
  return lines;
}

function resultJson(result: RunResult, store: StateStore, state: State) {
  const accountId = state.accountId;
  return {
    kind: 'result' as const,
    ok: result.ok,
    aborted: result.aborted,
    accountId,
    statePath: store.path,
    steps: result.outcomes.map((o) => ({
      id: o.id,
      title: o.title,
      status: o.status,
      action: o.action ?? null,
      changes: o.changes,
      error: o.error ? { code: o.error.code, message: o.error.message, hint: o.error.hint ?? null } : null,
    })),
    summary: summarize(result.outcomes),
    outputs: result.outputs,
    dns: dnsJson(result),
    /** The app's environment variables, the secret masked (`print-env` shows it on request). */
    env: Object.fromEntries(
      envEntries(state).flatMap((e) => (e.value === undefined ? [] : [[e.name, e.secret ? MASK : e.value]])),
    ),
  };
}

/** The email DNS records, also as zone-file text, for scripts that hand them to a DNS host. */
function dnsJson(result: RunResult) {
  const dns = result.outputs['dns-records'];
  if (!dns) return null;
  return {
    mode: dns.mode,
    zoneId: dns.zoneId ?? null,
    records: dns.records,
    zoneFile: zoneFileSnippet(dns.records, result.outputs['email-identity']?.domain ?? ''),
  };
}

/**
 * `--wait`: polls with the SDK waiter until the distribution is Deployed, showing the elapsed
 * time, and records the new status. Returns the error that ended the wait early (a timeout is
 * exit 3: the deployment goes on by itself), or undefined once deployed.
 */
async function waitForCdn(
  result: RunResult,
  session: StateSession,
  options: { aws: AwsContext; io: Io; style: Style; maxWaitSeconds: number; signal: AbortSignal; live: boolean },
): Promise<HmError | undefined> {
  const cdn = result.outputs.distribution;
  if (!cdn || cdn.status === 'Deployed') return undefined;
  const { io, style } = options;
  const wait = (report: (message: string) => void) =>
    waitForDeployment(options.aws, cdn.id, {
      maxWaitSeconds: options.maxWaitSeconds,
      signal: options.signal,
      progressEverySeconds: options.live ? 1 : 15,
      onProgress: (elapsed) => report(`still deploying… ${elapsed}`),
    });
  const title = `Waiting for CloudFront to deploy ${cdn.id} (usually 5–15 minutes; Ctrl-C stops waiting, nothing is lost)`;
  try {
    if (options.live && io.progressStream) await liveWait(title, io.progressStream, wait);
    else {
      io.err(style.dim(`${title}…`));
      await wait((message) => io.err(style.dim(`  ${message}`)));
    }
  } catch (err) {
    if (err instanceof HmError) return err;
    throw err;
  }
  cdn.status = 'Deployed';
  await session.updateOutputs('distribution', { status: 'Deployed' });
  if (!options.live) io.err(`${style.green('✔')} CloudFront distribution deployed`);
  return undefined;
}

/** The name of the env file `print-env --write` suggests: the frameworks' names for prod and dev. */
function envFileFor(environment: string): string {
  const names: Record<string, string> = {
    prod: 'production',
    production: 'production',
    dev: 'development',
    development: 'development',
  };
  return `.env.${names[environment] ?? environment}`;
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

/**
 * Shows the plan and asks to go ahead (Ctrl-C counts as no). Under --json the plan goes to
 * stderr, and stdout gets the plan as JSON if the answer is no.
 */
async function confirmPlan(
  config: Config,
  state: State | undefined,
  aws: AwsContext,
  globals: GlobalOptions,
  flags: InitFlags,
  io: Io,
  prompter: Prompter,
): Promise<number | undefined> {
  const style = styleFor(io);
  const planned = await computePlan(config, state, aws, globals, io, flags);
  if (!planned.ok) return reportFailure(planned, globals, io);
  const text = renderPlan(planned.outcomes, planMeta(config, false), style);
  if (globals.json) io.err(text);
  else io.out(text);
  const { create, update } = summarize(planned.outcomes);
  if (create + update === 0) return undefined;
  let go: boolean;
  try {
    go = await prompter.confirm({ id: 'apply', message: 'Apply these changes?', default: true });
  } catch (err) {
    if (!isPromptAbort(err)) throw err;
    go = false;
  }
  if (go) return undefined;
  if (globals.json)
    io.out(
      JSON.stringify({ ...planJson(planned.outcomes, planMeta(config, false)), ok: true, applied: false }, null, 2),
    );
  io.err('Nothing was changed.');
  return ExitCode.aborted;
}

/** `hm-infra init`: (ask,) validate, (plan and confirm,) provision, report. */
export async function runInit(typedGlobals: GlobalOptions, typedFlags: InitFlags, io: Io): Promise<number> {
  const style = styleFor(io);
  const maxWaitSeconds = waitMinutes(typedFlags.waitTimeout);
  let { globals, flags } = await withConfigFile(typedGlobals, typedFlags, io);
  const early = globalProblems(globals, io);
  if (early.length > 0) throw inputError(early.join('\n'));
  const prompter =
    io.interactive && !globals.yes ? terminalPrompter(globals.json ? process.stderr : process.stdout) : undefined;
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
  const verbose = globals.verbose === true;
  const mode = progressMode({ terminal: io.progressStream !== undefined, env: io.env, verbose });
  let live: LiveProgress | undefined;
  const interrupt = interruptible(io, style, () => live?.stopping());
  try {
    if (prompter) {
      const declined = await confirmPlan(config, state, aws, globals, flags, io, prompter);
      if (declined !== undefined) return declined;
    }
    const session = new StateSession(store, state ?? newState(config));
    session.state.config = config;
    const started = Date.now();
    // The SES account status is only for the closing advice and needs nothing the steps make:
    // it is asked while they run, once the credentials have proved to work.
    let ses: Promise<AccountStatus | undefined> | undefined;
    live =
      mode === 'live' && io.progressStream
        ? await liveProgress(orderSteps(steps), io.progressStream, style)
        : undefined;
    const render = live ? live.onEvent : lineRenderer(io.err, style, verbose);
    let result: RunResult;
    try {
      result = await runSteps(steps, {
        mode: 'apply',
        config,
        flags: { overwriteDns: flags.overwriteDns === true, rotateKey: flags.rotateKey === true },
        aws,
        session,
        signal: interrupt.signal,
        onEvent: (event) => {
          if (event.type === 'done' && event.outcome.id === 'account' && config.email && !globals.json)
            ses = sendingStatus(aws);
          render(event);
        },
      });
    } finally {
      await live?.close();
    }
    const waited =
      result.ok && !result.aborted && flags.wait
        ? await waitForCdn(result, session, {
            aws,
            io,
            style,
            maxWaitSeconds,
            signal: interrupt.signal,
            live: mode === 'live',
          })
        : undefined;
    if (globals.json)
      io.out(
        JSON.stringify(
          {
            ...resultJson(result, store, session.state),
            ...(waited ? { wait: { code: waited.code, message: waited.message } } : {}),
          },
          null,
          2,
        ),
      );
    if (result.aborted || waited?.exitCode === ExitCode.aborted) {
      io.err(
        style.yellow(
          `Interrupted. Every finished step is saved in ${store.displayPath}; re-run \`hm-infra init --env ${config.environment}\` to continue.`,
        ),
      );
      return ExitCode.aborted;
    }
    if (!result.ok) {
      const code = reportFailure(result, globals, io);
      const saved = result.outcomes.some((o) => o.status === 'done');
      const rerun = `\`hm-infra init --env ${config.environment}\``;
      io.err(
        saved
          ? `Finished steps are saved in ${store.displayPath}; fix the problem and re-run ${rerun} to continue.`
          : `Nothing was changed; fix the problem and re-run ${rerun}.`,
      );
      return code;
    }
    if (!globals.json) {
      const sending = result.outputs['email-identity'] ? await ses : undefined;
      io.out(
        renderResult(
          result,
          store,
          session.state,
          { seconds: ((Date.now() - started) / 1000).toFixed(1), ses: sending },
          style,
        ),
      );
    }
    if (waited) {
      io.err(renderError(waited, style, verbose));
      return waited.exitCode;
    }
    return ExitCode.ok;
  } finally {
    interrupt.dispose();
    aws.destroy();
    await store.unlock();
  }
}

/** The account's SES status for the next steps; a failure only leaves the advice out. */
async function sendingStatus(aws: AwsContext): Promise<AccountStatus | undefined> {
  return accountStatus(aws).catch(() => undefined);
}
