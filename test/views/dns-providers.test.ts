import { describe, expect, it } from 'vitest';
import { type DnsProvider, detectProvider } from '../../src/resources/dns/providers.js';
import { emailDnsRecords } from '../../src/resources/dns/values.js';
import { renderProviderTable } from '../../src/views/dns.js';
import { makeStyle } from '../../src/views/style.js';
import { givenConfig } from '../support/context.js';

const records = emailDnsRecords(givenConfig(), {
  tokens: ['aaaa1111', 'bbbb2222', 'cccc3333'],
  signingHostedZone: 'dkim.amazonses.com',
});

const givenProvider = (...nameservers: string[]): DnsProvider => detectProvider(nameservers);

/** The rendered table as its lines, and its rows as cells keyed by the form's own field names. */
function rendered(provider: DnsProvider, zone?: string, domain = 'example.com', shown = records) {
  const text = renderProviderTable(shown, domain, provider, makeStyle(false), zone);
  const lines = text.split('\n');
  const headerAt = lines.findIndex((l) => l.startsWith(`  ${provider.fields.type}  `));
  const header = lines[headerAt] ?? '';
  const names = header.trim().split(/ {2,}/);
  let from = 0;
  const starts = names.map((name) => (from = header.indexOf(name, from)));
  const body = lines.slice(headerAt + 1, headerAt + 1 + shown.length);
  const rows = body.map((line) =>
    Object.fromEntries(names.map((name, i) => [name, line.slice(starts[i], starts[i + 1] ?? undefined).trim()])),
  );
  return { text, lines, names, rows };
}

const rowAt = (rows: Record<string, string>[], index: number) => rows[index] ?? {};
// emailDnsRecords order: three DKIM CNAMEs, the MAIL FROM MX, its SPF TXT, DMARC.
const DKIM = 0;
const MX = 3;
const SPF = 4;
const DMARC = 5;

describe('the DNS records as a provider form wants them', () => {
  it('for Cloudflare: Name relative, Target bare, MX priority apart, the DKIM CNAMEs DNS only', () => {
    // WHEN
    const { lines, names, rows, text } = rendered(givenProvider('ada.ns.cloudflare.com', 'bob.ns.cloudflare.com'));
    // THEN
    expect(lines[0]).toBe('DNS records to add at Cloudflare');
    expect(lines[1]).toBe('  Where: dash.cloudflare.com → example.com → DNS → Records → Add record');
    expect(names).toEqual(['Type', 'Name', 'Target', 'Priority', 'Proxy status', 'TTL']);
    expect(rowAt(rows, DKIM)).toEqual({
      Type: 'CNAME',
      Name: 'aaaa1111._domainkey',
      Target: 'aaaa1111.dkim.amazonses.com',
      Priority: '',
      'Proxy status': 'DNS only',
      TTL: '600',
    });
    expect(rowAt(rows, MX)).toMatchObject({
      Name: 'mail',
      Target: 'feedback-smtp.us-east-1.amazonses.com',
      Priority: '10',
      'Proxy status': '',
    });
    expect(rowAt(rows, SPF)).toMatchObject({ Name: 'mail', Target: 'v=spf1 include:amazonses.com ~all' });
    expect(rowAt(rows, DMARC)).toMatchObject({
      Name: '_dmarc',
      Target: 'v=DMARC1; p=quarantine; rua=mailto:dmarc@example.com',
    });
    expect(text).toContain('The DKIM CNAMEs must not be proxied: Proxy status → DNS only');
    expect(text).toContain('Flatten all CNAMEs');
    expect(text).not.toContain('example.com.example.com');
  });

  it('for GoDaddy: Name without the domain, bare values, a Priority field, and the doubled-name warning', () => {
    // WHEN
    const { lines, names, rows, text } = rendered(givenProvider('ns51.domaincontrol.com', 'ns52.domaincontrol.com'));
    // THEN
    expect(lines[0]).toBe('DNS records to add at GoDaddy');
    expect(names).toEqual(['Type', 'Name', 'Value', 'Priority', 'TTL']);
    expect(rowAt(rows, DKIM)).toMatchObject({ Name: 'aaaa1111._domainkey', Value: 'aaaa1111.dkim.amazonses.com' });
    expect(rowAt(rows, MX)).toMatchObject({
      Name: 'mail',
      Value: 'feedback-smtp.us-east-1.amazonses.com',
      Priority: '10',
    });
    expect(rowAt(rows, SPF)).toMatchObject({ Name: 'mail', Value: 'v=spf1 include:amazonses.com ~all' });
    expect(rowAt(rows, DMARC)).toMatchObject({ Name: '_dmarc' });
    expect(text).toContain(
      'The Name field adds .example.com itself: type _dmarc, not _dmarc.example.com (that would make _dmarc.example.com.example.com).',
    );
    expect(text).not.toContain('Proxy');
  });

  it('for Namecheap: Host relative, bare TXT, Priority apart', () => {
    // WHEN
    const { names, rows, text } = rendered(givenProvider('dns1.registrar-servers.com', 'dns2.registrar-servers.com'));
    // THEN
    expect(names).toEqual(['Type', 'Host', 'Value', 'Priority', 'TTL']);
    expect(rows.map((r) => r['Host'])).toEqual([
      'aaaa1111._domainkey',
      'bbbb2222._domainkey',
      'cccc3333._domainkey',
      'mail',
      'mail',
      '_dmarc',
    ]);
    expect(rowAt(rows, MX)).toMatchObject({ Value: 'feedback-smtp.us-east-1.amazonses.com', Priority: '10' });
    expect(rowAt(rows, DMARC)['Value']).toBe('v=DMARC1; p=quarantine; rua=mailto:dmarc@example.com');
    expect(text).toContain('The Host field adds .example.com itself');
    expect(text).toContain('Custom MX');
  });

  it('for Route 53: TXT in quotes and the MX priority inside the value', () => {
    // WHEN
    const { names, rows, text } = rendered(givenProvider('ns-0.awsdns-00.com', 'ns-512.awsdns-00.net'));
    // THEN
    expect(names).toEqual(['Record type', 'Record name', 'Value', 'TTL (seconds)']);
    expect(rowAt(rows, DKIM)).toMatchObject({
      'Record name': 'aaaa1111._domainkey',
      Value: 'aaaa1111.dkim.amazonses.com',
    });
    expect(rowAt(rows, MX)).toMatchObject({
      'Record name': 'mail',
      Value: '10 feedback-smtp.us-east-1.amazonses.com',
    });
    expect(rowAt(rows, SPF)['Value']).toBe('"v=spf1 include:amazonses.com ~all"');
    expect(rowAt(rows, DMARC)).toMatchObject({
      'Record name': '_dmarc',
      Value: '"v=DMARC1; p=quarantine; rua=mailto:dmarc@example.com"',
    });
    expect(text).toContain('Type the TXT values with the double quotes shown.');
  });

  it('for a host with zone-file spelling (Hetzner): final dots on the targets, the MX as one value', () => {
    // WHEN
    const { rows, text } = rendered(givenProvider('hydrogen.ns.hetzner.com', 'oxygen.ns.hetzner.com'));
    // THEN
    expect(rowAt(rows, DKIM)['Value']).toBe('aaaa1111.dkim.amazonses.com.');
    expect(rowAt(rows, MX)['Value']).toBe('10 feedback-smtp.us-east-1.amazonses.com.');
    expect(rowAt(rows, SPF)['Value']).toBe('"v=spf1 include:amazonses.com ~all"');
    expect(text).toContain('Keep the final dot');
  });

  it('for an unrecognised host: the part before the domain, named after its nameservers, both spellings explained', () => {
    // WHEN
    const { lines, names, rows, text } = rendered(givenProvider('ns1.example-dns.net', 'ns2.example-dns.net'));
    // THEN
    expect(lines[0]).toBe('DNS records to add at the DNS host at example-dns.net');
    expect(names).toEqual(['Type', 'Host (before .example.com)', 'Value', 'Priority', 'TTL']);
    expect(rows.map((r) => r['Host (before .example.com)'])).toEqual([
      'aaaa1111._domainkey',
      'bbbb2222._domainkey',
      'cccc3333._domainkey',
      'mail',
      'mail',
      '_dmarc',
    ]);
    expect(text).toContain('The Host field adds .example.com itself: type _dmarc, not _dmarc.example.com');
    expect(text).toContain('type each host followed by .example.com');
    expect(text).toContain('type the MX value as `10 feedback-smtp.us-east-1.amazonses.com`');
  });

  it('with no nameservers: fully qualified names, and what to type where the form appends the domain', () => {
    // WHEN
    const { lines, names, rows, text } = rendered(givenProvider());
    // THEN
    expect(lines[0]).toBe('DNS records to add at your DNS host');
    expect(names).toEqual(['Type', 'Name', 'Value', 'Priority', 'TTL']);
    expect(rows.map((r) => r['Name'])).toEqual([
      'aaaa1111._domainkey.example.com',
      'bbbb2222._domainkey.example.com',
      'cccc3333._domainkey.example.com',
      'mail.example.com',
      'mail.example.com',
      '_dmarc.example.com',
    ]);
    expect(rowAt(rows, SPF)['Value']).toBe('v=spf1 include:amazonses.com ~all');
    expect(text).toContain(
      'type only the part before it (_dmarc), or the record lands at _dmarc.example.com.example.com',
    );
  });

  it('warns against a second SPF or DMARC record at the same name', () => {
    // WHEN
    const { text } = rendered(givenProvider('ns51.domaincontrol.com'));
    // THEN
    expect(text).toContain('If mail already has a TXT record starting v=spf1, add include:amazonses.com to it');
    expect(text).toContain('Keep a single DMARC record at _dmarc');
  });

  it('names hosts relative to the zone when the domain is a subdomain of it', () => {
    // GIVEN
    const config = givenConfig({ domain: 'app.example.com', mailFromDomain: 'mail.app.example.com' });
    const subdomainRecords = emailDnsRecords(config, { tokens: ['aaaa1111'], signingHostedZone: 'dkim.amazonses.com' });
    // WHEN
    const { rows, lines, text } = rendered(
      givenProvider('ns51.domaincontrol.com'),
      'example.com',
      'app.example.com',
      subdomainRecords,
    );
    // THEN
    expect(rows.slice(0, 4).map((r) => r['Name'])).toEqual([
      'aaaa1111._domainkey.app',
      'mail.app',
      'mail.app',
      '_dmarc.app',
    ]);
    expect(lines[1]).toContain('→ example.com →');
    expect(text).toContain('type _dmarc.app, not _dmarc.app.example.com');
  });

  it('aligns every column', () => {
    // WHEN
    const { lines, names } = rendered(givenProvider('ada.ns.cloudflare.com'));
    const headerAt = lines.findIndex((l) => l.startsWith('  Type  '));
    const header = lines[headerAt] ?? '';
    // THEN
    const ttlAt = header.indexOf(names[names.length - 1] ?? 'TTL');
    for (const row of lines.slice(headerAt + 1, headerAt + 1 + records.length)) {
      expect(row.slice(ttlAt)).toBe('600');
      expect(row.slice(ttlAt - 1, ttlAt)).toBe(' ');
    }
  });
});
