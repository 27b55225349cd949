import { type DnsServer, DnsQueryError, dnsServer } from './query.js';

/**
 * The zone a domain's records live in and the nameservers that answer for it, found as a
 * resolver finds them: the NS records of the domain, or of the zone a negative answer's SOA
 * names, or of a parent name.
 */
export interface Authority {
  /** The zone's apex (`example.com` for `app.example.com` in that zone); undefined when none was found. */
  zone: string | undefined;
  /** The nameservers' host names, as the NS records name them. */
  nameservers: string[];
  /** The nameservers to ask, each without recursion; empty when none could be reached. */
  server: DnsServer | undefined;
  /** Why the nameservers cannot be asked (the diagnosis then relies on the resolver alone). */
  problem?: string | undefined;
}

export interface AuthorityOptions {
  /** Ask this server as the zone's authority instead of the ones the NS records name (`--nameserver`). */
  nameserver?: string | undefined;
  /** The port the NS records' servers are asked on (53; a test's DNS server listens elsewhere). */
  nameserverPort?: number;
  timeoutMs?: number;
}

const parent = (name: string) => name.split('.').slice(1).join('.');

/** The nameservers, each asked in turn until one answers. */
function firstNameserver(addresses: string[], timeoutMs: number | undefined): DnsServer {
  const servers = addresses.map((a) => dnsServer(a, { recursive: false, ...(timeoutMs ? { timeoutMs } : {}) }));
  return {
    address: addresses.join(', '),
    async query(name, type) {
      let last: unknown;
      for (const server of servers) {
        try {
          const answer = await server.query(name, type);
          // A server that refuses or fails for its own zone is passed over for the next.
          if (answer.rcode === 'REFUSED' || answer.rcode === 'SERVFAIL') {
            last = new DnsQueryError(
              server.address,
              `${type} ${name}`,
              answer.rcode,
              `${server.address} answered ${answer.rcode}`,
            );
            continue;
          }
          return answer;
        } catch (err) {
          last = err;
        }
      }
      throw last ?? new DnsQueryError('', `${type} ${name}`, 'ENOSERVERS', 'no nameserver address');
    },
  };
}

/** The zone of `domain` and its NS host names, through the resolver. */
async function zoneOf(
  domain: string,
  resolver: DnsServer,
): Promise<{ zone: string; nameservers: string[] } | undefined> {
  let name = domain.toLowerCase();
  const asked = new Set<string>();
  while (name.includes('.') && !asked.has(name)) {
    asked.add(name);
    const answer = await resolver.query(name, 'NS');
    const ns = answer.answers.filter((r) => r.type === 'NS' && r.name === name).map((r) => r.value);
    if (ns.length > 0) return { zone: name, nameservers: [...new Set(ns)].sort() };
    // A negative answer names its zone in the SOA it carries: ask that name's NS next.
    const soaZone = answer.soaZone;
    name = soaZone && soaZone !== name && `.${name}`.endsWith(`.${soaZone}`) ? soaZone : parent(name);
  }
  return undefined;
}

/** The zone, its nameservers, and a server that asks them. Never throws: a failure is the `problem`. */
export async function findAuthority(
  domain: string,
  resolver: DnsServer,
  options: AuthorityOptions = {},
): Promise<Authority> {
  let found: { zone: string; nameservers: string[] } | undefined;
  try {
    found = await zoneOf(domain, resolver);
  } catch (err) {
    return {
      zone: undefined,
      nameservers: [],
      server: options.nameserver ? firstNameserver([options.nameserver], options.timeoutMs) : undefined,
      problem: `could not look up the nameservers of ${domain}: ${(err as Error).message}`,
    };
  }
  const zone = found?.zone;
  const nameservers = found?.nameservers ?? [];
  if (options.nameserver)
    return { zone, nameservers, server: firstNameserver([options.nameserver], options.timeoutMs) };
  if (!found)
    return {
      zone,
      nameservers,
      server: undefined,
      problem: `no NS records found for ${domain} or a parent name: the domain is not delegated to any DNS host`,
    };
  const port = options.nameserverPort ?? 53;
  const addresses = (
    await Promise.all(
      nameservers.map(async (host) => {
        try {
          const answer = await resolver.query(host, 'A');
          return answer.answers.filter((r) => r.type === 'A').map((r) => r.value);
        } catch {
          return [];
        }
      }),
    )
  ).flat();
  if (addresses.length === 0)
    return {
      zone,
      nameservers,
      server: undefined,
      problem: `the addresses of ${zone}'s nameservers (${nameservers.join(', ')}) did not resolve`,
    };
  const withPort = [...new Set(addresses)].map((ip) => (port === 53 ? ip : `${ip}:${port}`));
  return { zone, nameservers, server: firstNameserver(withPort, options.timeoutMs) };
}

/** The NS host names of the zone holding `domain`; empty when they cannot be found. */
export async function nameserversOf(domain: string, resolver: DnsServer): Promise<string[]> {
  try {
    return (await zoneOf(domain, resolver))?.nameservers ?? [];
  } catch {
    return [];
  }
}
