/**
 * Team state on S3, on the fake account (conditional writes as S3 documents them): every
 * command on `--state s3://…`, one of two concurrent runs refused, a forced unlock while the
 * first still writes (the first stops, nothing lost), a crash that leaves the lock, push/pull.
 */
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeAccount } from '../fakes/account.js';
import { type InstalledFake, installFakeAccount } from '../fakes/install.js';
import { runCli } from '../support/cli.js';

const STATE_BUCKET = 'acme-hm-state';
const STATE = `s3://${STATE_BUCKET}/hm-infra`;
const KEY = 'hm-infra/dev.json';
const LOCK = 'hm-infra/dev.lock';
const INIT = ['init', '--yes', '--app', 'healthmetrics', '--domain', 'example.com', '--state', STATE];
const REGION = 'us-east-1';

let cwd: string;
let installed: InstalledFake;
const fake = () => installed.fake;
const cli = (args: string[]) => runCli(args, { cwd });
const remote = () => {
  const body = fake().currentObject(STATE_BUCKET, KEY)?.body;
  return body === undefined ? undefined : (JSON.parse(body) as { resources: Record<string, unknown> });
};

describe('team state on S3', () => {
  beforeEach(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'hm-remote-'));
    const account = new FakeAccount();
    account.route53.addZone('example.com');
    account.cloudfront.deployAfterPolls = 1;
    installed = installFakeAccount(account);
    await account.call('s3', 'CreateBucket', { Bucket: STATE_BUCKET }, REGION);
    await account.call(
      's3',
      'PutBucketVersioning',
      { Bucket: STATE_BUCKET, VersioningConfiguration: { Status: 'Enabled' } },
      REGION,
    );
  });
  afterEach(() => installed.restore());

  it('keeps the state on S3 for every command: init, plan, status, print-env, teardown; no local file, no lock left', async () => {
    // WHEN
    const up = await cli(INIT);
    // THEN
    expect(up.code, up.stderr).toBe(0);
    expect(Object.keys(remote()?.resources ?? {})).toContain('access-key');
    expect(fake().currentObject(STATE_BUCKET, LOCK)).toBeUndefined();
    await expect(stat(join(cwd, '.hm-infra'))).rejects.toThrow();
    // Written encrypted, each write a new version of the object.
    const puts = fake().calls.filter((c) => c.command === 'PutObject' && c.input['Key'] === KEY);
    expect(puts.length).toBeGreaterThan(3);
    expect(puts.every((c) => c.input['ServerSideEncryption'] === 'AES256')).toBe(true);
    expect(puts[0]?.input['IfNoneMatch']).toBe('*');
    expect(puts.slice(1).every((c) => typeof c.input['IfMatch'] === 'string')).toBe(true);
    // WHEN another teammate (another folder) works on it
    const other = await mkdtemp(join(tmpdir(), 'hm-remote-other-'));
    const plan = await runCli(['plan', '--json', '--state', STATE], { cwd: other });
    const env = await runCli(['print-env', '--state', STATE], { cwd: other });
    const status = await runCli(['status', '--state', STATE], { cwd: other });
    // THEN
    expect(plan.code, plan.stderr).toBe(0);
    expect(JSON.parse(plan.stdout).summary).toMatchObject({ create: 0, update: 0 });
    expect(env.code, env.stderr).toBe(0);
    expect(env.stdout).toContain('S3_BUCKET_NAME=healthmetrics-uploads-dev');
    expect(status.code).toBe(0);
    fake().ses.setStatus(REGION, 'example.com', { dkim: 'SUCCESS', mailFrom: 'SUCCESS' });
    const verify = await runCli(['verify-dns', '--state', STATE, '--timeout', '1'], { cwd: other });
    expect(verify.code, verify.stderr).toBe(0);
    expect(fake().currentObject(STATE_BUCKET, LOCK)).toBeUndefined();
    // Read-only commands take no lock.
    const lockPuts = fake().calls.filter((c) => c.command === 'PutObject' && c.input['Key'] === LOCK);
    expect(lockPuts.map((c) => c.input['IfNoneMatch'])).toEqual(['*', '*']); // init, verify-dns
    // WHEN
    const down = await runCli(['teardown', '--yes', '--force', '--state', STATE], { cwd: other });
    // THEN
    expect(down.code, down.stderr).toBe(0);
    expect(fake().currentObject(STATE_BUCKET, KEY)).toBeUndefined();
    const archived = [...(fake().buckets.get(STATE_BUCKET)?.objects.keys() ?? [])].filter((k) =>
      k.startsWith('hm-infra/dev.destroyed-'),
    );
    expect(archived).toHaveLength(1);
    expect(fake().currentObject(STATE_BUCKET, archived[0] as string)?.body).not.toContain('secretAccessKey');
  });

  it('writes the state with SSE-KMS under --state-kms-key', async () => {
    const key = 'arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-0000-4000-8000-000000000001';
    // WHEN
    const run = await cli([...INIT, '--state-kms-key', key]);
    // THEN
    expect(run.code, run.stderr).toBe(0);
    const puts = fake().calls.filter(
      (c) => c.command === 'PutObject' && String(c.input['Key']).startsWith('hm-infra/'),
    );
    expect(puts.length).toBeGreaterThan(2);
    expect(puts.every((c) => c.input['ServerSideEncryption'] === 'aws:kms' && c.input['SSEKMSKeyId'] === key)).toBe(
      true,
    );
  });

  it('a second init while the first runs is refused, naming the holder and the lock id; exactly one runs', async () => {
    fake().delayMs = 5;
    // WHEN
    const [a, b] = await Promise.all([cli(INIT), cli(INIT)]);
    // THEN
    const codes = [a.code, b.code].sort();
    expect(codes).toEqual([0, 1]);
    const refused = a.code === 1 ? a : b;
    expect(refused.stderr).toMatch(
      /s3:\/\/acme-hm-state\/hm-infra\/dev\.json is locked by `hm-infra init` of arn:aws:iam::123456789012:user\/admin \(pid \d+ on .+, started .+, held for 0 min; lock id [0-9a-f-]{36}\)/,
    );
    expect(refused.stderr).toContain('hm-infra state unlock');
    expect(fake().iam.users.size).toBe(1);
    expect(fake().currentObject(STATE_BUCKET, LOCK)).toBeUndefined();
  });

  it('tries a write again when S3 answers 409 ConditionalRequestConflict (another conditional write in flight)', async () => {
    fake().conflictNextConditionalPut(LOCK);
    fake().conflictNextConditionalPut(KEY, 2);
    // WHEN
    const run = await cli(INIT);
    // THEN
    expect(run.code, run.stderr).toBe(0);
    expect(remote()?.resources['access-key']).toBeDefined();
    expect(fake().currentObject(STATE_BUCKET, LOCK)).toBeUndefined();
  });

  it('after a crash the lock stays, is named, and `state unlock <id>` removes it; the state is whole', async () => {
    expect((await cli(INIT)).code).toBe(0);
    // A run that was killed: its lock is still there.
    const lockId = '11111111-2222-3333-4444-555555555555';
    fake().putObject(
      STATE_BUCKET,
      LOCK,
      JSON.stringify({
        lockId,
        who: 'arn:aws:sts::123456789012:assumed-role/ci/run-7',
        host: 'runner-7',
        pid: 4242,
        command: 'init',
        startedAt: new Date(Date.now() - 42 * 60_000).toISOString(),
      }),
    );
    // WHEN
    const refused = await cli(INIT);
    const wrongId = await cli(['state', 'unlock', 'not-the-id', '--yes', '--state', STATE]);
    const noYes = await cli(['state', 'unlock', lockId, '--state', STATE]);
    const unlocked = await cli(['state', 'unlock', lockId, '--yes', '--state', STATE]);
    const again = await cli(INIT);
    // THEN
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`held for 42 min; lock id ${lockId}`);
    expect(refused.stderr).toContain('assumed-role/ci/run-7 (pid 4242 on runner-7');
    expect(wrongId.code).toBe(2);
    expect(wrongId.stderr).toContain(`has id ${lockId}`);
    expect(noYes.code).toBe(2);
    expect(noYes.stderr).toContain('--yes');
    expect(unlocked.code, unlocked.stderr).toBe(0);
    expect(unlocked.stdout).toContain('Removed the lock');
    expect(again.code, again.stderr).toBe(0);
    expect(remote()?.resources['access-key']).toBeDefined();
  });

  it('a forced unlock while the first run still writes: its next write is refused (412), it stops, nothing is lost', async () => {
    expect((await cli(INIT)).code).toBe(0);
    // The first run's lock is removed by hand, and another writer changes the state meanwhile.
    const other = JSON.stringify({ ...(remote() as object), note: 'the second writer' });
    let intervened = false;
    const realCall = fake().call.bind(fake());
    fake().call = async (service, command, input, region, caller) => {
      if (!intervened && command === 'PutObject' && input['Key'] === KEY) {
        intervened = true;
        // `state unlock` of this run's lock, and a second run that took the lock and wrote.
        fake().putObject(STATE_BUCKET, LOCK, JSON.stringify({ lockId: 'second-run', command: 'init' }));
        fake().putObject(STATE_BUCKET, KEY, other, 'application/json');
      }
      return realCall(service, command, input, region, caller);
    };
    // WHEN a run that changes something (a tag removed by hand is put back)
    const bucket = fake().buckets.get('healthmetrics-uploads-dev');
    if (bucket) bucket.versioning = 'Suspended';
    const run = await cli(INIT);
    // THEN
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('was written by someone else since this run read it; it was not overwritten');
    expect(fake().currentObject(STATE_BUCKET, KEY)?.body).toBe(other);
    // The first run, stopping, left the second run's lock alone.
    expect(JSON.parse(fake().currentObject(STATE_BUCKET, LOCK)?.body ?? '{}').lockId).toBe('second-run');
  });

  it('push moves a local state up (refusing a different one unless --force), pull brings it down', async () => {
    const local = ['init', '--yes', '--app', 'healthmetrics', '--domain', 'example.com'];
    expect((await cli(local)).code).toBe(0);
    // WHEN
    const pushed = await cli(['state', 'push', '--state', STATE]);
    const again = await cli(['state', 'push', '--state', STATE]);
    // THEN
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(pushed.stdout).toContain(`Pushed .hm-infra/dev.json to s3://${STATE_BUCKET}/${KEY}`);
    expect(again.stdout).toContain('already holds');
    const localState = JSON.parse(await readFile(join(cwd, '.hm-infra', 'dev.json'), 'utf8'));
    expect(remote()?.resources).toEqual(localState.resources);
    // WHEN the remote one is different
    const changed = structuredClone(localState);
    changed.resources.bucket.outputs.region = 'eu-west-1';
    fake().putObject(STATE_BUCKET, KEY, JSON.stringify(changed));
    const refused = await cli(['state', 'push', '--state', STATE]);
    const forced = await cli(['state', 'push', '--force', '--state', STATE]);
    // THEN
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('already holds a different state');
    expect(forced.code, forced.stderr).toBe(0);
    // WHEN
    const pulled = await cli(['state', 'pull', '--state', STATE]);
    const written = await cli(['state', 'pull', '--state', STATE, '--write', 'pulled.json']);
    // THEN: stdout masks the secret; the file has it, readable by the owner only.
    const secret = localState.resources['access-key'].secret.secretAccessKey as string;
    expect(pulled.code).toBe(0);
    expect(pulled.stdout).not.toContain(secret);
    expect(JSON.parse(pulled.stdout).resources['access-key'].secret.secretAccessKey).toBe('********');
    expect(written.code, written.stderr).toBe(0);
    expect(await readFile(join(cwd, 'pulled.json'), 'utf8')).toContain(secret);
    expect((await stat(join(cwd, 'pulled.json'))).mode & 0o777).toBe(0o600);
  });

  it('lists the environments under the prefix with account, region, last write and lock', async () => {
    expect((await cli(INIT)).code).toBe(0);
    const staging = await cli([
      'init',
      '--yes',
      '--app',
      'healthmetrics',
      '--domain',
      'staging.example.com',
      '--env',
      'staging',
      '--state',
      STATE,
    ]);
    expect(staging.code, staging.stderr).toBe(0);
    // WHEN
    const run = await cli(['state', 'list', '--json', '--state', STATE]);
    // THEN
    expect(run.code, `[${run.stderr}]`).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      kind: 'state-list',
      environments: [
        { environment: 'dev', accountId: '123456789012', region: 'us-east-1', locked: false },
        { environment: 'staging', accountId: '123456789012', region: 'us-east-1', locked: false },
      ],
    });
  });

  it.each([
    ['gs://bucket/prefix', 'is not an s3:// location'],
    ['s3://Bad_Bucket/prefix', 'the bucket is not valid'],
    ['s3://acme-hm-state/a/../b', 'may not contain ".."'],
  ])('refuses --state %s with exit 2 before any AWS call', async (value, message) => {
    const before = fake().calls.length;
    // WHEN
    const run = await cli(['init', '--yes', '--app', 'healthmetrics', '--domain', 'example.com', '--state', value]);
    // THEN
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(fake().calls.length).toBe(before);
  });

  it('takes the location from HM_INFRA_STATE, and refuses plan --offline on it', async () => {
    const env = { ...process.env, HM_INFRA_STATE: STATE };
    // WHEN
    const up = await runCli(['init', '--yes', '--app', 'healthmetrics', '--domain', 'example.com'], { cwd, env });
    const offline = await runCli(['plan', '--offline'], { cwd, env });
    // THEN
    expect(up.code, up.stderr).toBe(0);
    expect(remote()).toBeDefined();
    expect(offline.code).toBe(2);
    expect(offline.stderr).toContain('plan --offline calls no AWS at all, and this state is on S3');
  });
});
