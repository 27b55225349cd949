import { ExitCode, type HmError } from '../errors.js';
import type { State } from '../state/schema.js';
import type { StateBackend } from '../state/backend.js';
import type { AccountStatus } from '../checks/ses-account.js';
import type { StepDifference } from '../engine/plan-diff.js';
import type { RunResult, StepOutcome } from '../engine/outcome.js';
import { renderProviderTable, renderRecordTable, zoneFileSnippet } from './dns.js';
import { MASK, envEntries, renderEnv } from './env.js';
import { liveWait } from './live-progress.js';
import { type PlanMeta, planJson, renderPlan, renderPlanChanges, summarize } from './plan.js';
import { RunView } from './run-progress.js';
import type { DnsProvider } from '../resources/dns/providers.js';
import { sandboxAdvice } from './ses.js';
import { type Style, pad } from './style.js';
import { type Output, type ViewOptions, printJson } from './view.js';

function renderResult(
  result: RunResult,
  store: StateBackend,
  state: State,
  run: { seconds: string; ses: AccountStatus | undefined; dnsHost?: DnsProvider | undefined },
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
  lines.push(...renderEvents(result, style));
  lines.push(...renderEmail(result, style, run.dnsHost));
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
  commands.push([
    `hm-infra smoke-test ${env}`,
    'upload, CDN, email and its bounce, used as the app will use them, with its key',
  ]);
  commands.push([`hm-infra plan ${env}`, 'compare what exists with the configuration (says nothing to do now)']);
  const width = Math.max(...commands.map(([c]) => c.length)) + 3;
  const lines = commands.map(([command, why]) => `  ${pad(command, width)}${why}`);
  if (identity && ses && !ses.productionAccess)
    lines.push('', ...sandboxAdvice(ses, state.region, state.environment).map((line) => `  ${line}`));
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
/** Where bounces and the app's events go, the alarms, and a subscription still to confirm. */
function renderEvents(result: RunResult, style: Style): string[] {
  const lines: string[] = [];
  const queue = result.outputs['email-events-queue'];
  if (queue)
    lines.push(
      `  ${pad('Email events', 14)}bounces and complaints to queue ${queue.name} (EMAIL_EVENTS_QUEUE_URL; dead letters after 5 receives)`,
    );
  const topic = result.outputs['alerts-topic'];
  const alarms = (['alarm-bounce-rate', 'alarm-complaint-rate', 'alarm-bounces'] as const).filter(
    (id) => result.outputs[id] !== undefined,
  );
  if (topic && alarms.length > 0)
    lines.push(
      `  ${pad('Alarms', 14)}${alarms.length} on SES bounce and complaint rates and counts, to topic ${topic.name}`,
    );
  const subscription = result.outputs['alerts-subscription'];
  if (subscription)
    lines.push(
      `  ${pad('', 14)}${
        isPendingSubscription(subscription.subscriptionArn)
          ? style.yellow(
              `${subscription.endpoint} must confirm the subscription: follow the link in the email from AWS Notifications (nothing is delivered until then)`,
            )
          : `alarms are mailed to ${subscription.endpoint}`
      }`,
    );
  else if (topic)
    lines.push(`  ${pad('', 14)}${style.dim('no one is subscribed yet: --alert-email <address> adds you')}`);
  const bus = result.outputs['events-bus'];
  const events = result.outputs['events-queue'];
  if (bus && events) lines.push(`  ${pad('App events', 14)}bus ${bus.name} to queue ${events.name}`);
  const role = result.outputs['email-handler-role'];
  if (role)
    lines.push(`  ${pad('Handler role', 14)}${role.arn} (for the Lambda that reads ${events?.name ?? 'the queue'})`);
  return lines;
}

const isPendingSubscription = (arn: string) => !arn.startsWith('arn:');

function renderEmail(result: RunResult, style: Style, dnsHost: DnsProvider | undefined): string[] {
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
  if (dns.mode === 'cloudflare') {
    const zone = result.outputs['dns-zone'];
    const zoneName = zone?.mode === 'cloudflare' ? zone.zoneName : identity.domain;
    lines.push(
      `  ${pad('DNS', 14)}${dns.records.length} records in Cloudflare zone ${zoneName} (proxy off, DNS only):`,
      '',
      renderRecordTable(dns.records, identity.domain, style),
      '',
    );
    return lines;
  }
  lines.push(
    `  ${pad('DNS', 14)}${style.yellow('add these records at your DNS host')} (${result.outputs['dns-zone']?.mode === 'external' ? (result.outputs['dns-zone'] as { reason: string }).reason : 'external DNS'}):`,
  );
  const known = dnsHost && dnsHost.id !== 'unknown';
  lines.push(
    '',
    known
      ? renderProviderTable(dns.records, identity.domain, dnsHost, style)
      : renderRecordTable(dns.records, identity.domain, style),
    '',
    style.dim('As a zone-file snippet (BIND):'),
    zoneFileSnippet(dns.records, identity.domain),
  );
  return lines;
}

function resultJson(result: RunResult, store: StateBackend, state: State) {
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

/** One `init` run, as its result shows it. */
export interface InitRun {
  result: RunResult;
  store: StateBackend;
  /** The state as the run left it. */
  state: State;
  seconds: string;
  /** The SES account's sending status, for the advice after the result (when asked for, see InitView). */
  ses: AccountStatus | undefined;
  /** Why `--wait` ended before CloudFront had deployed. */
  waited: HmError | undefined;
  /** The DNS host the domain's nameservers belong to, when the records are to be added there. */
  dnsHost?: DnsProvider | undefined;
}

/**
 * What `init` shows: the plan to confirm (and, read again before applying, what changed in
 * it), the steps' progress, the wait for CloudFront, and the result or what went wrong.
 */
export interface InitView {
  /** Where the questions are drawn. */
  readonly promptOutput: NodeJS.WritableStream;
  /** The result advises on the SES sandbox from the account's sending status: read it while the steps run. */
  readonly showsSendingStatus: boolean;
  /** The steps' progress while a plan is read (--verbose). */
  planProgress: RunView['planProgress'];
  /** The plan to confirm. */
  plan(outcomes: readonly StepOutcome[], meta: PlanMeta): void;
  /** Read again before applying, the plan is not the one shown: what changed, and the plan now. */
  planChanged(differences: readonly StepDifference[], outcomes: readonly StepOutcome[]): void;
  /** The answer was no: nothing was changed. */
  declined(outcomes: readonly StepOutcome[], meta: PlanMeta): void;
  /** A plan could not be read. */
  failedSteps(outcomes: readonly StepOutcome[]): void;
  startProgress: RunView['startProgress'];
  stopping(): void;
  /** `--wait`: shows the wait for CloudFront while `wait` runs; it reports the time elapsed, every `everySeconds`. */
  waitForCdn(
    distributionId: string,
    wait: (report: (elapsed: string) => void, everySeconds: number) => Promise<void>,
  ): Promise<void>;
  cdnDeployed(): void;
  result(run: InitRun): void;
  interrupted(statePath: string, environment: string): void;
  failure(result: RunResult, statePath: string, environment: string): void;
  /** `--wait` gave up (or was stopped) before CloudFront had deployed. */
  waitEnded(error: HmError): void;
}

abstract class InitViewBase extends RunView {
  declined(_outcomes: readonly StepOutcome[], _meta: PlanMeta): void {
    this.output.err('Nothing was changed.');
  }

  async waitForCdn(
    distributionId: string,
    wait: (report: (elapsed: string) => void, everySeconds: number) => Promise<void>,
  ): Promise<void> {
    const title = `Waiting for CloudFront to deploy ${distributionId} (usually 5–15 minutes; Ctrl-C stops waiting, nothing is lost)`;
    const stream = this.output.progressStream;
    const message = (elapsed: string) => `still deploying… ${elapsed}`;
    if (this.live && stream) {
      await liveWait(title, stream, (report) => wait((elapsed) => report(message(elapsed)), 1));
      return;
    }
    this.output.err(this.style.dim(`${title}…`));
    await wait((elapsed) => this.output.err(this.style.dim(`  ${message(elapsed)}`)), 15);
  }

  cdnDeployed(): void {
    if (!this.live) this.output.err(`${this.style.green('✔')} CloudFront distribution deployed`);
  }

  interrupted(statePath: string, environment: string): void {
    this.output.err(
      this.style.yellow(
        `Interrupted. Every finished step is saved in ${statePath}; re-run \`hm-infra init --env ${environment}\` to continue.`,
      ),
    );
  }

  failure(result: RunResult, statePath: string, environment: string): void {
    this.failedSteps(result.outcomes);
    const saved = result.outcomes.some((o) => o.status === 'done');
    const rerun = `\`hm-infra init --env ${environment}\``;
    this.output.err(
      saved
        ? `Finished steps are saved in ${statePath}; fix the problem and re-run ${rerun} to continue.`
        : `Nothing was changed; fix the problem and re-run ${rerun}.`,
    );
  }

  waitEnded(error: HmError): void {
    this.error(error);
  }
}

class HumanInitView extends InitViewBase implements InitView {
  readonly showsSendingStatus = true;

  get promptOutput(): NodeJS.WritableStream {
    return process.stdout;
  }

  plan(outcomes: readonly StepOutcome[], meta: PlanMeta): void {
    this.output.out(renderPlan(outcomes, meta, this.style));
  }

  planChanged(differences: readonly StepDifference[], outcomes: readonly StepOutcome[]): void {
    this.output.out(renderPlanChanges(differences, outcomes, this.style));
  }

  /** Only a run that went through to the end has a result to show; otherwise stderr says what happened. */
  result(run: InitRun): void {
    const { result, waited } = run;
    if (!result.ok || result.aborted || waited?.exitCode === ExitCode.aborted) return;
    this.output.out(
      renderResult(
        result,
        run.store,
        run.state,
        { seconds: run.seconds, ses: run.ses, dnsHost: run.dnsHost },
        this.style,
      ),
    );
  }
}

/** stdout carries one JSON document; the plan for people and the questions go to stderr. */
class JsonInitView extends InitViewBase implements InitView {
  readonly showsSendingStatus = false;

  get promptOutput(): NodeJS.WritableStream {
    return process.stderr;
  }

  plan(outcomes: readonly StepOutcome[], meta: PlanMeta): void {
    this.output.err(renderPlan(outcomes, meta, this.style));
  }

  planChanged(differences: readonly StepDifference[], outcomes: readonly StepOutcome[]): void {
    this.output.err(renderPlanChanges(differences, outcomes, this.style));
  }

  override declined(outcomes: readonly StepOutcome[], meta: PlanMeta): void {
    printJson(this.output, { ...planJson(outcomes, meta), ok: true, applied: false });
    super.declined(outcomes, meta);
  }

  /** Whatever happened: the steps, the outputs and the app's environment (the secret masked). */
  result(run: InitRun): void {
    const { waited } = run;
    printJson(this.output, {
      ...resultJson(run.result, run.store, run.state),
      ...(waited ? { wait: { code: waited.code, message: waited.message } } : {}),
    });
  }
}

export function initViewFor(options: ViewOptions, output: Output): InitView {
  return options.json ? new JsonInitView(output, options) : new HumanInitView(output, options);
}
