import type {
  Change as Route53Change,
  ListResourceRecordSetsCommandOutput,
  ResourceRecordSet,
} from '@aws-sdk/client-route-53';
import * as z from 'zod/mini';
import { Route53 } from '../../aws/sdk.js';
import { type ErrorMatch, attempt, retryOnce, unlessNotFound } from '../../engine/resource.js';
import type { Change, DestroyResult, Step, StepContext, StepOutputs } from '../../engine/types.js';
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

import {
  type CloudflareObserved,
  cloudflareChanges,
  cloudflareOutputs,
  observeCloudflare,
  removeCloudflare,
  writeCloudflare,
} from './cloudflare-records.js';

export type { DnsRecord, RecordType } from './values.js';

const recordType = z.enum(['CNAME', 'MX', 'TXT']);

const dnsRecordSchema = z.object({
  name: z.string(),
  type: recordType,
  ttl: z.number(),
  value: z.string(),
  purpose: z.enum(['dkim', 'mail-from-mx', 'spf', 'dmarc']),
}) satisfies z.ZodMiniType<DnsRecord>;

/** A value this tool wrote into Route 53; teardown removes exactly these. */
const addedValueSchema = z.object({
  name: z.string(),
  type: recordType,
  value: z.string(),
  /** The record set did not exist before: teardown may delete the whole set. */
  createdSet: z.boolean(),
});
export type AddedValue = z.infer<typeof addedValueSchema>;

/** Values --overwrite-dns replaced, kept so teardown can put them back. */
const replacedValueSchema = z.object({ name: z.string(), type: recordType, values: z.array(z.string()) });
export type ReplacedValue = z.infer<typeof replacedValueSchema>;

const outputsSchema = z.object({
  mode: z.enum(['route53', 'cloudflare', 'external']),
  zoneId: z.optional(z.string()),
  records: z.array(dnsRecordSchema),
  added: z.array(addedValueSchema),
  replaced: z.array(replacedValueSchema),
  /** Route 53 change of the last write; PENDING when the wait for INSYNC ran out. */
  changeId: z.optional(z.string()),
  changeStatus: z.optional(z.enum(['INSYNC', 'PENDING'])),
});
export type DnsRecordsOutputs = z.infer<typeof outputsSchema>;

declare module '../../engine/types.js' {
  interface StepOutputs {
    'dns-records': DnsRecordsOutputs;
  }
}

// --- what exists in the zone ----------------------------------------------------------------

export interface RrSet {
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

/** Route 53's answer when the zone itself is gone. */
const noSuchZone: ErrorMatch = (err) => err instanceof Route53.NoSuchHostedZone;

const readingSets = (zoneId: string, name: string) => `read the DNS records at ${name} in Route 53 zone ${zoneId}`;

/** Every record set at one name (all types), following pages while they stay at that name. */
async function setsAt(ctx: StepContext, zoneId: string, name: string): Promise<RrSet[]> {
  const found: RrSet[] = [];
  let start: { StartRecordName: string; StartRecordType?: ResourceRecordSet['Type'] } | undefined = {
    StartRecordName: `${name}.`,
  };
  while (start) {
    const page: ListResourceRecordSetsCommandOutput = await ctx.aws
      .route53()
      .send(new Route53.ListResourceRecordSetsCommand({ HostedZoneId: zoneId, MaxItems: 20, ...start }));
    const sets = (page.ResourceRecordSets ?? []).map(toRrSet);
    found.push(...sets.filter((s) => s.name === name));
    const next: boolean =
      page.IsTruncated === true && page.NextRecordName !== undefined && bareName(page.NextRecordName) === name;
    start = next ? { StartRecordName: page.NextRecordName as string, StartRecordType: page.NextRecordType } : undefined;
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
export function checkConflicts(
  plans: RecordPlan[],
  overwrite: boolean,
  host: 'route53' | 'cloudflare' = 'route53',
): void {
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
      ? `Remove or rename the records named above in ${host === 'cloudflare' ? "Cloudflare's dashboard" : 'Route 53'} (this tool does not delete records of other types), then re-run.`
      : 'Change them by hand, or re-run with --overwrite-dns to replace them (the values replaced are kept in the state file).',
  });
}

// --- the step -------------------------------------------------------------------------------

export type DnsObserved =
  | { mode: 'external'; records: DnsRecord[] }
  | CloudflareObserved
  | { mode: 'route53'; zoneId: string; records: DnsRecord[]; plans: RecordPlan[] };

/** The records SES needs for the identity's DKIM tokens. */
function recordsFor(ctx: StepContext, identity: Pick<StepOutputs['email-identity'], 'dkim'>): DnsRecord[] {
  if (identity.dkim.tokens.length === 0)
    ctx.debug('the identity has no Easy DKIM tokens (Bring-Your-Own-DKIM, or not reported): no DKIM records');
  return emailDnsRecords(ctx.config, identity.dkim);
}

const neededRecords = (ctx: StepContext): DnsRecord[] => recordsFor(ctx, ctx.output('email-identity'));

/** Needed records when the identity's outputs are known, else the placeholder form. */
function knownRecords(ctx: StepContext): DnsRecord[] {
  const identity = ctx.outputIfKnown('email-identity');
  return identity ? recordsFor(ctx, identity) : emailDnsRecords(ctx.config, undefined);
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
    async () =>
      new Map(
        await Promise.all(
          names.map(
            async (name) => [name, await attempt(() => setsAt(ctx, zoneId, name), readingSets(zoneId, name))] as const,
          ),
        ),
      ),
  );
  return { mode: 'route53', zoneId, records, plans: records.map((r) => planRecord(r, sets.get(r.name) ?? [])) };
}

/** One key per set of names, however the records name them (MX and TXT share the MAIL FROM name). */
const zoneReadKey = (zoneId: string, names: string[]) =>
  `route53:ListResourceRecordSets:${zoneId}:${[...new Set(names)].sort().join(',')}`;

/** One value of one record, as the added and replaced lists are merged by. */
export const key = (v: { name: string; type: string; value?: string }) => `${v.name}|${v.type}|${v.value ?? ''}`;

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

/** Values --overwrite-dns replaced in earlier runs (or was about to, before a crash). */
export const carriedReplaced = (ctx: StepContext): ReplacedValue[] => [
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

/** The waiter ran out of time (or a poll timed out): the change is made, only not confirmed yet. */
const ranOutOfTime: ErrorMatch = (err) =>
  (err as Error).name === 'TimeoutError' || /timed? ?out|exceeded/i.test((err as Error).message);

/** Waits (bounded) until Route 53 reports the change INSYNC on all its name servers. */
async function waitInsync(ctx: StepContext, changeId: string): Promise<'INSYNC' | 'PENDING'> {
  ctx.report('waiting for Route 53 to apply the change on all its name servers…');
  const confirmed = await unlessNotFound(
    () =>
      Route53.waitUntilResourceRecordSetsChanged(
        { client: ctx.aws.route53(), maxWaitTime: 300, minDelay: 2, maxDelay: 15 },
        { Id: changeId },
      ),
    ranOutOfTime,
    `wait for Route 53 change ${changeId}`,
  );
  if (confirmed !== undefined) return 'INSYNC';
  ctx.report(
    'Route 53 has not confirmed the change after 5 minutes; it is applied and will propagate (verify-dns checks it)',
  );
  return 'PENDING';
}

export function changesOf(plans: RecordPlan[], overwrite: boolean): Change[] {
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

// --- reading, planning, writing, removing ---------------------------------------------------

/**
 * What is in place: in a Route 53 zone, the record sets at the names the records need
 * (undefined while nothing of ours and nothing in the way is there: all still to create); with
 * an external DNS host, the list state kept from the last run.
 */
async function find(ctx: StepContext): Promise<DnsObserved | undefined> {
  const zone = ctx.output('dns-zone');
  const records = neededRecords(ctx);
  if (zone.mode === 'cloudflare') {
    const observed = await observeCloudflare(ctx, zone.zoneId, records);
    return observed.plans.every((p) => p.kind === 'create') ? undefined : observed;
  }
  if (zone.mode === 'external') {
    const recorded = ctx.recorded?.outputs;
    return recorded?.['mode'] === 'external'
      ? { mode: 'external', records: (recorded['records'] as DnsRecord[] | undefined) ?? [] }
      : undefined;
  }
  const observed = await observeRoute53(ctx, zone.zoneId, records);
  return observed.plans.every((p) => p.kind === 'create') ? undefined : observed;
}

/** Every record, to create (in the placeholder form while the identity's tokens are unknown). */
const toCreate = (ctx: StepContext): Change[] =>
  knownRecords(ctx).map((r) => ({
    field: `${r.type} ${r.name}`,
    action: 'create',
    to: r.value,
    note: 'no such record yet',
  }));

/** What differs; refuses conflicts (all of them, or with --overwrite-dns only those it will not touch). */
function diff(ctx: StepContext, observed: DnsObserved): Change[] {
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
  if (observed.mode === 'cloudflare') return cloudflareChanges(observed, ctx.flags.overwriteDns);
  checkConflicts(observed.plans, ctx.flags.overwriteDns);
  return changesOf(observed.plans, ctx.flags.overwriteDns);
}

/** Route 53's refusal of a whole change batch (a record set already there, or changed meanwhile). */
const refusedBatch: ErrorMatch = (err) => err instanceof Route53.InvalidChangeBatch;

type Sent = { changeId: string | undefined } | { appliedEarlier: true };

async function sendBatch(ctx: StepContext, zoneId: string, changes: Route53Change[]): Promise<Sent> {
  const res = await ctx.aws.route53().send(
    new Route53.ChangeResourceRecordSetsCommand({
      HostedZoneId: zoneId,
      ChangeBatch: {
        Comment: `hm-infra: SES records for ${ctx.config.domain} (${ctx.config.environment})`,
        Changes: changes,
      },
    }),
  );
  return { changeId: res.ChangeInfo?.Id };
}

/**
 * A batch the SDK sent again after its first answer was lost is refused as "already exists":
 * when the zone, read again, now holds everything, that first attempt applied it. Undefined
 * when records are still missing: the refusal stands.
 */
async function appliedEarlier(
  ctx: StepContext,
  zoneId: string,
  records: DnsRecord[],
  refusal: unknown,
): Promise<Sent | undefined> {
  ctx.reads.forget(
    zoneReadKey(
      zoneId,
      records.map((r) => r.name),
    ),
  );
  const now = await observeRoute53(ctx, zoneId, records);
  if (changeBatch(now.plans).changes.length > 0) return undefined;
  ctx.debug(
    `Route 53 refused the change batch (${(refusal as Error).message}), but the zone already holds every record: an earlier attempt applied it`,
  );
  return { appliedEarlier: true };
}

const rejected = (err: unknown) =>
  new HmError('DNS_CHANGE_REJECTED', `Route 53 rejected the record changes: ${(err as Error).message}`, 'aws', {
    hint: 'A record may have changed while this ran. Re-run: the records are read again first.',
    cause: err,
  });

/**
 * Writes what is missing in one change batch (after saving what it is about to add), and waits
 * for INSYNC; with an external DNS host, keeps the list to add there.
 */
async function write(
  ctx: StepContext,
  observed: DnsObserved | undefined,
): Promise<{ type: 'created' | 'updated' | 'unchanged'; outputs: DnsRecordsOutputs }> {
  const zone = ctx.output('dns-zone');
  const records = neededRecords(ctx);
  const type = observed ? 'updated' : 'created';
  if (zone.mode === 'external') return { type, outputs: { mode: 'external', records, added: [], replaced: [] } };
  if (zone.mode === 'cloudflare')
    return writeCloudflare(ctx, zone.zoneId, records, observed?.mode === 'cloudflare' ? observed : undefined);
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
  const sent = await attempt(
    () =>
      retryOnce(
        () => sendBatch(ctx, zone.zoneId, batch.changes),
        refusedBatch,
        (refusal) => appliedEarlier(ctx, zone.zoneId, records, refusal),
      ),
    `change DNS records in Route 53 zone ${zone.zoneId}`,
    (err) => (refusedBatch(err) ? rejected(err) : undefined),
  );
  if ('appliedEarlier' in sent) return { type, outputs: outputsWith({ changeStatus: 'PENDING' }) };
  const changeStatus = sent.changeId ? await waitInsync(ctx, sent.changeId) : 'PENDING';
  return { type, outputs: outputsWith({ changeId: sent.changeId, changeStatus }) };
}

function outputs(ctx: StepContext, observed: DnsObserved): DnsRecordsOutputs {
  const records = neededRecords(ctx);
  if (observed.mode === 'external') return { mode: 'external', records, added: [], replaced: [] };
  if (observed.mode === 'cloudflare') return cloudflareOutputs(ctx, observed);
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
}

/**
 * Takes out exactly the values this tool added (a merged TXT keeps the user's values) and puts
 * back what --overwrite-dns replaced. A record none of whose values is ours any more was
 * changed by hand: it is reported and left, unless --force (and then only a record set this
 * tool created or replaced; the user's own record sets are never deleted). A zone that is gone
 * took every record with it.
 */
async function remove(ctx: StepContext, recorded: DnsRecordsOutputs): Promise<DestroyResult | undefined> {
  if (recorded.mode === 'cloudflare') return removeCloudflare(ctx, recorded);
  if (recorded.mode !== 'route53' || !recorded.zoneId) {
    if (recorded.records.length === 0) return undefined;
    const names = [...new Set(recorded.records.map((r) => `${r.type} ${r.name}`))];
    return {
      kept: [`${recorded.records.length} records you added at your DNS host: remove them there (${names.join(', ')})`],
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
  const read = await Promise.all(
    names.map(
      async (name) =>
        [name, await unlessNotFound(() => setsAt(ctx, zoneId, name), noSuchZone, readingSets(zoneId, name))] as const,
    ),
  );
  const setsByName = new Map<string, RrSet[]>();
  for (const [name, sets] of read) {
    // The whole zone is gone, and every record with it.
    if (sets === undefined) return undefined;
    setsByName.set(name, sets);
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
    const res = await unlessNotFound(
      () =>
        ctx.aws.route53().send(
          new Route53.ChangeResourceRecordSetsCommand({
            HostedZoneId: zoneId,
            ChangeBatch: { Comment: `hm-infra: remove SES records for ${ctx.config.domain}`, Changes: changes },
          }),
        ),
      noSuchZone,
      `remove DNS records from Route 53 zone ${zoneId}`,
    );
    if (res?.ChangeInfo?.Id) await waitInsync(ctx, res.ChangeInfo.Id);
  }
  return kept.length > 0 ? { kept } : undefined;
}

/**
 * The DNS records SES needs. In a Route 53 zone: read first, create what is missing, merge TXT
 * values into existing sets, stop on conflicts (unless --overwrite-dns), wait for INSYNC, and
 * record exactly what was added. Otherwise: the list to add at the DNS host, kept in state.
 * A plain step, not a declared resource: its plan lists every record to create, and what it
 * saves before writing (the values it is about to add) comes from the zone it read.
 */
export const dnsRecordsStep: Step<DnsObserved, DnsRecordsOutputs> = {
  id: 'dns-records',
  title: 'DNS records for SES',
  service: 'DNS',
  // Not after MAIL FROM: the records do not depend on it, and SES checks them whenever they appear.
  dependsOn: ['dns-zone', 'email-identity'],
  outputsSchema,
  read: find,
  plan: (ctx, observed) => (observed ? diff(ctx, observed) : toCreate(ctx)),
  apply: write,
  outputs,
  destroy: remove,
};
