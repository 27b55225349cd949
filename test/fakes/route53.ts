/**
 * Route 53 of the fake account, to AWS's documented behaviour: a change batch is applied
 * atomically or not at all (InvalidChangeBatch), CREATE fails on an existing set, DELETE must
 * name the set exactly as it is, a CNAME cannot share its name, TXT values must be quoted,
 * lists are sorted by name (labels reversed) then type, and a change is PENDING, then INSYNC.
 */
import { type Handler, awsError } from './errors.js';

export interface FakeRrSet {
  Name: string;
  Type: string;
  TTL?: number | undefined;
  ResourceRecords?: Array<{ Value: string }> | undefined;
  AliasTarget?: unknown;
  SetIdentifier?: string | undefined;
}

export interface FakeZone {
  id: string;
  name: string;
  private: boolean;
  sets: FakeRrSet[];
}

const clone = <T>(v: T): T => structuredClone(v);
const dotted = (name: string) => (name.endsWith('.') ? name : `${name}.`).toLowerCase();
const sortKey = (name: string) => dotted(name).slice(0, -1).split('.').reverse().join('.');
const compareSets = (a: { Name: string; Type: string }, b: { Name: string; Type: string }) =>
  sortKey(a.Name) === sortKey(b.Name) ? a.Type.localeCompare(b.Type) : sortKey(a.Name) < sortKey(b.Name) ? -1 : 1;
const sameSet = (a: FakeRrSet, b: FakeRrSet) => JSON.stringify(normal(a)) === JSON.stringify(normal(b));
const normal = (s: FakeRrSet) => ({
  Name: dotted(s.Name),
  Type: s.Type,
  TTL: s.TTL,
  Values: (s.ResourceRecords ?? []).map((r) => r.Value).sort(),
  Alias: s.AliasTarget ?? null,
  Id: s.SetIdentifier ?? null,
});

export class FakeRoute53 {
  readonly zones = new Map<string, FakeZone>();
  readonly changes = new Map<string, { status: 'PENDING' | 'INSYNC'; polls: number }>();
  /** GetChange calls before a change reports INSYNC. */
  insyncAfterPolls = 0;
  private counter = 0;

  private nextId(prefix: string): string {
    this.counter += 1;
    return `${prefix}${String(this.counter).padStart(10, '0')}`;
  }

  addZone(name: string, options: { private?: boolean; sets?: FakeRrSet[] } = {}): FakeZone {
    const zone: FakeZone = {
      id: this.nextId('Z0FAKE'),
      name: dotted(name),
      private: options.private === true,
      sets: [],
    };
    zone.sets.push({ Name: zone.name, Type: 'NS', TTL: 172800, ResourceRecords: [{ Value: 'ns-1.awsdns-00.com.' }] });
    zone.sets.push({
      Name: zone.name,
      Type: 'SOA',
      TTL: 900,
      ResourceRecords: [{ Value: 'ns-1.awsdns-00.com. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400' }],
    });
    for (const set of options.sets ?? []) zone.sets.push({ ...clone(set), Name: dotted(set.Name) });
    zone.sets.sort(compareSets);
    this.zones.set(zone.id, zone);
    return zone;
  }

  /** The record set of that name and type in a zone, if any. */
  find(zone: FakeZone, name: string, type: string): FakeRrSet | undefined {
    return zone.sets.find((s) => s.Name === dotted(name) && s.Type === type);
  }

  snapshot(): unknown {
    return clone(
      [...this.zones.values()]
        .map((z) => ({ name: z.name, private: z.private, sets: z.sets }))
        .sort((a, b) => a.name.localeCompare(b.name)),
    );
  }

  private zone(id: unknown): FakeZone {
    const zone = this.zones.get(String(id).replace(/^\/hostedzone\//, ''));
    if (!zone) throw awsError('route53', 'NoSuchHostedZone', `No hosted zone found with ID: ${String(id)}`);
    return zone;
  }

  private zoneSummary(z: FakeZone) {
    return {
      Id: `/hostedzone/${z.id}`,
      Name: z.name,
      CallerReference: z.id,
      Config: { PrivateZone: z.private },
      ResourceRecordSetCount: z.sets.length,
    };
  }

  private apply(zone: FakeZone, changes: Array<{ Action: string; ResourceRecordSet: FakeRrSet }>): FakeRrSet[] {
    let sets = clone(zone.sets);
    const problems: string[] = [];
    for (const { Action, ResourceRecordSet: raw } of changes) {
      const set = { ...clone(raw), Name: dotted(raw.Name) };
      const label = `[name='${set.Name}', type='${set.Type}']`;
      if (set.Type === 'TXT' && (set.ResourceRecords ?? []).some((r) => !r.Value.startsWith('"'))) {
        problems.push(
          `Invalid Resource Record: 'FATAL problem: InvalidCharacterString (Value should be enclosed in quotation marks)' encountered with '${set.ResourceRecords?.[0]?.Value ?? ''}'`,
        );
        continue;
      }
      if (!set.Name.endsWith(zone.name)) {
        problems.push(`RRSet with DNS name ${set.Name} is not permitted in zone ${zone.name}`);
        continue;
      }
      const existing = sets.find((s) => s.Name === set.Name && s.Type === set.Type);
      if (Action === 'DELETE') {
        if (!existing) problems.push(`Tried to delete resource record set ${label} but it was not found`);
        else if (!sameSet(existing, set))
          problems.push(
            `Tried to delete resource record set ${label} but the values provided do not match the current values`,
          );
        else sets = sets.filter((s) => s !== existing);
        continue;
      }
      if (Action === 'CREATE' && existing) {
        problems.push(`Tried to create resource record set ${label} but it already exists`);
        continue;
      }
      const others = sets.filter((s) => s.Name === set.Name && s.Type !== set.Type);
      if (
        (set.Type === 'CNAME' && others.length > 0) ||
        (set.Type !== 'CNAME' && others.some((s) => s.Type === 'CNAME'))
      ) {
        problems.push(
          `RRSet of type ${set.Type} with DNS name ${set.Name} is not permitted as it conflicts with other records with the same DNS name in zone ${zone.name}`,
        );
        continue;
      }
      sets = [...sets.filter((s) => s !== existing), set];
    }
    if (problems.length > 0) throw awsError('route53', 'InvalidChangeBatch', `[${problems.join(', ')}]`);
    return sets.sort(compareSets);
  }

  handlers(): Record<string, Handler> {
    return {
      'route53:ListHostedZonesByName': (input) => {
        const start = input['DNSName'] ? sortKey(String(input['DNSName'])) : '';
        const max = Number(input['MaxItems'] ?? 100);
        const zones = [...this.zones.values()]
          .sort((a, b) => (sortKey(a.name) < sortKey(b.name) ? -1 : 1))
          .filter((z) => sortKey(z.name) >= start);
        const next = zones[max];
        return {
          HostedZones: zones.slice(0, max).map((z) => this.zoneSummary(z)),
          IsTruncated: next !== undefined,
          MaxItems: max,
          ...(next ? { NextDNSName: next.name, NextHostedZoneId: next.id } : {}),
        };
      },
      'route53:GetHostedZone': (input) => ({
        HostedZone: this.zoneSummary(this.zone(input['Id'])),
        DelegationSet: { NameServers: ['ns-1.awsdns-00.com'] },
      }),
      'route53:ListResourceRecordSets': (input) => {
        const zone = this.zone(input['HostedZoneId']);
        const max = Number(input['MaxItems'] ?? 300);
        const startName = input['StartRecordName'] ? String(input['StartRecordName']) : undefined;
        const startType = input['StartRecordType'] as string | undefined;
        const from =
          startName === undefined
            ? zone.sets
            : zone.sets.filter((s) => compareSets(s, { Name: startName, Type: startType ?? '' }) >= 0);
        const page = from.slice(0, max);
        const next = from[max];
        return {
          ResourceRecordSets: clone(page),
          IsTruncated: next !== undefined,
          MaxItems: max,
          ...(next ? { NextRecordName: next.Name, NextRecordType: next.Type } : {}),
        };
      },
      'route53:ChangeResourceRecordSets': (input) => {
        const zone = this.zone(input['HostedZoneId']);
        const batch = input['ChangeBatch'] as { Changes: Array<{ Action: string; ResourceRecordSet: FakeRrSet }> };
        zone.sets = this.apply(zone, batch.Changes);
        const id = this.nextId('C0FAKE');
        this.changes.set(id, { status: 'PENDING', polls: 0 });
        return { ChangeInfo: { Id: `/change/${id}`, Status: 'PENDING', SubmittedAt: new Date(0) } };
      },
      'route53:GetChange': (input) => {
        const id = String(input['Id']).replace(/^\/change\//, '');
        const change = this.changes.get(id);
        if (!change)
          throw awsError('route53', 'NoSuchChange', `A change with the specified change ID does not exist: ${id}`);
        if (change.polls >= this.insyncAfterPolls) change.status = 'INSYNC';
        change.polls += 1;
        return { ChangeInfo: { Id: `/change/${id}`, Status: change.status, SubmittedAt: new Date(0) } };
      },
    };
  }
}
