import { mkdtemp, readFile, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lifecycleRules } from '../../src/resources/s3/bucket-settings.js';
import { FakeAccount, awsError } from '../fakes/account.js';
import { type InstalledFake, installFakeAccount } from '../fakes/install.js';
import { runCli } from '../support/cli.js';

const INIT = ['init', '--yes', '--app', 'healthmetrics', '--domain', 'example.com'];

let cwd: string;
let installed: InstalledFake;

function givenFreshAccount(): FakeAccount {
  installed?.restore();
  installed = installFakeAccount(new FakeAccount());
  return installed.fake;
}

async function stateFile(env = 'dev') {
  return JSON.parse(await readFile(join(cwd, '.hm-infra', `${env}.json`), 'utf8'));
}

const init = (extra: string[] = []) => runCli([...INIT, ...extra], { cwd });

describe('init on a fake account', () => {
  beforeEach(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'hm-flow-'));
    givenFreshAccount();
  });
  afterEach(() => installed.restore());

  it('creates one bucket with every setting of docs/resources.md and records it', async () => {
    const fake = installed.fake;
    // WHEN
    const run = await init();
    // THEN
    expect(run.code, run.stderr).toBe(0);
    const bucket = fake.buckets.get('healthmetrics-uploads-dev');
    expect(bucket).toMatchObject({
      region: 'us-east-1',
      versioning: 'Enabled',
      encryption: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      publicAccessBlock: {
        BlockPublicAcls: true,
        IgnorePublicAcls: true,
        BlockPublicPolicy: true,
        RestrictPublicBuckets: true,
      },
      cors: [
        {
          AllowedHeaders: ['*'],
          AllowedMethods: ['GET', 'PUT', 'POST', 'HEAD'],
          AllowedOrigins: ['https://example.com', 'https://www.example.com'],
          ExposeHeaders: ['ETag'],
          MaxAgeSeconds: 3600,
        },
      ],
      lifecycle: lifecycleRules(),
    });
    expect(bucket?.tags).toEqual(
      expect.arrayContaining([
        { Key: 'Project', Value: 'healthmetrics' },
        { Key: 'Environment', Value: 'dev' },
        { Key: 'ManagedBy', Value: 'hm-infra' },
      ]),
    );
    const state = await stateFile();
    expect(state.accountId).toBe(fake.accountId);
    expect(state.resources.bucket).toMatchObject({
      status: 'created',
      owned: true,
      outputs: { name: 'healthmetrics-uploads-dev', arn: 'arn:aws:s3:::healthmetrics-uploads-dev' },
    });
    expect(run.stdout).toContain('healthmetrics-uploads-dev');
  });

  it('makes no write on a second run, and says everything is unchanged', async () => {
    await init();
    const writesBefore = installed.fake.writes.length;
    // WHEN
    const second = await init();
    // THEN
    expect(second.code, second.stderr).toBe(0);
    expect(installed.fake.writes.length).toBe(writesBefore);
    expect(second.stdout).toContain('0 created, 0 updated');
  });

  it('creates the bucket with a location constraint outside us-east-1', async () => {
    // WHEN
    const run = await init(['--region', 'eu-west-1']);
    // THEN
    expect(run.code, run.stderr).toBe(0);
    expect(installed.fake.buckets.get('healthmetrics-uploads-dev')?.region).toBe('eu-west-1');
  });

  it('repairs a setting changed by hand, and only that one', async () => {
    await init();
    installed.fake.buckets.get('healthmetrics-uploads-dev')!.versioning = 'Suspended';
    const before = installed.fake.calls.length;
    // WHEN
    const run = await init();
    // THEN
    expect(run.code).toBe(0);
    expect(
      installed.fake.calls
        .slice(before)
        .filter((c) => c.command.startsWith('Put'))
        .map((c) => c.command),
    ).toEqual(['PutBucketVersioning']);
    expect(installed.fake.buckets.get('healthmetrics-uploads-dev')?.versioning).toBe('Enabled');
  });

  it('adopts a bucket that already existed, without claiming it', async () => {
    await init();
    // A new environment file pointing at the same bucket: the tool did not create it for this one.
    const run = await runCli(
      [...INIT, '--env', 'staging', '--domain', 'staging.example.com', '--bucket-name', 'healthmetrics-uploads-dev'],
      { cwd },
    );
    expect(run.code, run.stderr).toBe(0);
    expect((await stateFile('staging')).resources.bucket).toMatchObject({ status: 'adopted', owned: false });
  });

  it('explains a bucket name taken by another account and suggests --bucket-name', async () => {
    installed.fake.foreignBuckets.add('healthmetrics-uploads-dev');
    // WHEN
    const run = await init();
    // THEN
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('already taken by another AWS account');
    expect(run.stderr).toContain('--bucket-name');
  });

  it('refuses a state file that belongs to another account, before writing anything', async () => {
    await init();
    installed.fake.accountId = '999999999999';
    const writesBefore = installed.fake.writes.length;
    const before = await readFile(join(cwd, '.hm-infra', 'dev.json'), 'utf8');
    // WHEN
    const run = await init();
    // THEN
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('belongs to AWS account 123456789012');
    expect(installed.fake.writes.length).toBe(writesBefore);
    expect(await readFile(join(cwd, '.hm-infra', 'dev.json'), 'utf8')).toBe(before);
  });

  it('never overwrites a corrupt state file', async () => {
    await mkdir(join(cwd, '.hm-infra'));
    await writeFile(join(cwd, '.hm-infra', 'dev.json'), 'garbage');
    // WHEN
    const run = await init();
    // THEN
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('damaged');
    expect(installed.fake.calls).toEqual([]);
    expect(await readFile(join(cwd, '.hm-infra', 'dev.json'), 'utf8')).toBe('garbage');
  });

  it('lets only one of two concurrent runs proceed', async () => {
    installed.fake.delayMs = 30;
    // WHEN
    const [a, b] = await Promise.all([init(), init()]);
    // THEN
    expect([a.code, b.code].sort()).toEqual([0, 1]);
    const refused = a.code === 1 ? a : b;
    expect(refused.stderr).toMatch(/is locked by `hm-infra init` \(pid \d+/);
    expect(installed.fake.buckets.size).toBe(1);
  });

  it('rejects bad input with exit 2 before any AWS call, and writes nothing', async () => {
    // WHEN
    const run = await runCli(
      ['init', '--yes', '--app', 'Bad_App', '--domain', 'example.com', '--cors-origin', 'http://example.com'],
      { cwd },
    );
    // THEN
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('app name "Bad_App" is not valid');
    expect(run.stderr).toContain('CORS origin "http://example.com" is not valid');
    expect(installed.fake.calls).toEqual([]);
    await expect(readFile(join(cwd, '.hm-infra', 'dev.json'))).rejects.toThrow();
  });

  it('prints one JSON document on stdout with --json', async () => {
    // WHEN
    const run = await init(['--json']);
    // THEN
    const doc = JSON.parse(run.stdout);
    expect(doc).toMatchObject({
      kind: 'result',
      ok: true,
      accountId: '123456789012',
      outputs: { bucket: { name: 'healthmetrics-uploads-dev' } },
    });
    expect(doc.steps.map((s: { id: string; action: string }) => [s.id, s.action])).toEqual([
      ['account', 'read'],
      ['bucket', 'create'],
      ['bucket-settings', 'create'],
      ['oac', 'create'],
      ['distribution', 'create'],
      ['bucket-policy', 'create'],
      ['email-config-set', 'create'],
      ['email-identity', 'create'],
      ['email-mail-from', 'create'],
      ['template-email-verification', 'create'],
      ['template-password-reset', 'create'],
      ['dns-zone', 'read'],
      ['dns-records', 'create'],
      ['email-events-dlq', 'create'],
      ['email-events-queue', 'create'],
      ['email-events-rule', 'create'],
      ['email-events-target', 'create'],
      ['email-events-queue-policy', 'create'],
      ['email-event-destination', 'create'],
      ['email-metrics-destination', 'create'],
      ['alerts-topic', 'create'],
      ['alarm-bounce-rate', 'create'],
      ['alarm-complaint-rate', 'create'],
      ['alarm-bounces', 'create'],
      ['iam-user', 'create'],
      ['iam-policy-s3', 'create'],
      ['iam-policy-ses', 'create'],
      ['iam-policy-email-events', 'create'],
      ['access-key', 'create'],
    ]);
  });

  describe('plan', () => {
    it('shows everything to create before the first run, without writing', async () => {
      // WHEN
      const run = await runCli(['plan', '--app', 'healthmetrics', '--domain', 'example.com'], { cwd });
      // THEN
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/S3 bucket\s+create/);
      expect(installed.fake.writes).toEqual([]);
    });

    it('shows a setting changed by hand as one update with the differing field', async () => {
      await init();
      installed.fake.buckets.get('healthmetrics-uploads-dev')!.cors = [
        { AllowedMethods: ['GET'], AllowedOrigins: ['https://old.example.com'] },
      ];
      const writesBefore = installed.fake.writes.length;
      // WHEN
      const run = await runCli(['plan', '--json'], { cwd });
      // THEN
      const doc = JSON.parse(run.stdout);
      expect(doc.summary).toEqual({ create: 0, update: 1, unchanged: 26 });
      expect(
        doc.steps
          .find((s: { id: string }) => s.id === 'bucket-settings')
          .changes.map((c: { field: string }) => c.field),
      ).toEqual(['cors']);
      expect(installed.fake.writes.length).toBe(writesBefore);
    });
  });
});

describe('init interrupted at any call', () => {
  beforeEach(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'hm-crash-'));
  });
  afterEach(() => installed.restore());

  async function reference() {
    const fake = givenFreshAccount();
    const run = await init();
    expect(run.code).toBe(0);
    // Once the credentials work, the SES account status is read (for the closing advice) while
    // the steps run; a failure there only leaves that advice out, so it cannot interrupt anything.
    const adviceCall = fake.calls.findIndex((c) => c.command === 'GetAccount') + 1;
    const firstWrite = fake.calls.indexOf(fake.writes[0] as (typeof fake.calls)[number]) + 1;
    expect(adviceCall).toBeGreaterThan(1);
    expect(adviceCall).toBeLessThan(firstWrite);
    return { snapshot: fake.snapshot(), calls: fake.calls.length, adviceCall, state: await stateFile() };
  }

  it.each(['before', 'after'] as const)(
    'converges on a re-run when the k-th call fails %s it takes effect',
    async (when) => {
      const clean = await reference();
      for (let k = 1; k <= clean.calls; k += 1) {
        if (k === clean.adviceCall) continue;
        cwd = await mkdtemp(join(tmpdir(), 'hm-crash-'));
        const fake = givenFreshAccount();
        fake.failCall(k, { when });
        // WHEN
        const first = await init();
        const second = await init();
        // THEN
        expect(first.code, `k=${k}: ${first.stderr}`).toBe(1);
        expect(second.code, `k=${k}: ${second.stderr}`).toBe(0);
        expect(fake.snapshot(), `k=${k}`).toEqual(clean.snapshot);
        const state = await stateFile();
        expect(state.resources.bucket, `k=${k}`).toMatchObject({
          owned: true,
          outputs: clean.state.resources.bucket.outputs,
        });
        for (const id of [
          'oac',
          'distribution',
          'bucket-policy',
          'iam-user',
          'iam-policy-s3',
          'iam-policy-ses',
          'access-key',
        ])
          expect(state.resources[id], `k=${k} ${id}`).toMatchObject({ owned: true });
        // One key, the one whose secret state holds, and it works.
        expect(
          fake.iam.user('healthmetrics-app-dev')?.keys.map((key) => key.id),
          `k=${k}`,
        ).toEqual([state.resources['access-key'].secret.accessKeyId]);
        expect(state.resources['access-key'].outputs, `k=${k}`).toMatchObject({ verified: true, retiring: [] });
        expect(state.resources.distribution.outputs.id, `k=${k}`).toBe(clean.state.resources.distribution.outputs.id);
        expect(Object.keys(state.resources).sort()).toEqual(Object.keys(clean.state.resources).sort());
      }
    },
    120_000,
  );

  it('finishes when only the SES account status (read for the closing advice) cannot be read', async () => {
    const fake = givenFreshAccount();
    fake.failNext('sesv2', 'GetAccount', () =>
      awsError('sesv2', 'AccessDeniedException', 'User is not authorized to perform: ses:GetAccount'),
    );
    // WHEN
    const run = await init();
    // THEN
    expect(run.code, run.stderr).toBe(0);
    expect(fake.calls.some((c) => c.command === 'GetAccount')).toBe(true);
    expect(run.stdout).not.toContain('sandbox');
  });

  it('converges after throttling, and tells the user to re-run', async () => {
    const clean = await reference();
    cwd = await mkdtemp(join(tmpdir(), 'hm-crash-'));
    const fake = givenFreshAccount();
    // The SDK retries throttled calls itself; past its attempts the run stops, and a re-run converges.
    fake.throttle(1);
    // WHEN
    const first = await init();
    const second = await init();
    // THEN
    expect(first.code).toBe(1);
    expect(first.stderr).toContain('re-run');
    expect(second.code).toBe(0);
    expect(fake.snapshot()).toEqual(clean.snapshot);
  });

  it('stops at a failed write and names the step and the reason', async () => {
    const fake = givenFreshAccount();
    const k = 1 + fake.calls.length;
    fake.failCall(k, {
      error: () => awsError('sts', 'AccessDenied', 'User is not authorized to perform: sts:GetCallerIdentity'),
    });
    // WHEN
    const run = await init();
    // THEN
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/AWS account\s+failed/);
    expect(run.stderr).toContain('not authorized');
    expect(fake.writes).toEqual([]);
  });
});
