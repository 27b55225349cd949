import { isIP } from 'node:net';
import type { DnsResolver } from './email-verification.js';

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

/** The system's DNS resolver, or one that asks `server` (an address resolverAddress accepts). */
export async function systemResolver(server: string | undefined): Promise<DnsResolver> {
  const { Resolver } = await import('node:dns/promises');
  const resolver = new Resolver({ timeout: 5000, tries: 2 });
  if (server !== undefined) resolver.setServers([server]);
  return resolver;
}
