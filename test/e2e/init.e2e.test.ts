/**
 * End to end, over the wire: the built CLI, as a user runs it, against moto behind the e2e
 * harness (test/e2e/harness/README.md: where moto differs from AWS and how the harness answers
 * as AWS does), with email and CDN on and the domain's zone in Route 53. One environment goes
 * through every command in the order a user meets them.
 *
 *   npm run test:e2e      # starts moto itself; or HM_INFRA_E2E_MOTO=http://127.0.0.1:5000
 */
import {
  GetDistributionCommand,
  GetOriginAccessControlCommand,
  NoSuchOriginAccessControl,
  paginateListDistributions,
} from '@aws-sdk/client-cloudfront';
import {
  CreateUserCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  ListAccessKeysCommand,
  ListUserTagsCommand,
} from '@aws-sdk/client-iam';
import {
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
} from '@aws-sdk/client-route-53';
import {
  CreateBucketCommand,
  GetBucketCorsCommand,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketPolicyCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  ListObjectVersionsCommand,
  PutBucketCorsCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { GetConfigurationSetCommand, GetEmailIdentityCommand, GetEmailTemplateCommand } from '@aws-sdk/client-sesv2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type World,
  REGION,
  givenProjectDir,
  hmInfra,
  printed,
  readState,
  startWorld,
  writeConfig,
} from './support.js';

const app = `e2e${Date.now().toString(36)}`;
const domain = `${app}.example.com`;
const bucket = `${app}-uploads-dev`;
const user = `${app}-app-dev`;
/** Resources init makes with CDN and email on (every step but the account and zone checks). */
/** Resources of the default configuration (CDN, email, and email events with it). */
const RESOURCES = 27;

let world: World;
let dir: string;
let zoneId: string;
const cli = (...args: string[]) => hmInfra(world, dir, args);

async function zoneSets(): Promise<ResourceRecordSet[]> {
  return (
    (await world.route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }))).ResourceRecordSets ?? []
  );
}

/** The distributions whose comment names this app, as the console lists them. */
async function distributionsOfApp(): Promise<string[]> {
  const ids: string[] = [];
  for await (const page of paginateListDistributions({ client: world.cloudfront }, {}))
    ids.push(...(page.DistributionList?.Items ?? []).filter((d) => d.Comment?.includes(app)).map((d) => d.Id ?? ''));
  return ids;
}

beforeAll(async () => {
  world = await startWorld();
  dir = await givenProjectDir();
  // The user's own things, which teardown must leave: the zone and a record in it, a bucket, an IAM user.
  const zone = await world.route53.send(new CreateHostedZoneCommand({ Name: domain, CallerReference: `${app}-zone` }));
  zoneId = (zone.HostedZone?.Id ?? '').replace('/hostedzone/', '');
  await world.route53.send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: zoneId,
      ChangeBatch: {
        Changes: [
          {
            Action: 'CREATE',
            ResourceRecordSet: {
              Name: `www.${domain}`,
              Type: 'TXT',
              TTL: 300,
              ResourceRecords: [{ Value: '"site-verification=users-own"' }],
            },
          },
        ],
      },
    }),
  );
  await world.s3.send(new CreateBucketCommand({ Bucket: `${app}-users-own` }));
  await world.iam.send(new CreateUserCommand({ UserName: `${app}-users-own` }));
  await writeConfig(dir, {
    app,
    domain,
    region: REGION,
    corsOrigins: [`https://${domain}`, `https://www.${domain}`],
    cdn: true,
    email: true,
  });
  world.harness.reset();
});

afterAll(async () => {
  await world?.stop();
});

describe('one environment, every command, over the wire', () => {
  it('init creates every resource: bucket and its settings, OAC, distribution, bucket policy, SES, the DNS records in the zone, the app user and one key', async () => {
    // WHEN
    const run = await cli('init', '--yes', '--config', 'hm-infra.json');
    // THEN
    expect(run.code, printed(run)).toBe(0);
    expect(world.harness.errors).toEqual([]);
    const { s3, cloudfront, ses, iam } = world;
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }))).Status).toBe('Enabled');
    expect(
      (await s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }))).ServerSideEncryptionConfiguration?.Rules?.[0]
        ?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm,
    ).toBe('AES256');
    expect((await s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket }))).PublicAccessBlockConfiguration).toEqual(
      {
        BlockPublicAcls: true,
        IgnorePublicAcls: true,
        BlockPublicPolicy: true,
        RestrictPublicBuckets: true,
      },
    );
    expect((await s3.send(new GetBucketCorsCommand({ Bucket: bucket }))).CORSRules?.[0]?.AllowedOrigins).toEqual([
      `https://${domain}`,
      `https://www.${domain}`,
    ]);
    const rules = (await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }))).Rules ?? [];
    expect(rules.map((r) => r.ID).sort()).toEqual([
      'abort-incomplete-multipart',
      'expire-delete-markers',
      'transition-old-versions',
    ]);
    expect((await s3.send(new GetBucketTaggingCommand({ Bucket: bucket }))).TagSet).toEqual(
      expect.arrayContaining([{ Key: 'ManagedBy', Value: 'hm-infra' }]),
    );

    const state = await readState(dir);
    const distribution = state.resources['distribution']?.outputs as { id: string; arn: string };
    const oac = state.resources['oac']?.outputs as { id: string };
    expect(
      (await cloudfront.send(new GetOriginAccessControlCommand({ Id: oac.id }))).OriginAccessControl
        ?.OriginAccessControlConfig,
    ).toMatchObject({
      SigningBehavior: 'always',
      SigningProtocol: 'sigv4',
      OriginAccessControlOriginType: 's3',
    });
    const live = (await cloudfront.send(new GetDistributionCommand({ Id: distribution.id }))).Distribution
      ?.DistributionConfig;
    expect(live?.Origins?.Items?.[0]?.OriginAccessControlId).toBe(oac.id);
    expect(live?.DefaultCacheBehavior).toMatchObject({
      ViewerProtocolPolicy: 'redirect-to-https',
      MinTTL: 0,
      DefaultTTL: 86400,
      MaxTTL: 31536000,
    });
    expect(live?.CacheBehaviors?.Items?.[0]).toMatchObject({
      PathPattern: 'avatars/*',
      MinTTL: 86400,
      DefaultTTL: 604800,
    });
    const policy = JSON.parse((await s3.send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy ?? '{}') as {
      Statement: Array<{ Sid?: string; Condition?: unknown }>;
    };
    expect(JSON.stringify(policy.Statement.find((st) => st.Sid === 'AllowCloudFrontRead')?.Condition)).toContain(
      distribution.arn,
    );

    const identity = await ses.send(new GetEmailIdentityCommand({ EmailIdentity: domain }));
    const tokens = identity.DkimAttributes?.Tokens ?? [];
    expect(tokens).toHaveLength(3);
    expect(identity.MailFromAttributes?.MailFromDomain).toBe(`mail.${domain}`);
    expect(
      (await ses.send(new GetConfigurationSetCommand({ ConfigurationSetName: `${app}-dev` }))).DeliveryOptions
        ?.TlsPolicy,
    ).toBe('REQUIRE');
    expect(
      (await ses.send(new GetEmailTemplateCommand({ TemplateName: 'email-verification' }))).TemplateContent?.Text,
    ).toContain('{{verification_url}}');
    const sets = await zoneSets();
    for (const token of tokens)
      expect(sets.find((s) => s.Name === `${token}._domainkey.${domain}.`)?.ResourceRecords).toEqual([
        { Value: `${token}.dkim.amazonses.com` },
      ]);
    expect(
      sets
        .filter((s) => s.Name === `mail.${domain}.`)
        .map((s) => s.Type)
        .sort(),
    ).toEqual(['MX', 'TXT']);
    expect(sets.find((s) => s.Name === `_dmarc.${domain}.`)?.Type).toBe('TXT');

    expect((await iam.send(new ListUserTagsCommand({ UserName: user }))).Tags).toEqual(
      expect.arrayContaining([{ Key: 'ManagedBy', Value: 'hm-infra' }]),
    );
    const s3Policy = JSON.parse(
      decodeURIComponent(
        (await iam.send(new GetUserPolicyCommand({ UserName: user, PolicyName: 's3-uploads' }))).PolicyDocument ?? '',
      ),
    ) as {
      Statement: Array<{ Sid: string; Resource: unknown }>;
    };
    expect(s3Policy.Statement.find((st) => st.Sid === 'ListUploads')?.Resource).toEqual([`arn:aws:s3:::${bucket}`]);
    const keys = (await iam.send(new ListAccessKeysCommand({ UserName: user }))).AccessKeyMetadata ?? [];
    expect(keys.map((k) => k.AccessKeyId)).toEqual([state.resources['access-key']?.secret?.accessKeyId]);
  });

  it('a second init makes no write at all, as CloudTrail would show', async () => {
    world.harness.reset();
    // WHEN
    const run = await cli('init', '--yes', '--json');
    // THEN
    expect(run.code, printed(run)).toBe(0);
    expect(JSON.parse(run.stdout).summary).toEqual({ create: 0, update: 0, unchanged: RESOURCES });
    expect(world.harness.writes().map((r) => `${r.service}:${r.operation}`)).toEqual([]);
    expect(world.harness.requests.length).toBeGreaterThan(0);
  });

  it('plan has nothing to do', async () => {
    world.harness.reset();
    const run = await cli('plan', '--json');
    expect(run.code, printed(run)).toBe(0);
    expect(JSON.parse(run.stdout).summary).toEqual({ create: 0, update: 0, unchanged: RESOURCES });
    expect(world.harness.writes()).toEqual([]);
  });

  it('status is in sync (exit 0); after a CORS rule changed by hand it is drifted (exit 4); init puts it back', async () => {
    const inSync = await cli('status', '--json');
    expect(inSync.code, printed(inSync)).toBe(0);
    expect(JSON.parse(inSync.stdout).summary).toMatchObject({ drifted: 0, missing: 0, unchecked: 0 });
    // WHEN someone edits CORS in the console
    await world.s3.send(
      new PutBucketCorsCommand({
        Bucket: bucket,
        CORSConfiguration: { CORSRules: [{ AllowedMethods: ['GET'], AllowedOrigins: ['https://evil.example'] }] },
      }),
    );
    const drifted = await cli('status', '--json');
    // THEN
    expect(drifted.code, printed(drifted)).toBe(4);
    const row = (
      JSON.parse(drifted.stdout).resources as Array<{ id: string; status: string; changes: Array<{ field: string }> }>
    ).find((r) => r.id === 'bucket-settings');
    expect(row?.status).toBe('drifted');
    expect(row?.changes.map((c) => c.field)).toEqual(['cors']);
    world.harness.reset();
    const repaired = await cli('init', '--yes');
    expect(repaired.code, printed(repaired)).toBe(0);
    expect(world.harness.writes().map((r) => r.operation)).toEqual(['PutBucketCors']);
    expect((await cli('status')).code).toBe(0);
  });

  it('verify-dns finds the records in DNS but SES still verifying: pending (exit 3); once SES has verified: exit 0', async () => {
    // The loopback DNS server answers for the zone moto holds, as resolver and as the zone's nameserver.
    const dnsFlags = ['--resolver', world.dns.address, '--nameserver', world.dns.address];
    const pending = await cli('verify-dns', '--once', '--json', ...dnsFlags);
    expect(pending.code, printed(pending)).toBe(3);
    const first = JSON.parse(pending.stdout) as {
      outcome: string;
      dns: { zone: string; nameservers: string[]; provider?: string };
      records: Array<{ type: string; name: string; ok: boolean; fault: string; source: string }>;
    };
    expect(first.outcome).toBe('pending');
    expect(first.records.map((r) => `${r.type} ${r.name} ${r.fault} ${r.source}`)).toEqual(
      first.records.map((r) => `${r.type} ${r.name} ok nameservers`),
    );
    expect(first.records).toHaveLength(6);
    // moto's zone names Route 53's nameservers, and the records are in that zone: no delegation warning.
    expect(first.dns).toMatchObject({ zone: domain, provider: 'Amazon Route 53' });
    expect(pending.stderr).not.toContain('nobody sees that zone');
    expect(world.dns.questions).toContain(`NS ${domain}`);
    // WHEN SES has found the records
    world.harness.ses.setStatus(REGION, domain, { dkim: 'SUCCESS', mailFrom: 'SUCCESS' });
    const verified = await cli('verify-dns', '--once', ...dnsFlags);
    // THEN
    expect(verified.code, printed(verified)).toBe(0);
    expect(verified.stderr).toContain(`${domain} is verified for sending`);
  });

  it('print-env hands out the block in each format, the secret masked unless asked for', async () => {
    const state = await readState(dir);
    const secret = state.resources['access-key']?.secret;
    const dotenv = await cli('print-env');
    expect(dotenv.code, printed(dotenv)).toBe(0);
    expect(dotenv.stdout).toContain(`S3_BUCKET_NAME=${bucket}`);
    expect(dotenv.stdout).toContain(`AWS_ACCESS_KEY_ID=${secret?.accessKeyId}`);
    expect(dotenv.stdout).not.toContain(secret?.secretAccessKey);
    const shell = await cli('print-env', '--format', 'shell', '--show-secret');
    expect(shell.stdout).toContain(`export AWS_SECRET_ACCESS_KEY='${secret?.secretAccessKey}'`);
    const json = await cli('print-env', '--format', 'json', '--show-secret');
    const env = (JSON.parse(json.stdout) as { env: Record<string, string> }).env;
    expect(env).toMatchObject({
      AWS_ACCESS_KEY_ID: secret?.accessKeyId,
      AWS_SECRET_ACCESS_KEY: secret?.secretAccessKey,
      S3_BUCKET_NAME: bucket,
      SES_FROM_EMAIL: `noreply@${domain}`,
      AWS_REGION: REGION,
    });
    expect(env['CLOUDFRONT_URL']).toMatch(/^https:\/\/.+\.cloudfront\.net$/);
  });

  it('smoke-test uploads with the app key through a presigned URL, sends the test email, and leaves nothing behind', async () => {
    const state = await readState(dir);
    world.harness.reset();
    // WHEN
    const run = await cli('smoke-test', '--json', '--cdn-timeout', '0');
    // THEN
    const doc = JSON.parse(run.stdout) as { checks: Array<{ id: string; status: string; summary: string }> };
    const check = (id: string) => doc.checks.find((c) => c.id === id);
    expect(check('app-key')?.status, run.stdout).toBe('ok');
    expect(check('upload')?.status, run.stdout).toBe('ok');
    expect(check('email')?.status, run.stdout).toBe('ok');
    expect(check('cleanup')?.status, run.stdout).toBe('ok');
    // moto accepts any key, so what the app may not do cannot be checked there; its CDN names do not resolve.
    expect(check('least-privilege')?.status).toBe('skipped');
    expect(check('private-bucket')?.status).toBe('skipped');
    expect(check('cdn')?.status).toBe('skipped');
    expect(run.code, printed(run)).toBe(0);
    const put = world.harness.requests.find((r) => r.operation === 'PutObject');
    expect(put?.accessKeyId).toBe(state.resources['access-key']?.secret?.accessKeyId);
    expect(put?.url).toContain('X-Amz-Signature=');
    // The test email through the template, and one to SES's bounce simulator, whose bounce came back on the queue.
    expect(world.harness.ses.sent.map((m) => m.template ?? m.to[0])).toEqual(
      expect.arrayContaining(['email-verification', 'bounce@simulator.amazonses.com']),
    );
    const versions = await world.s3.send(
      new ListObjectVersionsCommand({ Bucket: bucket, Prefix: 'avatars/smoke-test/' }),
    );
    expect([...(versions.Versions ?? []), ...(versions.DeleteMarkers ?? [])]).toEqual([]);
  });

  it('init --rotate-key leaves exactly one key, the new one, in state and at IAM', async () => {
    const before = (await readState(dir)).resources['access-key']?.secret?.accessKeyId;
    // WHEN
    const run = await cli('init', '--yes', '--rotate-key');
    // THEN
    expect(run.code, printed(run)).toBe(0);
    const after = (await readState(dir)).resources['access-key']?.secret?.accessKeyId;
    expect(after).not.toBe(before);
    const keys = (await world.iam.send(new ListAccessKeysCommand({ UserName: user }))).AccessKeyMetadata ?? [];
    expect(keys.map((k) => k.AccessKeyId)).toEqual([after]);
  });

  it('teardown --dry-run lists all it would remove and writes nothing; without --force it refuses a bucket holding an upload (exit 2), writing nothing', async () => {
    world.harness.reset();
    const dry = await cli('teardown', '--dry-run', '--json');
    expect(dry.code, printed(dry)).toBe(0);
    expect(
      (JSON.parse(dry.stdout) as { steps: Array<{ action: string }> }).steps.filter((s) => s.action === 'delete'),
    ).toHaveLength(RESOURCES);
    expect(world.harness.writes()).toEqual([]);
    await world.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'avatars/e2e.txt', Body: 'hello' }));
    world.harness.reset();
    const refused = await cli('teardown', '--yes');
    expect(refused.code, printed(refused)).toBe(2);
    expect(refused.stdout).toMatch(/still holds objects/);
    expect(world.harness.writes()).toEqual([]);
  });

  it('teardown --force removes everything of the tool and nothing of the user', async () => {
    const state = await readState(dir);
    const distribution = state.resources['distribution']?.outputs as { id: string };
    const oac = state.resources['oac']?.outputs as { id: string };
    // WHEN
    const run = await cli('teardown', '--yes', '--force', '--wait-timeout', '5');
    // THEN
    expect(run.code, printed(run)).toBe(0);
    const { s3, cloudfront, ses, iam } = world;
    await expect(s3.send(new HeadBucketCommand({ Bucket: bucket }))).rejects.toThrow();
    await expect(cloudfront.send(new GetDistributionCommand({ Id: distribution.id }))).rejects.toThrow();
    await expect(cloudfront.send(new GetOriginAccessControlCommand({ Id: oac.id }))).rejects.toBeInstanceOf(
      NoSuchOriginAccessControl,
    );
    await expect(ses.send(new GetEmailIdentityCommand({ EmailIdentity: domain }))).rejects.toThrow();
    await expect(ses.send(new GetConfigurationSetCommand({ ConfigurationSetName: `${app}-dev` }))).rejects.toThrow();
    await expect(iam.send(new GetUserCommand({ UserName: user }))).rejects.toThrow();
    // The user's own things are all there.
    expect((await zoneSets()).map((s) => `${s.Type} ${s.Name}`).sort()).toEqual([
      `NS ${domain}.`,
      `SOA ${domain}.`,
      `TXT www.${domain}.`,
    ]);
    await expect(s3.send(new HeadBucketCommand({ Bucket: `${app}-users-own` }))).resolves.toBeDefined();
    await expect(iam.send(new GetUserCommand({ UserName: `${app}-users-own` }))).resolves.toBeDefined();
    expect(await distributionsOfApp()).toEqual([]);
    const again = await cli('teardown', '--yes');
    expect(again.code, printed(again)).toBe(0);
    expect(again.stdout).toMatch(/already torn down/);
  });

  it('init after a teardown sets everything up again', async () => {
    // SQS takes the queues' names again 60 s after their delete (the flow tests cover the refusal).
    world.harness.sqs.deletedRecentlyMs = 0;
    const run = await cli('init', '--yes', '--config', 'hm-infra.json', '--json');
    expect(run.code, printed(run)).toBe(0);
    expect(JSON.parse(run.stdout).summary).toMatchObject({ create: RESOURCES, update: 0 });
    expect(await distributionsOfApp()).toHaveLength(1);
    expect((await zoneSets()).filter((s) => s.Name?.includes('_domainkey'))).toHaveLength(3);
    const done = await cli('teardown', '--yes', '--force', '--wait-timeout', '5');
    expect(done.code, printed(done)).toBe(0);
  });
});
