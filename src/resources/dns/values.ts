import { type Config, emailSettings } from '../../config/config.js';

/**
 * The DNS records SES needs and how their values are spelled, without any SDK: shared by the
 * dns-records step, verify-dns and the zone-file output.
 */

export type RecordType = 'CNAME' | 'MX' | 'TXT';

/** One DNS record SES needs, in presentation form (TXT values unquoted, names without the final dot). */
export interface DnsRecord {
  name: string;
  type: RecordType;
  ttl: number;
  value: string;
  purpose: 'dkim' | 'mail-from-mx' | 'spf' | 'dmarc';
}

/** TTL of every record, as docs/resources.md lists it. */
export const DNS_TTL = 600;

/** Where Easy DKIM keys are published when SES does not say (all but a few opt-in regions). */
export const DEFAULT_SIGNING_ZONE = 'dkim.amazonses.com';

/** The six records SES needs (docs/resources.md): three DKIM CNAMEs, MX and SPF on the MAIL FROM domain, DMARC. */
export function emailDnsRecords(
  config: Config,
  dkim: { tokens: string[]; signingHostedZone: string } | undefined,
): DnsRecord[] {
  const { domain, region } = config;
  const { mailFromDomain, dmarcPolicy } = emailSettings(config);
  const tokens = dkim ? dkim.tokens : ['<dkim-token-1>', '<dkim-token-2>', '<dkim-token-3>'];
  const zone = dkim?.signingHostedZone ?? DEFAULT_SIGNING_ZONE;
  return [
    ...tokens.map((token): DnsRecord => ({
      name: `${token}._domainkey.${domain}`,
      type: 'CNAME',
      ttl: DNS_TTL,
      value: `${token}.${zone}`,
      purpose: 'dkim',
    })),
    {
      name: mailFromDomain,
      type: 'MX',
      ttl: DNS_TTL,
      value: `10 feedback-smtp.${region}.amazonses.com`,
      purpose: 'mail-from-mx',
    },
    { name: mailFromDomain, type: 'TXT', ttl: DNS_TTL, value: 'v=spf1 include:amazonses.com ~all', purpose: 'spf' },
    {
      name: `_dmarc.${domain}`,
      type: 'TXT',
      ttl: DNS_TTL,
      value: `v=DMARC1; p=${dmarcPolicy}; rua=mailto:dmarc@${domain}`,
      purpose: 'dmarc',
    },
  ];
}

// --- values as Route 53 stores them ---------------------------------------------------------

export const bareName = (name: string) => name.toLowerCase().replace(/\.$/, '');

/** A TXT value as DNS character-strings: quoted, escaped, split every 255 characters. */
export function quoteTxt(value: string): string {
  const chunks = value.match(/[\s\S]{1,255}/g) ?? [''];
  return chunks.map((chunk) => `"${chunk.replace(/[\\"]/g, (c) => `\\${c}`)}"`).join(' ');
}

/** The text of a TXT record value (`"a" "b"` → `ab`), with \" \\ and \DDD escapes resolved. */
export function unquoteTxt(raw: string): string {
  const trimmed = raw.trim();
  if (!trimmed.startsWith('"')) return trimmed;
  let out = '';
  const re = /"((?:[^"\\]|\\.)*)"/g;
  for (const match of trimmed.matchAll(re)) {
    out += (match[1] ?? '').replace(/\\(\d{3}|.)/g, (_m, esc: string) =>
      /^\d{3}$/.test(esc) ? String.fromCharCode(Number(esc)) : esc,
    );
  }
  return out;
}

/** A value in a form two spellings of the same record compare equal in. */
export function normalizeValue(type: string, raw: string): string {
  if (type === 'TXT') return unquoteTxt(raw);
  if (type === 'MX') {
    const [priority = '', host = ''] = raw.trim().split(/\s+/);
    return `${Number(priority)} ${bareName(host)}`;
  }
  return bareName(raw.trim());
}

export const route53Value = (record: { type: string; value: string }) =>
  record.type === 'TXT' ? quoteTxt(record.value) : record.value;
