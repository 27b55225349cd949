import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { VIRTUAL_START, type VirtualClock, givenVirtualClock } from '../support/clock.js';
import type { GlobalOptions } from '../../src/commands/common.js';
import type { Io } from '../../src/commands/io.js';
import { type SmokeTestFlags, runSmokeTest } from '../../src/commands/smoke-test.js';
import { FakeAccount } from '../fakes/account.js';
import { type InstalledFake, installFakeAccount } from '../fakes/install.js';
import { runCli } from '../support/cli.js';

const INIT = ['init', '--yes', '--app', 'healthmetrics', '--domain', 'example.com'];
const BUCKET = 'healthmetrics-uploads-dev';
const REGION = 'us-east-1';
const USER = 'healthmetrics-app-dev';
const START = VIRTUAL_START;
const KEY = `avatars/smoke-test/${START}.txt`;

/** The documented shape of `smoke-test --json`; any other key fails. */
const SmokeJson = z
  .object({
    kind: z.literal('smoke-test'),
    outcome: z.enum(['passed', 'pending', 'failed', 'aborted']),
    environment: z.string(),
    region: z.string(),
    accessKeyId: z.string(),
    counts: z.object({ ok: z.number(), pending: z.number(), failed: z.number(), skipped: z.number() }).strict(),
    checks: z.array(
      z
        .object({
          id: z.enum([
            'app-key',
            'upload',
            'cdn',
            'private-bucket',
            'least-privilege',
            'email',
            'bounce',
            'events',
            'cleanup',
          ]),
          status: z.enum(['ok', 'pending', 'failed', 'skipped']),
          summary: z.string(),
          fix: z.string().optional(),
          details: z.record(z.string(), z.unknown()).optional(),
        })
        .strict(),
    ),
  })
  .strict();

let cwd: string;
let installed: InstalledFake;
const fake = () => installed.fake;

interface SmokeRun {
  code: number;
  stdout: string;
  stderr: string;
  clock: VirtualClock;
}

async function smoke(
  flags: SmokeTestFlags = {},
  options: { globals?: Partial<GlobalOptions>; clock?: VirtualClock; realFetch?: boolean } = {},
): Promise<SmokeRun> {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    interactive: false,
    color: false,
    env: process.env,
    cwd,
  };
  const clock = options.clock ?? givenVirtualClock();
  let code: number;
  try {
    code = await runSmokeTest({ env: 'dev', ...options.globals }, flags, io, {
      ...(options.realFetch ? {} : { fetch: fake().http.fetch }),
      clock,
    });
  } catch (error) {
    const { renderError } = await import('../../src/views/errors.js');
    const { isHmError } = await import('../../src/errors.js');
    err.push(
      renderError(
        error,
        { bold: String, dim: String, green: String, yellow: String, red: String, cyan: String },
        false,
      ),
    );
    code = isHmError(error) ? error.exitCode : 1;
  }
  return { code, stdout: out.join('\n'), stderr: err.join('\n'), clock };
}

const json = (run: SmokeRun) => SmokeJson.parse(JSON.parse(run.stdout));
const check = (run: SmokeRun, id: string) => json(run).checks.find((c) => c.id === id);
const stateFile = async () => JSON.parse(await readFile(join(cwd, '.hm-infra', 'dev.json'), 'utf8'));

/** What an environment looks like some minutes after init: deployed, domain verified. */
async function givenSettledEnvironment(initArgs: string[] = INIT) {
  const run = await runCli(initArgs, { cwd });
  expect(run.code, run.stderr).toBe(0);
  for (const id of fake().cloudfront.distributions.keys())
    for (let i = 0; i < 3; i += 1) await fake().call('cloudfront', 'GetDistribution', { Id: id }, REGION);
  if (fake().ses.identity(REGION, 'example.com'))
    fake().ses.setStatus(REGION, 'example.com', { dkim: 'SUCCESS', mailFrom: 'SUCCESS' });
}

const appKey = () => fake().iam.user(USER)?.keys[0]?.id as string;
const uploads = () => fake().http.exchanges.filter((e) => e.method === 'PUT');

describe('smoke-test', () => {
  beforeEach(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'hm-smoke-'));
    const account = new FakeAccount();
    account.route53.addZone('example.com');
    account.cloudfront.deployAfterPolls = 1;
    installed = installFakeAccount(account);
  });
  afterEach(() => installed.restore());

  it("passes every check on a set-up environment, with the app user's key, and leaves nothing behind", async () => {
    await givenSettledEnvironment();
    const callsBefore = fake().calls.length;
    // WHEN
    const run = await smoke({}, { globals: { json: true } });
    // THEN
    expect(run.code, run.stdout).toBe(0);
    const doc = json(run);
    expect(doc.outcome).toBe('passed');
    expect(doc.checks.map((c) => [c.id, c.status])).toEqual([
      ['app-key', 'ok'],
      ['upload', 'ok'],
      ['cdn', 'ok'],
      ['private-bucket', 'ok'],
      ['least-privilege', 'ok'],
      ['email', 'ok'],
      ['bounce', 'ok'],
      ['events', 'skipped'],
      ['cleanup', 'ok'],
    ]);
    // The upload went through a presigned URL, over plain HTTP, signed by the app key.
    const [put] = uploads();
    expect(put).toMatchObject({ status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' } });
    const url = new URL(put?.url ?? '');
    expect(url.hostname).toMatch(new RegExp(`^${BUCKET}\\.s3\\.`));
    expect(url.pathname).toBe(`/${KEY}`);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('300');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('content-type;host');
    expect(url.searchParams.get('X-Amz-Credential')).toMatch(new RegExp(`^${appKey()}/`));
    expect(url.searchParams.has('x-amz-checksum-crc32')).toBe(false);
    // The CDN served it, and the bucket refused it unsigned.
    const gets = fake().http.exchanges.filter((e) => e.method === 'GET');
    expect(gets.find((e) => e.url.includes('.cloudfront.net/'))).toMatchObject({ status: 200 });
    expect(gets.find((e) => e.url.startsWith(`https://${BUCKET}.s3.`) && !e.url.includes('X-Amz-'))).toMatchObject({
      status: 403,
      code: 'AccessDenied',
    });
    // The email: the template, through the configuration set, to the mailbox simulator; and one to its bounce address.
    expect(fake().ses.sent).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          from: 'noreply@example.com',
          to: ['success@simulator.amazonses.com'],
          configurationSet: 'healthmetrics-dev',
          template: 'email-verification',
          templateData: { verification_url: expect.stringMatching(/^https:\/\/example\.com\//) },
        }),
        expect.objectContaining({
          from: 'noreply@example.com',
          to: ['bounce@simulator.amazonses.com'],
          configurationSet: 'healthmetrics-dev',
        }),
      ]),
    );
    expect(fake().ses.sent).toHaveLength(2);
    // The bounce came back through EventBridge, and the app key read and deleted it: the queue is empty.
    expect(fake().sqs.bodies(REGION, 'healthmetrics-dev-email-events')).toEqual([]);
    // Every check but the CDN status and the clean-up was signed by the app key.
    const calls = fake().calls.slice(callsBefore);
    const byApp = calls.filter((c) => c.signedBy === appKey()).map((c) => `${c.service}:${c.command}`);
    expect(byApp.sort()).toEqual([
      'iam:ListAccessKeys',
      's3:GetBucketPolicy',
      's3:HeadObject',
      's3:ListBuckets',
      'sesv2:GetAccount',
      'sesv2:SendEmail',
      'sesv2:SendEmail',
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'sqs:ReceiveMessage',
      'sts:GetCallerIdentity',
    ]);
    expect(calls.filter((c) => c.signedBy === undefined).map((c) => c.command)).toEqual([
      'ListObjectVersions',
      'DeleteObjects',
    ]);
    // Nothing left: no version, no delete marker.
    expect(fake().versionCount(BUCKET)).toBe(0);
  });

  it('prints one line per check, and a summary, to stdout', async () => {
    await givenSettledEnvironment();
    // WHEN
    const run = await smoke();
    // THEN
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe(`Smoke test of healthmetrics (dev) in us-east-1, as the app user ${USER} (key ${appKey()})`);
    for (const label of [
      'app key',
      'upload',
      'CDN',
      'private bucket',
      'least privilege',
      'email',
      'bounce',
      'clean-up',
    ]) {
      expect(lines.filter((l) => l.startsWith(`  ✔ ${label} `))).toHaveLength(1);
    }
    expect(lines.at(-1)).toMatch(/^Smoke test passed \(8 ok, 1 skipped\)/);
  });

  it('is among the next steps init names', async () => {
    const run = await runCli(INIT, { cwd });
    expect(run.stdout).toMatch(/^ {2}hm-infra smoke-test --env dev +upload, CDN, email and its bounce/m);
  });

  it('uploads through a URL bound to PUT, the key and the content type, that expires after 5 minutes', async () => {
    await givenSettledEnvironment();
    expect((await smoke()).code).toBe(0);
    const put = uploads()[0];
    if (!put) throw new Error('no upload');
    const send = (url: string, init: RequestInit) => fake().http.fetch(url, init);
    const body = 'replayed';
    // WHEN / THEN: the same URL, as it was signed, works again within its 5 minutes …
    const now = Date.now();
    fake().now = () => now + 299_000;
    expect(
      (await send(put.url, { method: 'PUT', headers: { 'content-type': 'text/plain; charset=utf-8' }, body })).status,
    ).toBe(200);
    // … but not with another content type, another key or another method,
    const refused = async (url: string, init: RequestInit) => {
      const response = await send(url, init);
      return `${response.status} ${/<Code>([^<]+)/.exec(await response.text())?.[1]}`;
    };
    expect(await refused(put.url, { method: 'PUT', headers: { 'content-type': 'text/html' }, body })).toBe(
      '403 SignatureDoesNotMatch',
    );
    expect(
      await refused(put.url.replace('/smoke-test/', '/someone-else/'), {
        method: 'PUT',
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        body,
      }),
    ).toBe('403 SignatureDoesNotMatch');
    expect(await refused(put.url, { method: 'GET', headers: { 'content-type': 'text/plain; charset=utf-8' } })).toBe(
      '403 SignatureDoesNotMatch',
    );
    // … nor after it expired.
    fake().now = () => now + 301_000;
    expect(
      await refused(put.url, { method: 'PUT', headers: { 'content-type': 'text/plain; charset=utf-8' }, body }),
    ).toBe('403 AccessDenied');
  });

  it('reports the CDN pending, not failed, while CloudFront deploys; exit 3, the test object removed', async () => {
    await runCli(INIT, { cwd });
    fake().ses.setStatus(REGION, 'example.com', { dkim: 'SUCCESS', mailFrom: 'SUCCESS' });
    fake().cloudfront.deployAfterPolls = 1000;
    // WHEN
    const run = await smoke({ cdnTimeout: '2' }, { globals: { json: true } });
    // THEN
    expect(run.code).toBe(3);
    expect(json(run).outcome).toBe('pending');
    expect(check(run, 'cdn')).toMatchObject({
      status: 'pending',
      summary: expect.stringContaining('still deploying'),
      fix: expect.stringContaining('hm-infra smoke-test --env dev'),
    });
    expect(
      json(run)
        .checks.filter((c) => c.id !== 'cdn' && c.id !== 'events')
        .every((c) => c.status === 'ok'),
    ).toBe(true);
    // It kept trying, backing off, for the 2 minutes asked.
    expect(run.clock.sleeps.length).toBeGreaterThan(3);
    expect(run.clock.sleeps[1]).toBeGreaterThan(run.clock.sleeps[0] as number);
    expect(run.clock.sleeps.reduce((a, b) => a + b, 0)).toBe(120_000);
    expect(run.stderr).toContain('CloudFront is still deploying');
    expect(fake().versionCount(BUCKET)).toBe(0);
  });

  it('passes once CloudFront finishes deploying while it waits', async () => {
    await runCli(INIT, { cwd });
    fake().ses.setStatus(REGION, 'example.com', { dkim: 'SUCCESS', mailFrom: 'SUCCESS' });
    fake().cloudfront.deployAfterPolls = 3;
    // WHEN
    const run = await smoke({}, { globals: { json: true } });
    // THEN
    expect(run.code, run.stdout).toBe(0);
    expect(check(run, 'cdn')).toMatchObject({ status: 'ok', details: { tries: expect.any(Number) } });
    expect((check(run, 'cdn')?.details as { tries: number }).tries).toBeGreaterThan(1);
  });

  it.each([
    [
      'the bucket policy names another distribution',
      () => {
        const bucket = fake().buckets.get(BUCKET);
        if (!bucket?.policy) throw new Error('no bucket policy');
        bucket.policy = bucket.policy.replace(
          /arn:aws:cloudfront::\d+:distribution\/[A-Z0-9]+/,
          'arn:aws:cloudfront::123456789012:distribution/EOTHER',
        );
      },
    ],
    [
      'the origin lost its origin access control',
      () => {
        for (const d of fake().cloudfront.distributions.values()) {
          for (const origin of (d.config['Origins'] as { Items: Array<Record<string, unknown>> }).Items)
            origin['OriginAccessControlId'] = '';
        }
      },
    ],
  ])('fails the CDN check, naming the origin access control, when %s', async (_case, breakIt) => {
    await givenSettledEnvironment();
    breakIt();
    // WHEN
    const run = await smoke({}, { globals: { json: true } });
    // THEN
    expect(run.code).toBe(1);
    expect(check(run, 'cdn')).toMatchObject({
      status: 'failed',
      summary: expect.stringContaining('refused the object by the bucket (403 AccessDenied)'),
      fix: expect.stringContaining('origin access control'),
    });
    expect(check(run, 'cdn')?.fix).toContain('hm-infra init --env dev');
    expect(fake().versionCount(BUCKET)).toBe(0);
  });

  it('fails least privilege, naming each action, when the app user was given more than it needs', async () => {
    await givenSettledEnvironment();
    const wide = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:*'], Resource: ['*'] }] };
    fake().iam.user(USER)?.policies.set('added-by-hand', JSON.stringify(wide));
    // WHEN
    const run = await smoke({}, { globals: { json: true } });
    // THEN
    expect(run.code).toBe(1);
    expect(check(run, 'least-privilege')).toMatchObject({
      status: 'failed',
      summary: 'the app key may s3:GetBucketPolicy, s3:ListAllMyBuckets: its permissions go beyond what the app needs',
      details: {
        refused: ['iam:ListAccessKeys', 'ses:GetAccount', 'sqs:GetQueueAttributes'],
        allowed: ['s3:GetBucketPolicy', 's3:ListAllMyBuckets'],
      },
    });
    expect(check(run, 'least-privilege')?.fix).toContain(`IAM user ${USER}`);
    // Only reads were tried: the bucket policy is still there.
    expect(fake().buckets.get(BUCKET)?.policy).toBeDefined();
    expect(check(run, 'upload')?.status).toBe('ok');
  });

  it('fails the upload with the reason and the repair when the app user may not put objects', async () => {
    await givenSettledEnvironment();
    const user = fake().iam.user(USER);
    const policyName = [...(user?.policies.keys() ?? [])].find((n) => n.includes('s3'));
    if (!user || !policyName) throw new Error('no S3 policy');
    user.policies.set(policyName, (user.policies.get(policyName) ?? '').replace('"s3:PutObject",', ''));
    // WHEN
    const run = await smoke({}, { globals: { json: true } });
    // THEN
    expect(run.code).toBe(1);
    expect(check(run, 'upload')).toMatchObject({
      status: 'failed',
      summary: expect.stringContaining('403 AccessDenied'),
      fix: expect.stringContaining('s3:PutObject'),
    });
    expect(check(run, 'upload')?.fix).toContain('hm-infra status --env dev');
    expect(check(run, 'cdn')).toMatchObject({ status: 'skipped', summary: 'not run: no test object to fetch' });
    expect(check(run, 'cleanup')).toMatchObject({
      status: 'ok',
      summary: expect.stringContaining('nothing to remove'),
    });
    expect(check(run, 'email')?.status).toBe('ok');
  });

  it('fails the email check, pointing at verify-dns, while the domain is not verified', async () => {
    const run0 = await runCli(INIT, { cwd });
    expect(run0.code).toBe(0);
    for (const id of fake().cloudfront.distributions.keys())
      await fake().call('cloudfront', 'GetDistribution', { Id: id }, REGION);
    // WHEN
    const run = await smoke();
    // THEN
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      '✖ email            failed: SES refused to send from noreply@example.com: example.com is not verified yet (MessageRejected)',
    );
    expect(run.stdout).toContain('`hm-infra verify-dns --env dev`');
    expect(fake().ses.sent).toEqual([]);
    expect(run.stdout).toContain(
      '- bounce           skipped: not run: SES did not send to bounce@simulator.amazonses.com (MessageRejected:',
    );
    expect(run.stdout).toMatch(/Smoke test failed \(6 ok, 1 failed, 2 skipped\)/);
  });

  it('explains the SES sandbox when --to is an address SES may not send to yet', async () => {
    await givenSettledEnvironment();
    // WHEN
    const run = await smoke({ to: 'someone@elsewhere.org' }, { globals: { json: true } });
    // THEN
    expect(run.code).toBe(1);
    expect(check(run, 'email')).toMatchObject({
      status: 'failed',
      summary: expect.stringContaining('sandbox'),
      fix: expect.stringContaining('Leave out --to'),
    });
    // WHEN: with production access
    fake().ses.region(REGION).account.productionAccess = true;
    const again = await smoke({ to: 'someone@elsewhere.org' }, { globals: { json: true } });
    // THEN
    expect(check(again, 'email')).toMatchObject({
      status: 'ok',
      summary: expect.stringContaining("someone@elsewhere.org's inbox"),
    });
    expect(fake().ses.sent.map((m) => m.to)).toEqual(
      expect.arrayContaining([['someone@elsewhere.org'], ['bounce@simulator.amazonses.com']]),
    );
    expect(fake().ses.sent.filter((m) => m.to[0] === 'someone@elsewhere.org')).toHaveLength(1);
  });

  it('fails a public bucket', async () => {
    await givenSettledEnvironment();
    const bucket = fake().buckets.get(BUCKET);
    if (!bucket) throw new Error('no bucket');
    bucket.publicAccessBlock = {
      BlockPublicAcls: false,
      IgnorePublicAcls: false,
      BlockPublicPolicy: false,
      RestrictPublicBuckets: false,
    };
    const policy = JSON.parse(bucket.policy ?? '{}');
    policy.Statement.push({
      Effect: 'Allow',
      Principal: '*',
      Action: 's3:GetObject',
      Resource: `arn:aws:s3:::${BUCKET}/*`,
    });
    bucket.policy = JSON.stringify(policy);
    // WHEN
    const run = await smoke({}, { globals: { json: true } });
    // THEN
    expect(run.code).toBe(1);
    expect(check(run, 'private-bucket')).toMatchObject({
      status: 'failed',
      summary: expect.stringContaining('anyone can read objects straight from the bucket'),
      fix: expect.stringContaining('Block Public Access'),
    });
  });

  it('stops at the app key when AWS no longer accepts it, and says how to replace it', async () => {
    await givenSettledEnvironment();
    const key = appKey();
    await fake().call('iam', 'DeleteAccessKey', { UserName: USER, AccessKeyId: key }, REGION);
    // WHEN
    const run = await smoke({}, { globals: { json: true } });
    // THEN
    expect(run.code).toBe(1);
    expect(check(run, 'app-key')).toMatchObject({
      status: 'failed',
      summary: expect.stringContaining(`AWS does not accept the app user's key ${key} (InvalidClientTokenId)`),
      fix: expect.stringContaining('hm-infra init --env dev --rotate-key'),
    });
    expect(
      json(run)
        .checks.slice(1)
        .every((c) => c.status === 'skipped'),
    ).toBe(true);
    expect(fake().http.exchanges).toEqual([]);
  });

  it('on Ctrl-C while waiting for CloudFront: stops, still removes the test object, exits 130', async () => {
    await runCli(INIT, { cwd });
    fake().ses.setStatus(REGION, 'example.com', { dkim: 'SUCCESS', mailFrom: 'SUCCESS' });
    fake().cloudfront.deployAfterPolls = 1000;
    const clock = givenVirtualClock(() => process.emit('SIGINT'));
    // WHEN
    const run = await smoke({ cdnTimeout: '30' }, { clock });
    // THEN
    expect(run.code).toBe(130);
    expect(clock.sleeps).toHaveLength(1);
    expect(run.stderr).toContain('Stopping: removing the test object first');
    expect(run.stdout).toContain('✔ clean-up');
    expect(fake().versionCount(BUCKET)).toBe(0);
  });

  it('never shows the secret access key, nor the signed upload URL', async () => {
    await givenSettledEnvironment();
    const secret = (await stateFile()).resources['access-key'].secret.secretAccessKey as string;
    fake()
      .iam.user(USER)
      ?.policies.set(
        'added-by-hand',
        JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] }),
      );
    for (const globals of [{ verbose: true }, { verbose: true, json: true }]) {
      // WHEN
      const run = await smoke({}, { globals });
      // THEN
      const all = `${run.stdout}\n${run.stderr}`;
      expect(all).not.toContain(secret);
      expect(all).not.toContain(secret.slice(0, 12));
      expect(all).not.toContain('X-Amz-Signature');
    }
  });

  describe('against an emulator endpoint', () => {
    const ENDPOINT = 'http://127.0.0.1:4566';

    it('uploads to the endpoint path-style, and skips what an emulator without IAM cannot refuse', async () => {
      await givenSettledEnvironment([...INIT, '--endpoint-url', ENDPOINT]);
      fake().acceptsAnyCredentials = true;
      // WHEN
      const run = await smoke({}, { globals: { json: true, endpointUrl: ENDPOINT } });
      // THEN
      expect(run.code, run.stdout).toBe(0);
      expect(uploads()[0]?.url).toMatch(new RegExp(`^${ENDPOINT}/${BUCKET}/${KEY}\\?`));
      expect(check(run, 'least-privilege')).toMatchObject({
        status: 'skipped',
        fix: expect.stringContaining('ENFORCE_IAM=1'),
      });
      expect(check(run, 'private-bucket')).toMatchObject({ status: 'skipped' });
      expect(json(run).counts).toEqual({ ok: 6, pending: 0, failed: 0, skipped: 3 });
      expect(check(run, 'bounce')?.status).toBe('ok');
      // One call signed with a made-up key told both checks that this endpoint checks no credentials.
      expect(fake().calls.filter((c) => c.command === 'ListBuckets' && c.signedBy === undefined)).toHaveLength(1);
    });

    it('says the path from SES to the queue was not checked when the emulator publishes no SES events', async () => {
      await givenSettledEnvironment([...INIT, '--endpoint-url', ENDPOINT]);
      fake().ses.onEvent = undefined;
      // WHEN
      const run = await smoke({ eventTimeout: '5' }, { globals: { json: true, endpointUrl: ENDPOINT } });
      // THEN
      expect(run.code, run.stdout).toBe(0);
      expect(check(run, 'bounce')).toMatchObject({
        status: 'skipped',
        summary: expect.stringContaining(
          `no bounce event reached healthmetrics-dev-email-events within 5 s: the endpoint ${ENDPOINT} does not publish SES events`,
        ),
        fix: expect.stringContaining('run smoke-test against AWS'),
      });
      // It waited, bounded by --event-timeout, on the virtual clock.
      expect(run.clock.now() - START).toBeGreaterThanOrEqual(5000);
      expect(run.clock.now() - START).toBeLessThan(30_000);
    });

    it('fails the bounce check on AWS when no bounce event arrives, naming what to look at', async () => {
      await givenSettledEnvironment();
      // The rule lost its target (by hand): SES still publishes, nothing reaches the queue.
      await fake().call(
        'eventbridge',
        'RemoveTargets',
        { Rule: 'healthmetrics-dev-email-events', Ids: ['queue'] },
        REGION,
      );
      // WHEN
      const run = await smoke({ eventTimeout: '3' }, { globals: { json: true } });
      // THEN
      expect(run.code).toBe(1);
      expect(check(run, 'bounce')).toMatchObject({
        status: 'failed',
        summary: 'no bounce event reached healthmetrics-dev-email-events within 3 s (SES publishes it within seconds)',
        fix: expect.stringContaining('hm-infra status --env dev'),
      });
    });

    it('skips the CDN at once when the emulator does not serve its distributions', async () => {
      await givenSettledEnvironment([...INIT, '--endpoint-url', ENDPOINT]);
      fake().cloudfront.deployAfterPolls = 1000;
      for (const d of fake().cloudfront.distributions.values())
        Object.assign(d, { serving: false, status: 'InProgress' });
      // WHEN
      const run = await smoke({}, { globals: { json: true, endpointUrl: ENDPOINT } });
      // THEN
      expect(check(run, 'cdn')).toMatchObject({
        status: 'skipped',
        summary: expect.stringContaining('does not serve its CloudFront distributions'),
      });
      expect(run.clock.sleeps).toEqual([]);
      expect(run.code).toBe(0);
    });

    it("uploads with Node's own fetch, over a socket, to an endpoint on this machine", async () => {
      // An endpoint on the loopback address that hands each HTTP request to the fake account.
      const server: Server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', async () => {
          const headers = Object.fromEntries(
            Object.entries(req.headers).filter((e): e is [string, string] => typeof e[1] === 'string'),
          );
          const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
          const answer = await fake().http.fetch(`http://${req.headers.host}${req.url}`, {
            method: req.method,
            headers,
            ...(body ? { body } : {}),
          });
          res.writeHead(answer.status, Object.fromEntries(answer.headers));
          res.end(Buffer.from(await answer.arrayBuffer()));
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      try {
        await givenSettledEnvironment([...INIT, '--endpoint-url', endpoint]);
        fake().rejectUnknownKeys = true;
        // WHEN
        const run = await smoke({}, { globals: { json: true, endpointUrl: endpoint }, realFetch: true });
        // THEN: the signature held with the Host header fetch really sent; the CDN host is not reachable from tests.
        expect(uploads()[0]).toMatchObject({
          status: 200,
          url: expect.stringMatching(new RegExp(`^${endpoint}/${BUCKET}/`)),
        });
        expect(json(run).checks.map((c) => [c.id, c.status])).toEqual([
          ['app-key', 'ok'],
          ['upload', 'ok'],
          ['cdn', 'skipped'],
          ['private-bucket', 'ok'],
          ['least-privilege', 'ok'],
          ['email', 'ok'],
          ['bounce', 'ok'],
          ['events', 'skipped'],
          ['cleanup', 'ok'],
        ]);
        expect(fake().versionCount(BUCKET)).toBe(0);
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    });

    it('checks least privilege on an emulator that enforces IAM', async () => {
      await givenSettledEnvironment([...INIT, '--endpoint-url', ENDPOINT]);
      fake().rejectUnknownKeys = true;
      fake()
        .iam.user(USER)
        ?.policies.set(
          'added-by-hand',
          JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: 's3:ListAllMyBuckets', Resource: '*' }],
          }),
        );
      // WHEN
      const run = await smoke({}, { globals: { json: true, endpointUrl: ENDPOINT } });
      // THEN
      expect(check(run, 'least-privilege')).toMatchObject({
        status: 'failed',
        details: { allowed: ['s3:ListAllMyBuckets'] },
      });
      expect(
        json(run)
          .checks.filter((c) => c.status !== 'ok')
          .map((c) => c.id),
      ).toEqual(['least-privilege', 'events']);
    });
  });

  describe('bad input', () => {
    it.each([
      [{ to: 'not-an-address' }, '--to "not-an-address" is not an email address'],
      [{ cdnTimeout: '-1' }, '--cdn-timeout "-1" is not valid'],
      [{ cdnTimeout: 'soon' }, '--cdn-timeout "soon" is not valid'],
      [{ eventTimeout: '901' }, '--event-timeout "901" is not valid'],
      [{ eventTimeout: 'a while' }, '--event-timeout "a while" is not valid'],
    ])('refuses %o before any AWS call or state read', async (flags, message) => {
      // WHEN
      const run = await smoke(flags);
      // THEN
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(message);
      expect(fake().calls).toEqual([]);
    });

    it('says to run init first when there is no state', async () => {
      const run = await smoke();
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('environment "dev" has not been set up');
      expect(run.stderr).toContain('hm-infra init --env dev');
    });

    it('names what init has not set up yet, before any AWS call', async () => {
      await givenSettledEnvironment();
      const state = await stateFile();
      delete state.resources['access-key'];
      delete state.resources['distribution'];
      await writeFile(join(cwd, '.hm-infra', 'dev.json'), JSON.stringify(state), { mode: 0o600 });
      const calls = fake().calls.length;
      // WHEN
      const run = await smoke();
      // THEN
      expect(run.code).toBe(2);
      expect(run.stderr).toContain("has no record of the app user's access key, the CloudFront distribution");
      expect(run.stderr).toContain('Run `hm-infra init --env dev` until it finishes');
      expect(fake().calls.length).toBe(calls);
    });

    it('refuses --to for an environment without email', async () => {
      await givenSettledEnvironment([...INIT, '--no-email']);
      const run = await smoke({ to: 'me@example.com' });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('has no email');
    });
  });

  it('skips the CDN and email of an environment set up without them', async () => {
    await givenSettledEnvironment([...INIT, '--no-email', '--no-cdn']);
    // WHEN
    const run = await smoke({}, { globals: { json: true } });
    // THEN
    expect(run.code).toBe(0);
    expect(check(run, 'cdn')).toMatchObject({ status: 'skipped', summary: expect.stringContaining('--no-cdn') });
    expect(check(run, 'email')).toMatchObject({ status: 'skipped', summary: expect.stringContaining('--no-email') });
    expect(check(run, 'least-privilege')?.details).toMatchObject({
      refused: ['s3:GetBucketPolicy', 's3:ListAllMyBuckets', 'iam:ListAccessKeys'],
    });
  });
});
