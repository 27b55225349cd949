import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { FakeAccount } from '../fakes/account.js';
import { type InstalledFake, installFakeAccount } from '../fakes/install.js';
import { runCli } from '../support/cli.js';
import { type ServedRecord, type TestDnsServer, startTestDns } from '../support/dns-server.js';
import { runStatus } from '../../src/commands/status.js';

const INIT = ['init', '--yes', '--app', 'healthmetrics', '--domain', 'example.com'];
const BUCKET = 'healthmetrics-uploads-dev';
const REGION = 'us-east-1';

/** The documented shape of `status --json`; any other key fails. */
const StatusJson = z
  .object({
    kind: z.literal('status'),
    ok: z.boolean(),
    app: z.string(),
    environment: z.string(),
    region: z.string(),
    accountId: z.string().nullable(),
    statePath: z.string(),
    summary: z
      .object({
        inSync: z.number(),
        drifted: z.number(),
        missing: z.number(),
        pending: z.number(),
        unchecked: z.number(),
      })
      .strict(),
    resources: z.array(
      z
        .object({
          id: z.string(),
          title: z.string(),
          service: z.string(),
          status: z.enum(['in-sync', 'drifted', 'missing', 'pending', 'unchecked']),
          changes: z.array(
            z
              .object({ field: z.string(), live: z.unknown(), expected: z.unknown(), note: z.string().optional() })
              .strict(),
          ),
          note: z.string().optional(),
        })
        .strict(),
    ),
    /** With --dns only. */
    dns: z
      .object({
        zone: z.string().optional(),
        nameservers: z.array(z.string()),
        problem: z.string().optional(),
        provider: z.string().optional(),
        records: z.array(
          z.object({ name: z.string(), type: z.string(), ok: z.boolean(), fault: z.string(), summary: z.string() }),
        ),
      })
      .optional(),
  })
  .strict();

let cwd: string;
let installed: InstalledFake;

const status = async () => {
  const run = await runCli(['status', '--json'], { cwd });
  return { ...run, doc: run.stdout ? StatusJson.parse(JSON.parse(run.stdout)) : undefined };
};
const statusOf = (doc: z.infer<typeof StatusJson> | undefined, id: string) => doc?.resources.find((r) => r.id === id);

/** Deployed, verified: what an environment looks like some minutes after init. */
async function givenSettledEnvironment(fake: FakeAccount) {
  expect((await runCli(INIT, { cwd })).code).toBe(0);
  for (const id of fake.cloudfront.distributions.keys())
    for (let i = 0; i < 3; i += 1) await fake.call('cloudfront', 'GetDistribution', { Id: id }, REGION);
  fake.ses.setStatus(REGION, 'example.com', { dkim: 'SUCCESS', mailFrom: 'SUCCESS' });
}

describe('status on a fake account', () => {
  beforeEach(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'hm-status-'));
    const fake = new FakeAccount();
    fake.route53.addZone('example.com');
    installed = installFakeAccount(fake);
  });
  afterEach(() => installed.restore());

  it('right after init: everything in sync, CloudFront deploying and SES verifying shown as pending, exit 0, nothing written', async () => {
    const fake = installed.fake;
    // Still deploying while this test looks (every read of it counts as a poll in the fake).
    fake.cloudfront.deployAfterPolls = 10;
    await runCli(INIT, { cwd });
    const writes = fake.writes.length;
    const state = await readFile(join(cwd, '.hm-infra', 'dev.json'), 'utf8');
    // WHEN
    const run = await status();
    const text = await runCli(['status'], { cwd });
    // THEN
    expect(run.code, run.stderr).toBe(0);
    expect(run.doc?.summary).toEqual({ inSync: 24, drifted: 0, missing: 0, pending: 3, unchecked: 0 });
    expect(statusOf(run.doc, 'distribution')).toMatchObject({
      status: 'pending',
      note: expect.stringMatching(/CloudFront is deploying it \(InProgress\)/),
    });
    expect(statusOf(run.doc, 'email-identity')).toMatchObject({
      status: 'pending',
      note: expect.stringMatching(/verify-dns/),
    });
    expect(fake.writes.length).toBe(writes);
    expect(await readFile(join(cwd, '.hm-infra', 'dev.json'), 'utf8')).toBe(state);
    expect(text.stdout).toMatch(/Status of healthmetrics \(dev\) in us-east-1, account 123456789012/);
    expect(text.stdout).toMatch(/✔ S3 bucket\s+in sync/);
    expect(text.stdout).toMatch(/… CloudFront distribution\s+pending: CloudFront is deploying/);
    expect(text.stdout).toContain('24 in sync, 0 drifted, 0 missing, 3 pending.');
  });

  it('once deployed and verified: all 27 in sync', async () => {
    await givenSettledEnvironment(installed.fake);
    // WHEN
    const run = await status();
    // THEN
    expect(run.code, run.stderr).toBe(0);
    expect(run.doc?.summary).toEqual({ inSync: 27, drifted: 0, missing: 0, pending: 0, unchecked: 0 });
  });

  it('tells the truth after changes by hand (exit 4), and a following init repairs them', async () => {
    const fake = installed.fake;
    await givenSettledEnvironment(fake);
    fake.buckets.get(BUCKET)!.versioning = 'Suspended';
    await fake.call('sesv2', 'DeleteEmailTemplate', { TemplateName: 'password-reset' }, REGION);
    const zone = [...fake.route53.zones.values()][0]!;
    zone.sets.find((s) => s.Name.startsWith('_dmarc.'))!.ResourceRecords = [{ Value: '"v=DMARC1; p=none"' }];
    fake.iam.users
      .get('healthmetrics-app-dev')!
      .policies.set(
        's3-uploads',
        JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] }),
      );
    // WHEN
    const run = await status();
    const text = await runCli(['status'], { cwd });
    // THEN
    expect(run.code).toBe(4);
    expect(text.code).toBe(4);
    expect(statusOf(run.doc, 'bucket-settings')).toMatchObject({
      status: 'drifted',
      changes: [expect.objectContaining({ field: 'versioning', live: 'Suspended', expected: 'Enabled' })],
    });
    expect(statusOf(run.doc, 'template-password-reset')).toMatchObject({
      status: 'missing',
      note: expect.stringMatching(/recorded, but gone/),
    });
    expect(statusOf(run.doc, 'dns-records')).toMatchObject({ status: 'drifted', note: expect.stringMatching(/DMARC/) });
    expect(statusOf(run.doc, 'iam-policy-s3')?.status).toBe('drifted');
    expect(statusOf(run.doc, 'bucket')?.status).toBe('in-sync');
    expect(run.doc?.summary).toMatchObject({ drifted: 3, missing: 1 });
    expect(text.stdout).toMatch(/✖ S3 bucket settings\s+drifted\n\s+versioning: live Suspended, expected Enabled/);
    expect(text.stdout).toContain('Run `hm-infra init --env dev` to put it back');
    // WHEN
    const repair = await runCli([...INIT, '--overwrite-dns'], { cwd });
    const after = await status();
    // THEN
    expect(repair.code, repair.stderr).toBe(0);
    expect(after.code, JSON.stringify(after.doc?.resources.filter((r) => r.status !== 'in-sync'))).toBe(0);
    expect(after.doc?.summary).toMatchObject({ drifted: 0, missing: 0 });
  });

  it('reports a changed queue policy and rule as drift (exit 4), and init sets them back', async () => {
    const fake = installed.fake;
    await givenSettledEnvironment(fake);
    const url = 'https://sqs.us-east-1.amazonaws.com/123456789012/healthmetrics-dev-email-events';
    const open = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: '*', Action: 'sqs:*', Resource: '*' }],
    };
    await fake.call(
      'sqs',
      'SetQueueAttributes',
      { QueueUrl: url, Attributes: { Policy: JSON.stringify(open) } },
      REGION,
    );
    await fake.call(
      'eventbridge',
      'PutRule',
      { Name: 'healthmetrics-dev-email-events', EventPattern: JSON.stringify({ source: ['aws.ses'] }) },
      REGION,
    );
    // WHEN
    const run = await status();
    // THEN
    expect(run.code).toBe(4);
    expect(statusOf(run.doc, 'email-events-queue-policy')).toMatchObject({
      status: 'drifted',
      changes: [
        expect.objectContaining({
          field: 'policy',
          live: 'sqs:* on *',
          expected: expect.stringContaining(
            'sqs:SendMessage on arn:aws:sqs:us-east-1:123456789012:healthmetrics-dev-email-events (with conditions)',
          ),
        }),
      ],
    });
    expect(statusOf(run.doc, 'email-events-rule')).toMatchObject({
      status: 'drifted',
      changes: [expect.objectContaining({ field: 'event-pattern', live: '{"source":["aws.ses"]}' })],
    });
    expect(run.doc?.summary).toMatchObject({ drifted: 2, missing: 0 });
    // WHEN
    const repair = await runCli(INIT, { cwd });
    const after = await status();
    // THEN
    expect(repair.code, repair.stderr).toBe(0);
    expect(after.code).toBe(0);
    const policy = JSON.parse(fake.sqs.queue(REGION, 'healthmetrics-dev-email-events')?.attributes['Policy'] ?? '{}');
    expect(policy.Statement).toEqual([
      expect.objectContaining({
        Principal: { Service: 'events.amazonaws.com' },
        Condition: {
          ArnEquals: { 'aws:SourceArn': 'arn:aws:events:us-east-1:123456789012:rule/healthmetrics-dev-email-events' },
        },
      }),
    ]);
  });

  it('shows an alert subscription as pending until the address confirms it', async () => {
    const fake = installed.fake;
    expect((await runCli([...INIT, '--alert-email', 'ops@example.org'], { cwd })).code).toBe(0);
    for (const id of fake.cloudfront.distributions.keys())
      for (let i = 0; i < 3; i += 1) await fake.call('cloudfront', 'GetDistribution', { Id: id }, REGION);
    fake.ses.setStatus(REGION, 'example.com', { dkim: 'SUCCESS', mailFrom: 'SUCCESS' });
    // WHEN
    const pending = await status();
    fake.sns.confirm('ops@example.org');
    const confirmed = await status();
    // THEN
    expect(pending.code).toBe(0);
    expect(statusOf(pending.doc, 'alerts-subscription')).toMatchObject({
      status: 'pending',
      note: expect.stringContaining('waiting for ops@example.org to confirm'),
    });
    expect(statusOf(confirmed.doc, 'alerts-subscription')?.status).toBe('in-sync');
  });

  it('reports a bucket deleted by hand as missing and still checks the distribution in front of it', async () => {
    const fake = installed.fake;
    await givenSettledEnvironment(fake);
    fake.buckets.delete(BUCKET);
    // WHEN
    const run = await status();
    // THEN
    expect(run.code).toBe(4);
    expect(statusOf(run.doc, 'bucket')).toMatchObject({ status: 'missing' });
    expect(statusOf(run.doc, 'bucket-settings')?.status).toBe('missing');
    expect(statusOf(run.doc, 'distribution')?.status).toBe('in-sync');
    expect(statusOf(run.doc, 'iam-user')?.status).toBe('in-sync');
  });

  it('reports a deactivated access key as drift with what to do', async () => {
    const fake = installed.fake;
    await givenSettledEnvironment(fake);
    const user = fake.iam.users.get('healthmetrics-app-dev')!;
    for (const key of user.keys) key.status = 'Inactive';
    // WHEN
    const run = await status();
    // THEN
    expect(run.code).toBe(4);
    expect(statusOf(run.doc, 'access-key')).toMatchObject({
      status: 'drifted',
      changes: [{ field: 'status', live: 'Inactive', expected: 'Active', note: expect.any(String) }],
      note: expect.stringMatching(/--rotate-key/),
    });
  });

  it('shows a distribution teardown --no-wait left disabling as pending', async () => {
    const fake = installed.fake;
    await givenSettledEnvironment(fake);
    const down = await runCli(['teardown', '--yes', '--no-wait'], { cwd });
    expect(down.code, down.stderr).toBe(3);
    // WHEN
    const run = await status();
    // THEN
    expect(statusOf(run.doc, 'distribution')).toMatchObject({
      status: 'pending',
      note: expect.stringMatching(/teardown/),
    });
  });

  it('says to run init first when there is no state, and refuses another account', async () => {
    // WHEN
    const none = await runCli(['status'], { cwd });
    // THEN
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/has not been set up.*hm-infra init --env dev/s);
    await runCli(INIT, { cwd });
    installed.fake.accountId = '999999999999';
    // WHEN
    const other = await runCli(['status'], { cwd });
    // THEN
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/belongs to AWS account 123456789012/);
  });
});

describe('status --dns', () => {
  let servers: TestDnsServer[] = [];
  beforeEach(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'hm-status-dns-'));
    installed = installFakeAccount(new FakeAccount());
    expect((await runCli([...INIT, '--no-cdn', '--dns', 'external'], { cwd })).code).toBe(0);
  });
  afterEach(async () => {
    installed.restore();
    await Promise.all(servers.map((s) => s.close()));
    servers = [];
  });

  it("diagnoses each email record at the zone's nameservers, and stays off DNS without --dns", async () => {
    const tokens = installed.fake.ses.identity(REGION, 'example.com')?.tokens ?? [];
    const delegation: ServedRecord[] = [
      { name: 'example.com', type: 'NS', value: 'ns1.example.com' },
      { name: 'ns1.example.com', type: 'A', value: '127.0.0.1' },
    ];
    const zone: ServedRecord[] = [
      ...delegation,
      ...tokens.map((t) => ({
        name: `${t}._domainkey.example.com`,
        type: 'CNAME' as const,
        value: `${t}.dkim.amazonses.com`,
      })),
      { name: 'mail.example.com', type: 'MX', value: '10 feedback-smtp.us-west-2.amazonses.com' },
    ];
    const nameserver = await startTestDns(zone, { zone: 'example.com', authoritative: true });
    const resolver = await startTestDns(zone, { zone: 'example.com' });
    servers = [nameserver, resolver];
    // WHEN
    const plain = await runCli(['status', '--json'], { cwd });
    const io = { out: [] as string[], err: [] as string[] };
    const code = await runStatus(
      { env: 'dev', json: true },
      {
        out: (t) => io.out.push(t),
        err: (t) => io.err.push(t),
        interactive: false,
        color: false,
        env: process.env,
        cwd,
      },
      { dns: true, resolver: resolver.address },
      { nameserverPort: nameserver.port },
    );
    // THEN
    expect(StatusJson.parse(JSON.parse(plain.stdout)).dns).toBeUndefined();
    expect(code).toBe(0);
    const doc = StatusJson.parse(JSON.parse(io.out.join('\n')));
    expect(doc.dns).toMatchObject({ zone: 'example.com', nameservers: ['ns1.example.com'] });
    expect(doc.dns?.records.map((r) => `${r.type} ${r.fault}`)).toEqual([
      'CNAME ok',
      'CNAME ok',
      'CNAME ok',
      'MX mx-region',
      'TXT missing',
      'TXT missing',
    ]);
  });

  it('refuses a bad --resolver before any AWS call', async () => {
    const calls = installed.fake.calls.length;
    // WHEN
    const run = await runCli(['status', '--dns', '--resolver', 'dns.google'], { cwd });
    // THEN
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--resolver "dns.google" is not valid');
    expect(installed.fake.calls.length).toBe(calls);
  });
});
