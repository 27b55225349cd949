import { type DnsRecord, normalizeValue, route53Value } from '../../resources/dns/values.js';
import type { Authority } from './authority.js';
import type { DnsAnswer, DnsServer, RrType } from './query.js';

/**
 * What is wrong with one DNS record SES needs, named: each fault users of mail services lose
 * days to, told apart by asking the zone's own nameservers as well as the resolver.
 */
export type DnsFault =
  | 'ok'
  /** Right at the zone's nameservers, not yet at the resolver (it still holds an older answer). */
  | 'propagating'
  | 'missing'
  /** Found under the name with the zone appended again (`x._domainkey.example.com.example.com`). */
  | 'doubled-name'
  | 'other-value'
  /** A CNAME the nameservers answer with addresses: proxied or flattened. */
  | 'proxied'
  /** The TXT value holds quote marks of its own. */
  | 'txt-quoted'
  /** The TXT value broken into pieces (strings joined without their spaces, or several records). */
  | 'txt-split'
  /** The MAIL FROM MX points at SES's feedback endpoint of another region. */
  | 'mx-region'
  | 'spf-multiple'
  | 'dmarc-multiple'
  | 'lookup-error';

export interface RecordDiagnosis {
  record: DnsRecord;
  fault: DnsFault;
  ok: boolean;
  /** The values the zone's nameservers answer (the resolver's, when they could not be asked). */
  found: string[];
  /** The values the resolver answers. */
  resolverFound: string[];
  /** Where the values were read: the nameservers, or the resolver only. */
  source: 'nameservers' | 'resolver';
  /** The fault in a few words. */
  summary: string;
  /** What to do about it. */
  fix?: string | undefined;
  /** Propagating: at most how many seconds the resolver keeps its older answer. */
  ttlLeft?: number | undefined;
  /** Doubled name: the name the record was found under. */
  foundAt?: string | undefined;
  /** Lookup failure (timeout, SERVFAIL), when the record could not be read at all. */
  error?: string | undefined;
}

export interface DiagnoseOptions {
  region: string;
  /** The host field of the DNS host's form: relative (it appends the zone) unless told. */
  hostFor?: (record: DnsRecord) => string;
  /** How to turn a proxy off at the DNS host, when it has one. */
  proxyHint?: string | undefined;
  /** How the DNS host's form takes TXT values: bare (it quotes them) or in double quotes. */
  txtForm?: 'bare' | 'quoted' | undefined;
}

interface Looked {
  values: string[];
  answer?: DnsAnswer | undefined;
  error?: string | undefined;
}

async function look(server: DnsServer, name: string, type: RrType): Promise<Looked> {
  try {
    const answer = await server.query(name, type);
    if (answer.rcode === 'SERVFAIL' || answer.rcode === 'REFUSED')
      return { values: [], answer, error: `${server.address} answered ${answer.rcode} for ${type} ${name}` };
    const values = answer.answers
      .filter((r) => r.type === type && (type !== 'CNAME' || r.name === name.toLowerCase()))
      .map((r) => (type === 'TXT' ? r.value : normalizeValue(type, r.value)));
    return { values, answer };
  } catch (err) {
    return { values: [], error: (err as Error).message };
  }
}

const PREFIX = { spf: /^v=spf1(\s|$)/i, dmarc: /^v=dmarc1(\s|;|$)/i } as const;
const FEEDBACK_MX = /^\d+ feedback-smtp\.([a-z0-9-]+)\.amazonses\.com$/;
const squash = (v: string) => v.replace(/\s+/g, '').toLowerCase();
/** A TXT value with quote marks typed into it (`"v=spf1 …"`, `\"v=spf1 …\"`), without them. */
const unquoted = (v: string) => v.replace(/^\\?"+|\\?"+$/g, '').trim();

type Verdict = { fault: DnsFault; summary: string; fix?: string };

/** The fault, from what one server answers at the record's name. */
function classify(record: DnsRecord, values: string[], want: string, options: DiagnoseOptions): Verdict | undefined {
  if (record.type === 'CNAME') {
    if (values.includes(want)) return { fault: 'ok', summary: 'found as expected' };
    if (values.length > 0)
      return { fault: 'other-value', summary: `points at ${values.join(', ')}`, fix: `Change it to ${record.value}.` };
    return undefined;
  }
  if (record.type === 'MX') {
    if (values.includes(want)) return { fault: 'ok', summary: 'found as expected' };
    const region = values.map((v) => FEEDBACK_MX.exec(v)?.[1]).find((r) => r !== undefined && r !== options.region);
    if (region)
      return {
        fault: 'mx-region',
        summary: `points at SES in ${region}, but this environment sends from ${options.region}`,
        fix: `Change the MX value to ${record.value} (the feedback endpoint of ${options.region}).`,
      };
    if (values.length > 0)
      return {
        fault: 'other-value',
        summary: `points at ${values.join(', ')}`,
        fix: `The MAIL FROM name needs exactly one MX: ${record.value}. Remove the others there.`,
      };
    return undefined;
  }
  const prefix = record.purpose === 'spf' ? PREFIX.spf : record.purpose === 'dmarc' ? PREFIX.dmarc : undefined;
  const policies = prefix ? values.filter((v) => prefix.test(v)) : [];
  if (record.purpose === 'spf' && policies.length > 1)
    return {
      fault: 'spf-multiple',
      summary: `${policies.join(' | ')}`,
      fix: `Receivers treat more than one SPF record as an error (RFC 7208 §4.5): keep a single one, ${record.value}, merging any other includes into it.`,
    };
  if (record.purpose === 'dmarc' && policies.length > 1)
    return {
      fault: 'dmarc-multiple',
      summary: `${policies.join(' | ')}`,
      fix: `Receivers ignore DMARC when there is more than one record (RFC 7489 §6.6.3): keep a single one, ${record.value}.`,
    };
  if (values.includes(want)) return { fault: 'ok', summary: 'found as expected' };
  if (record.purpose === 'spf' && policies.length === 1 && /\binclude:amazonses\.com\b/i.test(policies[0] ?? ''))
    return { fault: 'ok', summary: `an SPF policy that includes amazonses.com (${policies[0] ?? ''})` };
  if (values.some((v) => unquoted(v) === want && v !== want))
    return {
      fault: 'txt-quoted',
      summary: `the value has quote marks inside it (${values.find((v) => unquoted(v) === want) ?? ''})`,
      fix:
        options.txtForm === 'quoted'
          ? `Enter the value in one pair of double quotes, with none inside: "${record.value}".`
          : `Enter the value without the quotes: ${record.value} (the DNS host adds the quoting itself).`,
    };
  if (values.some((v) => squash(v) === squash(want)))
    return {
      fault: 'txt-split',
      summary: `the value was split into pieces joined without their spaces (${values.find((v) => squash(v) === squash(want)) ?? ''})`,
      fix: `Enter the value as one piece of text: ${record.value}.`,
    };
  if (values.length > 1 && squash(values.join('')) === squash(want))
    return {
      fault: 'txt-split',
      summary: `the value is split across ${values.length} TXT records`,
      fix: `Delete those records and add one TXT record with the whole value: ${record.value}.`,
    };
  if (policies.length === 1)
    return {
      fault: 'other-value',
      summary: `another ${record.purpose === 'spf' ? 'SPF' : 'DMARC'} policy: ${policies[0] ?? ''}`,
      fix:
        record.purpose === 'spf'
          ? `Replace it with ${record.value}, or add include:amazonses.com to it.`
          : `Keep one DMARC record: yours works for SES too, or replace it with ${record.value}.`,
    };
  return undefined;
}

const missingFix = (record: DnsRecord, options: DiagnoseOptions) => {
  const host = options.hostFor?.(record) ?? record.name;
  return `Add ${record.type} ${host} → ${record.value} at your DNS host.`;
};

/** The TTL the resolver has left on what it holds: its record's TTL, or its negative answer's. */
function ttlLeft(resolver: Looked): number | undefined {
  const rrs = resolver.answer?.answers ?? [];
  if (rrs.length > 0) return Math.min(...rrs.map((r) => r.ttl));
  return resolver.answer?.negativeTtl;
}

/** The diagnosis of one record: the nameservers' answer first, then the resolver's. */
export async function diagnoseRecord(
  record: DnsRecord,
  resolver: DnsServer,
  authority: Authority,
  options: DiagnoseOptions,
): Promise<RecordDiagnosis> {
  const want = record.type === 'TXT' ? record.value : normalizeValue(record.type, route53Value(record));
  const [atAuthority, atResolver] = await Promise.all([
    authority.server ? look(authority.server, record.name, record.type) : Promise.resolve(undefined),
    look(resolver, record.name, record.type),
  ]);
  // The nameservers' word counts; the resolver's when they could not be asked.
  const useAuthority = atAuthority !== undefined && atAuthority.error === undefined;
  const primary = useAuthority ? atAuthority : atResolver;
  const primaryServer = useAuthority && authority.server ? authority.server : resolver;
  const base = {
    record,
    found: primary.values,
    resolverFound: atResolver.values,
    source: useAuthority ? ('nameservers' as const) : ('resolver' as const),
  };
  if (primary.error !== undefined)
    return {
      ...base,
      fault: 'lookup-error',
      ok: false,
      summary: `could not be read: ${primary.error}`,
      fix: 'Check that the DNS host answers for this name, then run verify-dns again.',
      error: primary.error,
    };
  let verdict = classify(record, primary.values, want, options);
  if (!verdict && record.type === 'CNAME') {
    const [a, aaaa] = await Promise.all([
      look(primaryServer, record.name, 'A'),
      look(primaryServer, record.name, 'AAAA'),
    ]);
    const addresses = [...a.values, ...aaaa.values];
    if (addresses.length > 0)
      verdict = {
        fault: 'proxied',
        summary: `answered with addresses (${addresses.join(', ')}), not the CNAME: the record is proxied or flattened`,
        fix: options.proxyHint
          ? `Turn the proxy off for this record, so that it answers as a CNAME to ${record.value}: ${options.proxyHint}.`
          : `Replace the address (A/AAAA, alias or flattened) record at this name with a CNAME to ${record.value}.`,
      };
  }
  if (!verdict) {
    const zone = authority.zone ?? record.name.split('.').slice(-2).join('.');
    const doubled = `${record.name}.${zone}`;
    const there = await look(primaryServer, doubled, record.type);
    if (there.values.length > 0)
      return {
        ...base,
        fault: 'doubled-name',
        ok: false,
        foundAt: doubled,
        summary: `found under ${doubled}: the DNS host appended ${zone} to a name that already ended with it`,
        fix: `Rename the record to ${options.hostFor?.(record) ?? record.name} (only the part before .${zone}).`,
      };
    verdict = {
      fault: 'missing',
      summary:
        primary.values.length > 0 ? `not found (other values there: ${primary.values.join(' | ')})` : 'not found',
      fix: missingFix(record, options),
    };
  }
  if (verdict.fault === 'ok' && useAuthority) {
    const seen = classify(record, atResolver.values, want, options);
    if (atResolver.error === undefined && seen?.fault !== 'ok') {
      const left = ttlLeft(atResolver);
      return {
        ...base,
        fault: 'propagating',
        ok: false,
        ttlLeft: left,
        summary: `right at the zone's nameservers, not yet at your resolver${left !== undefined ? ` (it may keep its older answer for ${left} s more)` : ''}`,
        fix: 'Nothing to change: wait for the resolver, or check again with --resolver 1.1.1.1.',
      };
    }
  }
  return { ...base, ...verdict, ok: verdict.fault === 'ok' };
}

/** Every record, all at once. */
export function diagnoseRecords(
  records: readonly DnsRecord[],
  resolver: DnsServer,
  authority: Authority,
  options: DiagnoseOptions,
): Promise<RecordDiagnosis[]> {
  return Promise.all(records.map((r) => diagnoseRecord(r, resolver, authority, options)));
}
