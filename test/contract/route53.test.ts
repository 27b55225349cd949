/**
 * Route 53 steps against Route 53's wire format (restXml, API 2013-04-01): record sets listed
 * in pages (`IsTruncated`, `NextRecordName`, `NextRecordType`), TXT values quoted as DNS
 * character-strings, `<ErrorResponse>` errors, and the change batch's own rejection document.
 */
import { describe, expect, it } from 'vitest';
import type { HmError } from '../../src/errors.js';
import { type DnsRecordsOutputs, dnsRecordsStep } from '../../src/resources/dns/records.js';
import { dnsZoneStep } from '../../src/resources/dns/zone.js';
import type { IdentityOutputs } from '../../src/resources/ses/identity.js';
import { converge, givenConfig, givenStepContext } from '../support/context.js';
import { type WireRequest, givenWireAws, restXmlError, xml } from '../support/wire-aws.js';

const wire = givenWireAws();

const NS = 'https://route53.amazonaws.com/doc/2013-04-01/';
const ZONE = 'Z0123456789EXAMPLEAB';
const TOKENS = [
  't4qoirbwcwexkkvb3jl2quj7bmdyaqbd',
  'ozx5f5h6rm3tbvbr4s2a6fn4lxkf3v2m',
  'kzbq4ib2l5ugw7sfgxnnywrzi5x5wa3p',
];
const identity = {
  dkim: { status: 'PENDING', tokens: TOKENS, signingHostedZone: 'dkim.amazonses.com' },
} as IdentityOutputs;
const givenContext = (options: { recorded?: DnsRecordsOutputs } = {}) =>
  givenStepContext({
    aws: wire.aws(),
    outputs: { 'dns-zone': { mode: 'route53', zoneId: ZONE, zoneName: 'example.com' }, 'email-identity': identity },
    ...(options.recorded
      ? {
          recorded: {
            status: 'created',
            owned: true,
            outputs: options.recorded as never,
            updatedAt: '2026-11-01T00:00:00.000Z',
          },
        }
      : {}),
  });
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (e: unknown) => e as HmError,
  );

// ── Route 53's answers ────────────────────────────────────────────────────────────────────

interface RecordSet {
  name: string;
  type: string;
  ttl: number;
  /** As Route 53 stores them: TXT values quoted. */
  values: string[];
  /** Weighted record sets: several of one name and type, told apart by this. */
  weighted?: { id: string; weight: number };
}

/** The order Route 53 lists record sets in: by name with its labels reversed, then type, then set identifier. */
const sortKey = (name: string, type = '', id = '') =>
  [name.toLowerCase().replace(/\.$/, '').split('.').reverse().join('.'), type, id].join(' ');
const keyOf = (s: RecordSet) => sortKey(s.name, s.type, s.weighted?.id);
const setXml = (s: RecordSet) =>
  `<ResourceRecordSet><Name>${s.name}</Name><Type>${s.type}</Type>${s.weighted ? `<SetIdentifier>${s.weighted.id}</SetIdentifier><Weight>${s.weighted.weight}</Weight>` : ''}<TTL>${s.ttl}</TTL><ResourceRecords>${s.values.map((v) => `<ResourceRecord><Value>${v.replace(/&/g, '&amp;')}</Value></ResourceRecord>`).join('')}</ResourceRecords></ResourceRecordSet>`;

/**
 * ListResourceRecordSets of a zone, answered from the request's `name`, `type`, `identifier`
 * and `maxitems` as Route 53 does, but cut into pages of at most `pageSize` record sets, so
 * that reading the sets at one name crosses pages. `sets` is read at each request: a test may
 * change the zone between calls.
 */
function zone(sets: RecordSet[], pageSize = 2) {
  return (request: WireRequest) => {
    const ordered = [...sets].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
    const query = new URL(request.url, 'http://wire').searchParams;
    const start = sortKey(query.get('name') ?? '', query.get('type') ?? '', query.get('identifier') ?? '');
    const max = Math.min(Number(query.get('maxitems') ?? 300), pageSize);
    const rest = ordered.filter((s) => keyOf(s) >= start);
    const page = rest.slice(0, max);
    const next = rest[max];
    const more = next
      ? `<IsTruncated>true</IsTruncated><NextRecordName>${next.name}</NextRecordName><NextRecordType>${next.type}</NextRecordType>${next.weighted ? `<NextRecordIdentifier>${next.weighted.id}</NextRecordIdentifier>` : ''}`
      : '<IsTruncated>false</IsTruncated>';
    return xml(
      `<ListResourceRecordSetsResponse xmlns="${NS}"><ResourceRecordSets>${page.map(setXml).join('')}</ResourceRecordSets>${more}<MaxItems>${query.get('maxitems') ?? 300}</MaxItems></ListResourceRecordSetsResponse>`,
    );
  };
}

/** What the zone holds besides the records SES needs. */
const THEIRS: RecordSet[] = [
  { name: 'example.com.', type: 'NS', ttl: 172800, values: ['ns-1234.awsdns-26.org.', 'ns-567.awsdns-06.net.'] },
  {
    name: 'example.com.',
    type: 'SOA',
    ttl: 900,
    values: ['ns-1234.awsdns-26.org. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400'],
  },
  {
    name: 'example.com.',
    type: 'TXT',
    ttl: 300,
    values: ['"google-site-verification=rXOxyZounnZasA8Z7oaD3c14JdjS9aKSWvsR1EbUSIQ"'],
  },
  // Weighted records at the MAIL FROM name: its MX and TXT sets come on the next page.
  { name: 'mail.example.com.', type: 'A', ttl: 60, values: ['192.0.2.10'], weighted: { id: 'blue', weight: 90 } },
  { name: 'mail.example.com.', type: 'A', ttl: 60, values: ['192.0.2.11'], weighted: { id: 'green', weight: 10 } },
  { name: 'www.example.com.', type: 'A', ttl: 300, values: ['192.0.2.44'] },
];
const MX: RecordSet = {
  name: 'mail.example.com.',
  type: 'MX',
  ttl: 600,
  values: ['10 feedback-smtp.us-east-1.amazonses.com'],
};
const SPF: RecordSet = {
  name: 'mail.example.com.',
  type: 'TXT',
  ttl: 600,
  values: ['"v=spf1 include:amazonses.com ~all"'],
};
const DMARC: RecordSet = {
  name: '_dmarc.example.com.',
  type: 'TXT',
  ttl: 600,
  values: ['"v=DMARC1; p=quarantine; rua=mailto:dmarc@example.com"'],
};
/** The six records SES needs, as Route 53 returns them: names with the final dot, TXT values quoted. */
const OURS: RecordSet[] = [
  ...TOKENS.map((t) => ({
    name: `${t}._domainkey.example.com.`,
    type: 'CNAME',
    ttl: 600,
    values: [`${t}.dkim.amazonses.com`],
  })),
  MX,
  SPF,
  DMARC,
];

const changeInfo = (status: string) =>
  `<ChangeInfo><Id>/change/C2682N5HXP0BZ4</Id><Status>${status}</Status><SubmittedAt>2026-11-01T10:12:31.407Z</SubmittedAt><Comment>hm-infra</Comment></ChangeInfo>`;
const REJECTED = "Tried to create resource record set [name='_dmarc.example.com.', type='TXT'] but it already exists";

describe('Route 53 records for SES', () => {
  it('plans nothing when every record is there, read across pages as Route 53 lists them', async () => {
    wire.on('route53', 'ListResourceRecordSets', zone([...THEIRS, ...OURS]));
    const ctx = givenContext();
    // WHEN
    const observed = await dnsRecordsStep.read(ctx);
    // THEN
    expect(dnsRecordsStep.plan(ctx, observed)).toEqual([]);
    expect(
      observed?.mode === 'route53'
        ? observed.plans.map((p) => `${p.kind} ${p.record.type} ${p.record.name}`)
        : observed,
    ).toEqual([
      ...TOKENS.map((t) => `present CNAME ${t}._domainkey.example.com`),
      'present MX mail.example.com',
      'present TXT mail.example.com',
      'present TXT _dmarc.example.com',
    ]);
    // The MAIL FROM name took two pages (A A | MX TXT), the second asked for by NextRecordName and NextRecordType.
    const atMail = wire
      .sent('route53', 'ListResourceRecordSets')
      .filter((r) => r.url.includes('name=mail.example.com.'));
    expect(atMail.map((r) => new URL(r.url, 'http://wire').searchParams.get('type'))).toEqual([null, 'MX']);
  });

  it('plans only what is missing: DMARC, and SPF added next to the TXT value already at the MAIL FROM name', async () => {
    const otherTxt: RecordSet = { ...SPF, ttl: 300, values: ['"some-other-verification=abc123"'] };
    wire.on(
      'route53',
      'ListResourceRecordSets',
      zone([...THEIRS, ...OURS.filter((s) => s !== SPF && s !== DMARC), otherTxt]),
    );
    const ctx = givenContext();
    // WHEN
    const changes = dnsRecordsStep.plan(ctx, await dnsRecordsStep.read(ctx));
    // THEN
    expect(changes.map((c) => `${c.action} ${c.field} → ${String(c.to)}`)).toEqual([
      'update TXT mail.example.com → some-other-verification=abc123 | v=spf1 include:amazonses.com ~all',
      'create TXT _dmarc.example.com → v=DMARC1; p=quarantine; rua=mailto:dmarc@example.com',
    ]);
  });

  it('writes the missing record with its TXT value quoted, and waits until Route 53 reports it INSYNC', async () => {
    wire.on('route53', 'ListResourceRecordSets', zone([...THEIRS, ...OURS.filter((s) => s !== DMARC)]));
    wire.on(
      'route53',
      'ChangeResourceRecordSets',
      xml(
        `<ChangeResourceRecordSetsResponse xmlns="${NS}">${changeInfo('PENDING')}</ChangeResourceRecordSetsResponse>`,
      ),
    );
    wire.on(
      'route53',
      'GetChange',
      xml(`<GetChangeResponse xmlns="${NS}">${changeInfo('INSYNC')}</GetChangeResponse>`),
    );
    // WHEN
    const { result } = await converge(dnsRecordsStep, givenContext());
    // THEN
    expect(result.outputs).toMatchObject({
      changeId: '/change/C2682N5HXP0BZ4',
      changeStatus: 'INSYNC',
      added: [expect.objectContaining({ name: '_dmarc.example.com', createdSet: true })],
    });
    const [change] = wire.sent('route53', 'ChangeResourceRecordSets');
    expect(change?.url).toBe(`/2013-04-01/hostedzone/${ZONE}/rrset`);
    expect(change?.body).toContain('<Value>&quot;v=DMARC1; p=quarantine; rua=mailto:dmarc@example.com&quot;</Value>');
    expect(wire.sent('route53', 'GetChange')[0]?.url).toBe('/2013-04-01/change/C2682N5HXP0BZ4');
  });

  it('turns a change batch Route 53 rejects in an ErrorResponse (Code InvalidChangeBatch, 400) into DNS_CHANGE_REJECTED, with its message', async () => {
    wire.on('route53', 'ListResourceRecordSets', zone([...THEIRS, ...OURS.filter((s) => s !== DMARC)]));
    wire.on('route53', 'ChangeResourceRecordSets', restXmlError('route53', 400, 'InvalidChangeBatch', `[${REJECTED}]`));
    // WHEN
    const error = await failure(converge(dnsRecordsStep, givenContext()));
    // THEN
    expect(error).toMatchObject({ code: 'DNS_CHANGE_REJECTED', message: expect.stringContaining(REJECTED) });
  });

  it('takes a batch refused as already there (InvalidChangeBatch) as applied when the zone, read again, holds every record', async () => {
    // The SDK sent the batch again after losing the answer to the first, which went through.
    const sets = [...THEIRS, ...OURS.filter((s) => s !== DMARC)];
    wire.on('route53', 'ListResourceRecordSets', zone(sets));
    wire.on('route53', 'ChangeResourceRecordSets', () => {
      sets.push(DMARC);
      return restXmlError('route53', 400, 'InvalidChangeBatch', `[${REJECTED}]`);
    });
    // WHEN
    const { result } = await converge(dnsRecordsStep, givenContext());
    // THEN
    expect(result).toMatchObject({
      type: 'updated',
      outputs: { changeStatus: 'PENDING', added: [expect.objectContaining({ name: '_dmarc.example.com' })] },
    });
    const dmarcReads = wire
      .sent('route53', 'ListResourceRecordSets')
      .filter((r) => r.url.includes('name=_dmarc.example.com.'));
    expect(dmarcReads).toHaveLength(2);
  });

  it('counts the records of a zone that is gone (NoSuchHostedZone on ListResourceRecordSets) as removed', async () => {
    wire.on(
      'route53',
      'ListResourceRecordSets',
      restXmlError('route53', 404, 'NoSuchHostedZone', `No hosted zone found with ID: ${ZONE}`),
    );
    const recorded: DnsRecordsOutputs = {
      mode: 'route53',
      zoneId: ZONE,
      records: [],
      added: [
        {
          name: '_dmarc.example.com',
          type: 'TXT',
          value: 'v=DMARC1; p=quarantine; rua=mailto:dmarc@example.com',
          createdSet: true,
        },
      ],
      replaced: [],
    };
    // WHEN
    const outcome = await dnsRecordsStep.destroy(givenContext({ recorded }), recorded);
    // THEN
    expect(outcome).toBeUndefined();
    expect(wire.sent('route53', 'ChangeResourceRecordSets')).toEqual([]);
  });
});

describe('Route 53 zone', () => {
  it('refuses a --hosted-zone-id Route 53 does not have (NoSuchHostedZone, 404): ROUTE53_NO_SUCH_ZONE', async () => {
    wire.on(
      'route53',
      'GetHostedZone',
      restXmlError('route53', 404, 'NoSuchHostedZone', `No hosted zone found with ID: ${ZONE}`),
    );
    const ctx = givenStepContext({ aws: wire.aws(), config: givenConfig({ hostedZoneId: `/hostedzone/${ZONE}` }) });
    // WHEN
    const error = await failure(dnsZoneStep.read(ctx));
    // THEN
    expect(error).toMatchObject({ code: 'ROUTE53_NO_SUCH_ZONE' });
    expect(wire.sent('route53', 'GetHostedZone')[0]?.url).toBe(`/2013-04-01/hostedzone/${ZONE}`);
  });

  it('finds the public zone named like the domain among those ListHostedZonesByName returns', async () => {
    const zoneXml = (id: string, name: string, isPrivate: boolean) =>
      `<HostedZone><Id>/hostedzone/${id}</Id><Name>${name}</Name><CallerReference>2026-11-01T10:00:00Z</CallerReference><Config><Comment></Comment><PrivateZone>${isPrivate}</PrivateZone></Config><ResourceRecordSetCount>12</ResourceRecordSetCount></HostedZone>`;
    wire.on(
      'route53',
      'ListHostedZonesByName',
      xml(
        `<ListHostedZonesByNameResponse xmlns="${NS}"><HostedZones>${zoneXml('Z9PRIVATEEXAMPLE0001', 'example.com.', true)}${zoneXml(ZONE, 'example.com.', false)}${zoneXml('Z9OTHEREXAMPLE000001', 'example.net.', false)}</HostedZones><DNSName>example.com</DNSName><IsTruncated>false</IsTruncated><MaxItems>20</MaxItems></ListHostedZonesByNameResponse>`,
      ),
    );
    // WHEN
    const observed = await dnsZoneStep.read(givenStepContext({ aws: wire.aws() }));
    // THEN
    expect(observed).toEqual({ mode: 'route53', zoneId: ZONE, zoneName: 'example.com' });
  });
});
