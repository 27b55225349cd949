/**
 * Route 53 record changes as AWS validates them, in front of moto's journal-based checks (see
 * README.md here). A `ChangeResourceRecordSets` batch is checked, change by change, against
 * the zone's current record sets as moto lists them: CREATE of a set that exists, DELETE of
 * one that does not exist exactly as given (name, type, TTL, values), a second DELETE of the
 * same set, a CNAME sharing its name with another record set: the batch fails as a whole with `InvalidChangeBatch` (400, every problem in the
 * message, as AWS lists them). A valid batch is then applied to moto as its net effect,
 * DELETE of what is there and UPSERT of what should be, which moto gets right.
 *
 * Also: each change gets its own id (`/change/C…`), is PENDING in the answer and for
 * `syncMs` after, then INSYNC; GetChange of an unknown id is NoSuchChange; a reused
 * CallerReference for CreateHostedZone is HostedZoneAlreadyExists; moto's SOA value (a
 * Python dict's repr) is given as the record value it holds.
 */
import { randomBytes } from 'node:crypto';
import { xmlServiceError } from './errors.js';
import { KeyedLock } from './lock.js';
import type { Exchange, ServiceLayer, Upstream } from './upstream.js';
import { bodyText, withBody } from './upstream.js';
import type { WireResponse } from './wire.js';
import {
  type XmlElement,
  canonical,
  child,
  children,
  cloneXml,
  el,
  find,
  leaf,
  parseXml,
  serializeXml,
  setText,
  text,
  textAt,
} from './xml.js';

const NS = 'https://route53.amazonaws.com/doc/2013-04-01/';
const API = '/2013-04-01';

const error = (status: number, code: string, message: string) => xmlServiceError('route53', status, code, message);

/** A change id as Route 53 makes them (`C2682N5HXP0BZ4`). */
const newChangeId = () =>
  `C${randomBytes(16)
    .toString('base64')
    .replace(/[^A-Z0-9]/gi, '')
    .toUpperCase()
    .slice(0, 13)}`;

const dotted = (name: string) => {
  const lower = name.replace(/\\052/g, '*').toLowerCase();
  return lower.endsWith('.') ? lower : `${lower}.`;
};

/** What identifies a record set in a zone: name, type and (for routing policies) set identifier. */
const keyOf = (set: XmlElement) =>
  JSON.stringify([dotted(textAt(set, 'Name') ?? ''), textAt(set, 'Type') ?? '', textAt(set, 'SetIdentifier') ?? null]);

function labelOf(set: XmlElement): string {
  const id = textAt(set, 'SetIdentifier');
  return `[name='${dotted(textAt(set, 'Name') ?? '')}', type='${textAt(set, 'Type') ?? ''}'${id !== undefined ? `, set-identifier='${id}'` : ''}]`;
}

/** A record set's content for comparison: TTL, values (in any order), alias and routing fields. */
function contentOf(set: XmlElement): string {
  const values = children(find(set, 'ResourceRecords'), 'ResourceRecord')
    .map((r) => textAt(r, 'Value') ?? '')
    .sort();
  const alias = child(set, 'AliasTarget');
  const others = children(set)
    .filter((c) => !['Name', 'Type', 'SetIdentifier', 'TTL', 'ResourceRecords', 'AliasTarget'].includes(c.name))
    .map(canonical)
    .sort();
  return JSON.stringify({
    ttl: textAt(set, 'TTL') ?? null,
    values,
    alias: alias
      ? {
          zone: textAt(alias, 'HostedZoneId') ?? '',
          dns: dotted(textAt(alias, 'DNSName') ?? ''),
          health: textAt(alias, 'EvaluateTargetHealth') ?? 'false',
        }
      : null,
    others,
  });
}

/** moto lists the SOA record's value as a Python dict's repr (`{'Value': '…'}`). */
function fixSoa(set: XmlElement): void {
  for (const record of children(find(set, 'ResourceRecords'), 'ResourceRecord')) {
    const value = textAt(record, 'Value') ?? '';
    const inner = /^\{'Value': '(.*)'\}$/.exec(value)?.[1];
    if (inner !== undefined) setText(record, 'Value', inner);
  }
}

/** A CNAME cannot share its name with any other record set (RFC 1034; Route 53 refuses the batch). */
function cnameConflicts(sets: Map<string, XmlElement>, zoneName: string): string[] {
  const typesByName = new Map<string, Set<string>>();
  for (const set of sets.values()) {
    const name = dotted(textAt(set, 'Name') ?? '');
    typesByName.set(name, (typesByName.get(name) ?? new Set()).add(textAt(set, 'Type') ?? ''));
  }
  return [...typesByName]
    .filter(([, types]) => types.has('CNAME') && types.size > 1)
    .map(
      ([name]) =>
        `RRSet of type CNAME with DNS name ${name} is not permitted as it conflicts with other records with the same DNS name in zone ${zoneName}`,
    );
}

interface ChangeRecord {
  submittedAt: number;
  comment?: string | undefined;
}

interface Change {
  action: string;
  set: XmlElement;
}

function parseOrUndefined(body: Buffer | string): XmlElement | undefined {
  try {
    return parseXml(body);
  } catch {
    return undefined;
  }
}

export class Route53Layer implements ServiceLayer {
  /** How long a change stays PENDING (AWS: typically under a minute; 0 = INSYNC on the next GetChange). */
  syncMs = 0;
  private readonly changes = new Map<string, ChangeRecord>();
  private readonly zoneLock = new KeyedLock();

  reset(): void {
    this.changes.clear();
  }

  handle(x: Exchange, moto: Upstream): Promise<WireResponse> {
    switch (x.operation) {
      case 'ChangeResourceRecordSets':
        return this.zoneLock.run(x.url.pathname.split('/')[3] ?? '', () => this.changeRecordSets(x, moto));
      case 'GetChange':
        return Promise.resolve(this.getChange(x));
      case 'CreateHostedZone':
        return this.createZone(x, moto);
      case 'ListResourceRecordSets':
        return this.listRecordSets(x, moto);
      default:
        return moto.forward(x.req);
    }
  }

  // ── changes ─────────────────────────────────────────────────────────────────────────

  private changeInfo(id: string, record: ChangeRecord, status: string): XmlElement {
    return el('ChangeInfo', [
      leaf('Id', `/change/${id}`),
      leaf('Status', status),
      leaf('SubmittedAt', new Date(record.submittedAt).toISOString()),
      ...(record.comment !== undefined ? [leaf('Comment', record.comment)] : []),
    ]);
  }

  /** A new change, PENDING as AWS answers it. */
  private recordChange(comment?: string): XmlElement {
    const id = newChangeId();
    const record = { submittedAt: Date.now(), comment };
    this.changes.set(id, record);
    return this.changeInfo(id, record, 'PENDING');
  }

  private getChange(x: Exchange): WireResponse {
    const id = decodeURIComponent(x.url.pathname.split('/').pop() ?? '').replace(/^\/?change\//, '');
    const record = this.changes.get(id);
    if (!record) return error(404, 'NoSuchChange', `A change with the specified change ID does not exist: ${id}`);
    const status = Date.now() - record.submittedAt < this.syncMs ? 'PENDING' : 'INSYNC';
    const body = el('GetChangeResponse', [this.changeInfo(id, record, status)], { xmlns: NS });
    return { status: 200, headers: { 'content-type': 'text/xml' }, body: serializeXml(body, true) };
  }

  /** Every record set of a zone as moto holds it now, or moto's error answer. */
  private async currentSets(x: Exchange, moto: Upstream, zoneId: string): Promise<XmlElement[] | WireResponse> {
    const sets: XmlElement[] = [];
    let next: URLSearchParams | undefined = new URLSearchParams();
    while (next) {
      const query = next.toString();
      const res = await moto.call(x, 'route53', 'GET', `${API}/hostedzone/${zoneId}/rrset${query ? `?${query}` : ''}`);
      if (res.status !== 200) return res;
      const root = parseOrUndefined(res.body);
      sets.push(...children(find(root, 'ResourceRecordSets'), 'ResourceRecordSet'));
      const name = textAt(root, 'NextRecordName');
      next =
        textAt(root, 'IsTruncated') === 'true' && name !== undefined
          ? new URLSearchParams({
              name,
              type: textAt(root, 'NextRecordType') ?? '',
              ...(textAt(root, 'NextRecordIdentifier')
                ? { identifier: textAt(root, 'NextRecordIdentifier') ?? '' }
                : {}),
            })
          : undefined;
    }
    return sets;
  }

  /** The problems AWS would find in the batch, and the zone as it would be after it. */
  private validate(current: XmlElement[], changes: Change[]): { problems: string[]; after: Map<string, XmlElement> } {
    const after = new Map(current.map((set) => [keyOf(set), set]));
    const zoneName = dotted(
      textAt(
        current.find((set) => textAt(set, 'Type') === 'SOA'),
        'Name',
      ) ?? '',
    );
    const problems: string[] = [];
    for (const { action, set } of changes) {
      const key = keyOf(set);
      const existing = after.get(key);
      if (action === 'CREATE') {
        if (existing) problems.push(`Tried to create resource record set ${labelOf(set)} but it already exists`);
        else after.set(key, set);
      } else if (action === 'DELETE') {
        if (!existing) problems.push(`Tried to delete resource record set ${labelOf(set)} but it was not found`);
        else if (contentOf(existing) !== contentOf(set))
          problems.push(
            `Tried to delete resource record set ${labelOf(set)} but the values provided do not match the current values`,
          );
        else after.delete(key);
      } else if (action === 'UPSERT') {
        after.set(key, set);
      } else {
        problems.push(`Invalid action ${action}: expected CREATE, DELETE or UPSERT`);
      }
    }
    problems.push(...cnameConflicts(after, zoneName));
    return { problems, after };
  }

  /** The batch moto should apply to go from `before` to `after`: DELETEs of what goes, UPSERTs of what changes. */
  private netChanges(before: XmlElement[], after: Map<string, XmlElement>): Change[] {
    const beforeByKey = new Map(before.map((set) => [keyOf(set), set]));
    const deletes: Change[] = [...beforeByKey]
      .filter(([key]) => !after.has(key))
      .map(([, set]) => ({ action: 'DELETE', set }));
    const upserts: Change[] = [...after]
      .filter(([key, set]) => {
        const was = beforeByKey.get(key);
        return !was || contentOf(was) !== contentOf(set);
      })
      .map(([, set]) => ({ action: 'UPSERT', set }));
    return [...deletes, ...upserts];
  }

  private changeBody(changes: Change[], comment: string | undefined): string {
    const batch = el('ChangeBatch', [
      ...(comment !== undefined ? [leaf('Comment', comment)] : []),
      el(
        'Changes',
        changes.map((c) =>
          el('Change', [leaf('Action', c.action), { ...cloneXml(c.set), name: 'ResourceRecordSet', attributes: {} }]),
        ),
      ),
    ]);
    return serializeXml(el('ChangeResourceRecordSetsRequest', [batch], { xmlns: NS }), true);
  }

  private answer(info: XmlElement): WireResponse {
    const body = el('ChangeResourceRecordSetsResponse', [info], { xmlns: NS });
    return { status: 200, headers: { 'content-type': 'text/xml' }, body: serializeXml(body, true) };
  }

  private async changeRecordSets(x: Exchange, moto: Upstream): Promise<WireResponse> {
    const zoneId = x.url.pathname.split('/')[3] ?? '';
    const batch = find(parseOrUndefined(x.req.body), 'ChangeBatch');
    const changeList = children(find(batch, 'Changes'), 'Change').map((c) => ({
      action: textAt(c, 'Action') ?? '',
      set: child(c, 'ResourceRecordSet'),
    }));
    if (!batch || changeList.length === 0 || changeList.some((c) => !c.set)) return moto.forward(x.req);
    const changes = changeList as Change[];
    const comment = textAt(batch, 'Comment');

    const current = await this.currentSets(x, moto, zoneId);
    if (!Array.isArray(current)) return current;
    const { problems, after } = this.validate(current, changes);
    if (problems.length > 0) return error(400, 'InvalidChangeBatch', `[${problems.join(', ')}]`);

    const net = this.netChanges(current, after);
    if (net.length > 0) {
      const res = await moto.forward({ ...x.req, body: Buffer.from(this.changeBody(net, comment), 'utf8') });
      if (res.status !== 200) return res;
    }
    return this.answer(this.recordChange(comment));
  }

  // ── zones and listings ─────────────────────────────────────────────────────────────────

  private async zoneCallerReferences(x: Exchange, moto: Upstream): Promise<string[]> {
    const references: string[] = [];
    let marker: string | undefined;
    do {
      const res = await moto.call(
        x,
        'route53',
        'GET',
        `${API}/hostedzone${marker ? `?marker=${encodeURIComponent(marker)}` : ''}`,
      );
      const root = res.status === 200 ? parseOrUndefined(res.body) : undefined;
      for (const zone of children(find(root, 'HostedZones'), 'HostedZone'))
        references.push(textAt(zone, 'CallerReference') ?? '');
      marker = textAt(root, 'IsTruncated') === 'true' ? textAt(root, 'NextMarker') : undefined;
    } while (marker);
    return references;
  }

  private async createZone(x: Exchange, moto: Upstream): Promise<WireResponse> {
    const reference = textAt(parseOrUndefined(x.req.body), 'CallerReference');
    if (reference !== undefined && (await this.zoneCallerReferences(x, moto)).includes(reference)) {
      return error(
        409,
        'HostedZoneAlreadyExists',
        `A hosted zone has already been created with the specified caller reference (${reference}).`,
      );
    }
    const res = await moto.forward(x.req);
    const root = res.status === 201 ? parseOrUndefined(res.body) : undefined;
    const info = child(root, 'ChangeInfo');
    if (!root || !info) return res;
    const index = root.children.indexOf(info);
    root.children[index] = this.recordChange(textAt(info, 'Comment'));
    return withBody(res, serializeXml(root, true), { 'content-type': 'text/xml' });
  }

  private async listRecordSets(x: Exchange, moto: Upstream): Promise<WireResponse> {
    const res = await moto.forward(x.req);
    const root = res.status === 200 ? parseOrUndefined(res.body) : undefined;
    if (!root) return res;
    const sets = children(find(root, 'ResourceRecordSets'), 'ResourceRecordSet');
    if (!sets.some((s) => text(child(s, 'Type')) === 'SOA')) return withBody(res, bodyText(res));
    for (const set of sets) if (textAt(set, 'Type') === 'SOA') fixSoa(set);
    return withBody(res, serializeXml(root, true), { 'content-type': 'text/xml' });
  }
}
