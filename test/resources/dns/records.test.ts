import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { HmError } from '../../../src/errors.js';
import { dnsRecordsStep } from '../../../src/resources/dns/records.js';
import { emailDnsRecords, quoteTxt, unquoteTxt } from '../../../src/resources/dns/values.js';
import type { IdentityOutputs } from '../../../src/resources/ses/identity.js';
import type { ResourceRecord } from '../../../src/state/schema.js';
import { awsError } from '../../fakes/errors.js';
import { converge, givenConfig, givenStepContext } from '../../support/context.js';

const r53 = mockClient(Route53Client);
const TOKENS = ['aaaa1111', 'bbbb2222', 'cccc3333'];
const ZONE = 'Z0123456789ABC';

function identityOutputs(tokens = TOKENS): IdentityOutputs {
  return {
    domain: 'example.com',
    arn: 'arn:aws:ses:us-east-1:123456789012:identity/example.com',
    verifiedForSending: false,
    verificationStatus: 'PENDING',
    dkim: { status: 'PENDING', tokens, signingHostedZone: 'dkim.amazonses.com' },
    configurationSet: 'healthmetrics-dev',
    env: { SES_FROM_EMAIL: 'noreply@example.com', SES_REGION: 'us-east-1' },
  };
}

function givenContext(options: { overwriteDns?: boolean; recorded?: ResourceRecord; external?: boolean } = {}) {
  return givenStepContext({
    outputs: {
      'dns-zone': options.external
        ? { mode: 'external', reason: '--dns external' }
        : { mode: 'route53', zoneId: ZONE, zoneName: 'example.com' },
      'email-identity': identityOutputs(),
    },
    flags: { overwriteDns: options.overwriteDns === true },
    ...(options.recorded ? { recorded: options.recorded } : {}),
  });
}

/** The zone holds these record sets; ListResourceRecordSets answers from StartRecordName on, as Route 53 does. */
function givenZone(sets: ResourceRecordSet[]) {
  const key = (name: string) => name.replace(/\.$/, '').split('.').reverse().join('.');
  // Sorted at each call: a test may change the zone while the step runs.
  const sorted = () => [...sets].sort((a, b) => (key(a.Name ?? '') < key(b.Name ?? '') ? -1 : 1));
  r53.on(ListResourceRecordSetsCommand).callsFake((input: { StartRecordName?: string }) => ({
    ResourceRecordSets: sorted()
      .filter((s) => key(s.Name ?? '') >= key(input.StartRecordName ?? ''))
      .slice(0, 20),
    IsTruncated: false,
  }));
  r53
    .on(ChangeResourceRecordSetsCommand)
    .resolves({ ChangeInfo: { Id: '/change/C1', Status: 'PENDING', SubmittedAt: new Date(0) } });
  r53.on(GetChangeCommand).resolves({ ChangeInfo: { Id: '/change/C1', Status: 'INSYNC', SubmittedAt: new Date(0) } });
}

const batch = () => r53.commandCalls(ChangeResourceRecordSetsCommand)[0]?.args[0].input.ChangeBatch?.Changes ?? [];

describe('email DNS records', () => {
  beforeEach(() => r53.reset());

  it('turns the three DKIM tokens into three CNAMEs under _domainkey, plus MX, SPF and DMARC', () => {
    // WHEN
    const records = emailDnsRecords(givenConfig(), { tokens: TOKENS, signingHostedZone: 'dkim.amazonses.com' });
    // THEN
    expect(records.map((r) => [r.type, r.name, r.value, r.ttl])).toEqual([
      ['CNAME', 'aaaa1111._domainkey.example.com', 'aaaa1111.dkim.amazonses.com', 600],
      ['CNAME', 'bbbb2222._domainkey.example.com', 'bbbb2222.dkim.amazonses.com', 600],
      ['CNAME', 'cccc3333._domainkey.example.com', 'cccc3333.dkim.amazonses.com', 600],
      ['MX', 'mail.example.com', '10 feedback-smtp.us-east-1.amazonses.com', 600],
      ['TXT', 'mail.example.com', 'v=spf1 include:amazonses.com ~all', 600],
      ['TXT', '_dmarc.example.com', 'v=DMARC1; p=quarantine; rua=mailto:dmarc@example.com', 600],
    ]);
  });

  it('uses the signing zone SES reports, the MAIL FROM domain, region and DMARC policy chosen', () => {
    const config = givenConfig({ region: 'af-south-1', mailFromDomain: 'bounce.example.com', dmarcPolicy: 'reject' });
    // WHEN
    const records = emailDnsRecords(config, { tokens: ['t1'], signingHostedZone: 'dkim.af-south-1.amazonses.com' });
    // THEN
    expect(records.map((r) => `${r.type} ${r.name} ${r.value}`)).toEqual([
      'CNAME t1._domainkey.example.com t1.dkim.af-south-1.amazonses.com',
      'MX bounce.example.com 10 feedback-smtp.af-south-1.amazonses.com',
      'TXT bounce.example.com v=spf1 include:amazonses.com ~all',
      'TXT _dmarc.example.com v=DMARC1; p=reject; rua=mailto:dmarc@example.com',
    ]);
  });

  it('quotes TXT values for Route 53 and reads them back, long ones in 255-character strings', () => {
    const long = `v=spf1 ${'include:a.example.com '.repeat(15)}~all`;
    // WHEN
    const quoted = quoteTxt(long);
    // THEN
    expect(quoted.startsWith('"v=spf1')).toBe(true);
    expect(quoted.split('" "')).toHaveLength(2);
    expect(unquoteTxt(quoted)).toBe(long);
    expect(unquoteTxt('"say \\"hi\\"" "\\065"')).toBe('say "hi"A');
  });

  it('creates all six records in one change batch on an empty zone, records them as added, and waits for INSYNC', async () => {
    givenZone([]);
    const ctx = givenContext();
    // WHEN
    const { result } = await converge(dnsRecordsStep, ctx);
    // THEN
    expect(result.type).toBe('created');
    expect(batch().map((c) => [c.Action, c.ResourceRecordSet?.Type, c.ResourceRecordSet?.Name])).toEqual([
      ['CREATE', 'CNAME', 'aaaa1111._domainkey.example.com.'],
      ['CREATE', 'CNAME', 'bbbb2222._domainkey.example.com.'],
      ['CREATE', 'CNAME', 'cccc3333._domainkey.example.com.'],
      ['CREATE', 'MX', 'mail.example.com.'],
      ['CREATE', 'TXT', 'mail.example.com.'],
      ['CREATE', 'TXT', '_dmarc.example.com.'],
    ]);
    expect(batch()[4]?.ResourceRecordSet?.ResourceRecords).toEqual([{ Value: '"v=spf1 include:amazonses.com ~all"' }]);
    expect(r53).toHaveReceivedCommandWith(GetChangeCommand, { Id: '/change/C1' });
    expect(result.outputs).toMatchObject({ mode: 'route53', zoneId: ZONE, changeStatus: 'INSYNC' });
    expect(result.outputs.added).toHaveLength(6);
    expect(result.outputs.added.every((a: { createdSet: boolean }) => a.createdSet)).toBe(true);
    expect(ctx.intents[0]?.['added']).toEqual(result.outputs.added);
  });

  it('takes a batch refused as "already exists" for applied when the zone now holds every record (a retry after a lost answer)', async () => {
    const zone: ResourceRecordSet[] = [];
    givenZone(zone);
    const records = emailDnsRecords(givenConfig(), { tokens: TOKENS, signingHostedZone: 'dkim.amazonses.com' });
    const applied = records.map((r) => ({
      Name: `${r.name}.`,
      Type: r.type,
      TTL: 600,
      ResourceRecords: [{ Value: r.type === 'TXT' ? quoteTxt(r.value) : `${r.value}.` }],
    }));
    // The first attempt took effect; the SDK's retry of it is refused, and the zone is read again.
    r53.on(ChangeResourceRecordSetsCommand).callsFake(() => {
      zone.push(...applied);
      throw awsError(
        'route53',
        'InvalidChangeBatch',
        "[Tried to create resource record set [name='aaaa1111._domainkey.example.com.', type='CNAME'] but it already exists]",
      );
    });
    // WHEN
    const { result } = await converge(dnsRecordsStep, givenContext());
    // THEN
    expect(result).toMatchObject({ type: 'created', outputs: { mode: 'route53', changeStatus: 'PENDING' } });
    expect(result.outputs.added).toHaveLength(6);
  });

  it('stops on a refused batch when the zone still lacks records: something else changed it', async () => {
    givenZone([]);
    r53
      .on(ChangeResourceRecordSetsCommand)
      .rejects(awsError('route53', 'InvalidChangeBatch', '[RRSet of type CNAME with DNS name x is not permitted]'));
    // WHEN
    const error = (await converge(dnsRecordsStep, givenContext()).catch((e: unknown) => e)) as HmError;
    // THEN
    expect(error.code).toBe('DNS_CHANGE_REJECTED');
    expect(error.message).toContain('not permitted');
  });

  it('adds SPF to an existing TXT set and keeps the google-site-verification value in it', async () => {
    const google = '"google-site-verification=abc123"';
    givenZone([{ Name: 'mail.example.com.', Type: 'TXT', TTL: 300, ResourceRecords: [{ Value: google }] }]);
    // WHEN
    const { result } = await converge(dnsRecordsStep, givenContext());
    // THEN
    const txt = batch().filter(
      (c) => c.ResourceRecordSet?.Type === 'TXT' && c.ResourceRecordSet.Name === 'mail.example.com.',
    );
    expect(txt).toEqual([
      {
        Action: 'DELETE',
        ResourceRecordSet: { Name: 'mail.example.com.', Type: 'TXT', TTL: 300, ResourceRecords: [{ Value: google }] },
      },
      {
        Action: 'CREATE',
        ResourceRecordSet: {
          Name: 'mail.example.com.',
          Type: 'TXT',
          TTL: 300,
          ResourceRecords: [{ Value: google }, { Value: '"v=spf1 include:amazonses.com ~all"' }],
        },
      },
    ]);
    expect(result.outputs.added).toContainEqual({
      name: 'mail.example.com',
      type: 'TXT',
      value: 'v=spf1 include:amazonses.com ~all',
      createdSet: false,
    });
  });

  it('stops with exit 2 and writes nothing when another CNAME holds a DKIM name, showing both values', async () => {
    givenZone([
      {
        Name: 'aaaa1111._domainkey.example.com.',
        Type: 'CNAME',
        TTL: 600,
        ResourceRecords: [{ Value: 'old-key.example.net' }],
      },
    ]);
    // WHEN
    const attempt = converge(dnsRecordsStep, givenContext());
    // THEN
    const error = (await attempt.catch((e: unknown) => e)) as HmError;
    expect(error).toBeInstanceOf(HmError);
    expect(error.code).toBe('DNS_CONFLICT');
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain('found:  old-key.example.net');
    expect(error.message).toContain('needed: aaaa1111.dkim.amazonses.com');
    expect(error.hint).toContain('--overwrite-dns');
    expect(r53).not.toHaveReceivedCommand(ChangeResourceRecordSetsCommand);
  });

  it('stops on another DMARC policy, but keeps unrelated TXT values', async () => {
    givenZone([
      { Name: '_dmarc.example.com.', Type: 'TXT', TTL: 600, ResourceRecords: [{ Value: '"v=DMARC1; p=none"' }] },
    ]);
    // WHEN
    const error = (await converge(dnsRecordsStep, givenContext()).catch((e: unknown) => e)) as HmError;
    // THEN
    expect(error.code).toBe('DNS_CONFLICT');
    expect(error.message).toContain('another DMARC policy');
    expect(error.message).toContain('v=DMARC1; p=none');
    expect(r53).not.toHaveReceivedCommand(ChangeResourceRecordSetsCommand);
  });

  it('with --overwrite-dns replaces the conflicting value and keeps it in the outputs for teardown', async () => {
    givenZone([
      {
        Name: '_dmarc.example.com.',
        Type: 'TXT',
        TTL: 600,
        ResourceRecords: [{ Value: '"v=DMARC1; p=none"' }, { Value: '"other=1"' }],
      },
    ]);
    // WHEN
    const { result } = await converge(dnsRecordsStep, givenContext({ overwriteDns: true }));
    // THEN
    const create = batch().find((c) => c.Action === 'CREATE' && c.ResourceRecordSet?.Name === '_dmarc.example.com.');
    expect(create?.ResourceRecordSet?.ResourceRecords).toEqual([
      { Value: '"other=1"' },
      { Value: '"v=DMARC1; p=quarantine; rua=mailto:dmarc@example.com"' },
    ]);
    expect(result.outputs.replaced).toEqual([
      { name: '_dmarc.example.com', type: 'TXT', values: ['"v=DMARC1; p=none"'] },
    ]);
  });

  it('refuses, even with --overwrite-dns, a CNAME where MX and TXT records must go', async () => {
    givenZone([
      { Name: 'mail.example.com.', Type: 'CNAME', TTL: 600, ResourceRecords: [{ Value: 'mailhost.example.net' }] },
    ]);
    // WHEN
    const error = (await converge(dnsRecordsStep, givenContext({ overwriteDns: true })).catch(
      (e: unknown) => e,
    )) as HmError;
    // THEN
    expect(error.code).toBe('DNS_CONFLICT');
    expect(error.hint).toContain('Remove or rename');
    expect(r53).not.toHaveReceivedCommand(ChangeResourceRecordSetsCommand);
  });

  it('changes nothing when every record is there (spelled as Route 53 returns it), and keeps what earlier runs added', async () => {
    const records = emailDnsRecords(givenConfig(), { tokens: TOKENS, signingHostedZone: 'dkim.amazonses.com' });
    givenZone(
      records.map((r) => ({
        Name: `${r.name}.`,
        Type: r.type,
        TTL: 600,
        ResourceRecords: [
          {
            Value: r.type === 'TXT' ? quoteTxt(r.value) : r.type === 'MX' ? `${r.value}.` : `${r.value.toUpperCase()}.`,
          },
        ],
      })),
    );
    const added = [{ name: '_dmarc.example.com', type: 'TXT', value: records[5]?.value, createdSet: true }];
    const recorded: ResourceRecord = {
      status: 'created',
      owned: true,
      outputs: { mode: 'route53', zoneId: ZONE, added },
      updatedAt: '',
    };
    // WHEN
    const { changes, result } = await converge(dnsRecordsStep, givenContext({ recorded }));
    // THEN
    expect(changes).toEqual([]);
    expect(result).toMatchObject({ type: 'unchanged', outputs: { added } });
    expect(r53).not.toHaveReceivedCommand(ChangeResourceRecordSetsCommand);
  });

  it('in external mode writes nothing to Route 53 and keeps the list of records in state', async () => {
    const ctx = givenContext({ external: true });
    // WHEN
    const { result } = await converge(dnsRecordsStep, ctx);
    // THEN
    expect(result.type).toBe('created');
    expect(result.outputs.mode).toBe('external');
    expect(result.outputs.records).toHaveLength(6);
    expect(r53.calls()).toHaveLength(0);
  });

  it('removes only the values it added, and puts back what --overwrite-dns replaced', async () => {
    givenZone([
      {
        Name: 'mail.example.com.',
        Type: 'TXT',
        TTL: 300,
        ResourceRecords: [
          { Value: '"google-site-verification=abc"' },
          { Value: '"v=spf1 include:amazonses.com ~all"' },
        ],
      },
      {
        Name: '_dmarc.example.com.',
        Type: 'TXT',
        TTL: 600,
        ResourceRecords: [{ Value: '"v=DMARC1; p=quarantine; rua=mailto:dmarc@example.com"' }],
      },
    ]);
    const ctx = givenContext();
    // WHEN
    await dnsRecordsStep.destroy(ctx, {
      mode: 'route53',
      zoneId: ZONE,
      records: [],
      added: [
        { name: 'mail.example.com', type: 'TXT', value: 'v=spf1 include:amazonses.com ~all', createdSet: false },
        {
          name: '_dmarc.example.com',
          type: 'TXT',
          value: 'v=DMARC1; p=quarantine; rua=mailto:dmarc@example.com',
          createdSet: false,
        },
      ],
      replaced: [{ name: '_dmarc.example.com', type: 'TXT', values: ['"v=DMARC1; p=none"'] }],
    });
    // THEN
    const creates = batch()
      .filter((c) => c.Action === 'CREATE')
      .map((c) => [c.ResourceRecordSet?.Name, c.ResourceRecordSet?.ResourceRecords]);
    expect(creates).toEqual([
      ['mail.example.com.', [{ Value: '"google-site-verification=abc"' }]],
      ['_dmarc.example.com.', [{ Value: '"v=DMARC1; p=none"' }]],
    ]);
    expect(batch().filter((c) => c.Action === 'DELETE')).toHaveLength(2);
  });
});
