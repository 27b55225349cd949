import {
  CloudFrontClient,
  CreateDistributionWithTagsCommand,
  type DistributionConfig,
  GetDistributionCommand,
  GetDistributionConfigCommand,
  ListDistributionsCommand,
  ListTagsForResourceCommand,
  TagResourceCommand,
  UpdateDistributionCommand,
} from '@aws-sdk/client-cloudfront';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config/config.js';
import { HmError } from '../../../src/errors.js';
import { bucketOutputs } from '../../../src/resources/s3/bucket.js';
import {
  TTLS,
  desiredDistributionConfig,
  diffDistribution,
  distributionComment,
  distributionTags,
} from '../../../src/resources/cloudfront/distribution-config.js';
import { distributionStep } from '../../../src/resources/cloudfront/distribution.js';
import { awsError } from '../../fakes/account.js';
import { converge, givenConfig, givenStepContext } from '../../support/context.js';

const cf = mockClient(CloudFrontClient);
const ARN = 'arn:aws:cloudfront::123456789012:distribution/EDIST';
const CERT = 'arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789';

function givenInputs(config: Config = givenConfig()) {
  return { config, bucket: bucketOutputs('healthmetrics-uploads-dev', 'us-east-1'), oacId: 'EOAC' };
}

function givenContext(options: { config?: Config; recordedId?: string; intent?: Record<string, unknown> } = {}) {
  const inputs = givenInputs(options.config);
  return givenStepContext({
    config: inputs.config,
    outputs: { bucket: inputs.bucket, oac: { id: inputs.oacId, name: 'healthmetrics-dev-uploads-oac' } },
    ...(options.recordedId || options.intent
      ? {
          recorded: {
            status: options.intent ? 'pending' : 'created',
            owned: true,
            outputs: options.recordedId ? { id: options.recordedId } : {},
            ...(options.intent ? { intent: options.intent } : {}),
            updatedAt: '',
          },
        }
      : {}),
  });
}

/** A live distribution as GetDistribution returns it. */
function givenLive(
  config: DistributionConfig,
  options: { etag?: string; tags?: Array<{ Key: string; Value: string }> } = {},
) {
  cf.on(GetDistributionCommand, { Id: 'EDIST' }).resolves({
    Distribution: {
      Id: 'EDIST',
      ARN,
      Status: 'Deployed',
      DomainName: 'd111.cloudfront.net',
      DistributionConfig: config,
    } as never,
    ETag: options.etag ?? 'ETAG1',
  });
  cf.on(ListTagsForResourceCommand).resolves({ Tags: { Items: options.tags ?? distributionTags(givenConfig()) } });
}

const prd = () => desiredDistributionConfig(givenInputs(), undefined, 'ref-1');

describe('the distribution configuration', () => {
  it('is the distribution of docs/resources.md', () => {
    const config = prd();
    expect(config).toMatchObject({
      CallerReference: 'ref-1',
      Enabled: true,
      IsIPV6Enabled: true,
      PriceClass: 'PriceClass_100',
      Comment: distributionComment(givenConfig()),
      Restrictions: { GeoRestriction: { RestrictionType: 'none', Quantity: 0 } },
      ViewerCertificate: { CloudFrontDefaultCertificate: true },
      Aliases: { Quantity: 0 },
      Origins: {
        Quantity: 1,
        Items: [
          {
            Id: 'S3-healthmetrics-uploads-dev',
            DomainName: 'healthmetrics-uploads-dev.s3.us-east-1.amazonaws.com',
            OriginAccessControlId: 'EOAC',
            S3OriginConfig: { OriginAccessIdentity: '' },
          },
        ],
      },
      DefaultCacheBehavior: {
        TargetOriginId: 'S3-healthmetrics-uploads-dev',
        ViewerProtocolPolicy: 'redirect-to-https',
        AllowedMethods: {
          Quantity: 3,
          Items: ['GET', 'HEAD', 'OPTIONS'],
          CachedMethods: { Quantity: 2, Items: ['GET', 'HEAD'] },
        },
        Compress: true,
        ForwardedValues: { QueryString: false, Cookies: { Forward: 'none' } },
        MinTTL: 0,
        DefaultTTL: 86400,
        MaxTTL: 31536000,
      },
      CacheBehaviors: {
        Quantity: 1,
        Items: [
          {
            PathPattern: 'avatars/*',
            AllowedMethods: { Quantity: 2, Items: ['GET', 'HEAD'] },
            ViewerProtocolPolicy: 'redirect-to-https',
            Compress: true,
            MinTTL: 86400,
            DefaultTTL: 604800,
            MaxTTL: 31536000,
          },
        ],
      },
    });
  });

  it('serves a custom domain with its us-east-1 certificate over TLS 1.2, SNI only', () => {
    const config = desiredDistributionConfig(
      givenInputs(givenConfig({ cdnDomain: 'cdn.example.com', certificateArn: CERT })),
      undefined,
      'ref',
    );
    expect(config.Aliases).toEqual({ Quantity: 1, Items: ['cdn.example.com'] });
    expect(config.ViewerCertificate).toEqual({
      ACMCertificateArn: CERT,
      SSLSupportMethod: 'sni-only',
      MinimumProtocolVersion: 'TLSv1.2_2021',
      CloudFrontDefaultCertificate: false,
    });
  });

  it('keeps what it does not own: other origins, other behaviours, logging', () => {
    const live = prd();
    live.Origins = {
      Quantity: 2,
      Items: [
        ...(live.Origins?.Items ?? []),
        {
          Id: 'api',
          DomainName: 'api.example.com',
          CustomOriginConfig: { HTTPPort: 80, HTTPSPort: 443, OriginProtocolPolicy: 'https-only' },
        },
      ],
    };
    live.CacheBehaviors = {
      Quantity: 2,
      Items: [
        { ...live.CacheBehaviors!.Items![0]!, MaxTTL: 5 },
        { ...live.CacheBehaviors!.Items![0]!, PathPattern: 'api/*', TargetOriginId: 'api' },
      ],
    };
    live.Logging = { Enabled: true, IncludeCookies: false, Bucket: 'logs.s3.amazonaws.com', Prefix: 'cdn/' };
    // WHEN
    const desired = desiredDistributionConfig(givenInputs(), live, 'ignored');
    // THEN
    expect(desired.Origins?.Items?.map((o) => o.Id)).toEqual(['S3-healthmetrics-uploads-dev', 'api']);
    expect(desired.CacheBehaviors?.Items?.map((b) => [b.PathPattern, b.MaxTTL])).toEqual([
      ['avatars/*', 31536000],
      ['api/*', 31536000],
    ]);
    expect(desired.Logging).toEqual(live.Logging);
    expect(desired.CallerReference).toBe('ref-1');
  });

  it('finds no difference in the configuration it would send', () => {
    expect(diffDistribution(prd(), prd(), givenInputs())).toEqual([]);
  });

  it('names a changed TTL as one differing behaviour, with both values', () => {
    const live = prd();
    live.DefaultCacheBehavior = { ...live.DefaultCacheBehavior!, DefaultTTL: 3600 };
    // WHEN
    const diff = diffDistribution(live, desiredDistributionConfig(givenInputs(), live, ''), givenInputs());
    // THEN
    expect(diff).toEqual([
      {
        field: 'default-behaviour',
        from: expect.stringContaining('TTL 0/3600/31536000'),
        to: expect.stringContaining('TTL 0/86400/31536000'),
      },
    ]);
  });

  it('treats a cache policy in place of our TTLs as drift', () => {
    const live = prd();
    const { ForwardedValues: _f, MinTTL: _a, DefaultTTL: _b, MaxTTL: _c, ...rest } = live.DefaultCacheBehavior!;
    live.DefaultCacheBehavior = { ...rest, CachePolicyId: '658327ea-f89d-4fab-a63d-7e88639e58f6' };
    // WHEN
    const desired = desiredDistributionConfig(givenInputs(), live, '');
    // THEN
    expect(desired.DefaultCacheBehavior?.CachePolicyId).toBeUndefined();
    expect(diffDistribution(live, desired, givenInputs()).map((d) => d.field)).toEqual(['default-behaviour']);
  });

  it('keeps the TTL order valid', () => {
    for (const ttl of Object.values(TTLS)) expect(ttl.min <= ttl.default && ttl.default <= ttl.max).toBe(true);
  });
});

describe('distribution step', () => {
  beforeEach(() => cf.reset());

  it('creates the distribution with its tags, having saved the CallerReference first', async () => {
    cf.on(ListDistributionsCommand).resolves({
      DistributionList: { Marker: '', MaxItems: 100, IsTruncated: false, Quantity: 0, Items: [] },
    });
    const ctx = givenContext();
    let intentsAtCreate = -1;
    cf.on(CreateDistributionWithTagsCommand).callsFake((input) => {
      intentsAtCreate = ctx.intents.length;
      return {
        Distribution: {
          Id: 'EDIST',
          ARN,
          Status: 'InProgress',
          DomainName: 'd111.cloudfront.net',
          DistributionConfig: input.DistributionConfigWithTags.DistributionConfig,
        },
        ETag: 'E1',
      };
    });
    // WHEN
    const { result } = await converge(distributionStep, ctx);
    // THEN
    expect(intentsAtCreate).toBe(1);
    const sent = cf.commandCalls(CreateDistributionWithTagsCommand)[0]?.args[0].input.DistributionConfigWithTags;
    expect(sent?.DistributionConfig?.CallerReference).toBe(ctx.intents[0]?.['callerReference']);
    expect(sent?.Tags?.Items).toEqual(distributionTags(givenConfig()));
    expect(result).toEqual({
      type: 'created',
      outputs: {
        id: 'EDIST',
        arn: ARN,
        domainName: 'd111.cloudfront.net',
        status: 'InProgress',
        url: 'https://d111.cloudfront.net',
        aliases: [],
        env: { CLOUDFRONT_URL: 'https://d111.cloudfront.net' },
      },
    });
    expect(ctx.reports.join('\n')).toContain('deploying');
  });

  it('sends the CallerReference of an interrupted create again', async () => {
    cf.on(ListDistributionsCommand).resolves({
      DistributionList: { Marker: '', MaxItems: 100, IsTruncated: false, Quantity: 0 },
    });
    cf.on(CreateDistributionWithTagsCommand).callsFake((input) => ({
      Distribution: {
        Id: 'EDIST',
        ARN,
        Status: 'InProgress',
        DomainName: 'd1.cloudfront.net',
        DistributionConfig: input.DistributionConfigWithTags.DistributionConfig,
      },
      ETag: 'E1',
    }));
    // WHEN
    await converge(distributionStep, givenContext({ intent: { callerReference: 'hm-infra-earlier' } }));
    // THEN
    expect(
      cf.commandCalls(CreateDistributionWithTagsCommand)[0]?.args[0].input.DistributionConfigWithTags
        ?.DistributionConfig?.CallerReference,
    ).toBe('hm-infra-earlier');
  });

  it('adopts a distribution found by its tags rather than creating another', async () => {
    cf.on(ListDistributionsCommand).resolves({
      DistributionList: {
        Marker: '',
        MaxItems: 100,
        IsTruncated: false,
        Quantity: 2,
        Items: [
          {
            Id: 'EOTHER',
            ARN: 'arn:aws:cloudfront::123456789012:distribution/EOTHER',
            Comment: 'unrelated',
            Origins: { Quantity: 1, Items: [{ Id: 'x', DomainName: 'other.example.com' }] },
          } as never,
          {
            Id: 'EDIST',
            ARN,
            Comment: 'renamed by hand',
            Origins: {
              Quantity: 1,
              Items: [{ Id: 'S3', DomainName: 'healthmetrics-uploads-dev.s3.us-east-1.amazonaws.com' }],
            },
          } as never,
        ],
      },
    });
    const live = { ...prd(), Comment: 'renamed by hand' };
    givenLive(live);
    cf.on(UpdateDistributionCommand).callsFake((input) => ({
      Distribution: {
        Id: 'EDIST',
        ARN,
        Status: 'InProgress',
        DomainName: 'd111.cloudfront.net',
        DistributionConfig: input.DistributionConfig,
      },
      ETag: 'E2',
    }));
    // WHEN
    const { observed, changes, result } = await converge(distributionStep, givenContext());
    // THEN
    expect(observed?.id).toBe('EDIST');
    expect(cf).not.toHaveReceivedCommand(CreateDistributionWithTagsCommand);
    expect(changes.map((c) => c.field)).toEqual(['comment']);
    expect(result.type).toBe('updated');
    // Only candidates (our comment or our bucket as origin) have their tags read, once.
    expect(cf.commandCalls(ListTagsForResourceCommand).map((c) => c.args[0].input.Resource)).toEqual([ARN]);
  });

  it('reads the recorded distribution by id and changes nothing when it matches', async () => {
    givenLive(prd());
    // WHEN
    const { changes, result } = await converge(distributionStep, givenContext({ recordedId: 'EDIST' }));
    // THEN
    expect(changes).toEqual([]);
    expect(result.type).toBe('unchanged');
    expect(cf).not.toHaveReceivedCommand(ListDistributionsCommand);
    expect(cf).not.toHaveReceivedCommand(UpdateDistributionCommand);
    expect(cf).not.toHaveReceivedCommand(TagResourceCommand);
  });

  it('updates a drifted TTL once, with the ETag it read', async () => {
    const live = prd();
    live.CacheBehaviors = { Quantity: 1, Items: [{ ...live.CacheBehaviors!.Items![0]!, DefaultTTL: 60 }] };
    givenLive(live, { etag: 'ETAG9' });
    cf.on(UpdateDistributionCommand).callsFake((input) => ({
      Distribution: {
        Id: 'EDIST',
        ARN,
        Status: 'InProgress',
        DomainName: 'd111.cloudfront.net',
        DistributionConfig: input.DistributionConfig,
      },
      ETag: 'ETAG10',
    }));
    // WHEN
    const { changes, result } = await converge(distributionStep, givenContext({ recordedId: 'EDIST' }));
    // THEN
    expect(changes.map((c) => c.field)).toEqual(['avatars-behaviour']);
    expect(cf).toHaveReceivedCommandTimes(UpdateDistributionCommand, 1);
    const sent = cf.commandCalls(UpdateDistributionCommand)[0]?.args[0].input;
    expect(sent?.IfMatch).toBe('ETAG9');
    expect(sent?.DistributionConfig?.CacheBehaviors?.Items?.[0]?.DefaultTTL).toBe(604800);
    expect(result.outputs.status).toBe('InProgress');
  });

  it('re-reads the configuration and retries once on PreconditionFailed', async () => {
    const live = { ...prd(), PriceClass: 'PriceClass_All' as const };
    givenLive(live, { etag: 'OLD' });
    cf.on(GetDistributionConfigCommand).resolves({ DistributionConfig: live, ETag: 'NEW' });
    cf.on(UpdateDistributionCommand)
      .rejectsOnce(awsError('cloudfront', 'PreconditionFailed'))
      .callsFake((input) => ({
        Distribution: {
          Id: 'EDIST',
          ARN,
          Status: 'InProgress',
          DomainName: 'd111.cloudfront.net',
          DistributionConfig: input.DistributionConfig,
        },
        ETag: 'NEWER',
      }));
    // WHEN
    await converge(distributionStep, givenContext({ recordedId: 'EDIST' }));
    // THEN
    expect(cf).toHaveReceivedCommandWith(GetDistributionConfigCommand, { Id: 'EDIST' });
    expect(cf.commandCalls(UpdateDistributionCommand).map((c) => c.args[0].input.IfMatch)).toEqual(['OLD', 'NEW']);
  });

  it('gives up after one retry when the ETag keeps changing', async () => {
    const live = { ...prd(), PriceClass: 'PriceClass_All' as const };
    givenLive(live);
    cf.on(GetDistributionConfigCommand).resolves({ DistributionConfig: live, ETag: 'NEW' });
    cf.on(UpdateDistributionCommand).rejects(awsError('cloudfront', 'PreconditionFailed'));
    // WHEN
    const error = await converge(distributionStep, givenContext({ recordedId: 'EDIST' })).catch((e: unknown) => e);
    // THEN
    expect(error).toBeInstanceOf(HmError);
    expect(cf).toHaveReceivedCommandTimes(UpdateDistributionCommand, 2);
  });

  it('adds missing tags without touching the configuration', async () => {
    givenLive(prd(), { tags: [{ Key: 'Name', Value: 'Uploads CDN' }] });
    cf.on(TagResourceCommand).resolves({});
    // WHEN
    const { changes } = await converge(distributionStep, givenContext({ recordedId: 'EDIST' }));
    // THEN
    expect(changes.map((c) => c.field)).toEqual(['tags']);
    expect(cf).not.toHaveReceivedCommand(UpdateDistributionCommand);
    expect(cf).toHaveReceivedCommandWith(TagResourceCommand, {
      Resource: ARN,
      Tags: { Items: distributionTags(givenConfig()).filter((t) => t.Key !== 'Name') },
    });
  });

  it('explains a custom domain already used by another distribution', async () => {
    cf.on(ListDistributionsCommand).resolves({
      DistributionList: { Marker: '', MaxItems: 100, IsTruncated: false, Quantity: 0 },
    });
    cf.on(CreateDistributionWithTagsCommand).rejects(awsError('cloudfront', 'CNAMEAlreadyExists'));
    // WHEN
    const error = (await converge(
      distributionStep,
      givenContext({ config: givenConfig({ cdnDomain: 'cdn.example.com', certificateArn: CERT }) }),
    ).catch((e: unknown) => e)) as HmError;
    // THEN
    expect(error.code).toBe('CDN_DOMAIN_IN_USE');
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain('cdn.example.com');
  });

  it('uses the custom domain as CLOUDFRONT_URL', () => {
    const ctx = givenContext({ config: givenConfig({ cdnDomain: 'cdn.example.com', certificateArn: CERT }) });
    const outputs = distributionStep.outputs(ctx, {
      id: 'EDIST',
      arn: ARN,
      domainName: 'd1.cloudfront.net',
      status: 'Deployed',
      etag: 'E',
      config: prd(),
      tags: [],
    });
    expect(outputs.url).toBe('https://cdn.example.com');
    expect(outputs.env).toEqual({ CLOUDFRONT_URL: 'https://cdn.example.com' });
    expect(outputs.aliases).toEqual(['cdn.example.com']);
  });
});
