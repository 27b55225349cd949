import zonefile from 'dns-zonefile';
import { describe, expect, it } from 'vitest';
import { relativeHost, renderRecordTable, zoneFileSnippet } from '../../src/views/dns.js';
import { makeStyle } from '../../src/views/style.js';
import { emailDnsRecords } from '../../src/resources/dns/values.js';
import { givenConfig } from '../support/context.js';

const records = emailDnsRecords(givenConfig(), {
  tokens: ['aaaa1111', 'bbbb2222', 'cccc3333'],
  signingHostedZone: 'dkim.amazonses.com',
});

describe('DNS records for another DNS host', () => {
  it('are a BIND zone-file snippet that a zone-file parser reads back to the same six records', () => {
    // WHEN
    const text = zoneFileSnippet(records, 'example.com');
    const parsed = zonefile.parse(text);
    // THEN
    expect(parsed.cname?.map((r) => [r.name, r.alias, r.ttl])).toEqual([
      ['aaaa1111._domainkey.example.com.', 'aaaa1111.dkim.amazonses.com.', 600],
      ['bbbb2222._domainkey.example.com.', 'bbbb2222.dkim.amazonses.com.', 600],
      ['cccc3333._domainkey.example.com.', 'cccc3333.dkim.amazonses.com.', 600],
    ]);
    expect(parsed.mx?.map((r) => [r.name, r.preference, r.host])).toEqual([
      ['mail.example.com.', 10, 'feedback-smtp.us-east-1.amazonses.com.'],
    ]);
    expect(parsed.txt?.map((r) => [r.name, r.txt])).toEqual([
      ['mail.example.com.', '"v=spf1 include:amazonses.com ~all"'],
      ['_dmarc.example.com.', '"v=DMARC1; p=quarantine; rua=mailto:dmarc@example.com"'],
    ]);
    expect(text.split('\n')[0]).toMatch(/^; /);
  });

  it('are an aligned table with host names relative to the domain', () => {
    // WHEN
    const lines = renderRecordTable(records, 'example.com', makeStyle(false)).split('\n');
    // THEN
    expect(lines[0]).toMatch(/^ {2}Type\s+Host \(in example\.com\)\s+Value\s+TTL$/);
    expect(lines[1]).toMatch(/^ {2}CNAME\s+aaaa1111\._domainkey\s+aaaa1111\.dkim\.amazonses\.com\s+600$/);
    expect(lines[6]).toContain('"v=DMARC1; p=quarantine; rua=mailto:dmarc@example.com"');
    const valueColumn = lines.map((l) => l.indexOf(l.includes('Value') ? 'Value' : (l.trim().split(/\s+/)[2] ?? '')));
    expect(new Set(valueColumn).size).toBe(1);
  });

  it('names the apex @ and keeps names outside the domain fully qualified', () => {
    expect(relativeHost('example.com', 'example.com')).toBe('@');
    expect(relativeHost('mail.example.com', 'example.com')).toBe('mail');
    expect(relativeHost('other.org', 'example.com')).toBe('other.org.');
  });
});
