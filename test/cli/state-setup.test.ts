import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeAccount, type FakeBucket, awsError } from '../fakes/account.js';
import { type InstalledFake, installFakeAccount } from '../fakes/install.js';
import { runCli } from '../support/cli.js';

const BUCKET = 'myteam-hm-infra-state';
const ARN = `arn:aws:s3:::${BUCKET}`;
const KMS_KEY = 'arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-4e5f-6789-abcd-ef0123456789';

const TLS_STATEMENT = {
  Sid: 'DenyInsecureTransport',
  Effect: 'Deny',
  Principal: '*',
  Action: 's3:*',
  Resource: [ARN, `${ARN}/*`],
  Condition: { Bool: { 'aws:SecureTransport': 'false' } },
};
const LIFECYCLE_RULE = {
  ID: 'expire-noncurrent-state',
  Status: 'Enabled',
  Filter: { Prefix: '' },
  NoncurrentVersionExpiration: { NoncurrentDays: 90 },
  AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
};
const SETTING_NAMES = ['bucket', 'versioning', 'encryption', 'public-access-block', 'policy', 'lifecycle', 'tags'];

let cwd: string;
let installed: InstalledFake;
const fake = () => installed.fake;
const bucket = (name = BUCKET): FakeBucket => {
  const found = fake().buckets.get(name);
  if (!found) throw new Error(`no bucket ${name} in the fake account`);
  return found;
};
const policyOf = (b: FakeBucket) => JSON.parse(b.policy ?? '{"Statement":[]}') as { Statement: unknown[] };

const setup = (args: string[] = [], env?: Record<string, string>) =>
  runCli(['state', 'setup', '--bucket', BUCKET, ...args], { cwd, ...(env ? { env } : {}) });

/** The settings and their actions, from --json output. */
async function actions(args: string[] = []): Promise<Record<string, string>> {
  const run = await setup(['--json', ...args]);
  expect(run.code, run.stderr).toBe(0);
  const doc = JSON.parse(run.stdout) as { settings: Array<{ name: string; action: string }> };
  return Object.fromEntries(doc.settings.map((s) => [s.name, s.action]));
}

const ALL_UNCHANGED = Object.fromEntries(SETTING_NAMES.map((n) => [n, 'unchanged']));

describe('state setup', () => {
  beforeEach(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'hm-state-setup-'));
    installed = installFakeAccount(new FakeAccount());
  });
  afterEach(() => installed.restore());

  it('creates the bucket in us-east-1 with every setting, and prints the --state value', async () => {
    // WHEN
    const run = await setup();
    // THEN
    expect(run.code, run.stderr).toBe(0);
    const create = fake().calls.find((c) => c.command === 'CreateBucket');
    expect(create?.input).toEqual({ Bucket: BUCKET });
    const b = bucket();
    expect(b.region).toBe('us-east-1');
    expect(b.versioning).toBe('Enabled');
    expect(b.encryption).toEqual({
      Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: false }],
    });
    expect(b.publicAccessBlock).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    });
    expect(policyOf(b)).toEqual({ Version: '2012-10-17', Statement: [TLS_STATEMENT] });
    expect(b.lifecycle).toEqual([LIFECYCLE_RULE]);
    expect(b.tags).toEqual([
      { Key: 'Name', Value: 'hm-infra state' },
      { Key: 'ManagedBy', Value: 'hm-infra' },
    ]);
    expect(run.stdout).toContain(`--state s3://${BUCKET}/hm-infra`);
    expect(run.stdout).toMatch(/bucket\s+created/);
    expect(run.stdout).toMatch(/versioning\s+created\s+Enabled/);
    // New buckets come with SSE-S3 and the public access block: read, found right, left alone.
    expect(run.stdout).toMatch(/encryption\s+unchanged\s+AES256/);
    expect(run.stdout).toMatch(/public-access-block\s+unchanged/);
    expect(fake().writes.map((c) => c.command)).toEqual([
      'CreateBucket',
      'PutBucketVersioning',
      'PutBucketPolicy',
      'PutBucketLifecycleConfiguration',
      'PutBucketTagging',
    ]);
    // Nothing local: no state folder.
    expect(await readdir(cwd)).toEqual([]);
  });

  it('creates the bucket in the --region, with its location constraint', async () => {
    // WHEN
    const run = await setup(['--region', 'eu-west-1']);
    // THEN
    expect(run.code, run.stderr).toBe(0);
    const create = fake().calls.find((c) => c.command === 'CreateBucket');
    expect(create?.input).toEqual({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } });
    expect(bucket().region).toBe('eu-west-1');
    expect(bucket().versioning).toBe('Enabled');
  });

  it('takes the region from AWS_REGION when --region is not given', async () => {
    // WHEN
    const run = await setup(['--json'], { AWS_REGION: 'ap-southeast-2' });
    // THEN
    expect(run.code, run.stderr).toBe(0);
    expect(bucket().region).toBe('ap-southeast-2');
    expect(JSON.parse(run.stdout).region).toBe('ap-southeast-2');
  });

  it('makes no write on a second run, and reports every setting unchanged', async () => {
    expect((await setup()).code).toBe(0);
    const before = fake().writes.length;
    const snapshot = fake().snapshot();
    // WHEN
    const second = await actions();
    // THEN
    expect(fake().writes.length).toBe(before);
    expect(second).toEqual(ALL_UNCHANGED);
    expect(fake().snapshot()).toEqual(snapshot);
  });

  it('says so in words when nothing was written', async () => {
    expect((await setup()).code).toBe(0);
    // WHEN
    const run = await setup();
    // THEN
    expect(run.stdout).toContain('nothing was written');
    expect(run.stdout).toContain(`--state s3://${BUCKET}/hm-infra`);
  });

  it('sets back what was changed by hand, keeping what others added', async () => {
    expect((await setup()).code).toBe(0);
    const b = bucket();
    const theirs = {
      Sid: 'AllowBackupRole',
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::123456789012:role/backup' },
      Action: 's3:GetObject',
      Resource: `${ARN}/*`,
    };
    b.versioning = 'Suspended';
    b.encryption = { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' } }] };
    b.publicAccessBlock = { ...b.publicAccessBlock, RestrictPublicBuckets: false };
    b.policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [theirs, { ...TLS_STATEMENT, Action: 's3:GetObject' }],
    });
    b.lifecycle = [
      { ...LIFECYCLE_RULE, NoncurrentVersionExpiration: { NoncurrentDays: 1 } },
      { ID: 'their-rule', Status: 'Enabled', Filter: { Prefix: 'tmp/' }, Expiration: { Days: 1 } },
    ];
    b.tags = [
      { Key: 'Name', Value: 'renamed' },
      { Key: 'team', Value: 'platform' },
    ];
    const before = fake().writes.length;
    // WHEN
    const result = await actions();
    // THEN
    expect(result).toEqual({
      bucket: 'unchanged',
      versioning: 'updated',
      encryption: 'updated',
      'public-access-block': 'updated',
      policy: 'updated',
      lifecycle: 'updated',
      tags: 'updated',
    });
    expect(
      fake()
        .writes.slice(before)
        .map((c) => c.command),
    ).toEqual([
      'PutBucketVersioning',
      'PutBucketEncryption',
      'PutPublicAccessBlock',
      'PutBucketPolicy',
      'PutBucketLifecycleConfiguration',
      'PutBucketTagging',
    ]);
    expect(b.versioning).toBe('Enabled');
    expect(b.encryption).toEqual({ Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] });
    expect(b.publicAccessBlock?.['RestrictPublicBuckets']).toBe(true);
    expect(policyOf(b).Statement).toEqual([theirs, TLS_STATEMENT]);
    expect(b.lifecycle).toEqual([
      LIFECYCLE_RULE,
      { ID: 'their-rule', Status: 'Enabled', Filter: { Prefix: 'tmp/' }, Expiration: { Days: 1 } },
    ]);
    expect(b.tags).toEqual([
      { Key: 'Name', Value: 'hm-infra state' },
      { Key: 'ManagedBy', Value: 'hm-infra' },
      { Key: 'team', Value: 'platform' },
    ]);
    // And then it stays put.
    expect(await actions()).toEqual(ALL_UNCHANGED);
  });

  it('says in the human output what a setting was before it was set back', async () => {
    expect((await setup()).code).toBe(0);
    bucket().versioning = 'Suspended';
    // WHEN
    const run = await setup();
    // THEN
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/versioning\s+updated\s+Enabled \(was Suspended\)/);
    expect(run.stdout).toMatch(/tags\s+unchanged/);
    expect(run.stdout).toContain('1 of 7 set.');
  });

  it('encrypts with --kms-key (SSE-KMS, bucket key), and goes back to SSE-S3 without it', async () => {
    // WHEN
    expect((await actions(['--kms-key', KMS_KEY])).encryption).toBe('updated');
    // THEN
    expect(bucket().encryption).toEqual({
      Rules: [
        {
          ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: KMS_KEY },
          BucketKeyEnabled: true,
        },
      ],
    });
    expect(await actions(['--kms-key', KMS_KEY])).toEqual(ALL_UNCHANGED);
    // An alias is another key as far as S3 knows: set as typed.
    expect((await actions(['--kms-key', 'alias/hm-state'])).encryption).toBe('updated');
    expect(bucket().encryption).toMatchObject({
      Rules: [{ ApplyServerSideEncryptionByDefault: { KMSMasterKeyID: 'alias/hm-state' } }],
    });
    // A rule without the bucket key is set again.
    bucket().encryption = {
      Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: 'alias/hm-state' } }],
    };
    expect((await actions(['--kms-key', 'alias/hm-state'])).encryption).toBe('updated');
    expect((await actions()).encryption).toBe('updated');
    expect(bucket().encryption).toEqual({
      Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
  });

  it('uses a bucket of this account that exists already (adopting it with its own settings kept)', async () => {
    fake().buckets.set(BUCKET, {
      name: BUCKET,
      region: 'us-east-1',
      tags: [{ Key: 'team', Value: 'platform' }],
      objects: new Map(),
    });
    // WHEN
    const result = await actions();
    // THEN
    expect(result['bucket']).toBe('unchanged');
    expect(result['encryption']).toBe('created');
    expect(result['public-access-block']).toBe('created');
    expect(fake().writes.map((c) => c.command)).not.toContain('CreateBucket');
    expect(bucket().tags).toContainEqual({ Key: 'team', Value: 'platform' });
  });

  it('goes on when CreateBucket answers BucketAlreadyOwnedByYou', async () => {
    // The bucket appears between the look and the create (another run of ours).
    fake().buckets.set(BUCKET, { name: BUCKET, region: 'eu-west-1', objects: new Map() });
    fake().failNext('s3', 'HeadBucket', () => awsError('s3', 'NotFound', 'Not Found'));
    // WHEN
    const run = await setup(['--region', 'eu-west-1', '--json']);
    // THEN
    expect(run.code, run.stderr).toBe(0);
    expect(fake().calls.map((c) => c.command)).toContain('CreateBucket');
    expect(JSON.parse(run.stdout).settings[0]).toEqual({ name: 'bucket', action: 'unchanged' });
    expect(bucket().versioning).toBe('Enabled');
  });

  it('refuses a bucket name of another account (exit 2), writing nothing', async () => {
    fake().foreignBuckets.add(BUCKET);
    // WHEN
    const run = await setup();
    // THEN
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('already taken by another AWS account');
    expect(run.stderr).toContain('--bucket');
    expect(fake().writes).toEqual([]);
  });

  it('refuses BucketAlreadyExists from CreateBucket (exit 2, code BUCKET_NAME_TAKEN)', async () => {
    fake().foreignBuckets.add(BUCKET);
    fake().failNext('s3', 'HeadBucket', () => awsError('s3', 'NotFound', 'Not Found'));
    // WHEN
    const run = await setup(['--json']);
    // THEN
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: false, error: { code: 'BUCKET_NAME_TAKEN', source: 'user' } });
    expect(fake().calls.map((c) => c.command)).toEqual(['HeadBucket', 'CreateBucket']);
    expect(fake().buckets.has(BUCKET)).toBe(false);
  });

  it('refuses a bucket of this account in another region (exit 2), naming the flag', async () => {
    fake().buckets.set(BUCKET, { name: BUCKET, region: 'eu-west-1', objects: new Map() });
    // WHEN
    const run = await setup(['--json']);
    // THEN
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: false, error: { code: 'BUCKET_OTHER_REGION' } });
    expect(run.stderr).toContain('--region');
    expect(fake().writes).toEqual([]);
  });

  it.each([
    [['--bucket', 'My_Bucket'], 'bucket name "My_Bucket" is not valid', '--bucket'],
    [['--bucket', 'ab'], 'bucket name "ab" is not valid', '--bucket'],
    [['--prefix', 'team/../other'], 'must not contain ".."', '--prefix team/other'],
    [['--prefix', '/team'], 'must not start or end with "/"', '--prefix team'],
    [['--prefix', 'team/'], 'must not start or end with "/"', '--prefix team'],
    [['--prefix', ''], 'it is empty', '--prefix hm-infra'],
    [['--kms-key', 'my-key'], 'KMS key "my-key" is not valid', 'alias/'],
    [['--kms-key', '0a1b2c3d-4e5f-6789-abcd-ef0123456789'], 'pass the key ID as its ARN', 'arn:aws:kms:'],
    [['--kms-key', KMS_KEY, '--region', 'eu-west-1'], 'is in us-east-1, but the bucket is in eu-west-1', '--region'],
    [['--region', 'Europe'], 'region "Europe" is not valid', 'us-east-1'],
  ])('refuses %j before any AWS call (exit 2)', async (args, problem, whatToType) => {
    // WHEN: the later --bucket wins over the valid one of `setup`
    const run = await setup(args);
    // THEN
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(problem);
    expect(run.stderr).toContain(whatToType);
    expect(fake().calls).toEqual([]);
  });

  it('refuses a region from the environment that is not one, before any AWS call', async () => {
    // WHEN
    const run = await setup([], { AWS_REGION: 'moon-1' });
    // THEN
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('region "moon-1" is not valid');
    expect(fake().calls).toEqual([]);
  });

  it('asks for --bucket when it is missing (exit 2, no call)', async () => {
    // WHEN
    const run = await runCli(['state', 'setup', '--json'], { cwd });
    // THEN
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: false, error: { code: 'MISSING_INPUT' } });
    expect(run.stderr).toContain('--bucket <name>');
    expect(fake().calls).toEqual([]);
  });

  it('prints one JSON document with --json, in the documented shape', async () => {
    // WHEN
    const run = await setup(['--json', '--prefix', 'teams/platform', '--region', 'eu-west-1']);
    // THEN
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      kind: 'state-setup',
      bucket: BUCKET,
      region: 'eu-west-1',
      state: `s3://${BUCKET}/teams/platform`,
      settings: [
        { name: 'bucket', action: 'created' },
        { name: 'versioning', action: 'created' },
        { name: 'encryption', action: 'unchanged' },
        { name: 'public-access-block', action: 'unchanged' },
        { name: 'policy', action: 'created' },
        { name: 'lifecycle', action: 'created' },
        { name: 'tags', action: 'created' },
      ],
    });
  });

  it('is listed under `hm-infra state --help`', async () => {
    // WHEN
    const run = await runCli(['state', '--help'], { cwd });
    // THEN
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('setup');
  });
});
