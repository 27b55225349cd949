import type { AwsContext } from '../aws/context.js';
import { type Clock, nextDelay, systemClock } from '../clock.js';
import { ExitCode, inputError } from '../errors.js';
import { type VerifyDnsView, verifyDnsViewFor } from '../views/verify-dns.js';
import type { State } from '../state/schema.js';
import type { StateBackend } from '../state/backend.js';
import type { DnsLookups, EmailCheck } from '../checks/email-verification.js';
import type { AccountStatus } from '../checks/ses-account.js';
import { emailDnsLookups, lookupProblems } from '../checks/dns-resolver.js';
import type { DnsProvider } from '../resources/dns/providers.js';
import { createAws } from './aws.js';
import { type GlobalOptions, globalProblems } from './common.js';
import type { Io } from './io.js';
import { loadSetUpState } from './state.js';

export interface VerifyDnsFlags {
  /** Minutes, as typed. */
  timeout?: string;
  /** Seconds, as typed. */
  interval?: string;
  once?: boolean;
  resolver?: string;
  nameserver?: string;
}

/** What tests change: where the zone's nameservers listen (never the network in tests). */
export interface VerifyDnsDeps {
  /** The port the NS records' servers are asked on (53; a test's DNS server listens elsewhere). */
  nameserverPort?: number;
  /** Time and waiting; tests pass a virtual clock, so minutes of polling take no real time. */
  clock?: Clock;
}

interface Timing {
  timeoutMs: number;
  intervalMs: number;
}

function timing(flags: VerifyDnsFlags): Timing {
  const minutes = Number(flags.timeout ?? '10');
  const seconds = Number(flags.interval ?? '15');
  const problems = [
    !Number.isFinite(minutes) || minutes <= 0 || minutes > 4320
      ? `--timeout "${flags.timeout ?? ''}" is not valid: give the minutes to wait, more than 0 and at most 4320 (72 hours), for example --timeout 30`
      : undefined,
    !Number.isFinite(seconds) || seconds < 1 || seconds > 3600
      ? `--interval "${flags.interval ?? ''}" is not valid: give the seconds between checks, from 1 to 3600, for example --interval 15`
      : undefined,
    ...lookupProblems(flags),
  ].filter((p) => p !== undefined);
  if (problems.length > 0) throw inputError(problems.join('\n'));
  return { timeoutMs: minutes * 60_000, intervalMs: seconds * 1000 };
}

async function loadState(globals: GlobalOptions, io: Io): Promise<{ store: StateBackend; state: State }> {
  const { store, state } = await loadSetUpState(globals, io);
  if (!state.config.email) {
    throw inputError(
      `environment "${globals.env}" was set up without email (--no-email)`,
      `Run \`hm-infra init --env ${globals.env} --email\` to add it.`,
    );
  }
  return { store, state };
}

/** Records the last verification result in state, if no other run holds the lock. */
async function recordStatus(store: StateBackend, check: EmailCheck, view: VerifyDnsView): Promise<void> {
  try {
    await store.lock('verify-dns');
  } catch {
    view.stateNotUpdated();
    return;
  }
  try {
    const state = await store.load();
    const identity = state?.resources['email-identity'];
    if (!state || !identity) return;
    const dkim = check.components.find((c) => c.id === 'dkim')?.status;
    const domain = check.components.find((c) => c.id === 'domain')?.status;
    identity.outputs = {
      ...identity.outputs,
      verifiedForSending: check.verifiedForSending,
      verificationStatus: domain,
      dkim: { ...(identity.outputs['dkim'] as object), status: dkim },
    };
    const mailFrom = state.resources['email-mail-from'];
    const mailFromStatus = check.components.find((c) => c.id === 'mail-from')?.status;
    if (mailFrom && mailFromStatus !== 'NOT_STARTED')
      mailFrom.outputs = { ...mailFrom.outputs, status: mailFromStatus };
    await store.save(state);
  } finally {
    await store.unlock();
  }
}

/** The zone hm-infra writes the records to (Route 53 or Cloudflare), in words; undefined with an external DNS host. */
function managedZone(state: State): string | undefined {
  const zone = state.resources['dns-zone']?.outputs;
  if (zone?.['mode'] === 'route53') return `Route 53 zone ${String(zone['zoneId'] ?? '')}`;
  if (zone?.['mode'] === 'cloudflare') return `Cloudflare zone ${String(zone['zoneName'] ?? '')}`;
  return undefined;
}

/**
 * The records were written to a Route 53 or Cloudflare zone, but the domain's nameservers are
 * another DNS host's: nobody sees that zone. Undefined when they match (or NS is unknown).
 */
function delegationProblem(state: State, provider: DnsProvider, nameservers: string[]): string | undefined {
  const zone = state.resources['dns-zone']?.outputs;
  const mode = zone?.['mode'];
  if (nameservers.length === 0 || (mode !== 'route53' && mode !== 'cloudflare')) return undefined;
  if (provider.id === mode) return undefined;
  const where =
    mode === 'route53'
      ? `Route 53 zone ${String(zone?.['zoneId'] ?? '')}`
      : `Cloudflare zone ${String(zone?.['zoneName'] ?? '')}`;
  const expected =
    mode === 'cloudflare' && Array.isArray(zone?.['nameServers']) && zone['nameServers'].length > 0
      ? ` (${(zone['nameServers'] as string[]).join(', ')})`
      : '';
  return `The records are in ${where}, but ${state.config.domain}'s nameservers are ${provider.name}'s (${nameservers.join(', ')}): nobody sees that zone. Point the domain's nameservers at ${mode === 'route53' ? "the zone's" : "Cloudflare's"}${expected} at your registrar, or add the records at ${provider.name}.`;
}

/** `hm-infra verify-dns`: poll SES (and DNS) until verified, failed, or out of time. */
export async function runVerifyDns(
  globals: GlobalOptions,
  flags: VerifyDnsFlags,
  io: Io,
  deps: VerifyDnsDeps = {},
): Promise<number> {
  const view = verifyDnsViewFor(globals, io);
  const problems = globalProblems(globals, io);
  if (problems.length > 0) throw inputError(problems.join('\n'));
  const { timeoutMs, intervalMs } = timing(flags);
  const clock = deps.clock ?? systemClock;
  const { store, state } = await loadState(globals, io);
  const config = state.config;
  const found = await emailDnsLookups(config.domain, flags, deps.nameserverPort);
  const { provider, zone } = found;
  const lookups: DnsLookups = { ...found, provider: found.providerName };
  const delegation = delegationProblem(state, provider, found.authority.nameservers);
  const identity = state.resources['email-identity'];
  const startedAt = identity?.status === 'created' ? new Date(identity.updatedAt) : undefined;
  const aws: AwsContext = await createAws(globals, io, state.region);
  const { checkEmailSetup } = await import('../checks/email-verification.js');
  const { accountStatus } = await import('../checks/ses-account.js');
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.on('SIGINT', onSigint);
  const started = clock.now();
  try {
    let account: AccountStatus | undefined;
    try {
      account = await accountStatus(aws);
    } catch (err) {
      view.accountUnreadable(err);
    }
    let check: EmailCheck | undefined;
    let attempt = 0;
    for (;;) {
      const next = await checkEmailSetup(aws, config, lookups, { startedAt, now: new Date(clock.now()) });
      const elapsed = Math.round((clock.now() - started) / 1000);
      view.check(next, check, elapsed);
      check = next;
      if (check.outcome !== 'pending' || flags.once) break;
      const left = timeoutMs - (clock.now() - started);
      if (left <= 0 || controller.signal.aborted) break;
      await clock.sleep(Math.min(nextDelay(intervalMs, attempt), left), controller.signal);
      attempt += 1;
      if (controller.signal.aborted) break;
    }
    await recordStatus(store, check, view);
    if (delegation) view.delegation(delegation);
    const managedBy = managedZone(state);
    if (check.outcome !== 'verified') {
      // Records hm-infra writes are put back by init; records at another DNS host are shown as its form wants them.
      if (managedBy && !delegation) view.managedRecords(check, managedBy, config.environment);
      else view.providerTable(check, provider, zone);
    }
    if (account) view.sandboxAdvice(account, state.region, state.environment);
    view.result(check, account);
    if (check.outcome === 'verified') {
      view.verified(config.domain);
      return ExitCode.ok;
    }
    if (check.outcome === 'failed') {
      view.failed(check);
      return ExitCode.failure;
    }
    if (controller.signal.aborted) {
      view.stopped();
      return ExitCode.aborted;
    }
    view.pending(check, flags.once ? undefined : Math.round((clock.now() - started) / 60_000));
    return ExitCode.pending;
  } finally {
    process.removeListener('SIGINT', onSigint);
    aws.destroy();
  }
}
