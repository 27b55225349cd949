import { isIP } from 'node:net';
import type { Authority } from './dns/authority.js';
import type { DnsServer } from './dns/query.js';
import { type DnsProvider, detectProvider, formHost, knownProviderName } from '../resources/dns/providers.js';
import type { DiagnoseOptions } from './dns/diagnose.js';

/**
 * A DNS server as `IP`, `IPv4:port` or `[IPv6]:port` (the forms node:dns takes), or undefined
 * when it is none of them.
 */
export function resolverAddress(text: string): string | undefined {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  const v4 = /^([^:]+):(\d+)$/.exec(text);
  const [host, port] = v6 ? [v6[1] ?? '', v6[2]] : v4 ? [v4[1] ?? '', v4[2]] : [text, undefined];
  if (isIP(host) === 0 || (v6 !== null && isIP(host) !== 6)) return undefined;
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return undefined;
  return text;
}

/** `--resolver` and `--nameserver`, checked before any lookup. */
export function lookupProblems(flags: LookupFlags): string[] {
  return [
    flags.resolver !== undefined && resolverAddress(flags.resolver) === undefined
      ? `--resolver "${flags.resolver}" is not valid: give the IP address of a DNS server, optionally with a port, for example 1.1.1.1, 127.0.0.1:5353 or [2606:4700:4700::1111]:53`
      : undefined,
    flags.nameserver !== undefined && resolverAddress(flags.nameserver) === undefined
      ? `--nameserver "${flags.nameserver}" is not valid: give the IP address of the zone's DNS server, optionally with a port, for example 173.245.58.51 or 127.0.0.1:5353`
      : undefined,
  ].filter((p) => p !== undefined);
}

/** Where verify-dns and status look records up: `--resolver` and `--nameserver`, as typed. */
export interface LookupFlags {
  resolver?: string | undefined;
  nameserver?: string | undefined;
}

/**
 * The resolver (`--resolver`, else this machine's DNS servers) and the zone's nameservers
 * (found through the resolver's NS answers, or `--nameserver`). `nameserverPort`: the port
 * the NS records' servers are asked on (53 but in tests).
 */
export async function dnsLookups(
  domain: string,
  flags: LookupFlags,
  nameserverPort?: number,
): Promise<{ resolver: DnsServer; authority: Authority }> {
  const { dnsServer, firstAnswering, systemServerAddresses } = await import('./dns/query.js');
  const { findAuthority } = await import('./dns/authority.js');
  const resolver =
    flags.resolver !== undefined
      ? dnsServer(flags.resolver, { recursive: true })
      : firstAnswering(await systemServerAddresses());
  const authority = await findAuthority(domain, resolver, {
    nameserver: flags.nameserver,
    ...(nameserverPort !== undefined ? { nameserverPort } : {}),
  });
  return { resolver, authority };
}

/** The DNS host of the domain, told from its nameservers as the system's resolver answers; undefined when they cannot be found. */
export async function dnsHostOf(domain: string): Promise<DnsProvider | undefined> {
  const { firstAnswering, systemServerAddresses } = await import('./dns/query.js');
  const { nameserversOf } = await import('./dns/authority.js');
  const nameservers = await nameserversOf(domain, firstAnswering(await systemServerAddresses(), { timeoutMs: 2000 }));
  return nameservers.length > 0 ? detectProvider(nameservers) : undefined;
}

/** What verify-dns and `status --dns` look records up with: the lookups, the DNS host, and how its form names things. */
export interface EmailDnsLookups {
  resolver: DnsServer;
  authority: Authority;
  provider: DnsProvider;
  /** The provider's name when recognised, for the heading. */
  providerName: string | undefined;
  /** The zone the records live in (the domain, when none was found). */
  zone: string;
  options: Omit<DiagnoseOptions, 'region'>;
}

export async function emailDnsLookups(
  domain: string,
  flags: LookupFlags,
  nameserverPort?: number,
): Promise<EmailDnsLookups> {
  const found = await dnsLookups(domain, flags, nameserverPort);
  const zone = found.authority.zone ?? domain;
  const provider = detectProvider(found.authority.nameservers);
  return {
    ...found,
    provider,
    providerName: knownProviderName(provider),
    zone,
    options: { hostFor: (r) => formHost(r.name, zone, provider), proxyHint: provider.proxy, txtForm: provider.txt },
  };
}
