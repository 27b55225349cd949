import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bucketOutputs } from '../../src/resources/s3/bucket.js';
import { ourStatements } from '../../src/resources/s3/bucket-policy.js';
import { desiredDistributionConfig, distributionTags } from '../../src/resources/cloudfront/distribution-config.js';
import { FakeAccount } from '../fakes/account.js';
import type { FakeDistribution } from '../fakes/cloudfront.js';
import { type InstalledFake, installFakeAccount } from '../fakes/install.js';
import { runCli } from '../support/cli.js';
import { givenConfig } from '../support/context.js';

const INIT = ['init', '--yes', '--app', 'healthmetrics', '--domain', 'example.com'];
const CERT = 'arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789';
const BUCKET_ARN = 'arn:aws:s3:::healthmetrics-uploads-dev';

let cwd: string;
let installed: InstalledFake;
const fake = () => installed.fake;
const init = (extra: string[] = []) => runCli([...INIT, ...extra], { cwd });
const stateFile = async () => JSON.parse(await readFile(join(cwd, '.hm-infra', 'dev.json'), 'utf8'));

function onlyDistribution(): FakeDistribution {
  const all = [...fake().cloudfront.distributions.values()];
  expect(all).toHaveLength(1);
  return all[0] as FakeDistribution;
}

type Behaviour = Record<string, unknown>;
const defaultBehaviour = (d: FakeDistribution) => d.config['DefaultCacheBehavior'] as Behaviour;

describe('the CDN on a fake account', () => {
  beforeEach(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'hm-cdn-'));
    installed = installFakeAccount(new FakeAccount());
  });
  afterEach(() => installed.restore());

  it('creates OAC, distribution and bucket policy as docs/resources.md says, and reports the deployment', async () => {
    // WHEN
    const run = await init();
    // THEN
    expect(run.code, run.stderr).toBe(0);
    const [oac] = [...fake().cloudfront.oacs.values()];
    expect(oac?.config).toMatchObject({
      Name: 'healthmetrics-dev-uploads-oac',
      OriginAccessControlOriginType: 's3',
      SigningBehavior: 'always',
      SigningProtocol: 'sigv4',
    });
    const d = onlyDistribution();
    expect(d.config).toMatchObject({
      Enabled: true,
      IsIPV6Enabled: true,
      PriceClass: 'PriceClass_100',
      Comment: expect.stringContaining('healthmetrics uploads (dev)'),
    });
    expect((d.config['Origins'] as { Items: Behaviour[] }).Items[0]).toMatchObject({
      DomainName: 'healthmetrics-uploads-dev.s3.us-east-1.amazonaws.com',
      OriginAccessControlId: oac?.id,
    });
    expect(defaultBehaviour(d)).toMatchObject({
      ViewerProtocolPolicy: 'redirect-to-https',
      MinTTL: 0,
      DefaultTTL: 86400,
      MaxTTL: 31536000,
      Compress: true,
    });
    expect((d.config['CacheBehaviors'] as { Items: Behaviour[] }).Items[0]).toMatchObject({
      PathPattern: 'avatars/*',
      MinTTL: 86400,
      DefaultTTL: 604800,
      MaxTTL: 31536000,
    });
    expect(d.tags).toEqual(
      expect.arrayContaining([
        { Key: 'ManagedBy', Value: 'hm-infra' },
        { Key: 'Environment', Value: 'dev' },
      ]),
    );
    const policy = JSON.parse(fake().buckets.get('healthmetrics-uploads-dev')?.policy ?? '{}');
    expect(policy.Statement).toEqual(ourStatements(BUCKET_ARN, d.arn));
    // The run does not wait for the deployment, and says so.
    expect(d.status).toBe('InProgress');
    expect(run.stdout).toContain(`https://${d.domainName} (deploying`);
    const state = await stateFile();
    expect(state.resources.distribution).toMatchObject({ status: 'created', owned: true });
    expect(state.resources.distribution.outputs).toEqual({
      id: d.id,
      arn: d.arn,
      domainName: d.domainName,
      status: 'InProgress',
      url: `https://${d.domainName}`,
      aliases: [],
      env: { CLOUDFRONT_URL: `https://${d.domainName}` },
    });
  });

  it('changes nothing on a second run', async () => {
    await init();
    const writes = fake().writes.length;
    // WHEN
    const second = await init();
    // THEN
    expect(second.code, second.stderr).toBe(0);
    expect(fake().writes.slice(writes)).toEqual([]);
    expect(second.stdout).toContain('0 created, 0 updated');
  });

  it('shows a TTL changed by hand as one update in plan, and init puts it back with one call', async () => {
    await init();
    const d = onlyDistribution();
    d.config['DefaultCacheBehavior'] = { ...defaultBehaviour(d), DefaultTTL: 60 };
    const writes = fake().writes.length;
    // WHEN
    const plan = await runCli(['plan', '--json'], { cwd });
    // THEN
    const doc = JSON.parse(plan.stdout);
    expect(doc.summary).toEqual({ create: 0, update: 1, unchanged: 26 });
    const step = doc.steps.find((s: { id: string }) => s.id === 'distribution');
    expect(step.changes.map((c: { field: string }) => c.field)).toEqual(['default-behaviour']);
    expect(step.changes[0].from).toContain('TTL 0/60/31536000');
    expect(fake().writes.length).toBe(writes);
    // WHEN
    const run = await init();
    // THEN
    expect(run.code, run.stderr).toBe(0);
    expect(
      fake()
        .writes.slice(writes)
        .map((c) => c.command),
    ).toEqual(['UpdateDistribution']);
    expect(defaultBehaviour(onlyDistribution()).DefaultTTL).toBe(86400);
  });

  it('leaves exactly one distribution when the answer to CreateDistribution is lost', async () => {
    const reference = await mkdtemp(join(tmpdir(), 'hm-cdn-ref-'));
    await runCli(INIT, { cwd: reference });
    const k = fake().calls.findIndex((c) => c.command === 'CreateDistributionWithTags') + 1;
    installed.restore();
    installed = installFakeAccount(new FakeAccount());
    fake().failCall(k, { when: 'after' });
    // WHEN
    const first = await init();
    const second = await init();
    // THEN
    expect(first.code).toBe(1);
    expect(second.code, second.stderr).toBe(0);
    const d = onlyDistribution();
    expect((await stateFile()).resources.distribution).toMatchObject({ owned: true, outputs: { id: d.id } });
  });

  it('finds its distribution again among others, page by page, after the state file is lost', async () => {
    await init();
    const ours = onlyDistribution();
    const oacId = [...fake().cloudfront.oacs.keys()][0] as string;
    for (const app of ['blog', 'shop']) {
      const inputs = { config: givenConfig({ app }), bucket: bucketOutputs(`${app}-uploads-dev`, 'us-east-1'), oacId };
      fake().cloudfront.createDistribution(
        desiredDistributionConfig(inputs, undefined, `ref-${app}`) as never,
        distributionTags(inputs.config),
      );
    }
    fake().cloudfront.pageSize = 1;
    await rm(join(cwd, '.hm-infra'), { recursive: true });
    // WHEN (the lost state held the app's key: only a rotation can hand the app a usable one)
    const run = await init(['--rotate-key']);
    // THEN
    expect(run.code, run.stderr).toBe(0);
    expect(fake().cloudfront.distributions.size).toBe(3);
    expect(fake().cloudfront.oacs.size).toBe(1);
    expect((await stateFile()).resources.distribution.outputs.id).toBe(ours.id);
    expect(fake().calls.filter((c) => c.command === 'ListDistributions').length).toBeGreaterThanOrEqual(3);
  });

  it('merges its statements into a bucket policy the user already has', async () => {
    await init();
    const bucket = fake().buckets.get('healthmetrics-uploads-dev')!;
    const user = {
      Sid: 'PartnerRead',
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::210987654321:root' },
      Action: 's3:ListBucket',
      Resource: BUCKET_ARN,
    };
    bucket.policy = JSON.stringify({ Version: '2012-10-17', Statement: [user] });
    // WHEN
    const run = await init();
    // THEN
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(bucket.policy).Statement.map((s: { Sid: string }) => s.Sid)).toEqual([
      'PartnerRead',
      'AllowCloudFrontRead',
      'DenyInsecureTransport',
    ]);
  });

  it('waits for the deployment with --wait and records it as deployed', async () => {
    fake().cloudfront.deployAfterPolls = 1;
    // WHEN
    const run = await init(['--wait']);
    // THEN
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('Waiting for CloudFront to deploy');
    expect(run.stdout).toMatch(/https:\/\/\S+ \(deployed\)/);
    expect((await stateFile()).resources.distribution.outputs.status).toBe('Deployed');
  });

  it('serves a custom domain with the given certificate', async () => {
    // WHEN
    const run = await init(['--cdn-domain', 'cdn.example.com', '--certificate-arn', CERT]);
    // THEN
    expect(run.code, run.stderr).toBe(0);
    const d = onlyDistribution();
    expect(d.config['Aliases']).toEqual({ Quantity: 1, Items: ['cdn.example.com'] });
    expect(d.config['ViewerCertificate']).toMatchObject({
      ACMCertificateArn: CERT,
      SSLSupportMethod: 'sni-only',
      MinimumProtocolVersion: 'TLSv1.2_2021',
    });
    expect(run.stdout).toContain('CLOUDFRONT_URL=https://cdn.example.com');
    expect(run.stdout).toContain(`point cdn.example.com at ${d.domainName}`);
    expect((await stateFile()).config).toMatchObject({ cdnDomain: 'cdn.example.com', certificateArn: CERT });
  });

  it('leaves the CDN out with --no-cdn: no CloudFront call, and a policy that only refuses plain HTTP', async () => {
    // WHEN
    const run = await init(['--no-cdn']);
    const second = await init();
    // THEN
    expect(run.code, run.stderr).toBe(0);
    expect(second.code, second.stderr).toBe(0);
    expect(fake().calls.filter((c) => c.service === 'cloudfront')).toEqual([]);
    const policy = JSON.parse(fake().buckets.get('healthmetrics-uploads-dev')?.policy ?? '{}');
    expect(policy.Statement.map((s: { Sid: string }) => s.Sid)).toEqual(['DenyInsecureTransport']);
    expect(run.stdout).not.toMatch(/^CLOUDFRONT_URL=/m);
    expect(run.stdout).toContain('# CLOUDFRONT_URL: none, this environment has no CDN');
    expect((await stateFile()).config.cdn).toBe(false);
  });

  it('refuses --no-cdn for an environment whose CDN exists, before any AWS call', async () => {
    await init();
    const calls = fake().calls.length;
    // WHEN
    const run = await init(['--no-cdn']);
    // THEN
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('would leave it unmanaged');
    expect(fake().calls.length).toBe(calls);
  });

  it.each([
    [['--no-cdn', '--cdn-domain', 'cdn.example.com', '--certificate-arn', CERT], '--no-cdn leaves out'],
    [
      [
        '--certificate-arn',
        'arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789',
        '--cdn-domain',
        'cdn.example.com',
      ],
      'only uses ACM certificates from us-east-1',
    ],
    [
      ['--certificate-arn', 'arn:aws:iam::123456789012:server-certificate/cdn', '--cdn-domain', 'cdn.example.com'],
      'pass the ARN of an ACM certificate',
    ],
    [['--cdn-domain', 'cdn.example.com'], 'needs --certificate-arn'],
    [['--certificate-arn', CERT], 'add --cdn-domain'],
    [
      ['--cdn-domain', 'https://cdn.example.com', '--certificate-arn', CERT],
      'CDN domain "https://cdn.example.com" is not valid',
    ],
    [['--wait', '--wait-timeout', 'soon'], '--wait-timeout "soon" is not valid'],
  ])('refuses %j before any AWS call, with exit 2', async (flags, message) => {
    // WHEN
    const run = await init(flags);
    // THEN
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(fake().calls).toEqual([]);
  });
});
