import dns2 from 'dns2';

/**
 * DNS questions to one server, over UDP (TCP when the answer is truncated), with the parts of
 * the answer the diagnosis needs and node:dns leaves out: the response code, each record's TTL
 * as that server reports it (a resolver counts it down while it caches), and the SOA of a
 * negative answer (how long a resolver may remember "no such record").
 */

export type RrType = 'A' | 'AAAA' | 'CNAME' | 'MX' | 'TXT' | 'NS' | 'SOA';

/** One record of an answer. `value`: a host name without the final dot, `10 host` for MX, the joined text of a TXT record, an address. */
export interface Rr {
  name: string;
  type: RrType;
  ttl: number;
  value: string;
}

export interface DnsAnswer {
  rcode: 'NOERROR' | 'NXDOMAIN' | 'SERVFAIL' | 'REFUSED' | string;
  answers: Rr[];
  /** The zone the negative answer's SOA names (its owner), when there is one. */
  soaZone?: string | undefined;
  /** How long this negative answer may be cached: the SOA's TTL and MINIMUM, the smaller (RFC 2308 §5). */
  negativeTtl?: number | undefined;
  /** The server answered for its own zone (AA bit). */
  authoritative: boolean;
}

export interface DnsServer {
  /** `IP` or `IP:port` (`[IPv6]:port`), as `--resolver` takes it. */
  address: string;
  query(name: string, type: RrType): Promise<DnsAnswer>;
}

/** A question the server did not answer in time, or could not be sent. */
export class DnsQueryError extends Error {
  constructor(
    readonly server: string,
    readonly question: string,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'DnsQueryError';
  }
}

const { Packet } = dns2;
const TYPE_NAMES = new Map<number, RrType>(
  (['A', 'AAAA', 'CNAME', 'MX', 'TXT', 'NS', 'SOA'] as const).map((t) => [Packet.TYPE[t], t]),
);
const RCODES: Record<number, string> = { 0: 'NOERROR', 1: 'FORMERR', 2: 'SERVFAIL', 3: 'NXDOMAIN', 5: 'REFUSED' };

const bare = (name: string) => name.toLowerCase().replace(/\.$/, '');

/** Splits `IP`, `IP:port`, `[IPv6]:port` into host and port. */
export function hostPort(address: string, defaultPort = 53): { host: string; port: number } {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(address);
  if (v6) return { host: v6[1] ?? '', port: v6[2] ? Number(v6[2]) : defaultPort };
  const v4 = /^([^:]+):(\d+)$/.exec(address);
  if (v4) return { host: v4[1] ?? '', port: Number(v4[2]) };
  return { host: address, port: defaultPort };
}

interface RawResource {
  name: string;
  type: number;
  ttl: number;
  address?: string;
  domain?: string;
  ns?: string;
  exchange?: string;
  priority?: number;
  data?: string | Buffer;
  minimum?: number;
}

function toRr(raw: RawResource): Rr | undefined {
  const type = TYPE_NAMES.get(raw.type);
  if (!type) return undefined;
  const base = { name: bare(raw.name), type, ttl: raw.ttl };
  switch (type) {
    case 'A':
    case 'AAAA':
      return { ...base, value: raw.address ?? '' };
    case 'CNAME':
      return { ...base, value: bare(raw.domain ?? '') };
    case 'NS':
      return { ...base, value: bare(raw.ns ?? '') };
    case 'MX':
      return { ...base, value: `${raw.priority ?? 0} ${bare(raw.exchange ?? '')}` };
    case 'TXT':
      return { ...base, value: typeof raw.data === 'string' ? raw.data : (raw.data?.toString('utf8') ?? '') };
    case 'SOA':
      return { ...base, value: String(raw.minimum ?? 0) };
  }
}

/**
 * A DNS server at `address`. `recursive`: ask it to resolve (a resolver); off, it answers only
 * from its own zones (a zone's nameserver). Each question is sent twice at most, each try
 * bounded by `timeoutMs`.
 */
export function dnsServer(address: string, options: { recursive: boolean; timeoutMs?: number }): DnsServer {
  const { host, port } = hostPort(address);
  const timeoutMs = options.timeoutMs ?? 3000;
  const ask = dns2.UDPClient({ dns: host, port, timeout: timeoutMs, socketType: host.includes(':') ? 'udp6' : 'udp4' });
  const once = async (name: string, type: RrType): Promise<DnsAnswer> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      // Bounds the TCP retry of a truncated answer too, which has no timeout of its own.
      timer = setTimeout(
        () => reject(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })),
        timeoutMs + 500,
      );
      timer.unref();
    });
    try {
      const packet = await Promise.race([ask(name, type, Packet.CLASS.IN, { recursive: options.recursive }), timeout]);
      const answers = (packet.answers as unknown as RawResource[]).map(toRr).filter((r): r is Rr => r !== undefined);
      const soa = (packet.authorities as unknown as RawResource[]).find((r) => r.type === Packet.TYPE.SOA);
      return {
        rcode: RCODES[packet.header.rcode] ?? `RCODE${packet.header.rcode}`,
        answers,
        soaZone: soa ? bare(soa.name) : undefined,
        negativeTtl: soa ? Math.min(soa.ttl, soa.minimum ?? soa.ttl) : undefined,
        authoritative: packet.header.aa === 1,
      };
    } finally {
      clearTimeout(timer);
    }
  };
  return {
    address,
    async query(name, type) {
      let last: unknown;
      for (let attempt = 0; attempt < 2; attempt += 1) {
        try {
          return await once(name, type);
        } catch (err) {
          last = err;
        }
      }
      const code = (last as { code?: string }).code ?? 'EDNS';
      throw new DnsQueryError(
        address,
        `${type} ${name}`,
        code,
        `${address} did not answer ${type} ${name}: ${(last as Error).message}`,
      );
    },
  };
}

/** The DNS servers this machine uses (resolv.conf, or what the OS configured), as node:dns reads them. */
export async function systemServerAddresses(): Promise<string[]> {
  // The module object, not its named export: setServers replaces the resolver the named one is bound to.
  const dns = (await import('node:dns')).default;
  return dns.getServers();
}

/** A resolver: the first of `addresses` that answers each question. */
export function firstAnswering(addresses: string[], options: { timeoutMs?: number } = {}): DnsServer {
  const servers = addresses.map((a) => dnsServer(a, { recursive: true, ...options }));
  return {
    address: addresses.join(', '),
    async query(name, type) {
      let last: unknown = new DnsQueryError('', `${type} ${name}`, 'ENOSERVERS', 'no DNS server is configured');
      for (const server of servers) {
        try {
          return await server.query(name, type);
        } catch (err) {
          last = err;
        }
      }
      throw last;
    },
  };
}
