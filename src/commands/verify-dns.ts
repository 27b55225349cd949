import { isIP } from 'node:net';
import type { AwsContext } from '../aws/context.js';
import { type Clock, nextDelay, systemClock } from '../clock.js';
import { ExitCode, HmError, inputError } from '../errors.js';
import { renderError } from '../views/errors.js';
import { sandboxAdvice } from '../views/ses.js';
import { type Style, pad } from '../views/style.js';
import type { State } from '../state/schema.js';
import type { StateStore } from '../state/store.js';
import type {
  AccountStatus,
  ComponentCheck,
  DnsResolver,
  EmailCheck,
  RecordCheck,
} from '../checks/email-verification.js';
import { type GlobalOptions, type Io, createAws, globalProblems, loadSetUpState, styleFor } from './common.js';

export interface VerifyDnsFlags {
  /** Minutes, as typed. */
  timeout?: string;
  /** Seconds, as typed. */
  interval?: string;
  once?: boolean;
  resolver?: string;
}

/** What tests replace: the DNS resolver (never the network in tests). */
export interface VerifyDnsDeps {
  resolver?: DnsResolver;
  /** Time and waiting; tests pass a virtual clock, so minutes of polling take no real time. */
  clock?: Clock;
}

interface Timing {
  timeoutMs: number;
  intervalMs: number;
}

/**
 * A DNS server as `IP`, `IPv4:port` or `[IPv6]:port` (the forms node:dns takes), or undefined
 * when it is none of them.
 */
export function resolverAddress(text: string): string | undefined {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  const v4 = /^([^:]+):(\d+)$/.exec(text);
  const [host, port] = v6 ? [v6[1] ?? '', v6[2]] : v4 ? [v4[1] ?? '', v4[2]] : [text, undefined];
  if (isIP(host) === 0 || (v6 !== null && isIP(host) !== 6)) return undefined;
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return undefined;
  return text;
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
    flags.resolver !== undefined && resolverAddress(flags.resolver) === undefined
      ? `--resolver "${flags.resolver}" is not valid: give the IP address of a DNS server, optionally with a port, for example 1.1.1.1, 127.0.0.1:5353 or [2606:4700:4700::1111]:53`
      : undefined,
  ].filter((p) => p !== undefined);
  if (problems.length > 0) throw inputError(problems.join('\n'));
  return { timeoutMs: minutes * 60_000, intervalMs: seconds * 1000 };
}

async function systemResolver(server: string | undefined): Promise<DnsResolver> {
  const { Resolver } = await import('node:dns/promises');
  const resolver = new Resolver({ timeout: 5000, tries: 2 });
  if (server !== undefined) resolver.setServers([server]);
  return resolver;
}

// --- rendering ------------------------------------------------------------------------------

const WORDS: Record<string, string> = {
  SUCCESS: 'verified',
  PENDING: 'pending',
  FAILED: 'failed',
  TEMPORARY_FAILURE: 'temporary failure (SES retries)',
  NOT_STARTED: 'not started',
};

function mark(ok: boolean | 'failed', style: Style): string {
  if (ok === true) return style.green('✔');
  return ok === 'failed' ? style.red('✖') : style.yellow('…');
}

const componentLine = (c: ComponentCheck, style: Style) =>
  `  ${mark(c.status === 'SUCCESS' ? true : c.status === 'FAILED' ? 'failed' : false, style)} ${pad(c.label, 34)}${WORDS[c.status] ?? c.status}${c.detail ? ` (${c.detail})` : ''}`;

function foundText(r: RecordCheck): string {
  if (r.error) return `lookup error: ${r.error}`;
  return r.found.length === 0 ? 'nothing' : r.found.join(' | ');
}

function recordLine(r: RecordCheck, width: number, style: Style): string {
  const head = `  ${mark(r.ok, style)} ${pad(r.record.type, 6)}${pad(r.record.name, width)}`;
  return r.ok
    ? `${head}${style.dim(r.record.value)}`
    : `${head}expected ${r.record.value}\n  ${' '.repeat(8 + width)}found    ${foundText(r)}`;
}

export function renderCheck(check: EmailCheck, style: Style): string[] {
  const width = Math.max(...check.records.map((r) => r.record.name.length)) + 2;
  return [
    style.bold(`SES verification of ${check.domain}`),
    ...check.components.map((c) => componentLine(c, style)),
    style.bold('DNS, as your resolver answers'),
    ...check.records.map((r) => recordLine(r, width, style)),
  ];
}

/** One line per thing that changed between two checks (off a terminal). */
function changes(prev: EmailCheck, next: EmailCheck): string[] {
  const lines: string[] = [];
  for (const c of next.components) {
    const before = prev.components.find((p) => p.id === c.id);
    if (before && before.status !== c.status)
      lines.push(`${c.label}: ${WORDS[before.status] ?? before.status} → ${WORDS[c.status] ?? c.status}`);
  }
  next.records.forEach((r, i) => {
    const before = prev.records[i];
    if (before && (before.ok !== r.ok || foundText(before) !== foundText(r)))
      lines.push(`${r.record.type} ${r.record.name}: ${r.ok ? 'found as expected' : `found ${foundText(r)}`}`);
  });
  return lines;
}

function failureAdvice(check: EmailCheck): HmError {
  const failed = check.components.filter((c) => c.status === 'FAILED').map((c) => c.label);
  const wrong = check.records
    .filter((r) => !r.ok)
    .map((r) => `${r.record.type} ${r.record.name} → ${r.record.value} (found ${foundText(r)})`);
  return new HmError('SES_VERIFICATION_FAILED', `SES could not verify ${failed.join(', ')} of ${check.domain}`, 'aws', {
    hint:
      (wrong.length > 0
        ? `Fix these records at your DNS host:\n  ${wrong.join('\n  ')}\n`
        : 'The records resolve now; SES checks again on its own within a few hours.\n') +
      'SES retries for 72 hours after a change; re-run `hm-infra init` to restart a DKIM verification that has given up.',
  });
}

// --- the command ----------------------------------------------------------------------------

async function loadState(globals: GlobalOptions, io: Io): Promise<{ store: StateStore; state: State }> {
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
async function recordStatus(store: StateStore, check: EmailCheck, verbose: boolean, io: Io): Promise<void> {
  try {
    await store.lock('verify-dns');
  } catch {
    if (verbose) io.err('state not updated: another hm-infra run holds the lock');
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

/** `hm-infra verify-dns`: poll SES (and DNS) until verified, failed, or out of time. */
export async function runVerifyDns(
  globals: GlobalOptions,
  flags: VerifyDnsFlags,
  io: Io,
  deps: VerifyDnsDeps = {},
): Promise<number> {
  const style = styleFor(io);
  const problems = globalProblems(globals, io);
  if (problems.length > 0) throw inputError(problems.join('\n'));
  const { timeoutMs, intervalMs } = timing(flags);
  const clock = deps.clock ?? systemClock;
  const { store, state } = await loadState(globals, io);
  const config = state.config;
  const resolver = deps.resolver ?? (await systemResolver(flags.resolver));
  const aws: AwsContext = await createAws(globals, io, state.region);
  const { checkEmailSetup, accountStatus } = await import('../checks/email-verification.js');
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.on('SIGINT', onSigint);
  const started = clock.now();
  const live = io.interactive && !globals.json;
  let drawn = 0;
  /** On a terminal the status block is redrawn in place: cursor up over the last one, clear, write. */
  const draw = (lines: string[]) => {
    io.err(`${drawn > 0 ? `\u001b[${drawn}A\u001b[J` : ''}${lines.join('\n')}`);
    drawn = lines.join('\n').split('\n').length;
  };
  try {
    let account: AccountStatus | undefined;
    try {
      account = await accountStatus(aws);
    } catch (err) {
      if (globals.verbose) io.err(renderError(err, style, true));
      else io.err(style.dim(`(could not read the SES account status: ${(err as Error).message})`));
    }
    let check: EmailCheck | undefined;
    let attempt = 0;
    for (;;) {
      const next = await checkEmailSetup(aws, config, resolver);
      const elapsed = Math.round((clock.now() - started) / 1000);
      if (live) draw([...renderCheck(next, style), style.dim(`checked after ${elapsed}s; Ctrl-C stops`)]);
      else if (!check) io.err(renderCheck(next, style).join('\n'));
      else for (const line of changes(check, next)) io.err(`[${elapsed}s] ${line}`);
      check = next;
      if (check.outcome !== 'pending' || flags.once) break;
      const left = timeoutMs - (clock.now() - started);
      if (left <= 0 || controller.signal.aborted) break;
      await clock.sleep(Math.min(nextDelay(intervalMs, attempt), left), controller.signal);
      attempt += 1;
      if (controller.signal.aborted) break;
    }
    await recordStatus(store, check, globals.verbose === true, io);
    if (account) for (const line of sandboxAdvice(account, state.region, config.domain)) io.err(line);
    if (globals.json) {
      io.out(
        JSON.stringify(
          {
            kind: 'verify-dns',
            outcome: check.outcome,
            domain: check.domain,
            verifiedForSending: check.verifiedForSending,
            components: check.components,
            records: check.records.map((r) => ({ ...r.record, found: r.found, ok: r.ok, error: r.error ?? null })),
            account: account ?? null,
          },
          null,
          2,
        ),
      );
    }
    if (check.outcome === 'verified') {
      io.err(`${style.green('✔')} ${config.domain} is verified for sending with DKIM and MAIL FROM.`);
      return ExitCode.ok;
    }
    if (check.outcome === 'failed') {
      io.err(renderError(failureAdvice(check), style, globals.verbose === true));
      return ExitCode.failure;
    }
    if (controller.signal.aborted) {
      io.err(style.yellow('Stopped. Verification goes on at SES; re-run `hm-infra verify-dns` to check again.'));
      return ExitCode.aborted;
    }
    const waited = flags.once ? 'is' : `is still, after ${Math.round((clock.now() - started) / 60_000)} min,`;
    io.err(
      style.yellow(
        `Verification of ${config.domain} ${waited} pending. DNS changes can take up to 72 hours to be seen; re-run \`hm-infra verify-dns\` later.`,
      ),
    );
    return ExitCode.pending;
  } finally {
    process.removeListener('SIGINT', onSigint);
    aws.destroy();
  }
}
