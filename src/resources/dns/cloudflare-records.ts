import { type CfDnsRecord, type CfRecordInput, type CloudflareDns, cloudflareCodes } from '../../aws/cloudflare.js';
import type { Change, DestroyResult, StepContext } from '../../engine/types.js';
import {
  type AddedValue,
  type DnsRecordsOutputs,
  type RecordPlan,
  type ReplacedValue,
  type RrSet,
  carriedReplaced,
  changesOf,
  checkConflicts,
  key,
  planRecord,
} from './records.js';
import { type DnsRecord, type RecordType, normalizeValue, quoteTxt, route53Value } from './values.js';

/**
 * The SES records in a Cloudflare zone, under the same rules as in Route 53: read first, add
 * what is missing next to what is there (each TXT value is its own record at Cloudflare, so an
 * SPF or DMARC record is added without touching the user's other TXT records), refuse
 * conflicts with both values unless --overwrite-dns, keep the proxy off, record exactly what
 * was added, and take out only that on teardown.
 */

export interface CloudflareObserved {
  mode: 'cloudflare';
  zoneId: string;
  records: DnsRecord[];
  plans: RecordPlan[];
  /** Cloudflare's records at each name the SES records need. */
  atName: Map<string, CfDnsRecord[]>;
}

/** Cloudflare's identical-record refusal (a create the SDK sent again after a lost answer). */
const IDENTICAL = 81058;
/** Cloudflare's answer for a zone id it cannot route to (the zone is gone). */
const NO_ZONE = 7003;

/** Cloudflare's error codes behind the CLI's error (cloudflareError keeps the SDK's as its cause). */
const codesOf = (err: unknown): number[] => cloudflareCodes((err as { cause?: unknown }).cause);

/** A Cloudflare record's value in the form the plans compare (`10 host` for MX, unquoted TXT). */
const valueOf = (r: CfDnsRecord): string =>
  r.type === 'MX' ? normalizeValue('MX', `${r.priority ?? 0} ${r.content}`) : normalizeValue(r.type, r.content);

/** Cloudflare's records at one name, as the record sets planRecord compares. */
function asSets(found: CfDnsRecord[]): RrSet[] {
  const byType = new Map<string, CfDnsRecord[]>();
  for (const r of found) byType.set(r.type, [...(byType.get(r.type) ?? []), r]);
  return [...byType.entries()].map(([type, records]) => ({
    name: records[0]?.name ?? '',
    type,
    ttl: records[0]?.ttl,
    values: records.map(valueOf),
    special: false,
    raw: {
      Name: `${records[0]?.name ?? ''}.`,
      Type: type as never,
      ResourceRecords: records.map((r) => ({ Value: r.content })),
    },
  }));
}

const readKey = (zoneId: string, names: string[]) =>
  `cloudflare:dns_records:${zoneId}:${[...new Set(names)].sort().join(',')}`;

/** The records at every name the SES records need, read once per run. */
export async function observeCloudflare(
  ctx: StepContext,
  zoneId: string,
  records: DnsRecord[],
): Promise<CloudflareObserved> {
  const api = await ctx.aws.cloudflare();
  const names = [...new Set(records.map((r) => r.name))];
  const atName = await ctx.reads.once(
    readKey(zoneId, names),
    async () =>
      new Map(await Promise.all(names.map(async (name) => [name, await api.recordsAt(zoneId, name)] as const))),
  );
  return {
    mode: 'cloudflare',
    zoneId,
    records,
    plans: records.map((r) => planRecord(r, asSets(atName.get(r.name) ?? []))),
    atName,
  };
}

/** The DKIM CNAMEs already in place but proxied: SES and receivers must see the CNAME itself. */
function proxiedOnes(observed: CloudflareObserved): Array<{ plan: RecordPlan; record: CfDnsRecord }> {
  return observed.plans.flatMap((plan) => {
    if (plan.kind !== 'present' || plan.record.type !== 'CNAME') return [];
    const want = normalizeValue('CNAME', plan.record.value);
    const hit = (observed.atName.get(plan.record.name) ?? []).find(
      (r) => r.type === 'CNAME' && r.proxied && valueOf(r) === want,
    );
    return hit ? [{ plan, record: hit }] : [];
  });
}

/** What differs: the Route 53 rules' changes, and every proxied DKIM CNAME turned to DNS only. */
export function cloudflareChanges(observed: CloudflareObserved, overwrite: boolean): Change[] {
  checkConflicts(observed.plans, overwrite, 'cloudflare');
  return [
    ...changesOf(observed.plans, overwrite),
    ...proxiedOnes(observed).map(({ plan }) => ({
      field: `CNAME ${plan.record.name}`,
      action: 'update' as const,
      from: 'proxied',
      to: 'DNS only',
      note: 'SES and mail receivers must see the CNAME itself, not a proxy',
    })),
  ];
}

/** The record as Cloudflare's API takes it: MX priority apart, TXT quoted, the proxy off. */
function input(ctx: StepContext, record: DnsRecord, restored = false): CfRecordInput {
  const comment = restored
    ? 'put back by hm-infra teardown'
    : `hm-infra: SES, ${ctx.config.app}-${ctx.config.environment}`;
  if (record.type === 'MX') {
    const [priority = '10', host = ''] = record.value.split(/\s+/);
    return { name: record.name, type: 'MX', content: host, priority: Number(priority), ttl: record.ttl, comment };
  }
  if (record.type === 'TXT')
    return { name: record.name, type: 'TXT', content: quoteTxt(record.value), ttl: record.ttl, comment };
  return { name: record.name, type: 'CNAME', content: record.value, ttl: record.ttl, proxied: false, comment };
}

async function createOnce(
  api: CloudflareDns,
  ctx: StepContext,
  zoneId: string,
  record: DnsRecord,
  restored = false,
): Promise<void> {
  try {
    await api.create(zoneId, input(ctx, record, restored));
  } catch (err) {
    // Sent again after a lost answer, the first create already made it.
    if (codesOf(err).includes(IDENTICAL)) {
      ctx.debug(`${record.type} ${record.name} was already there (an earlier attempt made it)`);
      return;
    }
    throw err;
  }
}

/** The plan of one record as Cloudflare writes: what is added, and which of the user's records it replaces. */
function batch(observed: CloudflareObserved): {
  creates: DnsRecord[];
  deletes: CfDnsRecord[];
  added: AddedValue[];
  replaced: ReplacedValue[];
} {
  const creates: DnsRecord[] = [];
  const deletes: CfDnsRecord[] = [];
  const added: AddedValue[] = [];
  const replaced: ReplacedValue[] = [];
  for (const plan of observed.plans) {
    const { record } = plan;
    if (plan.kind === 'present') continue;
    if (plan.kind === 'conflict') {
      const rivals = (observed.atName.get(record.name) ?? []).filter(
        (r) => r.type === record.type && plan.theirs.includes(valueOf(r)),
      );
      deletes.push(...rivals);
      replaced.push({
        name: record.name,
        type: record.type,
        values: rivals.map((r) =>
          route53Value({
            type: r.type,
            value: r.type === 'MX' ? `${r.priority ?? 0} ${r.content}` : normalizeValue(r.type, r.content),
          }),
        ),
      });
    }
    creates.push(record);
    added.push({ name: record.name, type: record.type, value: record.value, createdSet: plan.kind === 'create' });
  }
  return { creates, deletes, added, replaced };
}

/** Earlier runs' added values still in the zone, with this run's. */
function carried(ctx: StepContext, observed: CloudflareObserved): AddedValue[] {
  const earlier = [
    ...((ctx.recorded?.outputs['added'] as AddedValue[] | undefined) ?? []),
    ...((ctx.recorded?.intent?.['added'] as AddedValue[] | undefined) ?? []),
  ];
  const present = (v: AddedValue) =>
    (observed.atName.get(v.name) ?? []).some(
      (r) => r.type === v.type && valueOf(r) === normalizeValue(v.type, route53Value(v)),
    );
  return [...new Map(earlier.filter(present).map((v) => [key(v), v])).values()];
}

/** Writes what is missing (saving first what it is about to add), turns proxies off, records what it added. */
export async function writeCloudflare(
  ctx: StepContext,
  zoneId: string,
  records: DnsRecord[],
  observed: CloudflareObserved | undefined,
): Promise<{ type: 'created' | 'updated' | 'unchanged'; outputs: DnsRecordsOutputs }> {
  const api = await ctx.aws.cloudflare();
  const current = observed ?? (await observeCloudflare(ctx, zoneId, records));
  checkConflicts(current.plans, ctx.flags.overwriteDns, 'cloudflare');
  const planned = batch(current);
  const proxied = proxiedOnes(current);
  const outputs = (): DnsRecordsOutputs => ({
    mode: 'cloudflare',
    zoneId,
    records,
    added: [...new Map([...carried(ctx, current), ...planned.added].map((v) => [key(v), v])).values()],
    replaced: [...carriedReplaced(ctx), ...planned.replaced],
  });
  if (planned.creates.length === 0 && proxied.length === 0) return { type: 'unchanged', outputs: outputs() };
  // What is about to be added is saved first: a crash after a call still knows it is ours.
  await ctx.intend({ added: planned.added, replaced: planned.replaced });
  ctx.reads.forget(
    readKey(
      zoneId,
      records.map((r) => r.name),
    ),
  );
  for (const rival of planned.deletes) {
    ctx.debug(`--overwrite-dns: removing ${rival.type} ${rival.name} (${rival.content})`);
    await api.remove(zoneId, rival.id);
  }
  await Promise.all(planned.creates.map((record) => createOnce(api, ctx, zoneId, record)));
  for (const { record } of proxied) {
    ctx.debug(`CNAME ${record.name}: proxy turned off`);
    await api.edit(zoneId, record.id, { proxied: false });
  }
  return { type: observed ? 'updated' : 'created', outputs: outputs() };
}

/** The outputs when nothing is written (plan, or a step found as it should be). */
export function cloudflareOutputs(ctx: StepContext, observed: CloudflareObserved): DnsRecordsOutputs {
  return {
    mode: 'cloudflare',
    zoneId: observed.zoneId,
    records: observed.records,
    added: carried(ctx, observed),
    replaced: carriedReplaced(ctx),
  };
}

/** Takes out exactly the values this tool added and puts back what --overwrite-dns replaced. */
export async function removeCloudflare(
  ctx: StepContext,
  recorded: DnsRecordsOutputs,
): Promise<DestroyResult | undefined> {
  const zoneId = recorded.zoneId;
  if (!zoneId) return undefined;
  const api = await ctx.aws.cloudflare();
  const added: AddedValue[] =
    ctx.recorded?.owned === false
      ? recorded.records.map((r) => ({ name: r.name, type: r.type, value: r.value, createdSet: false }))
      : recorded.added;
  const names = [...new Set([...added, ...recorded.replaced].map((v) => v.name))];
  let atName: Map<string, CfDnsRecord[]>;
  try {
    atName = new Map(await Promise.all(names.map(async (name) => [name, await api.recordsAt(zoneId, name)] as const)));
  } catch (err) {
    // The zone is gone, and every record with it.
    if (codesOf(err).includes(NO_ZONE)) return undefined;
    throw err;
  }
  const ours = (r: CfDnsRecord) =>
    added.some((v) => v.name === r.name && v.type === r.type && normalizeValue(v.type, route53Value(v)) === valueOf(r));
  const removing = [...atName.values()].flat().filter(ours);
  if (removing.length > 0) ctx.report(`removing ${removing.length} records from Cloudflare zone ${zoneId}`);
  for (const r of removing) await api.remove(zoneId, r.id);
  for (const back of recorded.replaced) {
    for (const value of back.values) {
      const present = (atName.get(back.name) ?? []).some(
        (r) => r.type === back.type && !ours(r) && valueOf(r) === normalizeValue(back.type, value),
      );
      if (present) continue;
      const record: DnsRecord = {
        name: back.name,
        type: back.type as RecordType,
        ttl: 600,
        value: back.type === 'TXT' ? normalizeValue('TXT', value) : value,
        purpose: 'dkim',
      };
      await createOnce(api, ctx, zoneId, record, true);
    }
  }
  return undefined;
}
