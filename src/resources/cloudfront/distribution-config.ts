import type { CacheBehavior, DistributionConfig, Origin, Tag, ViewerCertificate } from '@aws-sdk/client-cloudfront';
import type { Config } from '../../config/config.js';
import type { BucketOutputs } from '../s3/bucket.js';
import { missingTags, resourceTags } from '../tags.js';

/**
 * The distribution of docs/resources.md, and the fields of it this tool owns. Everything else in a live
 * configuration (logging, error pages, other origins and behaviours, a WAF) is kept as found.
 *
 * The TTLs use the legacy cache settings (ForwardedValues + Min/Default/MaxTTL) exactly as the
 * docs/resources.md does: they live inside the distribution, so there is one resource to create, compare and
 * delete, and every AWS-compatible emulator implements them. Cache policies would be two more
 * resources with their own lifecycle for the same behaviour.
 */
export interface DistributionInputs {
  config: Config;
  bucket: BucketOutputs;
  oacId: string;
}

export interface Ttl {
  min: number;
  default: number;
  max: number;
}

/** Files a day by default, up to a year; avatars (rarely changed) a week, at least a day. */
export const TTLS = {
  default: { min: 0, default: 86_400, max: 31_536_000 },
  avatars: { min: 86_400, default: 604_800, max: 31_536_000 },
} as const satisfies Record<string, Ttl>;

export const AVATARS_PATTERN = 'avatars/*';
export const TLS_POLICY = 'TLSv1.2_2021';

export const originId = (bucket: BucketOutputs) => `S3-${bucket.name}`;

/** Names app and env, so a lost distribution is recognisable in the console and by lookup. */
export const distributionComment = (config: Config) =>
  `CDN for ${config.app} uploads (${config.environment}), managed by hm-infra`;

export const distributionTags = (config: Config): Tag[] => resourceTags(config, 'Uploads CDN');

/** True when the tags say this distribution is the one of this app and environment. */
export function isOurs(tags: readonly Tag[], config: Config): boolean {
  const value = (key: string) => tags.find((t) => t.Key === key)?.Value;
  return (
    value('ManagedBy') === 'hm-infra' && value('Project') === config.app && value('Environment') === config.environment
  );
}

/** CloudFront's counted lists; an empty one is sent without Items, as the API documents. */
const list = <T>(items: T[]) => (items.length > 0 ? { Quantity: items.length, Items: items } : { Quantity: 0 });

function ourOrigin(inputs: DistributionInputs, live: Origin | undefined): Origin {
  return {
    ConnectionAttempts: 3,
    ConnectionTimeout: 10,
    OriginPath: '',
    CustomHeaders: { Quantity: 0 },
    ...live,
    Id: originId(inputs.bucket),
    DomainName: inputs.bucket.regionalDomainName,
    // With OAC the (legacy) origin access identity must be empty.
    S3OriginConfig: { ...live?.S3OriginConfig, OriginAccessIdentity: '' },
    OriginAccessControlId: inputs.oacId,
  };
}

/** A cache behaviour's owned fields; `live` keeps function associations and the like. */
function behaviour<T extends Partial<CacheBehavior>>(
  inputs: DistributionInputs,
  live: T | undefined,
  methods: string[],
  ttl: Ttl,
): T {
  const merged = {
    SmoothStreaming: false,
    FieldLevelEncryptionId: '',
    LambdaFunctionAssociations: { Quantity: 0 },
    FunctionAssociations: { Quantity: 0 },
    ...live,
    TargetOriginId: originId(inputs.bucket),
    ViewerProtocolPolicy: 'redirect-to-https',
    AllowedMethods: { ...list(methods), CachedMethods: list(['GET', 'HEAD']) },
    Compress: true,
    ForwardedValues: {
      QueryString: false,
      Cookies: { Forward: 'none' },
      Headers: { Quantity: 0 },
      QueryStringCacheKeys: { Quantity: 0 },
    },
    MinTTL: ttl.min,
    DefaultTTL: ttl.default,
    MaxTTL: ttl.max,
  } as T & Partial<CacheBehavior>;
  // Legacy TTLs and a cache policy exclude each other; our TTLs win.
  delete merged.CachePolicyId;
  delete merged.OriginRequestPolicyId;
  return merged;
}

function viewerCertificate(config: Config): ViewerCertificate {
  if (config.cdnDomain !== undefined && config.certificateArn !== undefined) {
    return {
      ACMCertificateArn: config.certificateArn,
      SSLSupportMethod: 'sni-only',
      MinimumProtocolVersion: TLS_POLICY,
      CloudFrontDefaultCertificate: false,
    };
  }
  return { CloudFrontDefaultCertificate: true };
}

/** Replaces the item matching `isOurs` in place (or puts ours first), keeping the others. */
function mergeList<T>(items: readonly T[], isOurs: (item: T) => boolean, ours: (live: T | undefined) => T): T[] {
  const index = items.findIndex(isOurs);
  if (index < 0) return [ours(undefined), ...items];
  return items.map((item, i) => (i === index ? ours(item) : item));
}

/**
 * The configuration to send: `live` (when the distribution exists) with every owned field
 * set as docs/resources.md wants it; a complete new configuration otherwise.
 */
export function desiredDistributionConfig(
  inputs: DistributionInputs,
  live: DistributionConfig | undefined,
  callerReference: string,
): DistributionConfig {
  const { config } = inputs;
  const origins = mergeList(
    live?.Origins?.Items ?? [],
    (o) => o.Id === originId(inputs.bucket),
    (o) => ourOrigin(inputs, o),
  );
  const behaviours = mergeList(
    live?.CacheBehaviors?.Items ?? [],
    (b) => b.PathPattern === AVATARS_PATTERN,
    (b) => ({ ...behaviour(inputs, b, ['GET', 'HEAD'], TTLS.avatars), PathPattern: AVATARS_PATTERN }),
  );
  const aliases = config.cdnDomain !== undefined ? [config.cdnDomain] : [];
  return {
    DefaultRootObject: '',
    HttpVersion: 'http2',
    ...live,
    CallerReference: live?.CallerReference ?? callerReference,
    Comment: distributionComment(config),
    Enabled: true,
    IsIPV6Enabled: true,
    PriceClass: 'PriceClass_100',
    Origins: { Quantity: origins.length, Items: origins },
    DefaultCacheBehavior: behaviour(inputs, live?.DefaultCacheBehavior, ['GET', 'HEAD', 'OPTIONS'], TTLS.default),
    CacheBehaviors: list(behaviours),
    Restrictions: { GeoRestriction: { RestrictionType: 'none', Quantity: 0 } },
    ViewerCertificate: viewerCertificate(config),
    Aliases: list(aliases),
  };
}

// ── comparison ─────────────────────────────────────────────────────────────────────────

const sorted = (items: readonly string[] | undefined) => [...(items ?? [])].sort();

function behaviourView(b: Partial<CacheBehavior> | undefined) {
  if (!b) return null;
  return {
    origin: b.TargetOriginId ?? null,
    viewer: b.ViewerProtocolPolicy ?? null,
    methods: sorted(b.AllowedMethods?.Items),
    cached: sorted(b.AllowedMethods?.CachedMethods?.Items),
    compress: b.Compress === true,
    queryString: b.ForwardedValues?.QueryString ?? null,
    cookies: b.ForwardedValues?.Cookies?.Forward ?? null,
    cachePolicy: b.CachePolicyId || null,
    ttl: [b.MinTTL ?? null, b.DefaultTTL ?? null, b.MaxTTL ?? null],
  };
}

function behaviourSummary(view: ReturnType<typeof behaviourView>): string {
  if (!view) return 'none';
  const cache = view.cachePolicy ? `cache policy ${view.cachePolicy}` : `TTL ${view.ttl.join('/')}`;
  return `${view.methods.join('/')}, ${view.viewer}, ${cache}${view.compress ? ', compressed' : ''}`;
}

function certificateView(c: ViewerCertificate | undefined) {
  if (!c || c.CloudFrontDefaultCertificate) return { certificate: 'cloudfront default' };
  return {
    certificate: c.ACMCertificateArn ?? c.IAMCertificateId ?? null,
    method: c.SSLSupportMethod ?? null,
    tls: c.MinimumProtocolVersion ?? null,
  };
}

/** One owned aspect of the configuration: a comparable view, and how to say it in a plan. */
interface Aspect {
  field: string;
  view(config: DistributionConfig, inputs: DistributionInputs): unknown;
  summary(view: unknown): string;
}

const str = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

export const ASPECTS: readonly Aspect[] = [
  { field: 'enabled', view: (c) => c.Enabled === true, summary: str },
  { field: 'ipv6', view: (c) => c.IsIPV6Enabled === true, summary: str },
  { field: 'comment', view: (c) => c.Comment ?? '', summary: str },
  { field: 'price-class', view: (c) => c.PriceClass ?? null, summary: str },
  {
    field: 'origin',
    view: (c, inputs) => {
      const o = c.Origins?.Items?.find((item) => item.Id === originId(inputs.bucket));
      return o
        ? {
            domain: o.DomainName,
            oac: o.OriginAccessControlId ?? null,
            oai: o.S3OriginConfig?.OriginAccessIdentity ?? null,
          }
        : null;
    },
    summary: (v) => (v ? `${(v as { domain: string }).domain} via OAC ${(v as { oac: string }).oac}` : 'none'),
  },
  {
    field: 'default-behaviour',
    view: (c) => behaviourView(c.DefaultCacheBehavior),
    summary: (v) => behaviourSummary(v as ReturnType<typeof behaviourView>),
  },
  {
    field: 'avatars-behaviour',
    view: (c) => behaviourView(c.CacheBehaviors?.Items?.find((b) => b.PathPattern === AVATARS_PATTERN)),
    summary: (v) => behaviourSummary(v as ReturnType<typeof behaviourView>),
  },
  { field: 'geo-restriction', view: (c) => c.Restrictions?.GeoRestriction?.RestrictionType ?? 'none', summary: str },
  {
    field: 'certificate',
    view: (c) => certificateView(c.ViewerCertificate),
    summary: (v) => Object.values(v as object).join(', '),
  },
  { field: 'aliases', view: (c) => sorted(c.Aliases?.Items), summary: (v) => (v as string[]).join(', ') || 'none' },
];

export interface AspectDiff {
  field: string;
  from: string;
  to: string;
}

/** The owned aspects in which `live` differs from `desired`. */
export function diffDistribution(
  live: DistributionConfig,
  desired: DistributionConfig,
  inputs: DistributionInputs,
): AspectDiff[] {
  return ASPECTS.flatMap((aspect) => {
    const have = aspect.view(live, inputs);
    const want = aspect.view(desired, inputs);
    return JSON.stringify(have) === JSON.stringify(want)
      ? []
      : [{ field: aspect.field, from: aspect.summary(have), to: aspect.summary(want) }];
  });
}

/** Tags to add or correct (others on the distribution are left alone). */
export const missingDistributionTags = (live: readonly Tag[], config: Config): Tag[] =>
  missingTags(live, distributionTags(config));
