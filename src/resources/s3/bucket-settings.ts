import { S3 } from '../../aws/sdk.js';
import type {
  CORSRule,
  LifecycleRule,
  PublicAccessBlockConfiguration,
  S3Client,
  ServerSideEncryptionRule,
  Tag,
} from '@aws-sdk/client-s3';
import * as z from 'zod/mini';
import { isS3Code } from '../../aws/errors.js';
import type { Config } from '../../config/config.js';
import { type ErrorMatch, attempt, unlessNotFound } from '../../engine/resource.js';
import type { Change, Step } from '../../engine/types.js';
import { resourceTags } from '../tags.js';

/**
 * One bucket setting: how to read it (undefined = not set), S3's answer to that read when it is
 * not set, what it should be (which may keep parts this tool does not own, such as the user's
 * own tags or lifecycle rules), whether the current value already satisfies it, and how to write it.
 * `C` is what decides the wanted value: the environment's Config for the uploads bucket, the
 * state bucket's own settings for `hm-infra state setup` (src/state/state-bucket.ts).
 */
export interface BucketSetting<T, C = Config> {
  name: string;
  read(s3: S3Client, bucket: string): Promise<T | undefined>;
  /** S3's answer to `read` when the setting is not set (versioning has none: it reads as no status). */
  notSet?: ErrorMatch;
  desired(config: C, current: T | undefined): T;
  satisfied(current: T | undefined, config: C): boolean;
  write(s3: S3Client, bucket: string, value: T): Promise<void>;
  summary(value: T | undefined): string;
}

const sameSet = (a: readonly string[] | undefined, b: readonly string[] | undefined) => {
  const x = [...new Set(a ?? [])].sort();
  const y = [...new Set(b ?? [])].sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
};

// ── versioning ──────────────────────────────────────────────────────────────────────────
type Versioning = { Status?: string };
/** Versioning Enabled, whatever the bucket. */
export const versioningSetting: BucketSetting<Versioning, unknown> = {
  name: 'versioning',
  read: async (s3, Bucket) => {
    const res = await s3.send(new S3.GetBucketVersioningCommand({ Bucket }));
    return res.Status ? { Status: res.Status } : undefined;
  },
  desired: () => ({ Status: 'Enabled' }),
  satisfied: (cur) => cur?.Status === 'Enabled',
  write: async (s3, Bucket) => {
    await s3.send(new S3.PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: 'Enabled' } }));
  },
  summary: (v) => v?.Status ?? 'never enabled',
};

// ── default encryption ──────────────────────────────────────────────────────────────────
type Encryption = { Rules: ServerSideEncryptionRule[] };
/**
 * Default encryption, one rule: SSE-S3 (`AES256`) when `kmsKey` gives no key, else SSE-KMS with
 * that key (as typed: an ARN or `alias/…`, which S3 stores as given) and an S3 Bucket Key.
 */
export function encryptionSetting<C>(kmsKey: (config: C) => string | undefined): BucketSetting<Encryption, C> {
  const rule = (key: string | undefined): ServerSideEncryptionRule =>
    key === undefined
      ? { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }
      : {
          ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: key },
          BucketKeyEnabled: true,
        };
  return {
    name: 'encryption',
    read: async (s3, Bucket) => {
      const res = await s3.send(new S3.GetBucketEncryptionCommand({ Bucket }));
      return { Rules: res.ServerSideEncryptionConfiguration?.Rules ?? [] };
    },
    notSet: (err) => isS3Code(err, 'ServerSideEncryptionConfigurationNotFoundError'),
    desired: (config) => ({ Rules: [rule(kmsKey(config))] }),
    satisfied: (cur, config) => {
      const key = kmsKey(config);
      const current = cur?.Rules[0];
      const byDefault = current?.ApplyServerSideEncryptionByDefault;
      if (cur?.Rules.length !== 1 || byDefault === undefined) return false;
      return key === undefined
        ? byDefault.SSEAlgorithm === 'AES256' && !byDefault.KMSMasterKeyID
        : byDefault.SSEAlgorithm === 'aws:kms' &&
            byDefault.KMSMasterKeyID === key &&
            current?.BucketKeyEnabled === true;
    },
    write: async (s3, Bucket, value) => {
      await s3.send(new S3.PutBucketEncryptionCommand({ Bucket, ServerSideEncryptionConfiguration: value }));
    },
    summary: (v) =>
      v?.Rules.map((r) => {
        const byDefault = r.ApplyServerSideEncryptionByDefault;
        const key = byDefault?.KMSMasterKeyID;
        return `${byDefault?.SSEAlgorithm ?? '?'}${key ? ` ${key}${r.BucketKeyEnabled ? ' (bucket key)' : ''}` : ''}`;
      }).join(', ') || 'none',
  };
}
/** The uploads bucket: SSE-S3. */
const encryption = encryptionSetting<Config>(() => undefined);

// ── public access block ─────────────────────────────────────────────────────────────────
const PAB_FLAGS = ['BlockPublicAcls', 'IgnorePublicAcls', 'BlockPublicPolicy', 'RestrictPublicBuckets'] as const;
/** All four public access block flags on, whatever the bucket. */
export const publicAccessBlockSetting: BucketSetting<PublicAccessBlockConfiguration, unknown> = {
  name: 'public-access-block',
  read: async (s3, Bucket) =>
    (await s3.send(new S3.GetPublicAccessBlockCommand({ Bucket }))).PublicAccessBlockConfiguration ?? {},
  notSet: (err) => isS3Code(err, 'NoSuchPublicAccessBlockConfiguration'),
  desired: () => ({
    BlockPublicAcls: true,
    IgnorePublicAcls: true,
    BlockPublicPolicy: true,
    RestrictPublicBuckets: true,
  }),
  satisfied: (cur) => PAB_FLAGS.every((flag) => cur?.[flag] === true),
  write: async (s3, Bucket, value) => {
    await s3.send(new S3.PutPublicAccessBlockCommand({ Bucket, PublicAccessBlockConfiguration: value }));
  },
  summary: (v) => (v ? PAB_FLAGS.map((f) => `${f}=${v[f] === true}`).join(' ') : 'not set'),
};

// ── CORS ────────────────────────────────────────────────────────────────────────────────
export const CORS_RULE_ID = 'hm-infra-uploads';
function corsRule(config: Config): CORSRule {
  return {
    ID: CORS_RULE_ID,
    AllowedHeaders: ['*'],
    AllowedMethods: ['GET', 'PUT', 'POST', 'HEAD'],
    AllowedOrigins: config.corsOrigins,
    ExposeHeaders: ['ETag'],
    MaxAgeSeconds: 3600,
  };
}
const sameCorsRule = (a: CORSRule, b: CORSRule) =>
  sameSet(a.AllowedHeaders, b.AllowedHeaders) &&
  sameSet(a.AllowedMethods, b.AllowedMethods) &&
  sameSet(a.AllowedOrigins, b.AllowedOrigins) &&
  sameSet(a.ExposeHeaders, b.ExposeHeaders) &&
  a.MaxAgeSeconds === b.MaxAgeSeconds;
/** Our rule is the one with our ID, or (where an API drops IDs) one equal to it. */
const findOurCors = (rules: CORSRule[], config: Config) =>
  rules.find((r) => r.ID === CORS_RULE_ID) ?? rules.find((r) => sameCorsRule(r, corsRule(config)));
const cors: BucketSetting<CORSRule[]> = {
  name: 'cors',
  read: async (s3, Bucket) => (await s3.send(new S3.GetBucketCorsCommand({ Bucket }))).CORSRules ?? [],
  notSet: (err) => isS3Code(err, 'NoSuchCORSConfiguration'),
  desired: (config, cur = []) => {
    const ours = findOurCors(cur, config);
    return [corsRule(config), ...cur.filter((r) => r !== ours)];
  },
  satisfied: (cur, config) => {
    const ours = findOurCors(cur ?? [], config);
    return ours !== undefined && sameCorsRule(ours, corsRule(config));
  },
  write: async (s3, Bucket, CORSRules) => {
    await s3.send(new S3.PutBucketCorsCommand({ Bucket, CORSConfiguration: { CORSRules } }));
  },
  summary: (v) =>
    v?.length
      ? v.map((r) => `${(r.AllowedMethods ?? []).join('/')} from ${(r.AllowedOrigins ?? []).join(', ')}`).join('; ')
      : 'none',
};

// ── lifecycle ───────────────────────────────────────────────────────────────────────────
/**
 * The two rules of docs/resources.md, plus the companion a versioned bucket needs: once every noncurrent
 * version has expired (90 days), the delete marker left behind is removed too.
 */
export function lifecycleRules(): LifecycleRule[] {
  return [
    {
      ID: 'abort-incomplete-multipart',
      Status: 'Enabled',
      Filter: { Prefix: '' },
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
    },
    {
      ID: 'transition-old-versions',
      Status: 'Enabled',
      Filter: { Prefix: '' },
      NoncurrentVersionTransitions: [{ NoncurrentDays: 30, StorageClass: 'STANDARD_IA' }],
      NoncurrentVersionExpiration: { NoncurrentDays: 90 },
    },
    {
      ID: 'expire-delete-markers',
      Status: 'Enabled',
      Filter: { Prefix: '' },
      Expiration: { ExpiredObjectDeleteMarker: true },
    },
  ];
}
/** A rule in a form that ignores how an API spells "whole bucket" (`Filter: {}`, `Prefix: ''` …). */
function canonicalRule(rule: LifecycleRule): string {
  const filter = rule.Filter ?? {};
  const scope =
    filter.And || filter.Tag || filter.ObjectSizeGreaterThan !== undefined || filter.ObjectSizeLessThan !== undefined
      ? JSON.stringify(filter)
      : (filter.Prefix ?? rule.Prefix ?? '');
  return JSON.stringify({
    id: rule.ID,
    status: rule.Status,
    scope,
    abort: rule.AbortIncompleteMultipartUpload?.DaysAfterInitiation ?? null,
    expiration: rule.Expiration
      ? { days: rule.Expiration.Days ?? null, marker: rule.Expiration.ExpiredObjectDeleteMarker ?? null }
      : null,
    transitions: (rule.Transitions ?? []).map((t) => [t.Days ?? null, t.StorageClass]),
    noncurrentTransitions: (rule.NoncurrentVersionTransitions ?? []).map((t) => [
      t.NoncurrentDays ?? null,
      t.StorageClass,
    ]),
    noncurrentExpiration: rule.NoncurrentVersionExpiration?.NoncurrentDays ?? null,
  });
}
/**
 * The lifecycle rules `ours` gives, each compared by its ID; the bucket's other rules are kept.
 */
export function lifecycleSetting<C>(ours: (config: C) => LifecycleRule[]): BucketSetting<LifecycleRule[], C> {
  return {
    name: 'lifecycle',
    read: async (s3, Bucket) => (await s3.send(new S3.GetBucketLifecycleConfigurationCommand({ Bucket }))).Rules ?? [],
    notSet: (err) => isS3Code(err, 'NoSuchLifecycleConfiguration'),
    desired: (config, cur = []) => {
      const wanted = ours(config);
      const ids = new Set(wanted.map((r) => r.ID));
      return [...wanted, ...cur.filter((r) => !ids.has(r.ID))];
    },
    satisfied: (cur, config) => {
      const byId = new Map((cur ?? []).map((r) => [r.ID, r]));
      return ours(config).every((want) => {
        const have = byId.get(want.ID);
        return have !== undefined && canonicalRule(have) === canonicalRule(want);
      });
    },
    write: async (s3, Bucket, Rules) => {
      await s3.send(new S3.PutBucketLifecycleConfigurationCommand({ Bucket, LifecycleConfiguration: { Rules } }));
    },
    summary: (v) => (v?.length ? v.map((r) => r.ID ?? '(no id)').join(', ') : 'none'),
  };
}
const lifecycle = lifecycleSetting<Config>(() => lifecycleRules());

// ── tags ────────────────────────────────────────────────────────────────────────────────
export const bucketTags = (config: Config): Tag[] => resourceTags(config, 'User uploads bucket');
/** The tags `ours` gives (a key of ours with another value is set back); the bucket's other tags are kept. */
export function tagsSetting<C>(ours: (config: C) => Tag[]): BucketSetting<Tag[], C> {
  return {
    name: 'tags',
    read: async (s3, Bucket) => (await s3.send(new S3.GetBucketTaggingCommand({ Bucket }))).TagSet ?? [],
    notSet: (err) => isS3Code(err, 'NoSuchTagSet'),
    desired: (config, cur = []) => {
      const wanted = ours(config);
      const keys = new Set(wanted.map((t) => t.Key));
      return [...wanted, ...cur.filter((t) => !keys.has(t.Key))];
    },
    satisfied: (cur, config) =>
      ours(config).every((want) => cur?.some((t) => t.Key === want.Key && t.Value === want.Value)),
    write: async (s3, Bucket, TagSet) => {
      await s3.send(new S3.PutBucketTaggingCommand({ Bucket, Tagging: { TagSet } }));
    },
    summary: (v) => (v?.length ? v.map((t) => `${t.Key}=${t.Value}`).join(', ') : 'none'),
  };
}
const tags = tagsSetting(bucketTags);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const BUCKET_SETTINGS: ReadonlyArray<BucketSetting<any>> = [
  versioningSetting,
  encryption,
  publicAccessBlockSetting,
  cors,
  lifecycle,
  tags,
];

/** Each setting's current value; a missing key means "not set". */
export type BucketSettingsObserved = Record<string, unknown>;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnySetting<C> = BucketSetting<any, C>;

/** Reads every setting of a bucket, all at once (independent reads); a setting not set reads as absent. */
export async function readBucketSettings<C>(
  s3: S3Client,
  bucket: string,
  settings: ReadonlyArray<AnySetting<C>>,
): Promise<BucketSettingsObserved> {
  const values = await Promise.all(
    settings.map((setting) =>
      unlessNotFound(
        () => setting.read(s3, bucket),
        setting.notSet ?? [],
        `read the ${setting.name} of bucket ${bucket}`,
      ),
    ),
  );
  return Object.fromEntries(settings.map((s, i) => [s.name, values[i]]));
}

/** The settings that differ from what `config` wants: `create` where one is not set, `update` where it differs. */
export function bucketSettingChanges<C>(
  settings: ReadonlyArray<AnySetting<C>>,
  observed: BucketSettingsObserved | undefined,
  config: C,
): Change[] {
  const changes: Change[] = [];
  for (const setting of settings) {
    const current = observed?.[setting.name];
    if (setting.satisfied(current, config)) continue;
    const desired = setting.desired(config, current);
    changes.push({
      field: setting.name,
      action: current === undefined ? 'create' : 'update',
      from: setting.summary(current),
      to: setting.summary(desired),
      note: `is ${setting.summary(current)}; should be ${setting.summary(desired)}`,
    });
  }
  return changes;
}

/**
 * Writes the changed settings, one at a time: S3 answers concurrent configuration writes to one
 * bucket with OperationAborted. `onWritten` hears of each as it is done.
 */
export async function writeBucketSettings<C>(
  s3: S3Client,
  bucket: string,
  settings: ReadonlyArray<AnySetting<C>>,
  observed: BucketSettingsObserved | undefined,
  config: C,
  changes: readonly Change[],
  onWritten: (change: Change) => void = () => undefined,
): Promise<void> {
  for (const change of changes) {
    const setting = settings.find((s) => s.name === change.field);
    if (!setting) continue;
    await attempt(
      () => setting.write(s3, bucket, setting.desired(config, observed?.[setting.name])),
      `set the ${setting.name} of bucket ${bucket}`,
    );
    onWritten(change);
  }
}

const outputsSchema = z.object({ settings: z.array(z.string()) });
export type BucketSettingsOutputs = z.infer<typeof outputsSchema>;

declare module '../../engine/types.js' {
  interface StepOutputs {
    'bucket-settings': BucketSettingsOutputs;
  }
}

/** Versioning, encryption, public access block, CORS, lifecycle and tags of the bucket. */
export const bucketSettingsStep: Step<BucketSettingsObserved, BucketSettingsOutputs> = {
  id: 'bucket-settings',
  title: 'S3 bucket settings',
  service: 'S3',
  dependsOn: ['bucket'],
  outputsSchema,

  read: (ctx) => readBucketSettings(ctx.aws.s3(), ctx.output('bucket').name, BUCKET_SETTINGS),

  plan: (ctx, observed) => bucketSettingChanges(BUCKET_SETTINGS, observed, ctx.config),

  async apply(ctx, observed, changes) {
    await writeBucketSettings(ctx.aws.s3(), ctx.output('bucket').name, BUCKET_SETTINGS, observed, ctx.config, changes);
    return { type: ctx.recorded ? 'updated' : 'created', outputs: { settings: BUCKET_SETTINGS.map((s) => s.name) } };
  },

  outputs: () => ({ settings: BUCKET_SETTINGS.map((s) => s.name) }),
  // The settings go with the bucket.
  destroy: async () => undefined,
};
