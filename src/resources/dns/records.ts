import { Route53 } from '../../aws/sdk.js';
import type {
  Change as Route53Change,
  ListResourceRecordSetsCommandOutput,
  ResourceRecordSet,
} from '@aws-sdk/client-route-53';
import { toHmError } from '../../aws/errors.js';
import { HmError } from '../../errors.js';
import {
  DNS_TTL,
  type DnsRecord,
  type RecordType,
  bareName,
  emailDnsRecords,
  normalizeValue,
  route53Value,
} from './values.js';

export type { DnsRecord, RecordType } from './values.js';
import type { Change, Step, StepContext } from '../../engine/types.js';

/** A value this tool wrote into Route 53; teardown removes exactly these. */
export interface AddedValue {
  name: string;
  type: RecordType;
  value: string;
  /** The record set did not exist before: teardown may delete the whole set. */
  createdSet: boolean;
}

/** Values --overwrite-dns replaced, kept so teardown can put them back. */
export interface ReplacedValue {
  name: string;
  type: RecordType;
  values: string[];
}

export interface DnsRecordsOutputs {
  mode: 'route53' | 'external';
  zoneId?: string | undefined;
  records: DnsRecord[];
  added: AddedValue[];
  replaced: ReplacedValue[];
  /** Route 53 change of the last write; PENDING when the wait for INSYNC ran out. */
  changeId?: string | undefined;
  changeStatus?: 'INSYNC' | 'PENDING' | undefined;
}

declare module '../../engine/types.js' {
  interface StepOutputs {
    'dns-records': DnsRecordsOutputs;
  }
}

// --- what exists in the zone ----------------------------------------------------------------

interface RrSet {
  name: string;
  type: string;
  ttl: number | undefined;
  /** Normalized values. */
  values: string[];
  /** Alias, weighted, latency … record sets: never edited by this tool. */
  special: boolean;
  raw: ResourceRecordSet;
}

const toRrSet = (raw: ResourceRecordSet): RrSet => ({
  name: bareName(raw.Name ?? ''),
  type: raw.Type ?? '',
  ttl: raw.TTL,
  values: (raw.ResourceRecords ?? []).map((r) => normalizeValue(raw.Type ?? '', r.Value ?? '')),
  special: raw.AliasTarget !== undefined || raw.SetIdentifier !== undefined,
  raw,
});

/** Every record set at one name (all types), following pages while they stay at that name. */
async function setsAt(ctx: StepContext, zoneId: string, name: string): Promise<RrSet[]> {
  const found: RrSet[] = [];
  let start: { StartRecordName: string; StartRecordType?: ResourceRecordSet['Type'] } | undefined = {
    StartRecordName: `${name}.`,
  };
  try {
    while (start) {
      const page: ListResourceRecordSetsCommandOutput = await ctx.aws
        .route53()
        .send(new Route53.ListResourceRecordSetsCommand({ HostedZoneId: zoneId, MaxItems: 20, ...start }));
      const sets = (page.ResourceRecordSets ?? []).map(toRrSet);
      found.push(...sets.filter((s) => s.name === name));
      const next: boolean =
        page.IsTruncated === true && page.NextRecordName !== undefined && bareName(page.NextRecordName) === name;
      start = next
        ? { StartRecordName: page.NextRecordName as string, StartRecordType: page.NextRecordType }
        : undefined;
    }
  } catch (err) {
    throw toHmError(err, `read the DNS records at ${name} in Route 53 zone ${zoneId}`);
  }
  return found;
}

// --- comparing ------------------------------------------------------------------------------

const PREFIX: Partial<Record<DnsRecord['purpose'], RegExp>> = { spf: /^v=spf1(\s|$)/i, dmarc: /^v=dmarc1(;|\s|$)/i };

/** What one record needs. `conflict`: another value is in the way (`blocking`: even --overwrite-dns will not touch it). */
export type RecordPlan =
  | { record: DnsRecord; kind: 'present'; existing: RrSet }
  | { record: DnsRecord; kind: 'create' }
  | { record: DnsRecord; kind: 'add'; existing: RrSet }
  | { record: DnsRecord; kind: 'conflict'; existing: RrSet; theirs: string[]; blocking: boolean; reason: string };

/** Compares one needed record with the record sets at its name. */
export function planRecord(record: DnsRecord, atName: RrSet[]): RecordPlan {
  const want = normalizeValue(record.type, route53Value(record));
  const same = atName.find((s) => s.type === record.type);
  const cname = atName.find((s) => s.type === 'CNAME');
  if (record.type !== 'CNAME' && cname) {
    return {
      record,
      kind: 'conflict',
      existing: cname,
      theirs: cname.values,
      blocking: true,
      reason: `${record.name} is a CNAME (to ${cname.values.join(', ')}), and no other record can exist next to one`,
    };
  }
  if (record.type === 'CNAME') {
    const other = atName.find((s) => s.type !== 'CNAME');
    if (other)
      return {
        record,
        kind: 'conflict',
        existing: other,
        theirs: other.values,
        blocking: true,
        reason: `${record.name} already has ${other.type} records, so it cannot be a CNAME`,
      };
  }
  if (!same) return { record, kind: 'create' };
  if (same.special)
    return {
      record,
      kind: 'conflict',
      existing: same,
      theirs: same.values,
      blocking: true,
      reason: `${record.name} ${record.type} is an alias or routing-policy record set`,
    };
  if (record.type === 'TXT') {
    if (same.values.includes(want)) return { record, kind: 'present', existing: same };
    const prefix = PREFIX[record.purpose];
    const rivals = prefix ? same.values.filter((v) => prefix.test(v)) : [];
    if (rivals.length > 0) {
      const what = record.purpose === 'spf' ? 'another SPF policy' : 'another DMARC policy';
      return {
        record,
        kind: 'conflict',
        existing: same,
        theirs: rivals,
        blocking: false,
        reason: `${record.name} TXT has ${what}`,
      };
    }
    return { record, kind: 'add', existing: same };
  }
  if (same.values.length === 1 && same.values[0] === want) return { record, kind: 'present', existing: same };
  return {
    record,
    kind: 'conflict',
    existing: same,
    theirs: same.values,
    blocking: false,
    reason: `${record.name} ${record.type} points elsewhere`,
  };
}

/** The conflicts that stop the run: all of them, or only the blocking ones with --overwrite-dns. */
function checkConflicts(plans: RecordPlan[], overwrite: boolean): void {
  const stopping = plans.filter(
    (p): p is Extract<RecordPlan, { kind: 'conflict' }> => p.kind === 'conflict' && (p.blocking || !overwrite),
  );
  if (stopping.length === 0) return;
  const lines = stopping.map(
    (p) => `  ${p.reason}:\n    found:  ${p.theirs.join(' | ')}\n    needed: ${p.record.value}`,
  );
  const blocking = stopping.some((p) => p.blocking);
  throw new HmError('DNS_CONFLICT', `DNS records in the way of the ones SES needs:\n${lines.join('\n')}`, 'user', {
    hint: blocking
      ? 'Remove or rename the record sets named above in Route 53 (this tool does not delete records of other types), then re-run.'
      : 'Change them by hand, or re-run with --overwrite-dns to replace them (the values replaced are kept in the state file).',
  });
}

// --- the step -------------------------------------------------------------------------------

export type DnsObserved =
  | { mode: 'external'; records: DnsRecord[] }
  | { mode: 'route53'; zoneId: string; records: DnsRecord[]; plans: RecordPlan[] };

function neededRecords(ctx: StepContext): DnsRecord[] {
  const identity = ctx.output('email-identity');
  if (identity.dkim.tokens.length === 0)
    ctx.debug('the identity has no Easy DKIM tokens (Bring-Your-Own-DKIM, or not reported): no DKIM records');
  return emailDnsRecords(ctx.config, identity.dkim);
}

/**
 * The record sets at every name the records need, all names at once, read once per run: read
 * finds them, and apply (which read left nothing to hand over when everything is still to
 * create) uses the same answer until this step changes the zone.
 */
async function observeRoute53(
  ctx: StepContext,
  zoneId: string,
  records: DnsRecord[],
): Promise<Extract<DnsObserved, { mode: 'route53' }>> {
  const names = [...new Set(records.map((r) => r.name))];
  const sets = await ctx.reads.once(
    zoneReadKey(zoneId, names),
    async () => new Map(await Promise.all(names.map(async (name) => [name, await setsAt(ctx, zoneId, name)] as const))),
  );
  return { mode: 'route53', zoneId, records, plans: records.map((r) => planRecord(r, sets.get(r.name) ?? [])) };
}

/** One key per set of names, however the records name them (MX and TXT share the MAIL FROM name). */
const zoneReadKey = (zoneId: string, names: string[]) =>
  `route53:ListResourceRecordSets:${zoneId}:${[...new Set(names)].sort().join(',')}`;

const key = (v: { name: string; type: string; value?: string }) => `${v.name}|${v.type}|${v.value ?? ''}`;

/** Values recorded as ours by earlier runs (or written before a crash), still present now. */
function carriedAdded(ctx: StepContext, observed: DnsObserved | undefined): AddedValue[] {
  const earlier = [
    ...((ctx.recorded?.outputs['added'] as AddedValue[] | undefined) ?? []),
    ...((ctx.recorded?.intent?.['added'] as AddedValue[] | undefined) ?? []),
  ];
  const absent = (v: AddedValue) => {
    if (observed?.mode !== 'route53') return false;
    const plan = observed.plans.find((p) => p.record.name === v.name && p.record.type === v.type);
    if (!plan) return false;
    return (
      plan.kind === 'create' ||
      !('existing' in plan) ||
      !plan.existing.values.includes(normalizeValue(v.type, route53Value(v)))
    );
  };
  const unique = new Map(earlier.filter((v) => !absent(v)).map((v) => [key(v), v]));
  return [...unique.values()];
}

const carriedReplaced = (ctx: StepContext) => [
  ...((ctx.recorded?.outputs['replaced'] as ReplacedValue[] | undefined) ?? []),
  ...((ctx.recorded?.intent?.['replaced'] as ReplacedValue[] | undefined) ?? []),
];

/** The Route 53 change batch: DELETE of the exact old set + CREATE of the new one, so a concurrent edit fails the batch instead of being lost. */
function changeBatch(plans: RecordPlan[]): {
  changes: Route53Change[];
  added: AddedValue[];
  replaced: ReplacedValue[];
} {
  const changes: Route53Change[] = [];
  const added: AddedValue[] = [];
  const replaced: ReplacedValue[] = [];
  for (const plan of plans) {
    const { record } = plan;
    const ours = route53Value(record);
    if (plan.kind === 'create') {
      changes.push({
        Action: 'CREATE',
        ResourceRecordSet: {
          Name: `${record.name}.`,
          Type: record.type,
          TTL: record.ttl,
          ResourceRecords: [{ Value: ours }],
        },
      });
      added.push({ name: record.name, type: record.type, value: record.value, createdSet: true });
    } else if (plan.kind === 'add' || plan.kind === 'conflict') {
      const old = plan.existing.raw;
      const theirs = plan.kind === 'conflict' ? plan.theirs : [];
      const kept = (old.ResourceRecords ?? []).filter(
        (r) => !theirs.includes(normalizeValue(record.type, r.Value ?? '')),
      );
      if (plan.kind === 'conflict')
        replaced.push({
          name: record.name,
          type: record.type,
          values: (old.ResourceRecords ?? []).filter((r) => !kept.includes(r)).map((r) => r.Value ?? ''),
        });
      changes.push({ Action: 'DELETE', ResourceRecordSet: old });
      changes.push({
        Action: 'CREATE',
        ResourceRecordSet: {
          Name: old.Name,
          Type: old.Type,
          TTL: old.TTL ?? record.ttl,
          ResourceRecords: [...kept, { Value: ours }],
        },
      });
      added.push({ name: record.name, type: record.type, value: record.value, createdSet: false });
    }
  }
  return { changes, added, replaced };
}

/** Waits (bounded) until Route 53 reports the change INSYNC on all its name servers. */
async function waitInsync(ctx: StepContext, changeId: string): Promise<'INSYNC' | 'PENDING'> {
  ctx.report('waiting for Route 53 to apply the change on all its name servers…');
  try {
    await Route53.waitUntilResourceRecordSetsChanged(
      { client: ctx.aws.route53(), maxWaitTime: 300, minDelay: 2, maxDelay: 15 },
      { Id: changeId },
    );
    return 'INSYNC';
  } catch (err) {
    if ((err as Error).name === 'TimeoutError' || /timed? ?out|exceeded/i.test((err as Error).message)) {
      ctx.report(
        'Route 53 has not confirmed the change after 5 minutes; it is applied and will propagate (verify-dns checks it)',
      );
      return 'PENDING';
    }
    throw toHmError(err, `wait for Route 53 change ${changeId}`);
  }
}

function changesOf(plans: RecordPlan[], overwrite: boolean): Change[] {
  return plans.flatMap((p): Change[] => {
    const field = `${p.record.type} ${p.record.name}`;
    if (p.kind === 'create') return [{ field, action: 'create', to: p.record.value, note: 'no such record yet' }];
    if (p.kind === 'add')
      return [
        {
          field,
          action: 'update',
          from: p.existing.values.join(' | '),
          to: `${p.existing.values.join(' | ')} | ${p.record.value}`,
          note: 'added next to the values already there',
        },
      ];
    if (p.kind === 'conflict' && overwrite)
      return [
        {
          field,
          action: 'update',
          from: p.theirs.join(' | '),
          to: p.record.value,
          note: `${p.reason}; replaced (--overwrite-dns)`,
        },
      ];
    return [];
  });
}

/**
 * The DNS records SES needs. In a Route 53 zone: read first, create what is missing, merge TXT
 * values into existing sets, stop on conflicts (unless --overwrite-dns), wait for INSYNC, and
 * record exactly what was added. Otherwise: the list to add at the DNS host, kept in state.
 */
export const dnsRecordsStep: Step<DnsObserved, DnsRecordsOutputs> = {
  id: 'dns-records',
  title: 'DNS records for SES',
  service: 'DNS',
  // Not after MAIL FROM: the records do not depend on it, and SES checks them whenever they appear.
  dependsOn: ['dns-zone', 'email-identity'],

  async read(ctx) {
    const zone = ctx.output('dns-zone');
    const records = neededRecords(ctx);
    if (zone.mode === 'external') {
      const recorded = ctx.recorded?.outputs;
      return recorded?.['mode'] === 'external'
        ? { mode: 'external', records: (recorded['records'] as DnsRecord[] | undefined) ?? [] }
        : undefined;
    }
    const observed = await observeRoute53(ctx, zone.zoneId, records);
    // Nothing of ours and nothing in the way: the records are still to create.
    return observed.plans.every((p) => p.kind === 'create') ? undefined : observed;
  },

  plan(ctx, observed) {
    if (!observed) {
      return safeRecords(ctx).map((r) => ({
        field: `${r.type} ${r.name}`,
        action: 'create',
        to: r.value,
        note: 'no such record yet',
      }));
    }
    if (observed.mode === 'external') {
      const want = neededRecords(ctx);
      const same =
        want.length === observed.records.length &&
        want.every((r, i) => key(r) === key(observed.records[i] ?? { name: '', type: '' }));
      return same
        ? []
        : [
            {
              field: 'records',
              action: 'update',
              from: observed.records.map((r) => r.value).join(', '),
              to: want.map((r) => r.value).join(', '),
              note: 'the records to add at your DNS host changed',
            },
          ];
    }
    checkConflicts(observed.plans, ctx.flags.overwriteDns);
    return changesOf(observed.plans, ctx.flags.overwriteDns);
  },

  async apply(ctx, observed) {
    const zone = ctx.output('dns-zone');
    const records = neededRecords(ctx);
    if (zone.mode === 'external') {
      return {
        type: observed ? 'updated' : 'created',
        outputs: { mode: 'external', records, added: [], replaced: [] },
      };
    }
    const current = observed?.mode === 'route53' ? observed : await observeRoute53(ctx, zone.zoneId, records);
    checkConflicts(current.plans, ctx.flags.overwriteDns);
    const batch = changeBatch(current.plans);
    const carried = carriedAdded(ctx, current);
    const outputsWith = (extra: Partial<DnsRecordsOutputs>): DnsRecordsOutputs => ({
      mode: 'route53',
      zoneId: zone.zoneId,
      records,
      added: [...new Map([...carried, ...batch.added].map((v) => [key(v), v])).values()],
      replaced: [...carriedReplaced(ctx), ...batch.replaced],
      ...extra,
    });
    if (batch.changes.length === 0) return { type: 'unchanged', outputs: outputsWith({}) };
    // What is about to be added is saved first: a crash after the call still knows it is ours.
    await ctx.intend({ added: batch.added, replaced: batch.replaced });
    ctx.reads.forget(
      zoneReadKey(
        zone.zoneId,
        records.map((r) => r.name),
      ),
    );
    let changeId: string | undefined;
    try {
      const res = await ctx.aws.route53().send(
        new Route53.ChangeResourceRecordSetsCommand({
          HostedZoneId: zone.zoneId,
          ChangeBatch: {
            Comment: `hm-infra: SES records for ${ctx.config.domain} (${ctx.config.environment})`,
            Changes: batch.changes,
          },
        }),
      );
      changeId = res.ChangeInfo?.Id;
    } catch (err) {
      if (err instanceof Route53.InvalidChangeBatch) {
        // A batch the SDK sent again after its first answer was lost is refused as "already
        // exists": when the zone now holds everything, that first attempt applied it.
        ctx.reads.forget(
          zoneReadKey(
            zone.zoneId,
            records.map((r) => r.name),
          ),
        );
        const now = await observeRoute53(ctx, zone.zoneId, records);
        if (changeBatch(now.plans).changes.length === 0) {
          ctx.debug(
            `Route 53 refused the change batch (${(err as Error).message}), but the zone already holds every record: an earlier attempt applied it`,
          );
          return { type: observed ? 'updated' : 'created', outputs: outputsWith({ changeStatus: 'PENDING' }) };
        }
        throw new HmError(
          'DNS_CHANGE_REJECTED',
          `Route 53 rejected the record changes: ${(err as Error).message}`,
          'aws',
          {
            hint: 'A record may have changed while this ran. Re-run: the records are read again first.',
            cause: err,
          },
        );
      }
      throw toHmError(err, `change DNS records in Route 53 zone ${zone.zoneId}`);
    }
    const changeStatus = changeId ? await waitInsync(ctx, changeId) : 'PENDING';
    return { type: observed ? 'updated' : 'created', outputs: outputsWith({ changeId, changeStatus }) };
  },

  outputs(ctx, observed) {
    const records = neededRecords(ctx);
    if (observed.mode === 'external') return { mode: 'external', records, added: [], replaced: [] };
    const prev = ctx.recorded?.outputs;
    return {
      mode: 'route53',
      zoneId: observed.zoneId,
      records,
      added: carriedAdded(ctx, observed),
      replaced: carriedReplaced(ctx),
      changeId: prev?.['changeId'] as string | undefined,
      changeStatus: prev?.['changeStatus'] as 'INSYNC' | 'PENDING' | undefined,
    };
  },

  /**
   * Takes out exactly the values this tool added (a merged TXT keeps the user's values) and puts
   * back what --overwrite-dns replaced. A record none of whose values is ours any more was
   * changed by hand: it is reported and left, unless --force (and then only a record set this
   * tool created or replaced; the user's own record sets are never deleted).
   */
  async destroy(ctx, recorded) {
    if (recorded.mode !== 'route53' || !recorded.zoneId) {
      if (recorded.records.length === 0) return undefined;
      const names = [...new Set(recorded.records.map((r) => `${r.type} ${r.name}`))];
      return {
        kept: [
          `${recorded.records.length} records you added at your DNS host: remove them there (${names.join(', ')})`,
        ],
      };
    }
    const zoneId = recorded.zoneId;
    const changes: Route53Change[] = [];
    const kept: string[] = [];
    // Adopted records (teardown --include-adopted) were found, not added: their values are
    // taken out, never a whole record set.
    const added: AddedValue[] =
      ctx.recorded?.owned === false
        ? recorded.records.map((r) => ({ name: r.name, type: r.type, value: r.value, createdSet: false }))
        : recorded.added;
    const groups = new Map<string, { name: string; type: RecordType }>();
    for (const v of [...added, ...recorded.replaced]) groups.set(`${v.name}|${v.type}`, { name: v.name, type: v.type });
    // Every name is read once, all at once, before anything is decided.
    const names = [...new Set([...groups.values()].map((g) => g.name))];
    let setsByName: Map<string, RrSet[]>;
    try {
      setsByName = new Map(
        await Promise.all(names.map(async (name) => [name, await setsAt(ctx, zoneId, name)] as const)),
      );
    } catch (err) {
      // The whole zone is gone, and every record with it.
      if (err instanceof HmError && err.cause instanceof Route53.NoSuchHostedZone) return undefined;
      throw err;
    }
    for (const { name, type } of groups.values()) {
      const current = (setsByName.get(name) ?? []).find((s) => s.type === type && !s.special);
      const addedHere = added.filter((v) => v.name === name && v.type === type);
      const ours = new Set(addedHere.map((v) => normalizeValue(type, route53Value(v))));
      const restore = recorded.replaced.filter((v) => v.name === name && v.type === type).flatMap((v) => v.values);
      const present = current?.values.filter((v) => ours.has(v)) ?? [];
      const removable = addedHere.some((v) => v.createdSet) || restore.length > 0;
      if (current && ours.size > 0 && present.length === 0) {
        if (!(ctx.flags.force && removable)) {
          kept.push(
            `${type} ${name} was changed since hm-infra wrote it (now ${current.values.join(', ')}): left in place${removable ? '; --force removes it' : ''}`,
          );
          continue;
        }
        ctx.debug(`${type} ${name} was changed by hand; --force removes it`);
      }
      const others =
        ctx.flags.force && removable && present.length === 0
          ? []
          : (current?.raw.ResourceRecords ?? []).filter((r) => !ours.has(normalizeValue(type, r.Value ?? '')));
      const back = restore
        .filter((value) => !others.some((r) => normalizeValue(type, r.Value ?? '') === normalizeValue(type, value)))
        .map((Value) => ({ Value }));
      const next = [...others, ...back];
      const unchanged =
        current !== undefined &&
        next.length === current.values.length &&
        next.every((r) => current.values.includes(normalizeValue(type, r.Value ?? '')));
      if (unchanged || (!current && next.length === 0)) continue;
      if (current) changes.push({ Action: 'DELETE', ResourceRecordSet: current.raw });
      if (next.length > 0)
        changes.push({
          Action: 'CREATE',
          ResourceRecordSet: { Name: `${name}.`, Type: type, TTL: current?.ttl ?? DNS_TTL, ResourceRecords: next },
        });
    }
    if (changes.length > 0) {
      ctx.report(
        `removing ${changes.filter((c) => c.Action === 'DELETE').length} record sets from Route 53 zone ${zoneId}`,
      );
      try {
        const res = await ctx.aws
          .route53()
          .send(
            new Route53.ChangeResourceRecordSetsCommand({
              HostedZoneId: zoneId,
              ChangeBatch: { Comment: `hm-infra: remove SES records for ${ctx.config.domain}`, Changes: changes },
            }),
          );
        if (res.ChangeInfo?.Id) await waitInsync(ctx, res.ChangeInfo.Id);
      } catch (err) {
        if (err instanceof Route53.NoSuchHostedZone) return kept.length > 0 ? { kept } : undefined;
        throw toHmError(err, `remove DNS records from Route 53 zone ${zoneId}`);
      }
    }
    return kept.length > 0 ? { kept } : undefined;
  },
};

/** Needed records when the identity's outputs are known, else the placeholder form. */
function safeRecords(ctx: StepContext): DnsRecord[] {
  try {
    return neededRecords(ctx);
  } catch {
    return emailDnsRecords(ctx.config, undefined);
  }
}
