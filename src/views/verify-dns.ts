import { HmError } from '../errors.js';
import type { ComponentCheck, EmailCheck } from '../checks/email-verification.js';
import type { DnsFault, RecordDiagnosis } from '../checks/dns/diagnose.js';
import type { AccountStatus } from '../checks/ses-account.js';
import { sandboxAdvice } from './ses.js';
import { renderProviderTable } from './dns.js';
import type { DnsProvider } from '../resources/dns/providers.js';
import { type Style, pad } from './style.js';
import { BaseView, type Output, type ViewOptions, printJson } from './view.js';

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

const componentLine = (c: ComponentCheck, style: Style) => {
  const head = `  ${mark(c.status === 'SUCCESS' ? true : c.status === 'FAILED' ? 'failed' : false, style)} ${pad(c.label, 34)}${WORDS[c.status] ?? c.status}${c.detail ? ` (${c.detail})` : ''}`;
  return c.restart ? `${head}\n      restart: ${c.restart}` : head;
};

/** Each fault's name, as the record line starts with it. */
export const FAULT_NAMES: Record<DnsFault, string> = {
  ok: 'found',
  propagating: 'propagating',
  missing: 'missing',
  'doubled-name': 'doubled name',
  'other-value': 'another value',
  proxied: 'proxied',
  'txt-quoted': 'quoted',
  'txt-split': 'split',
  'mx-region': 'MX for another region',
  'spf-multiple': 'two SPF records',
  'dmarc-multiple': 'two DMARC records',
  'lookup-error': 'lookup failed',
};

function foundText(r: RecordDiagnosis): string {
  if (r.error) return `lookup error: ${r.error}`;
  return r.found.length === 0 ? 'nothing' : r.found.join(' | ');
}

function recordLine(r: RecordDiagnosis, width: number, style: Style): string {
  const sign = r.ok ? mark(true, style) : r.fault === 'propagating' ? mark(false, style) : mark('failed', style);
  const head = `  ${sign} ${pad(r.record.type, 6)}${pad(r.record.name, width)}`;
  if (r.ok)
    return `${head}${style.dim(r.fault === 'ok' && r.summary !== 'found as expected' ? r.summary : r.record.value)}`;
  const indent = ' '.repeat(9 + width);
  const fix = r.fix ? `\n${indent}${style.bold('fix:')} ${r.fix}` : '';
  return `${head}${FAULT_NAMES[r.fault]}: ${r.summary}${fix}`;
}

function dnsHeading(check: Pick<EmailCheck, 'domain' | 'dns'>): string {
  const { zone, nameservers, problem } = check.dns;
  if (problem || nameservers.length === 0) return `DNS, as your resolver answers${problem ? ` (${problem})` : ''}`;
  const shown = nameservers.length > 2 ? `${nameservers.slice(0, 2).join(', ')}, …` : nameservers.join(', ');
  const host = check.dns.provider ? `, ${check.dns.provider}` : '';
  return `DNS at ${zone ?? check.domain}'s nameservers (${shown}${host}) and your resolver`;
}

/** The DNS heading and a line per record (with its fix), as verify-dns and `status --dns` show them. */
export function renderRecords(check: Pick<EmailCheck, 'domain' | 'dns' | 'records'>, style: Style): string[] {
  const width = Math.max(...check.records.map((r) => r.record.name.length)) + 2;
  return [style.bold(dnsHeading(check)), ...check.records.map((r) => recordLine(r, width, style))];
}

export function renderCheck(check: EmailCheck, style: Style): string[] {
  return [
    style.bold(`SES verification of ${check.domain}`),
    ...check.components.map((c) => componentLine(c, style)),
    ...renderRecords(check, style),
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
    if (before && (before.fault !== r.fault || foundText(before) !== foundText(r)))
      lines.push(
        `${r.record.type} ${r.record.name}: ${r.ok ? 'found as expected' : `${FAULT_NAMES[r.fault]}: ${r.summary}`}`,
      );
  });
  return lines;
}

function failureAdvice(check: EmailCheck): HmError {
  const failed = check.components.filter((c) => c.status === 'FAILED');
  const wrong = check.records
    .filter((r) => !r.ok && r.fault !== 'propagating')
    .map((r) => `${r.record.type} ${r.record.name}: ${FAULT_NAMES[r.fault]}. ${r.fix ?? ''}`.trim());
  const restarts = failed.flatMap((c) => (c.restart ? [`  ${c.restart}`] : []));
  return new HmError(
    'SES_VERIFICATION_FAILED',
    `SES could not verify ${failed.map((c) => c.label).join(', ')} of ${check.domain}`,
    'aws',
    {
      hint:
        (wrong.length > 0
          ? `Fix these records at your DNS host:\n  ${wrong.join('\n  ')}\n`
          : 'The records are right now; SES only has to look again.\n') +
        `SES stops looking 72 hours after verification starts. Once the records are right, restart it:\n${restarts.join('\n')}\nthen run \`hm-infra verify-dns\` again.`,
    },
  );
}

/** The records to change at the DNS host (not those on their way through caches, nor those unread). */
const toFix = (check: EmailCheck) =>
  check.records.filter((r) => !r.ok && r.fault !== 'propagating' && r.fault !== 'lookup-error');

/** What `verify-dns` shows: each check of SES and DNS as it comes, then the verdict. */
export interface VerifyDnsView {
  /** The SES account's status could not be read: the sandbox advice is left out. */
  accountUnreadable(err: unknown): void;
  /** A check, `seconds` into the run; `previous` is the one before it. */
  check(check: EmailCheck, previous: EmailCheck | undefined, seconds: number): void;
  /** Another run holds the lock, so the result was not recorded in state. */
  stateNotUpdated(): void;
  sandboxAdvice(account: AccountStatus, region: string, env: string): void;
  result(check: EmailCheck, account: AccountStatus | undefined): void;
  verified(domain: string): void;
  failed(check: EmailCheck): void;
  stopped(): void;
  /** The zone the records were written to is not the one the domain's nameservers serve. */
  delegation(problem: string): void;
  /** Records not right in a zone hm-infra writes to: init puts them back. */
  managedRecords(check: EmailCheck, zone: string, env: string): void;
  /** The records that are not right yet, as the DNS host's form wants them. */
  providerTable(check: EmailCheck, provider: DnsProvider, zone: string): void;
  /** Still pending: after `minutes` of waiting, or (--once) at the one check. */
  pending(check: EmailCheck, minutes: number | undefined): void;
}

/** Off a terminal (and with --json): the first check in full, then a line per thing that changed. */
abstract class VerifyDnsViewBase extends BaseView {
  accountUnreadable(err: unknown): void {
    if (this.verbose) this.error(err);
    else this.output.err(this.style.dim(`(could not read the SES account status: ${(err as Error).message})`));
  }

  check(check: EmailCheck, previous: EmailCheck | undefined, seconds: number): void {
    if (!previous) this.output.err(renderCheck(check, this.style).join('\n'));
    else for (const line of changes(previous, check)) this.output.err(`[${seconds}s] ${line}`);
  }

  delegation(problem: string): void {
    this.output.err(this.style.red(problem));
  }

  managedRecords(check: EmailCheck, zone: string, env: string): void {
    const wrong = toFix(check);
    if (wrong.length === 0) return;
    this.output.err(
      `hm-infra writes these records to ${zone}: \`hm-infra init --env ${env}\` adds what is missing, and with --overwrite-dns also replaces values changed since (it shows both first).`,
    );
  }

  providerTable(check: EmailCheck, provider: DnsProvider, zone: string): void {
    const wrong = toFix(check);
    if (wrong.length === 0) return;
    this.output.err(
      [
        '',
        renderProviderTable(
          wrong.map((r) => r.record),
          check.domain,
          provider,
          this.style,
          zone,
        ),
      ].join('\n'),
    );
  }

  stateNotUpdated(): void {
    if (this.verbose) this.output.err('state not updated: another hm-infra run holds the lock');
  }

  sandboxAdvice(account: AccountStatus, region: string, env: string): void {
    for (const line of sandboxAdvice(account, region, env)) this.output.err(line);
  }

  verified(domain: string): void {
    this.output.err(`${this.style.green('✔')} ${domain} is verified for sending with DKIM and MAIL FROM.`);
  }

  failed(check: EmailCheck): void {
    this.error(failureAdvice(check));
  }

  stopped(): void {
    this.output.err(
      this.style.yellow('Stopped. Verification goes on at SES; re-run `hm-infra verify-dns` to check again.'),
    );
  }

  pending(check: EmailCheck, minutes: number | undefined): void {
    const waited = minutes === undefined ? 'is' : `is still, after ${minutes} min,`;
    const wrong = check.records.filter((r) => !r.ok && r.fault !== 'propagating').length;
    const propagating = check.records.some((r) => r.fault === 'propagating');
    const why =
      wrong > 0
        ? `${wrong} record${wrong === 1 ? ' needs' : 's need'} fixing first (see above)`
        : propagating
          ? 'the records are right at the nameservers and on their way through DNS caches'
          : 'every record is in place; SES has yet to look again (it checks on its own, usually within hours)';
    this.output.err(
      this.style.yellow(
        `Verification of ${check.domain} ${waited} pending: ${why}. Re-run \`hm-infra verify-dns\` later.`,
      ),
    );
  }
}

/** On a terminal the status block is redrawn in place: cursor up over the last one, clear, write. */
class HumanVerifyDnsView extends VerifyDnsViewBase implements VerifyDnsView {
  private drawn = 0;

  override check(check: EmailCheck, previous: EmailCheck | undefined, seconds: number): void {
    if (!this.output.interactive) return super.check(check, previous, seconds);
    const text = [...renderCheck(check, this.style), this.style.dim(`checked after ${seconds}s; Ctrl-C stops`)].join(
      '\n',
    );
    this.output.err(`${this.drawn > 0 ? `\u001b[${this.drawn}A\u001b[J` : ''}${text}`);
    this.drawn = text.split('\n').length;
  }

  result(): void {}
}

class JsonVerifyDnsView extends VerifyDnsViewBase implements VerifyDnsView {
  result(check: EmailCheck, account: AccountStatus | undefined): void {
    printJson(this.output, {
      kind: 'verify-dns',
      outcome: check.outcome,
      domain: check.domain,
      verifiedForSending: check.verifiedForSending,
      components: check.components,
      dns: check.dns,
      records: check.records.map((r) => ({
        ...r.record,
        ok: r.ok,
        fault: r.fault,
        summary: r.summary,
        fix: r.fix ?? null,
        found: r.found,
        resolverFound: r.resolverFound,
        source: r.source,
        ttlLeft: r.ttlLeft ?? null,
        foundAt: r.foundAt ?? null,
        error: r.error ?? null,
      })),
      account: account ?? null,
    });
  }
}

export function verifyDnsViewFor(options: ViewOptions, output: Output): VerifyDnsView {
  return options.json ? new JsonVerifyDnsView(output, options) : new HumanVerifyDnsView(output, options);
}
