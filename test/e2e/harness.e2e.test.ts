/**
 * The e2e harness itself (test/e2e/harness/): real SDK clients, over TLS, through the harness
 * to a moto server, and each gap between moto and AWS covered as AWS's API references say.
 *
 * Starts moto on a free loopback port (scripts/moto.mjs) unless HM_INFRA_E2E_MOTO names a
 * running one; fails, saying how to install it, when `python3 -c 'import moto.server'` fails.
 */
import { spawn } from 'node:child_process';
import { Agent } from 'node:https';
import { fileURLToPath } from 'node:url';
import {
  CloudFrontClient,
  CreateDistributionWithTagsCommand,
  CreateInvalidationCommand,
  CreateOriginAccessControlCommand,
  DeleteDistributionCommand,
  DeleteOriginAccessControlCommand,
  type DistributionConfig,
  GetDistributionCommand,
  GetDistributionConfigCommand,
  GetInvalidationCommand,
  GetOriginAccessControlCommand,
  GetOriginAccessControlConfigCommand,
  ListDistributionsCommand,
  ListTagsForResourceCommand,
  UpdateDistributionCommand,
  UpdateOriginAccessControlCommand,
} from '@aws-sdk/client-cloudfront';
import {
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeleteUserCommand,
  GetUserCommand,
  IAMClient,
  CreateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import {
  ChangeResourceRecordSetsCommand,
  type Change,
  CreateHostedZoneCommand,
  GetChangeCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
} from '@aws-sdk/client-route-53';
import {
  CreateBucketCommand,
  GetBucketEncryptionCommand,
  GetBucketOwnershipControlsCommand,
  GetBucketPolicyCommand,
  GetObjectCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  ListBucketsCommand,
  PutBucketPolicyCommand,
  PutBucketTaggingCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { CreateEmailIdentityCommand, GetEmailIdentityCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MOTO_VERSION, type MotoServer, motoProblem, startMoto } from '../../scripts/moto.mjs';
import { type AwsHarness, startHarness } from './harness/proxy.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const run = Date.now().toString(36);
const credentials = { accessKeyId: 'AKIAHARNESSTEST00001', secretAccessKey: 'harness-secret' };

let moto: MotoServer | undefined;
let harness: AwsHarness;
let agent: Agent;

/** SDK client settings: through the harness's TLS port (or another of its URLs), no retries unless asked. */
function config(options: { endpoint?: string; maxAttempts?: number } = {}) {
  return {
    region: 'us-east-1',
    endpoint: options.endpoint ?? harness.url,
    credentials,
    maxAttempts: options.maxAttempts ?? 1,
    requestHandler: { httpsAgent: agent },
  };
}

/** The error a call fails with (the test fails when it succeeds). */
async function failure(call: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await call;
  } catch (err) {
    return err as Error & { $metadata?: { httpStatusCode?: number } };
  }
  throw new Error('expected the call to fail');
}

beforeAll(async () => {
  const external = process.env['HM_INFRA_E2E_MOTO'];
  if (!external) {
    const problem = motoProblem();
    if (problem) throw new Error(`The harness e2e test needs moto ${MOTO_VERSION}: ${problem}`);
    moto = await startMoto();
  }
  harness = await startHarness({ motoUrl: external ?? moto?.url ?? '' });
  agent = new Agent({ ca: harness.ca, keepAlive: true });
});

afterAll(async () => {
  agent?.destroy();
  await harness?.stop();
  await moto?.stop();
});

describe('request log', () => {
  it('names service and operation of each request, and which ones write', async () => {
    harness.reset();
    const s3 = new S3Client({ ...config(), forcePathStyle: true });
    const iam = new IAMClient(config());
    const sts = new STSClient(config());
    const cf = new CloudFrontClient(config());
    const bucket = `log-${run}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    await s3.send(new PutBucketTaggingCommand({ Bucket: bucket, Tagging: { TagSet: [{ Key: 'k', Value: 'v' }] } }));
    await s3.send(new ListBucketsCommand({}));
    await iam.send(new CreateUserCommand({ UserName: `log-${run}` }));
    await iam.send(new GetUserCommand({ UserName: `log-${run}` }));
    await sts.send(new GetCallerIdentityCommand({}));
    await cf.send(new ListDistributionsCommand({}));
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: 'missing' }), { expiresIn: 60 });
    await fetch(url.replace(harness.url, harness.httpUrl)).then((r) => r.arrayBuffer());
    await fetch(`${harness.httpUrl}/${bucket}?list-type=2`).then((r) => r.arrayBuffer());

    expect(harness.requests.map((r) => [r.service, r.operation, r.write])).toEqual([
      ['s3', 'CreateBucket', true],
      ['s3', 'HeadBucket', false],
      ['s3', 'PutBucketTagging', true],
      ['s3', 'ListBuckets', false],
      ['iam', 'CreateUser', true],
      ['iam', 'GetUser', false],
      ['sts', 'GetCallerIdentity', false],
      ['cloudfront', 'ListDistributions', false],
      ['s3', 'GetObject', false],
      ['s3', 'ListObjectsV2', false],
    ]);
    expect(harness.writes()).toHaveLength(3);
    expect(harness.requests.slice(0, -1).every((r) => r.accessKeyId === credentials.accessKeyId)).toBe(true);
    expect(harness.requests.at(-1)?.accessKeyId).toBeUndefined();
    expect(harness.requests.map((r) => r.secure)).toEqual([
      true,
      true,
      true,
      true,
      true,
      true,
      true,
      true,
      false,
      false,
    ]);
    expect(harness.requests.every((r) => r.endedAt !== undefined && r.endedAt >= r.startedAt)).toBe(true);
  });

  it('delays every answer by delayMs', async () => {
    const sts = new STSClient(config());
    harness.delayMs = 80;
    harness.reset();
    try {
      await sts.send(new GetCallerIdentityCommand({}));
    } finally {
      harness.delayMs = 0;
    }
    const [entry] = harness.requests;
    expect((entry?.endedAt ?? 0) - (entry?.startedAt ?? 0)).toBeGreaterThanOrEqual(80);
  });
});

describe('CloudFront', () => {
  const cf = () => new CloudFrontClient(config());
  const behaviour = (min: number, max: number, methods: string[]) => ({
    TargetOriginId: 'S3-origin',
    ViewerProtocolPolicy: 'redirect-to-https' as const,
    AllowedMethods: {
      Quantity: methods.length,
      Items: methods as Array<'GET' | 'HEAD' | 'OPTIONS'>,
      CachedMethods: { Quantity: 2, Items: ['GET', 'HEAD'] as Array<'GET' | 'HEAD'> },
    },
    Compress: true,
    SmoothStreaming: false,
    FieldLevelEncryptionId: '',
    LambdaFunctionAssociations: { Quantity: 0 },
    FunctionAssociations: { Quantity: 0 },
    ForwardedValues: {
      QueryString: false,
      Cookies: { Forward: 'none' as const },
      Headers: { Quantity: 0 },
      QueryStringCacheKeys: { Quantity: 0 },
    },
    MinTTL: min,
    DefaultTTL: min * 2 + 86_400,
    MaxTTL: max,
  });
  const distributionConfig = (oacId: string, reference: string): DistributionConfig => ({
    CallerReference: reference,
    Comment: `harness test ${run}`,
    Enabled: true,
    IsIPV6Enabled: true,
    PriceClass: 'PriceClass_100',
    HttpVersion: 'http2and3',
    DefaultRootObject: '',
    Origins: {
      Quantity: 1,
      Items: [
        {
          Id: 'S3-origin',
          DomainName: `cdn-${run}.s3.us-east-1.amazonaws.com`,
          OriginPath: '',
          CustomHeaders: { Quantity: 0 },
          ConnectionAttempts: 3,
          ConnectionTimeout: 10,
          S3OriginConfig: { OriginAccessIdentity: '' },
          OriginAccessControlId: oacId,
        },
      ],
    },
    DefaultCacheBehavior: behaviour(0, 31_536_000, ['GET', 'HEAD', 'OPTIONS']),
    CacheBehaviors: {
      Quantity: 1,
      Items: [{ ...behaviour(86_400, 31_536_000, ['GET', 'HEAD']), PathPattern: 'avatars/*' }],
    },
    Restrictions: { GeoRestriction: { RestrictionType: 'none', Quantity: 0 } },
    ViewerCertificate: { CloudFrontDefaultCertificate: true },
    Aliases: { Quantity: 0 },
  });
  const oacConfig = (name: string) => ({
    Name: name,
    Description: 'harness',
    SigningProtocol: 'sigv4' as const,
    SigningBehavior: 'always' as const,
    OriginAccessControlOriginType: 's3' as const,
  });

  it('returns the configuration as sent, with AWS ARNs, ETags and statuses, and checks If-Match', async () => {
    const client = cf();
    const oac = await client.send(
      new CreateOriginAccessControlCommand({ OriginAccessControlConfig: oacConfig(`oac-${run}`) }),
    );
    const oacId = oac.OriginAccessControl?.Id ?? '';
    const sent = distributionConfig(oacId, `ref-${run}`);
    const tags = [{ Key: 'ManagedBy', Value: 'hm-infra' }];
    const created = await client.send(
      new CreateDistributionWithTagsCommand({
        DistributionConfigWithTags: { DistributionConfig: sent, Tags: { Items: tags } },
      }),
    );
    const id = created.Distribution?.Id ?? '';
    expect(created.Distribution?.Status).toBe('InProgress');
    expect(created.Distribution?.ARN).toMatch(/^arn:aws:cloudfront::\d{12}:distribution\//);
    expect(created.Distribution?.DistributionConfig).toEqual(sent);

    const read = await client.send(new GetDistributionCommand({ Id: id }));
    expect(read.Distribution?.DistributionConfig?.Origins?.Items?.[0]?.OriginAccessControlId).toBe(oacId);
    expect(read.Distribution?.DistributionConfig).toEqual(sent);
    expect(read.Distribution?.Status).toBe('Deployed');
    expect(read.ETag).toBe(created.ETag);
    const configRead = await client.send(new GetDistributionConfigCommand({ Id: id }));
    expect(configRead.DistributionConfig).toEqual(sent);

    const listed = (await client.send(new ListDistributionsCommand({}))).DistributionList?.Items?.find(
      (d) => d.Id === id,
    );
    expect(listed).toMatchObject({
      Comment: sent.Comment,
      PriceClass: 'PriceClass_100',
      Enabled: true,
      HttpVersion: 'http2and3',
      IsIPV6Enabled: true,
      ARN: read.Distribution?.ARN,
    });
    expect(listed?.Origins?.Items?.[0]?.OriginAccessControlId).toBe(oacId);
    expect(
      (await client.send(new ListTagsForResourceCommand({ Resource: read.Distribution?.ARN ?? '' }))).Tags?.Items,
    ).toEqual(tags);
    expect(
      (
        await failure(
          client.send(
            new ListTagsForResourceCommand({ Resource: `arn:aws:cloudfront::123456789012:distribution/ENOSUCH${run}` }),
          ),
        )
      ).name,
    ).toBe('NoSuchResource');

    const again = await failure(
      client.send(
        new CreateDistributionWithTagsCommand({
          DistributionConfigWithTags: { DistributionConfig: sent, Tags: { Items: tags } },
        }),
      ),
    );
    expect([again.name, again.$metadata?.httpStatusCode]).toEqual(['DistributionAlreadyExists', 409]);
    const noIfMatch = await failure(
      client.send(new UpdateDistributionCommand({ Id: id, DistributionConfig: { ...sent, Comment: 'x' } })),
    );
    expect([noIfMatch.name, noIfMatch.$metadata?.httpStatusCode]).toEqual(['InvalidIfMatchVersion', 400]);
    const stale = await failure(
      client.send(
        new UpdateDistributionCommand({ Id: id, IfMatch: 'ESTALE', DistributionConfig: { ...sent, Comment: 'x' } }),
      ),
    );
    expect([stale.name, stale.$metadata?.httpStatusCode]).toEqual(['PreconditionFailed', 412]);
    const reference = await failure(
      client.send(
        new UpdateDistributionCommand({
          Id: id,
          IfMatch: read.ETag,
          DistributionConfig: { ...sent, CallerReference: 'other' },
        }),
      ),
    );
    expect(reference.name).toBe('IllegalUpdate');

    const updated = await client.send(
      new UpdateDistributionCommand({
        Id: id,
        IfMatch: read.ETag,
        DistributionConfig: { ...sent, Comment: 'changed' },
      }),
    );
    expect(updated.ETag).not.toBe(read.ETag);
    expect(updated.Distribution?.Status).toBe('InProgress');
    expect(updated.Distribution?.DistributionConfig?.Comment).toBe('changed');
    expect(updated.Distribution?.DistributionConfig?.Origins?.Items?.[0]?.OriginAccessControlId).toBe(oacId);
    const staleAfterUpdate = await failure(
      client.send(new UpdateDistributionCommand({ Id: id, IfMatch: read.ETag, DistributionConfig: sent })),
    );
    expect(staleAfterUpdate.name).toBe('PreconditionFailed');

    const invalidation = await client.send(
      new CreateInvalidationCommand({
        DistributionId: id,
        InvalidationBatch: { CallerReference: `inv-${run}`, Paths: { Quantity: 1, Items: ['/*'] } },
      }),
    );
    expect(invalidation.Invalidation?.Status).toBe('InProgress');
    expect(
      (await client.send(new GetInvalidationCommand({ DistributionId: id, Id: invalidation.Invalidation?.Id })))
        .Invalidation?.Status,
    ).toBe('Completed');

    const enabled = await failure(client.send(new DeleteDistributionCommand({ Id: id, IfMatch: updated.ETag })));
    expect([enabled.name, enabled.$metadata?.httpStatusCode]).toEqual(['DistributionNotDisabled', 409]);
    const inUse = await failure(client.send(new DeleteOriginAccessControlCommand({ Id: oacId, IfMatch: oac.ETag })));
    expect([inUse.name, inUse.$metadata?.httpStatusCode]).toEqual(['OriginAccessControlInUse', 409]);

    // Disabling deploys for deployMs; until then the distribution cannot be deleted.
    harness.cloudfront.deployMs = 60_000;
    const disabled = await client.send(
      new UpdateDistributionCommand({
        Id: id,
        IfMatch: updated.ETag,
        DistributionConfig: { ...sent, Comment: 'changed', Enabled: false },
      }),
    );
    expect((await client.send(new GetDistributionCommand({ Id: id }))).Distribution?.Status).toBe('InProgress');
    expect((await failure(client.send(new DeleteDistributionCommand({ Id: id, IfMatch: disabled.ETag })))).name).toBe(
      'DistributionNotDisabled',
    );
    harness.cloudfront.deployMs = 0;
    expect((await client.send(new GetDistributionCommand({ Id: id }))).Distribution?.Status).toBe('Deployed');
    const staleDelete = await failure(client.send(new DeleteDistributionCommand({ Id: id, IfMatch: updated.ETag })));
    expect(staleDelete.name).toBe('PreconditionFailed');
    await client.send(new DeleteDistributionCommand({ Id: id, IfMatch: disabled.ETag }));
    expect((await failure(client.send(new GetDistributionCommand({ Id: id })))).name).toBe('NoSuchDistribution');

    const oacStale = await failure(client.send(new DeleteOriginAccessControlCommand({ Id: oacId, IfMatch: 'ESTALE' })));
    expect(oacStale.name).toBe('PreconditionFailed');
    await client.send(new DeleteOriginAccessControlCommand({ Id: oacId, IfMatch: oac.ETag }));
    expect((await failure(client.send(new GetOriginAccessControlCommand({ Id: oacId })))).name).toBe(
      'NoSuchOriginAccessControl',
    );
    expect(
      (await failure(client.send(new DeleteOriginAccessControlCommand({ Id: oacId, IfMatch: oac.ETag })))).name,
    ).toBe('NoSuchOriginAccessControl');
  });

  it('keeps origin access control names unique and versions them with ETags', async () => {
    const client = cf();
    const name = `oac-unique-${run}`;
    const oac = await client.send(new CreateOriginAccessControlCommand({ OriginAccessControlConfig: oacConfig(name) }));
    const id = oac.OriginAccessControl?.Id ?? '';
    const duplicate = await failure(
      client.send(new CreateOriginAccessControlCommand({ OriginAccessControlConfig: oacConfig(name) })),
    );
    expect([duplicate.name, duplicate.$metadata?.httpStatusCode]).toEqual(['OriginAccessControlAlreadyExists', 409]);
    const config = await client.send(new GetOriginAccessControlConfigCommand({ Id: id }));
    expect(config.OriginAccessControlConfig).toEqual(oacConfig(name));
    expect(config.ETag).toBe(oac.ETag);
    expect(
      (
        await failure(
          client.send(
            new UpdateOriginAccessControlCommand({
              Id: id,
              OriginAccessControlConfig: { ...oacConfig(name), Description: 'x' },
            }),
          ),
        )
      ).name,
    ).toBe('InvalidIfMatchVersion');
    expect(
      (
        await failure(
          client.send(
            new UpdateOriginAccessControlCommand({
              Id: id,
              IfMatch: 'ESTALE',
              OriginAccessControlConfig: { ...oacConfig(name), Description: 'x' },
            }),
          ),
        )
      ).name,
    ).toBe('PreconditionFailed');
    const updated = await client.send(
      new UpdateOriginAccessControlCommand({
        Id: id,
        IfMatch: oac.ETag,
        OriginAccessControlConfig: { ...oacConfig(name), Description: 'x' },
      }),
    );
    expect(updated.ETag).not.toBe(oac.ETag);
    expect((await client.send(new GetOriginAccessControlCommand({ Id: id }))).ETag).toBe(updated.ETag);
    await client.send(new DeleteOriginAccessControlCommand({ Id: id, IfMatch: updated.ETag }));
  });
});

describe('S3', () => {
  const bucket = `tls-${run}`;
  const tlsOnly = JSON.stringify(
    {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'AllowCloudFrontServicePrincipal',
          Effect: 'Allow',
          Principal: { Service: 'cloudfront.amazonaws.com' },
          Action: 's3:GetObject',
          Resource: `arn:aws:s3:::${bucket}/*`,
          Condition: { StringEquals: { 'AWS:SourceArn': 'arn:aws:cloudfront::123456789012:distribution/EXAMPLE' } },
        },
        {
          Sid: 'DenyInsecureTransport',
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:*',
          Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
      ],
    },
    null,
    2,
  );

  it('keeps a TLS-only policy as sent; it passes over https and refuses plain http', async () => {
    const tls = new S3Client({ ...config(), forcePathStyle: true });
    const plain = new S3Client({ ...config({ endpoint: harness.httpUrl }), forcePathStyle: true });
    await tls.send(new CreateBucketCommand({ Bucket: bucket }));
    await tls.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: tlsOnly }));
    expect((await tls.send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy).toBe(tlsOnly);
    await tls.send(new PutObjectCommand({ Bucket: bucket, Key: 'a.txt', Body: 'hello' }));
    expect(
      await (await tls.send(new GetObjectCommand({ Bucket: bucket, Key: 'a.txt' }))).Body?.transformToString(),
    ).toBe('hello');

    const overHttp = [
      () => plain.send(new PutObjectCommand({ Bucket: bucket, Key: 'b.txt', Body: 'x' })),
      () => plain.send(new GetObjectCommand({ Bucket: bucket, Key: 'a.txt' })),
      () => plain.send(new GetBucketPolicyCommand({ Bucket: bucket })),
    ];
    for (const call of overHttp) {
      const denied = await failure(call());
      expect([denied.name, denied.$metadata?.httpStatusCode]).toEqual(['AccessDenied', 403]);
    }
    expect((await failure(plain.send(new HeadBucketCommand({ Bucket: bucket })))).$metadata?.httpStatusCode).toBe(403);
  });

  it('gives new buckets AWS defaults, and checks names and policies as S3 does', async () => {
    const s3 = new S3Client({ ...config(), forcePathStyle: true });
    const name = `defaults-${run}`;
    await s3.send(new CreateBucketCommand({ Bucket: name }));
    expect((await s3.send(new GetPublicAccessBlockCommand({ Bucket: name }))).PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    });
    expect((await s3.send(new GetBucketOwnershipControlsCommand({ Bucket: name }))).OwnershipControls?.Rules).toEqual([
      { ObjectOwnership: 'BucketOwnerEnforced' },
    ]);
    expect(
      (await s3.send(new GetBucketEncryptionCommand({ Bucket: name }))).ServerSideEncryptionConfiguration?.Rules?.[0]
        ?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm,
    ).toBe('AES256');

    expect((await failure(s3.send(new CreateBucketCommand({ Bucket: 'Upper_Case' })))).name).toBe('InvalidBucketName');
    expect((await failure(s3.send(new PutBucketPolicyCommand({ Bucket: name, Policy: 'not json' })))).name).toBe(
      'MalformedPolicy',
    );
    const publicPolicy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${name}/*` }],
    });
    const blocked = await failure(s3.send(new PutBucketPolicyCommand({ Bucket: name, Policy: publicPolicy })));
    expect([blocked.name, blocked.$metadata?.httpStatusCode]).toEqual(['AccessDenied', 403]);
  });
});

describe('Route 53', () => {
  const txt = (name: string, value: string, ttl = 300) => ({
    Name: name,
    Type: 'TXT' as const,
    TTL: ttl,
    ResourceRecords: [{ Value: `"${value}"` }],
  });
  const mx = (name: string) => ({
    Name: name,
    Type: 'MX' as const,
    TTL: 300,
    ResourceRecords: [{ Value: '10 feedback-smtp.us-east-1.amazonses.com' }],
  });

  it('validates each batch against the zone as it is, and applies it as a whole', async () => {
    const r53 = new Route53Client(config());
    const domain = `r53-${run}.example.com`;
    const zone = await r53.send(new CreateHostedZoneCommand({ Name: domain, CallerReference: `zone-${run}` }));
    const zoneId = zone.HostedZone?.Id ?? '';
    const change = (changes: Change[]) =>
      r53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: { Changes: changes } }));
    const names = async () =>
      ((await r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }))).ResourceRecordSets ?? []).map(
        (s) => `${s.Name} ${s.Type}`,
      );

    const first = await change([
      { Action: 'CREATE', ResourceRecordSet: mx(`mail.${domain}`) },
      { Action: 'CREATE', ResourceRecordSet: txt(`www.${domain}`, 'v=spf1 ~all') },
    ]);
    expect(first.ChangeInfo?.Status).toBe('PENDING');
    expect(first.ChangeInfo?.Id).toMatch(/^\/change\/C[A-Z0-9]+$/);
    expect((await r53.send(new GetChangeCommand({ Id: first.ChangeInfo?.Id ?? '' }))).ChangeInfo?.Status).toBe(
      'INSYNC',
    );
    expect((await failure(r53.send(new GetChangeCommand({ Id: 'CNOSUCHCHANGE' })))).name).toBe('NoSuchChange');

    // moto refuses this re-creation (www sorts after mail); AWS does not.
    await change([{ Action: 'DELETE', ResourceRecordSet: mx(`mail.${domain}`) }]);
    const second = await change([{ Action: 'CREATE', ResourceRecordSet: mx(`mail.${domain}`) }]);
    expect(second.ChangeInfo?.Id).not.toBe(first.ChangeInfo?.Id);
    expect(await names()).toContain(`mail.${domain}. MX`);

    const exists = await failure(
      change([{ Action: 'CREATE', ResourceRecordSet: txt(`www.${domain}`, 'v=spf1 ~all') }]),
    );
    expect([exists.name, exists.$metadata?.httpStatusCode]).toEqual(['InvalidChangeBatch', 400]);
    expect(exists.message).toContain(
      `Tried to create resource record set [name='www.${domain}.', type='TXT'] but it already exists`,
    );
    const missing = await failure(change([{ Action: 'DELETE', ResourceRecordSet: txt(`nope.${domain}`, 'x') }]));
    expect(missing.message).toContain('but it was not found');
    const otherTtl = await failure(
      change([{ Action: 'DELETE', ResourceRecordSet: txt(`www.${domain}`, 'v=spf1 ~all', 60) }]),
    );
    expect(otherTtl.message).toContain('but the values provided do not match the current values');

    const cname = await failure(
      change([
        {
          Action: 'CREATE',
          ResourceRecordSet: {
            Name: `www.${domain}`,
            Type: 'CNAME',
            TTL: 300,
            ResourceRecords: [{ Value: 'example.net' }],
          },
        },
      ]),
    );
    expect(cname.message).toContain(
      `RRSet of type CNAME with DNS name www.${domain}. is not permitted as it conflicts with other records`,
    );

    // One bad change fails the batch: the good one is not applied either.
    await failure(
      change([
        { Action: 'CREATE', ResourceRecordSet: txt(`new.${domain}`, 'n') },
        { Action: 'CREATE', ResourceRecordSet: mx(`mail.${domain}`) },
      ]),
    );
    expect(await names()).not.toContain(`new.${domain}. TXT`);
    // DELETE + CREATE of the same set in one batch replaces it.
    await change([
      { Action: 'DELETE', ResourceRecordSet: txt(`www.${domain}`, 'v=spf1 ~all') },
      { Action: 'CREATE', ResourceRecordSet: txt(`www.${domain}`, 'v=spf1 include:amazonses.com ~all') },
    ]);
    const sets = (await r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }))).ResourceRecordSets ?? [];
    expect(sets.find((s) => s.Name === `www.${domain}.`)?.ResourceRecords).toEqual([
      { Value: '"v=spf1 include:amazonses.com ~all"' },
    ]);
    expect(sets.find((s) => s.Type === 'SOA')?.ResourceRecords?.[0]?.Value).toMatch(/^\S+ \S+ \d+ \d+ \d+ \d+ \d+$/);

    const reused = await failure(
      r53.send(new CreateHostedZoneCommand({ Name: domain, CallerReference: `zone-${run}` })),
    );
    expect([reused.name, reused.$metadata?.httpStatusCode]).toEqual(['HostedZoneAlreadyExists', 409]);
  });
});

describe('SES v2', () => {
  it('is answered by the harness, with DKIM tokens and statuses a test sets', async () => {
    harness.reset();
    const ses = new SESv2Client(config());
    const domain = `mail-${run}.example.com`;
    const created = await ses.send(new CreateEmailIdentityCommand({ EmailIdentity: domain }));
    expect(created.DkimAttributes?.Tokens).toHaveLength(3);
    expect((await ses.send(new GetEmailIdentityCommand({ EmailIdentity: domain }))).DkimAttributes?.Status).toBe(
      'PENDING',
    );
    harness.ses.setStatus('us-east-1', domain, { dkim: 'SUCCESS' });
    const verified = await ses.send(new GetEmailIdentityCommand({ EmailIdentity: domain }));
    expect([verified.DkimAttributes?.Status, verified.VerifiedForSendingStatus]).toEqual(['SUCCESS', true]);
    expect(harness.requests.map((r) => [r.service, r.operation, r.write])).toEqual([
      ['ses', 'CreateEmailIdentity', true],
      ['ses', 'GetEmailIdentity', false],
      ['ses', 'GetEmailIdentity', false],
    ]);
  });
});

describe('IAM', () => {
  it('refuses to delete a user that still has an access key', async () => {
    const iam = new IAMClient(config());
    const user = `keyed-${run}`;
    await iam.send(new CreateUserCommand({ UserName: user }));
    const key = await iam.send(new CreateAccessKeyCommand({ UserName: user }));
    const conflict = await failure(iam.send(new DeleteUserCommand({ UserName: user })));
    expect([conflict.name, conflict.$metadata?.httpStatusCode]).toEqual(['DeleteConflictException', 409]);
    await iam.send(new DeleteAccessKeyCommand({ UserName: user, AccessKeyId: key.AccessKey?.AccessKeyId }));
    await iam.send(new DeleteUserCommand({ UserName: user }));
  });
});

describe('faults', () => {
  it('fails about the share of requests asked, in every kind, and logs each', async () => {
    const sts = new STSClient(config());
    harness.reset();
    harness.faults = { rate: 0.2, seed: 7 };
    let failed = 0;
    try {
      for (let i = 0; i < 300; i += 1) {
        await sts.send(new GetCallerIdentityCommand({})).catch(() => {
          failed += 1;
        });
      }
    } finally {
      harness.faults = undefined;
    }
    const faulted = harness.requests.filter((r) => r.fault);
    expect(failed).toBe(faulted.length);
    expect(faulted.length / harness.requests.length).toBeGreaterThan(0.12);
    expect(faulted.length / harness.requests.length).toBeLessThan(0.28);
    expect(new Set(faulted.map((r) => r.fault?.kind))).toEqual(
      new Set(['server-error', 'throttle', 'reset-before', 'reset-after']),
    );
    expect(new Set(faulted.map((r) => r.fault?.code))).toEqual(
      new Set(['ServiceUnavailable', 'InternalFailure', 'Throttling', 'reset']),
    );
  });

  it('is retried by the SDK, every attempt logged; a reset after moto answered leaves the effect', async () => {
    const iam = new IAMClient(config({ maxAttempts: 5 }));
    harness.reset();
    harness.faults = { rate: 0.5, seed: 3, kinds: ['server-error', 'throttle', 'reset-before'] };
    try {
      for (let i = 0; i < 5; i += 1) await iam.send(new GetUserCommand({ UserName: `log-${run}` }));
    } finally {
      harness.faults = undefined;
    }
    expect(harness.requests.length).toBeGreaterThan(5);
    expect(harness.requests.filter((r) => !r.fault)).toHaveLength(5);

    const user = `lost-answer-${run}`;
    harness.faults = { rate: 1, kinds: ['reset-after'], only: (r) => r.operation === 'CreateUser' };
    try {
      await failure(new IAMClient(config()).send(new CreateUserCommand({ UserName: user })));
    } finally {
      harness.faults = undefined;
    }
    expect((await iam.send(new GetUserCommand({ UserName: user }))).User?.UserName).toBe(user);
  });
});

describe('holdAt', () => {
  it('holds a request before moto sees it, or after moto answered it, and never answers', async () => {
    const iam = new IAMClient(config());
    const before = `held-before-${run}`;
    const abort = new AbortController();
    const held = harness.holdAt((r) => r.operation === 'CreateUser', 'before');
    const pending = iam
      .send(new CreateUserCommand({ UserName: before }), { abortSignal: abort.signal })
      .catch((err: Error) => err);
    expect((await held).held).toBe('before');
    expect((await failure(iam.send(new GetUserCommand({ UserName: before })))).name).toBe('NoSuchEntityException');
    abort.abort();
    expect(await pending).toBeInstanceOf(Error);
  });

  it('lets a test SIGKILL a spawned process at a chosen write; the effect of a write held after stays', async () => {
    harness.reset();
    const user = `killed-${run}`;
    let writes = 0;
    const held = harness.holdAt((r) => r.write && writes++ === 1, 'after');
    // A child process like the CLI: trusts the harness through NODE_EXTRA_CA_CERTS.
    const script = `
      import { IAMClient, CreateUserCommand, TagUserCommand, CreateAccessKeyCommand } from '@aws-sdk/client-iam';
      const iam = new IAMClient({ region: 'us-east-1', endpoint: process.env.AWS_ENDPOINT_URL, maxAttempts: 1 });
      await iam.send(new CreateUserCommand({ UserName: '${user}' }));
      await iam.send(new TagUserCommand({ UserName: '${user}', Tags: [{ Key: 'k', Value: 'v' }] }));
      await iam.send(new CreateAccessKeyCommand({ UserName: '${user}' }));
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd: root,
      env: {
        ...process.env,
        AWS_ENDPOINT_URL: harness.url,
        NODE_EXTRA_CA_CERTS: harness.caFile,
        AWS_ACCESS_KEY_ID: credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
      child.once('exit', (code, signal) => resolve(signal ?? code)),
    );
    const caught = await Promise.race([
      held,
      exited.then((how) => Promise.reject(new Error(`the child exited (${String(how)}) before the hold: ${stderr}`))),
    ]);
    expect(caught).toMatchObject({ operation: 'TagUser', held: 'after' });
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const iam = new IAMClient(config());
    expect((await iam.send(new GetUserCommand({ UserName: user }))).User?.Tags).toEqual([{ Key: 'k', Value: 'v' }]);
    expect(harness.requests.some((r) => r.operation === 'CreateAccessKey')).toBe(false);
  });
});

describe('the harness', () => {
  it('had no failures of its own', () => {
    expect(harness.errors).toEqual([]);
  });

  it('resets moto, what it knows and its log (a moto of its own: a shared one may hold what others need)', async () => {
    const own = await startMoto();
    const resettable = await startHarness({ motoUrl: own.url });
    const ownAgent = new Agent({ ca: resettable.ca });
    try {
      const s3 = new S3Client({
        ...config({ endpoint: resettable.url }),
        requestHandler: { httpsAgent: ownAgent },
        forcePathStyle: true,
      });
      await s3.send(new CreateBucketCommand({ Bucket: `reset-${run}` }));
      await resettable.resetAll();
      expect(resettable.requests).toEqual([]);
      expect(
        (await failure(s3.send(new HeadBucketCommand({ Bucket: `reset-${run}` })))).$metadata?.httpStatusCode,
      ).toBe(404);
      s3.destroy();
    } finally {
      ownAgent.destroy();
      await resettable.stop();
      await own.stop();
    }
  });
});
