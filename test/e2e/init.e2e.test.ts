/**
 * End-to-end: the built CLI, as a subprocess, against an AWS-compatible endpoint such as
 * LocalStack (http://localhost:4566) or moto (http://localhost:5000):
 *
 *   HM_INFRA_E2E_ENDPOINT=http://localhost:4566 npm run test:e2e
 *
 * Skipped when HM_INFRA_E2E_ENDPOINT is unset. Never run against real AWS. For an emulator
 * without CloudFront (LocalStack's free edition) set HM_INFRA_E2E_NO_CDN=1: init then runs with
 * --no-cdn and the CDN checks are skipped. For one without SES v2 configuration sets and
 * templates (LocalStack implements few SES v2 calls) set HM_INFRA_E2E_NO_EMAIL=1 (--no-email).
 * With email, the DNS records are printed (--dns external): an emulator has no delegated zone.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CloudFrontClient,
  DeleteDistributionCommand,
  DeleteOriginAccessControlCommand,
  GetDistributionCommand,
  GetOriginAccessControlCommand,
  UpdateDistributionCommand,
} from '@aws-sdk/client-cloudfront';
import {
  DeleteBucketCommand,
  DeleteBucketPolicyCommand,
  GetBucketPolicyCommand,
  GetBucketCorsCommand,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  ListObjectVersionsCommand,
  PutBucketCorsCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  DeleteConfigurationSetCommand,
  DeleteEmailIdentityCommand,
  DeleteEmailTemplateCommand,
  GetConfigurationSetCommand,
  GetEmailIdentityCommand,
  GetEmailTemplateCommand,
  SESv2Client,
} from '@aws-sdk/client-sesv2';
import {
  DeleteAccessKeyCommand,
  DeleteUserCommand,
  DeleteUserPolicyCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListUserTagsCommand,
} from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const endpoint = process.env['HM_INFRA_E2E_ENDPOINT'];
const region = process.env['HM_INFRA_E2E_REGION'] ?? 'us-east-1';
const withCdn = !process.env['HM_INFRA_E2E_NO_CDN'];
const withEmail = !process.env['HM_INFRA_E2E_NO_EMAIL'];
/**
 * Steps other than the read-only checks: bucket, settings, policy; OAC + distribution with the
 * CDN; configuration set, identity, MAIL FROM, two templates and DNS records with email; the
 * IAM user, its S3 policy (and SES policy with email) and the access key.
 */
const resourceSteps = (withCdn ? 5 : 3) + (withEmail ? 6 : 0) + (withEmail ? 4 : 3);
if (!endpoint) console.log('e2e skipped: set HM_INFRA_E2E_ENDPOINT to an AWS-compatible endpoint (LocalStack, moto) to run it.');

const bin = fileURLToPath(new URL('../../bin/hm-infra.js', import.meta.url));
const app = `e2e${Date.now().toString(36)}`;
const bucket = `${app}-uploads-dev`;
const env = {
  ...process.env,
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_ACCESS_KEY_ID: process.env['AWS_ACCESS_KEY_ID'] ?? 'test',
  AWS_SECRET_ACCESS_KEY: process.env['AWS_SECRET_ACCESS_KEY'] ?? 'test',
  AWS_ENDPOINT_URL: endpoint ?? '',
};

let cwd: string;
const hmInfra = (...args: string[]) => {
  const run = spawnSync(process.execPath, [bin, ...args], { cwd, env, encoding: 'utf8', timeout: 240_000 });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
};

describe.skipIf(!endpoint)(`hm-infra against ${endpoint ?? '(no endpoint)'}`, () => {
  const credentials = { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY };
  const s3 = new S3Client({ region, endpoint, forcePathStyle: true, credentials });
  const cf = new CloudFrontClient({ region: 'us-east-1', endpoint, credentials });
  const ses = new SESv2Client({ region, endpoint, credentials });
  const iam = new IAMClient({ region: 'us-east-1', endpoint, credentials });
  const user = `${app}-app-dev`;
  const domain = `${app}.example.com`;
  let recorded: { distribution?: { id: string; arn: string }; oac?: { id: string } } = {};

  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'hm-e2e-'));
  });

  // Best effort: `hm-infra teardown` is the tool's own way; this only keeps the emulator tidy.
  afterAll(async () => {
    const keys = await iam.send(new ListAccessKeysCommand({ UserName: user })).catch(() => undefined);
    for (const key of keys?.AccessKeyMetadata ?? []) await iam.send(new DeleteAccessKeyCommand({ UserName: user, AccessKeyId: key.AccessKeyId })).catch(() => undefined);
    for (const name of ['s3-uploads', 'ses-sending']) await iam.send(new DeleteUserPolicyCommand({ UserName: user, PolicyName: name })).catch(() => undefined);
    await iam.send(new DeleteUserCommand({ UserName: user })).catch(() => undefined);
    iam.destroy();
    if (withEmail) {
      await ses.send(new DeleteEmailIdentityCommand({ EmailIdentity: domain })).catch(() => undefined);
      await ses.send(new DeleteConfigurationSetCommand({ ConfigurationSetName: `${app}-dev` })).catch(() => undefined);
      for (const name of ['email-verification', 'password-reset']) await ses.send(new DeleteEmailTemplateCommand({ TemplateName: name })).catch(() => undefined);
      ses.destroy();
    }
    const id = recorded.distribution?.id;
    if (id) {
      const live = await cf.send(new GetDistributionCommand({ Id: id })).catch(() => undefined);
      const config = live?.Distribution?.DistributionConfig;
      const disabled = config ? await cf.send(new UpdateDistributionCommand({ Id: id, IfMatch: live?.ETag, DistributionConfig: { ...config, Enabled: false } })).catch(() => undefined) : undefined;
      await cf.send(new DeleteDistributionCommand({ Id: id, IfMatch: disabled?.ETag ?? live?.ETag })).catch(() => undefined);
    }
    if (recorded.oac) {
      const oac = await cf.send(new GetOriginAccessControlCommand({ Id: recorded.oac.id })).catch(() => undefined);
      await cf.send(new DeleteOriginAccessControlCommand({ Id: recorded.oac.id, IfMatch: oac?.ETag })).catch(() => undefined);
    }
    await s3.send(new DeleteBucketPolicyCommand({ Bucket: bucket })).catch(() => undefined);
    await s3.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
    s3.destroy();
    cf.destroy();
  });

  it('init creates the bucket with every PRD setting', async () => {
    // CI mode: every answer from a config file, --yes instead of a terminal.
    const settings = { app, domain, region, corsOrigins: ['https://example.com', 'https://www.example.com'], cdn: withCdn, email: withEmail, ...(withEmail ? { dns: 'external' } : {}) };
    await writeFile(join(cwd, 'hm-infra.json'), JSON.stringify(settings));
    const run = hmInfra('init', '--yes', '--config', 'hm-infra.json');
    expect(run.code, run.stderr).toBe(0);
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }))).Status).toBe('Enabled');
    expect((await s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }))).ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm).toBe('AES256');
    expect((await s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket }))).PublicAccessBlockConfiguration).toMatchObject({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    });
    expect((await s3.send(new GetBucketCorsCommand({ Bucket: bucket }))).CORSRules?.[0]?.AllowedOrigins).toEqual(['https://example.com', 'https://www.example.com']);
    const rules = (await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }))).Rules ?? [];
    expect(rules.map((r) => r.ID).sort()).toEqual(['abort-incomplete-multipart', 'expire-delete-markers', 'transition-old-versions']);
    expect((await s3.send(new GetBucketTaggingCommand({ Bucket: bucket }))).TagSet).toEqual(expect.arrayContaining([{ Key: 'ManagedBy', Value: 'hm-infra' }]));
    const state = JSON.parse(await readFile(join(cwd, '.hm-infra', 'dev.json'), 'utf8'));
    expect(state.resources.bucket.owned).toBe(true);
    recorded = { distribution: state.resources.distribution?.outputs, oac: state.resources.oac?.outputs };
  });

  it.skipIf(!withCdn)('init creates the CDN: OAC, distribution with the PRD TTLs, and the bucket policy', async () => {
    const { distribution, oac } = recorded;
    expect(distribution?.id).toBeTruthy();
    const oacConfig = (await cf.send(new GetOriginAccessControlCommand({ Id: oac?.id }))).OriginAccessControl?.OriginAccessControlConfig;
    expect(oacConfig).toMatchObject({ Name: `${app}-dev-uploads-oac`, SigningBehavior: 'always', SigningProtocol: 'sigv4' });
    const live = (await cf.send(new GetDistributionCommand({ Id: distribution?.id }))).Distribution?.DistributionConfig;
    expect(live?.DefaultCacheBehavior).toMatchObject({ ViewerProtocolPolicy: 'redirect-to-https', MinTTL: 0, DefaultTTL: 86400, MaxTTL: 31536000 });
    expect(live?.CacheBehaviors?.Items?.[0]).toMatchObject({ PathPattern: 'avatars/*', MinTTL: 86400, DefaultTTL: 604800 });
    const policy = JSON.parse((await s3.send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy ?? '{}');
    const read = policy.Statement.find((st: { Sid?: string }) => st.Sid === 'AllowCloudFrontRead');
    expect(JSON.stringify(read.Condition)).toContain(distribution?.arn);
  });

  it.skipIf(!withEmail)('init creates the SES identity with 2048-bit Easy DKIM, the configuration set, templates, and records the six DNS records', async () => {
    const identity = await ses.send(new GetEmailIdentityCommand({ EmailIdentity: domain }));
    expect(identity.DkimAttributes?.Tokens?.length).toBeGreaterThan(0);
    const set = await ses.send(new GetConfigurationSetCommand({ ConfigurationSetName: `${app}-dev` }));
    expect(set.DeliveryOptions?.TlsPolicy).toBe('REQUIRE');
    const template = await ses.send(new GetEmailTemplateCommand({ TemplateName: 'email-verification' }));
    expect(template.TemplateContent?.Text).toContain('{{verification_url}}');
    const state = JSON.parse(await readFile(join(cwd, '.hm-infra', 'dev.json'), 'utf8'));
    expect(state.resources['dns-records'].outputs.mode).toBe('external');
    expect(state.resources['dns-records'].outputs.records.map((r: { type: string }) => r.type)).toEqual([...identity.DkimAttributes!.Tokens!.map(() => 'CNAME'), 'MX', 'TXT', 'TXT']);
  });

  it('init creates the tagged app user, its least-privilege policies and one key, and print-env hands it out', async () => {
    expect((await iam.send(new ListUserTagsCommand({ UserName: user }))).Tags).toEqual(expect.arrayContaining([{ Key: 'ManagedBy', Value: 'hm-infra' }]));
    const s3Policy = await iam.send(new GetUserPolicyCommand({ UserName: user, PolicyName: 's3-uploads' }));
    const doc = JSON.parse(decodeURIComponent(s3Policy.PolicyDocument ?? ''));
    expect(doc.Statement.find((st: { Sid: string }) => st.Sid === 'ListUploads').Resource).toEqual([`arn:aws:s3:::${bucket}`]);
    const keys = (await iam.send(new ListAccessKeysCommand({ UserName: user }))).AccessKeyMetadata ?? [];
    const state = JSON.parse(await readFile(join(cwd, '.hm-infra', 'dev.json'), 'utf8'));
    expect(keys.map((k) => k.AccessKeyId)).toEqual([state.resources['access-key'].secret.accessKeyId]);
    const printed = hmInfra('print-env', '--format', 'json', '--show-secret');
    expect(printed.code, printed.stderr).toBe(0);
    expect(JSON.parse(printed.stdout).env).toMatchObject({ AWS_ACCESS_KEY_ID: keys[0]?.AccessKeyId, AWS_SECRET_ACCESS_KEY: state.resources['access-key'].secret.secretAccessKey, S3_BUCKET_NAME: bucket });
  });

  it('a second init changes nothing', () => {
    const run = hmInfra('init', '--yes', '--json');
    expect(run.code, run.stderr).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc.summary).toEqual({ create: 0, update: 0, unchanged: resourceSteps });
  });

  it('plan reports nothing to do', () => {
    const run = hmInfra('plan', '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).summary).toEqual({ create: 0, update: 0, unchanged: resourceSteps });
  });

  it('status finds every resource in sync (or still deploying/verifying): exit 0', () => {
    const run = hmInfra('status', '--json');
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc.summary).toMatchObject({ drifted: 0, missing: 0, unchecked: 0 });
    expect(doc.resources).toHaveLength(resourceSteps);
  });

  it('smoke-test uploads with the app key through a presigned URL and leaves nothing behind', async () => {
    const run = hmInfra('smoke-test', '--json', '--cdn-timeout', '0');
    const doc = JSON.parse(run.stdout);
    const check = (id: string) => doc.checks.find((c: { id: string }) => c.id === id);
    expect(check('app-key').status, run.stdout).toBe('ok');
    expect(check('upload').status, run.stdout).toBe('ok');
    expect(check('cleanup').status, run.stdout).toBe('ok');
    // An emulator without IAM refuses nothing: then these say so and are skipped.
    expect(['ok', 'skipped']).toContain(check('least-privilege').status);
    expect(['ok', 'skipped']).toContain(check('private-bucket').status);
    // Most emulators do not serve distributions on their cloudfront.net names; then it is skipped.
    expect(['ok', 'skipped']).toContain(check('cdn').status);
    if (!withCdn) expect(check('cdn').summary).toContain('--no-cdn');
    if (withEmail) {
      // The domain is not verified on an emulator unless it verifies by itself: then the reason is named.
      if (check('email').status !== 'ok') expect(check('email').summary).toMatch(/not verified|does not implement/);
    } else {
      expect(check('email').status).toBe('skipped');
      expect(run.code, run.stdout).toBe(0);
    }
    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: 'avatars/smoke-test/' }));
    expect([...(versions.Versions ?? []), ...(versions.DeleteMarkers ?? [])]).toEqual([]);
  });

  it('status finds a CORS rule changed by hand (exit 4), and init puts it back', async () => {
    await s3.send(new PutBucketCorsCommand({ Bucket: bucket, CORSConfiguration: { CORSRules: [{ AllowedMethods: ['GET'], AllowedOrigins: ['https://evil.example'] }] } }));
    const drifted = hmInfra('status', '--json');
    expect(drifted.code, drifted.stderr).toBe(4);
    const row = JSON.parse(drifted.stdout).resources.find((r: { id: string }) => r.id === 'bucket-settings');
    expect(row.status).toBe('drifted');
    expect(row.changes.map((c: { field: string }) => c.field)).toContain('cors');
    expect(hmInfra('init', '--yes').code).toBe(0);
    expect(hmInfra('status').code).toBe(0);
  });

  it('teardown --dry-run lists what it would remove and changes nothing', () => {
    const run = hmInfra('teardown', '--dry-run', '--json');
    expect(run.code, run.stderr).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc.steps.filter((s: { action: string }) => s.action === 'delete')).toHaveLength(resourceSteps);
    expect(hmInfra('plan', '--json').code).toBe(0);
  });

  it('teardown refuses a bucket holding an object without --force (exit 2), removing nothing', async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'avatars/e2e.txt', Body: 'hello' }));
    const run = hmInfra('teardown', '--yes');
    expect(run.code, run.stdout + run.stderr).toBe(2);
    expect(run.stdout).toMatch(/still holds objects/);
    expect((await iam.send(new GetUserCommand({ UserName: user }))).User?.UserName).toBe(user);
  });

  it('teardown --force removes everything it created and moves the state file aside', async () => {
    const run = hmInfra('teardown', '--yes', '--force', '--wait-timeout', '10');
    expect(run.code, run.stdout + run.stderr).toBe(0);
    await expect(s3.send(new HeadBucketCommand({ Bucket: bucket }))).rejects.toThrow();
    await expect(iam.send(new GetUserCommand({ UserName: user }))).rejects.toThrow();
    if (withCdn) await expect(cf.send(new GetDistributionCommand({ Id: recorded.distribution?.id }))).rejects.toThrow();
    if (withEmail) await expect(ses.send(new GetEmailIdentityCommand({ EmailIdentity: domain }))).rejects.toThrow();
    const files = await readdir(join(cwd, '.hm-infra'));
    expect(files).not.toContain('dev.json');
    expect(files.some((f) => f.startsWith('dev.destroyed-'))).toBe(true);
    const again = hmInfra('teardown', '--yes');
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/already torn down/);
  });
});
