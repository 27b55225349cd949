/**
 * A DNS server on loopback that answers from the record sets of the Route 53 zones an emulator
 * holds, as Route 53's name servers answer for a delegated zone: `verify-dns --resolver
 * 127.0.0.1:<port>` then sees what `init` wrote. CNAME, MX and TXT (the record types SES needs)
 * and NS/SOA at the apex; a name with no set of the asked type is NODATA, an unknown name NXDOMAIN.
 */
import {
  ListHostedZonesCommand,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
  type Route53Client,
} from '@aws-sdk/client-route-53';
import dns2 from 'dns2';

const { Packet } = dns2;

export interface ZoneDns {
  /** `127.0.0.1:<port>`: what `--resolver` takes. */
  address: string;
  /** Every question asked, as `TYPE name`. */
  questions: string[];
  close(): Promise<void>;
}

const bare = (name: string) => name.replace(/\.$/, '').toLowerCase();

/** The strings of a Route 53 TXT value: `"a" "b"` → ['a', 'b'], with `\"` and `\\` unescaped. */
export function txtStrings(value: string): string[] {
  const strings: string[] = [];
  const quoted = /"((?:[^"\\]|\\.)*)"/g;
  for (let m = quoted.exec(value); m; m = quoted.exec(value)) strings.push((m[1] ?? '').replace(/\\(.)/g, '$1'));
  return strings.length > 0 ? strings : [value];
}

async function allSets(route53: Route53Client): Promise<ResourceRecordSet[]> {
  const sets: ResourceRecordSet[] = [];
  const zones = [];
  // Route 53 lists at most 100 zones a page.
  for (let marker: string | undefined; ;) {
    const page = await route53.send(new ListHostedZonesCommand(marker ? { Marker: marker } : {}));
    zones.push(...(page.HostedZones ?? []));
    if (!page.IsTruncated || !page.NextMarker) break;
    marker = page.NextMarker;
  }
  for (const zone of zones) {
    let start: { StartRecordName?: string; StartRecordType?: ResourceRecordSet['Type'] } = {};
    for (;;) {
      const page = await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zone.Id, ...start }));
      sets.push(...(page.ResourceRecordSets ?? []));
      if (!page.IsTruncated || !page.NextRecordName) break;
      start = {
        StartRecordName: page.NextRecordName,
        ...(page.NextRecordType ? { StartRecordType: page.NextRecordType } : {}),
      };
    }
  }
  return sets;
}

const TYPES: Record<number, string> = {
  [Packet.TYPE.CNAME]: 'CNAME',
  [Packet.TYPE.MX]: 'MX',
  [Packet.TYPE.TXT]: 'TXT',
  [Packet.TYPE.NS]: 'NS',
  [Packet.TYPE.SOA]: 'SOA',
  [Packet.TYPE.A]: 'A',
};

function answersFor(set: ResourceRecordSet, name: string): Array<Record<string, unknown>> {
  const ttl = set.TTL ?? 300;
  const base = { name, class: Packet.CLASS.IN, ttl };
  return (set.ResourceRecords ?? []).flatMap((r): Array<Record<string, unknown>> => {
    const value = r.Value ?? '';
    switch (set.Type) {
      case 'CNAME':
        return [{ ...base, type: Packet.TYPE.CNAME, domain: bare(value) }];
      case 'NS':
        return [{ ...base, type: Packet.TYPE.NS, ns: bare(value) }];
      case 'A':
        return [{ ...base, type: Packet.TYPE.A, address: value }];
      case 'MX': {
        const [priority, exchange] = value.split(/\s+/);
        return [{ ...base, type: Packet.TYPE.MX, priority: Number(priority), exchange: bare(exchange ?? '') }];
      }
      case 'TXT':
        return [{ ...base, type: Packet.TYPE.TXT, data: txtStrings(value) }];
      default:
        return [];
    }
  });
}

/** Starts the server; each question is answered from the zones as they are at that moment. */
export async function startZoneDns(route53: Route53Client): Promise<ZoneDns> {
  const questions: string[] = [];
  const server = dns2.createServer({
    udp: true,
    handle: (request, send) => {
      const response = Packet.createResponseFromRequest(request);
      const [question] = request.questions;
      if (!question) return send(response);
      const type = TYPES[question.type] ?? String(question.type);
      questions.push(`${type} ${question.name}`);
      allSets(route53).then(
        (sets) => {
          const atName = sets.filter((s) => bare(s.Name ?? '') === bare(question.name));
          // A CNAME answers every type at its name, as a name server follows it.
          const matching = atName.filter((s) => s.Type === type || s.Type === 'CNAME');
          for (const set of matching) response.answers.push(...(answersFor(set, question.name) as never[]));
          if (atName.length === 0) response.header.rcode = 3; // NXDOMAIN
          send(response);
        },
        () => {
          response.header.rcode = 2; // SERVFAIL
          send(response);
        },
      );
    },
  });
  await new Promise<void>((resolve) => {
    server.on('listening', () => resolve());
    void server.listen({ udp: { port: 0, address: '127.0.0.1' } });
  });
  const port = (server.addresses().udp as { port: number }).port;
  return {
    address: `127.0.0.1:${port}`,
    questions,
    close: () => server.close() as Promise<void>,
  };
}
