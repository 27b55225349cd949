import { afterEach, describe, expect, it } from 'vitest';
import { findAuthority } from '../../src/checks/dns/authority.js';
import { type RecordDiagnosis, diagnoseRecords } from '../../src/checks/dns/diagnose.js';
import { dnsServer } from '../../src/checks/dns/query.js';
import { type DnsRecord, emailDnsRecords } from '../../src/resources/dns/values.js';
import { type ServedRecord, type TestDnsServer, startTestDns } from '../support/dns-server.js';
import { givenConfig } from '../support/context.js';

const ZONE = 'example.com';
const RECORDS = emailDnsRecords(givenConfig(), {
  tokens: ['tok1', 'tok2', 'tok3'],
  signingHostedZone: 'dkim.amazonses.com',
});
const [DKIM1, , , MX, SPF, DMARC] = RECORDS as [DnsRecord, DnsRecord, DnsRecord, DnsRecord, DnsRecord, DnsRecord];

/** The records as a correct zone serves them. */
const served = (records: readonly DnsRecord[] = RECORDS): ServedRecord[] =>
  records.map((r) => ({ name: r.name, type: r.type, value: r.value, ttl: r.ttl }));

const DELEGATION: ServedRecord[] = [
  { name: ZONE, type: 'NS', value: `ns1.${ZONE}` },
  { name: `ns1.${ZONE}`, type: 'A', value: '127.0.0.1' },
];

const servers: TestDnsServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/**
 * The zone's nameserver serving `zone`, and a resolver serving `resolver` (the same records
 * unless told: an up-to-date cache) plus the delegation; the diagnosis finds the nameserver
 * through the resolver's NS and A records, as on the internet.
 */
async function diagnose(zone: ServedRecord[], resolver: ServedRecord[] = zone): Promise<RecordDiagnosis[]> {
  const ns = await startTestDns([...DELEGATION, ...zone], { zone: ZONE, authoritative: true, negativeTtl: 120 });
  const rs = await startTestDns([...DELEGATION, ...resolver], { zone: ZONE, negativeTtl: 77 });
  servers.push(ns, rs);
  const system = dnsServer(rs.address, { recursive: true, timeoutMs: 500 });
  const authority = await findAuthority('example.com', system, { nameserverPort: ns.port, timeoutMs: 500 });
  expect(authority).toMatchObject({ zone: ZONE, nameservers: [`ns1.${ZONE}`] });
  return diagnoseRecords(RECORDS, system, authority, {
    region: 'us-east-1',
    hostFor: (r) => r.name.replace(/\.?example\.com$/, '') || '@',
  });
}

const of = (found: RecordDiagnosis[], record: DnsRecord) => {
  const hit = found.find((d) => d.record === record);
  if (!hit) throw new Error(`no diagnosis for ${record.name}`);
  return hit;
};

const without = (record: DnsRecord) => served(RECORDS.filter((r) => r !== record));

describe("DNS diagnosis, asking the zone's nameservers and the resolver", () => {
  it('finds every record as expected in a correct zone', async () => {
    const found = await diagnose(served());
    expect(found.map((d) => d.fault)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok']);
    expect(found.every((d) => d.source === 'nameservers')).toBe(true);
  });

  it('names a missing record, with the host as the form wants it', async () => {
    const d = of(await diagnose(without(DKIM1)), DKIM1);
    expect(d).toMatchObject({ fault: 'missing', ok: false });
    expect(d.fix).toBe('Add CNAME tok1._domainkey → tok1.dkim.amazonses.com at your DNS host.');
  });

  it('finds a record under the doubled name (the zone appended twice)', async () => {
    const zone = [...without(DKIM1), { name: `${DKIM1.name}.example.com`, type: 'CNAME' as const, value: DKIM1.value }];
    const d = of(await diagnose(zone), DKIM1);
    expect(d).toMatchObject({ fault: 'doubled-name', foundAt: 'tok1._domainkey.example.com.example.com' });
    expect(d.fix).toContain('Rename the record to tok1._domainkey');
  });

  it('shows another value next to the one needed', async () => {
    const zone = [...without(DKIM1), { name: DKIM1.name, type: 'CNAME' as const, value: 'old.dkim.example.net' }];
    const d = of(await diagnose(zone), DKIM1);
    expect(d).toMatchObject({ fault: 'other-value', found: ['old.dkim.example.net'] });
    expect(d.fix).toBe('Change it to tok1.dkim.amazonses.com.');
  });

  it('tells a proxied or flattened CNAME (answered with addresses)', async () => {
    const zone = [...without(DKIM1), { name: DKIM1.name, type: 'A' as const, value: '104.16.1.1' }];
    const d = of(await diagnose(zone), DKIM1);
    expect(d.fault).toBe('proxied');
    expect(d.summary).toContain('104.16.1.1');
    expect(d.fix).toBe(
      'Replace the address (A/AAAA, alias or flattened) record at this name with a CNAME to tok1.dkim.amazonses.com.',
    );
  });

  it('tells a TXT value typed with its quotes', async () => {
    const zone = [...without(SPF), { name: SPF.name, type: 'TXT' as const, value: `"${SPF.value}"` }];
    expect(of(await diagnose(zone), SPF).fault).toBe('txt-quoted');
  });

  it('tells a TXT value split into strings that join without their spaces', async () => {
    const zone = [...without(SPF), { name: SPF.name, type: 'TXT' as const, value: SPF.value.split(' ') }];
    const d = of(await diagnose(zone), SPF);
    expect(d.fault).toBe('txt-split');
    expect(d.found).toEqual(['v=spf1include:amazonses.com~all']);
  });

  it('tells an MX for another region', async () => {
    const zone = [
      ...without(MX),
      { name: MX.name, type: 'MX' as const, value: '10 feedback-smtp.eu-west-1.amazonses.com' },
    ];
    const d = of(await diagnose(zone), MX);
    expect(d.fault).toBe('mx-region');
    expect(d.summary).toBe('points at SES in eu-west-1, but this environment sends from us-east-1');
  });

  it('tells two SPF records at one name, and two DMARC records', async () => {
    const zone = [
      ...served(),
      { name: SPF.name, type: 'TXT' as const, value: 'v=spf1 include:_spf.google.com ~all' },
      { name: DMARC.name, type: 'TXT' as const, value: 'v=DMARC1; p=reject' },
    ];
    const found = await diagnose(zone);
    expect(of(found, SPF).fault).toBe('spf-multiple');
    expect(of(found, DMARC).fault).toBe('dmarc-multiple');
  });

  it("accepts an SPF policy of the user's that includes amazonses.com", async () => {
    const zone = [
      ...without(SPF),
      { name: SPF.name, type: 'TXT' as const, value: 'v=spf1 include:_spf.google.com include:amazonses.com ~all' },
    ];
    expect(of(await diagnose(zone), SPF)).toMatchObject({ fault: 'ok', ok: true });
  });

  it('tells a record present at the nameservers but not yet at the resolver, with the TTL left', async () => {
    const found = await diagnose(served(), without(DKIM1));
    expect(of(found, DKIM1)).toMatchObject({ fault: 'propagating', ttlLeft: 77, resolverFound: [] });
    const stale = [...without(MX), { name: MX.name, type: 'MX' as const, value: '10 old.example.net', ttl: 42 }];
    expect(of(await diagnose(served(), stale), MX)).toMatchObject({ fault: 'propagating', ttlLeft: 42 });
  });

  it('falls back on the resolver when the nameservers do not answer', async () => {
    const ns = await startTestDns([], { zone: ZONE, silent: true });
    const rs = await startTestDns([...DELEGATION, ...served()], { zone: ZONE });
    servers.push(ns, rs);
    const system = dnsServer(rs.address, { recursive: true, timeoutMs: 200 });
    const authority = await findAuthority('example.com', system, { nameserverPort: ns.port, timeoutMs: 200 });
    const found = await diagnoseRecords([DKIM1], system, authority, { region: 'us-east-1' });
    expect(found[0]).toMatchObject({ fault: 'ok', source: 'resolver' });
  });

  it('finds the zone of a subdomain through the SOA of a negative answer', async () => {
    const rs = await startTestDns(DELEGATION, { zone: ZONE });
    servers.push(rs);
    const authority = await findAuthority('app.example.com', dnsServer(rs.address, { recursive: true }), {
      nameserverPort: 5353,
    });
    expect(authority).toMatchObject({ zone: ZONE, nameservers: ['ns1.example.com'] });
    expect(authority.server?.address).toBe('127.0.0.1:5353');
    expect(rs.questions).toEqual(['NS app.example.com', 'NS example.com', 'A ns1.example.com']);
  });
});
