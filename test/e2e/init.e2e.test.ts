/**
 * End-to-end: the built CLI, as a subprocess, against an AWS-compatible endpoint such as
 * LocalStack (http://localhost:4566) or moto (http://localhost:5000):
 *
 *   HM_INFRA_E2E_ENDPOINT=http://localhost:4566 npm run test:e2e
 *
 * Skipped when HM_INFRA_E2E_ENDPOINT is unset. Never run against real AWS.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DeleteBucketCommand,
  GetBucketCorsCommand,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const endpoint = process.env['HM_INFRA_E2E_ENDPOINT'];
const region = process.env['HM_INFRA_E2E_REGION'] ?? 'us-east-1';
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
  const s3 = new S3Client({ region, endpoint, forcePathStyle: true, credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY } });

  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'hm-e2e-'));
  });

  afterAll(async () => {
    await s3.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
    s3.destroy();
  });

  it('init creates the bucket with every PRD setting', async () => {
    const run = hmInfra('init', '--yes', '--app', app, '--domain', 'example.com', '--region', region);
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
  });

  it('a second init changes nothing', () => {
    const run = hmInfra('init', '--yes', '--json');
    expect(run.code, run.stderr).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc.summary).toEqual({ create: 0, update: 0, unchanged: 2 });
  });

  it('plan reports nothing to do', () => {
    const run = hmInfra('plan', '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).summary).toEqual({ create: 0, update: 0, unchanged: 2 });
  });
});
