import type { ResourceRecord } from '../state/schema.js';
import type { RunEvent, StepOutcome } from '../engine/outcome.js';
import type { Change } from '../engine/types.js';
import { SERVICES } from './plan.js';
import type { DnsView } from '../checks/email-verification.js';
import type { RecordDiagnosis } from '../checks/dns/diagnose.js';
import { renderRecords } from './verify-dns.js';
import { type Style, pad } from './style.js';
import { BaseView, type Output, type ViewOptions, printJson } from './view.js';

export type ResourceStatus = 'in-sync' | 'drifted' | 'missing' | 'pending' | 'unchecked';

export interface FieldDrift {
  field: string;
  /** What exists now (`null`: nothing). */
  live: unknown;
  /** What the recorded configuration says (`null`: nothing). */
  expected: unknown;
  note?: string;
}

export interface StatusRow {
  id: string;
  title: string;
  service: string;
  status: ResourceStatus;
  changes: FieldDrift[];
  note?: string;
}

const drift = (c: Change): FieldDrift => ({
  field: c.field,
  live: c.action === 'create' ? null : (c.from ?? null),
  expected: c.action === 'delete' ? null : (c.to ?? null),
  ...(c.note ? { note: c.note } : {}),
});

/**
 * One resource's status from a read-only run (a plan) against what state recorded: a plan
 * with changes is drift, "to create" is missing, a read refused for what it found is drift too.
 */
export function classify(
  outcome: StepOutcome,
  record: ResourceRecord | undefined,
  outputs: Record<string, unknown> | undefined,
  pendingReason?: (outputs: Record<string, unknown>) => string | undefined,
): StatusRow {
  const base = { id: outcome.id, title: outcome.title, service: outcome.service, changes: [] as FieldDrift[] };
  if (record?.status === 'disabling')
    return {
      ...base,
      status: 'pending',
      note: 'disabled by teardown --no-wait: run teardown again to delete it (init would enable it again)',
    };
  if (outcome.status === 'failed') {
    const error = outcome.error;
    // A read that refuses what it found (another DMARC policy, a foreign user) found drift.
    if (error?.source === 'user') return { ...base, status: 'drifted', note: error.message };
    return { ...base, status: 'unchecked', note: `could not be checked: ${error?.message ?? 'unknown error'}` };
  }
  if (outcome.status === 'skipped')
    return { ...base, status: 'unchecked', note: `not checked: ${outcome.skippedBecause ?? ''}` };
  if (outcome.action === 'create') {
    const note = !record
      ? 'not created yet: init creates it'
      : record.status === 'pending'
        ? 'an interrupted create: init finishes it'
        : 'recorded, but gone: init creates it again';
    return { ...base, status: 'missing', note };
  }
  if (outcome.action === 'update') return { ...base, status: 'drifted', changes: outcome.changes.map(drift) };
  if (outputs?.['inactive'] === true) {
    return {
      ...base,
      status: 'drifted',
      changes: [{ field: 'status', live: 'Inactive', expected: 'Active', note: 'the app cannot use an inactive key' }],
      note: 'someone deactivated the key: `hm-infra init --rotate-key` replaces it',
    };
  }
  const pending = outputs && pendingReason ? pendingReason(outputs) : undefined;
  return pending ? { ...base, status: 'pending', note: pending } : { ...base, status: 'in-sync' };
}

export function statusSummary(rows: readonly StatusRow[]) {
  const count = (status: ResourceStatus) => rows.filter((r) => r.status === status).length;
  return {
    inSync: count('in-sync'),
    drifted: count('drifted'),
    missing: count('missing'),
    pending: count('pending'),
    unchecked: count('unchecked'),
  };
}

const shown = (v: unknown) => (v === null ? '(none)' : typeof v === 'string' ? v : JSON.stringify(v));

export interface StatusMeta {
  app: string;
  environment: string;
  region: string;
  accountId: string | null;
  statePath: string;
}

/** Every recorded resource with its status, grouped by service; drifted fields under it. */
/** What `status --dns` found in DNS for the email records. */
export interface StatusDns {
  domain: string;
  dns: DnsView;
  records: RecordDiagnosis[];
}

export function renderStatus(rows: readonly StatusRow[], meta: StatusMeta, style: Style, dns?: StatusDns): string {
  const lines = [
    style.bold(
      `Status of ${meta.app} (${meta.environment}) in ${meta.region}${meta.accountId ? `, account ${meta.accountId}` : ''}`,
    ),
    style.dim(`state: ${meta.statePath}`),
  ];
  const width = Math.max(...rows.map((r) => r.title.length)) + 2;
  const mark: Record<ResourceStatus, string> = {
    'in-sync': style.green('✔'),
    drifted: style.red('✖'),
    missing: style.red('✖'),
    pending: style.yellow('…'),
    unchecked: style.yellow('?'),
  };
  const word: Record<ResourceStatus, (s: string) => string> = {
    'in-sync': style.dim,
    drifted: style.red,
    missing: style.red,
    pending: style.yellow,
    unchecked: style.yellow,
  };
  for (const { service, heading } of SERVICES) {
    const group = rows.filter((r) => r.service === service);
    if (group.length === 0) continue;
    lines.push('', `  ${style.bold(heading)}`);
    for (const row of group) {
      lines.push(
        `    ${mark[row.status]} ${pad(row.title, width)}${word[row.status](row.status.replace('-', ' '))}${row.note ? style.dim(`: ${row.note}`) : ''}`,
      );
      for (const c of row.changes)
        lines.push(`        ${c.field}: live ${shown(c.live)}, expected ${shown(c.expected)}`);
    }
  }
  if (dns)
    lines.push(
      '',
      ...renderRecords(dns, style)
        .flatMap((line) => line.split('\n'))
        .map((line) => `  ${line}`),
    );
  const s = statusSummary(rows);
  lines.push(
    '',
    `${s.inSync} in sync, ${s.drifted} drifted, ${s.missing} missing, ${s.pending} pending${s.unchecked > 0 ? `, ${s.unchecked} not checked` : ''}.`,
  );
  if (s.drifted + s.missing > 0)
    lines.push(
      `Run \`hm-infra init --env ${meta.environment}\` to put it back as recorded (\`hm-infra plan\` shows what it would change).`,
    );
  return lines.join('\n');
}

/** What `status` shows: every recorded resource's status, or why the account could not be checked. */
export interface StatusView {
  /** The steps' progress while they are read (--verbose). */
  planProgress(): ((event: RunEvent) => void) | undefined;
  /** Nothing else means anything without the right account: its failure alone. */
  failedSteps(outcomes: readonly StepOutcome[]): void;
  /** `dns`: with --dns, what DNS answers for each email record. */
  status(rows: readonly StatusRow[], meta: StatusMeta, ok: boolean, dns?: StatusDns): void;
}

class HumanStatusView extends BaseView implements StatusView {
  status(rows: readonly StatusRow[], meta: StatusMeta, _ok: boolean, dns?: StatusDns): void {
    this.output.out(renderStatus(rows, meta, this.style, dns));
  }
}

class JsonStatusView extends BaseView implements StatusView {
  status(rows: readonly StatusRow[], meta: StatusMeta, ok: boolean, dns?: StatusDns): void {
    printJson(this.output, {
      kind: 'status',
      ok,
      ...meta,
      summary: statusSummary(rows),
      resources: rows,
      ...(dns
        ? {
            dns: {
              ...dns.dns,
              records: dns.records.map((r) => ({
                ...r.record,
                ok: r.ok,
                fault: r.fault,
                summary: r.summary,
                fix: r.fix ?? null,
                found: r.found,
              })),
            },
          }
        : {}),
    });
  }
}

export function statusViewFor(options: ViewOptions, output: Output): StatusView {
  return options.json ? new JsonStatusView(output, options) : new HumanStatusView(output, options);
}
