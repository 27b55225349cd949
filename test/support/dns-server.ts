/**
 * A real DNS server on loopback (dns2, UDP) answering from a list of records, as a zone's
 * nameserver or a resolver answers: NODATA with the zone's SOA for a name with no record of
 * the type asked, NXDOMAIN with the SOA for a name with none at all, a CNAME for every type at
 * its name, and TTLs as given (a resolver's cached answer counts down: give the TTL left).
 * Tests point verify-dns's resolver and nameserver lookups at servers like this.
 */
import dns2 from 'dns2';

const { Packet } = dns2;

export interface ServedRecord {
  name: string;
  type: 'A' | 'AAAA' | 'CNAME' | 'MX' | 'TXT' | 'NS';
  /** MX: `10 host`; TXT: the text, or its character-strings as an array. */
  value: string | string[];
  ttl?: number;
}

export interface TestDnsServer {
  /** `127.0.0.1:<port>`. */
  address: string;
  port: number;
  /** Every question asked, as `TYPE name`. */
  questions: string[];
  /** What it answers from; tests may change it between questions. */
  records: ServedRecord[];
  close(): Promise<void>;
}

export interface TestDnsOptions {
  /** The zone this server answers for (its SOA in negative answers). */
  zone: string;
  /** Answer as the zone's nameserver (AA bit set). */
  authoritative?: boolean;
  /** The negative-caching TTL of the zone's SOA (its TTL and MINIMUM). */
  negativeTtl?: number;
  /** Not answering at all (a nameserver that is down). */
  silent?: boolean;
}

const bare = (name: string) => name.replace(/\.$/, '').toLowerCase();
const TYPES: Record<number, ServedRecord['type'] | 'SOA'> = {
  [Packet.TYPE.A]: 'A',
  [Packet.TYPE.AAAA]: 'AAAA',
  [Packet.TYPE.CNAME]: 'CNAME',
  [Packet.TYPE.MX]: 'MX',
  [Packet.TYPE.TXT]: 'TXT',
  [Packet.TYPE.NS]: 'NS',
  [Packet.TYPE.SOA]: 'SOA',
};

function answer(record: ServedRecord, asked: string): Record<string, unknown> {
  const base = { name: asked, class: Packet.CLASS.IN, ttl: record.ttl ?? 600, type: Packet.TYPE[record.type] };
  const value = record.value;
  switch (record.type) {
    case 'A':
    case 'AAAA':
      return { ...base, address: value };
    case 'CNAME':
      return { ...base, domain: bare(String(value)) };
    case 'NS':
      return { ...base, ns: bare(String(value)) };
    case 'MX': {
      const [priority, exchange] = String(value).split(/\s+/);
      return { ...base, priority: Number(priority), exchange: bare(exchange ?? '') };
    }
    case 'TXT':
      return { ...base, data: Array.isArray(value) ? value : [value] };
  }
}

export async function startTestDns(records: ServedRecord[], options: TestDnsOptions): Promise<TestDnsServer> {
  const questions: string[] = [];
  const state = { records };
  const zone = bare(options.zone);
  const negativeTtl = options.negativeTtl ?? 300;
  const server = dns2.createServer({
    udp: true,
    handle: (request, send) => {
      const [question] = request.questions;
      if (!question) return;
      const type = TYPES[question.type] ?? String(question.type);
      const name = bare(question.name);
      questions.push(`${type} ${name}`);
      if (options.silent) return;
      const response = Packet.createResponseFromRequest(request);
      if (options.authoritative) response.header.aa = 1;
      const atName = state.records.filter((r) => bare(r.name) === name);
      const matching = atName.filter((r) => r.type === type || r.type === 'CNAME');
      for (const r of matching) response.answers.push(answer(r, question.name) as never);
      if (matching.length === 0) {
        if (atName.length === 0 && !state.records.some((r) => bare(r.name).endsWith(`.${name}`)))
          response.header.rcode = 3;
        if (`.${name}`.endsWith(`.${zone}`))
          response.authorities.push({
            name: zone,
            type: Packet.TYPE.SOA,
            class: Packet.CLASS.IN,
            ttl: negativeTtl,
            primary: `ns1.${zone}`,
            admin: `hostmaster.${zone}`,
            serial: 1,
            refresh: 7200,
            retry: 900,
            expiration: 1209600,
            minimum: negativeTtl,
          } as never);
      }
      void send(response);
    },
  });
  await new Promise<void>((resolve) => {
    server.on('listening', () => resolve());
    void server.listen({ udp: { port: 0, address: '127.0.0.1' } });
  });
  const port = (server.addresses().udp as { port: number }).port;
  return {
    address: `127.0.0.1:${port}`,
    port,
    questions,
    get records() {
      return state.records;
    },
    set records(next: ServedRecord[]) {
      state.records = next;
    },
    close: () => server.close() as Promise<void>,
  };
}
