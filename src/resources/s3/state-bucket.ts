/**
 * The team state bucket, as `hm-infra state setup` makes it (what it should be:
 * src/state/state-bucket.ts): created in its region, then each setting read, compared and
 * written only when it differs. The settings are the uploads bucket's own `BucketSetting`s
 * (bucket-settings.ts, bucket-policy.ts), given the state bucket's values: versioning,
 * encryption (SSE-S3 or SSE-KMS), the public access block, the TLS-only policy statement, a
 * lifecycle rule for old state versions, tags.
 */
import type { BucketLocationConstraint, S3Client } from '@aws-sdk/client-s3';
import { httpStatus, isS3Code, refusedOverPlainHttp, toHmError } from '../../aws/errors.js';
import { S3 } from '../../aws/sdk.js';
import { unless } from '../../engine/resource.js';
import { HmError } from '../../errors.js';
import {
  STATE_BUCKET_TAGS,
  type SettingResult,
  type StateBucketConfig,
  stateLifecycleRules,
} from '../../state/state-bucket.js';
import { bucketOutputs } from './bucket.js';
import { ourStatements, policySetting } from './bucket-policy.js';
import {
  type BucketSetting,
  bucketSettingChanges,
  encryptionSetting,
  lifecycleSetting,
  publicAccessBlockSetting,
  readBucketSettings,
  tagsSetting,
  versioningSetting,
  writeBucketSettings,
} from './bucket-settings.js';

/** The settings, in the order they are written (one at a time: S3 refuses concurrent configuration writes). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const STATE_BUCKET_SETTINGS: ReadonlyArray<BucketSetting<any, StateBucketConfig>> = [
  versioningSetting,
  encryptionSetting<StateBucketConfig>((config) => config.kmsKey),
  publicAccessBlockSetting,
  // Only the TLS-only deny: nothing reads state but its owners' credentials.
  policySetting<StateBucketConfig>((config) =>
    ourStatements(bucketOutputs(config.bucket, config.region).arn, undefined),
  ),
  lifecycleSetting<StateBucketConfig>(() => stateLifecycleRules()),
  tagsSetting<StateBucketConfig>(() => [...STATE_BUCKET_TAGS]),
];

function nameTaken(name: string): HmError {
  return new HmError(
    'BUCKET_NAME_TAKEN',
    `the bucket name "${name}" is already taken by another AWS account (bucket names are global)`,
    'user',
    {
      hint: `Choose another name with --bucket, for example --bucket ${name.slice(0, 55)}-${Math.random().toString(36).slice(2, 7)} (if the bucket is yours, your credentials may lack s3:ListBucket on it).`,
    },
  );
}

function otherRegion(name: string, found: string | undefined, region: string): HmError {
  return new HmError(
    'BUCKET_OTHER_REGION',
    `your bucket "${name}" exists in ${found ?? 'another region'}, not in ${region}`,
    'user',
    {
      hint: found
        ? `Re-run with --region ${found}, or choose another name with --bucket.`
        : "Re-run with the bucket's region (--region), or choose another name with --bucket.",
    },
  );
}

/** The region S3 names in a 301 answer (`x-amz-bucket-region`), when it does. */
function redirectRegion(err: unknown): string | undefined {
  const headers = (err as { $response?: { headers?: Record<string, string | undefined> } }).$response?.headers;
  return headers?.['x-amz-bucket-region'] || undefined;
}

/**
 * HeadBucket has no body: 403 is someone else's bucket (or, over plain HTTP, the TLS-only
 * policy refusing its owner), 301 one in another region.
 */
function headRefusal(err: unknown, config: StateBucketConfig): HmError | undefined {
  const status = httpStatus(err);
  if (status === 403)
    return refusedOverPlainHttp(err) !== undefined
      ? toHmError(err, `check whether bucket ${config.bucket} exists`)
      : nameTaken(config.bucket);
  if (status === 301) return otherRegion(config.bucket, redirectRegion(err), config.region);
  return undefined;
}

function createRefusal(err: unknown, config: StateBucketConfig): HmError | undefined {
  if (err instanceof S3.BucketAlreadyExists) return nameTaken(config.bucket);
  if (isS3Code(err, 'TooManyBuckets'))
    return new HmError('TOO_MANY_BUCKETS', 'this AWS account has reached its limit of S3 buckets', 'aws', {
      hint: 'Delete an unused bucket or request a higher quota in Service Quotas, then re-run.',
    });
  return undefined;
}

/**
 * The bucket, found (HeadBucket) or created in the region (us-east-1 without a location
 * constraint). BucketAlreadyOwnedByYou is ours; a name of another account, or a bucket of ours
 * in another region, is refused (exit 2).
 */
export async function ensureStateBucket(s3: S3Client, config: StateBucketConfig): Promise<SettingResult> {
  const { bucket: name, region } = config;
  const head = await unless(
    () => s3.send(new S3.HeadBucketCommand({ Bucket: name })),
    (err) => err instanceof S3.NotFound,
    `check whether bucket ${name} exists`,
    (err) => headRefusal(err, config),
  );
  if (head !== undefined) {
    const found = head.BucketRegion ?? region;
    if (found !== region) throw otherRegion(name, found, region);
    return { name: 'bucket', action: 'unchanged', value: `${name} in ${region}` };
  }
  const created = await unless(
    () =>
      s3.send(
        new S3.CreateBucketCommand({
          Bucket: name,
          // us-east-1 is the default location and must not be named.
          ...(region === 'us-east-1'
            ? {}
            : { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } }),
        }),
      ),
    (err) => err instanceof S3.BucketAlreadyOwnedByYou,
    `create bucket ${name}`,
    (err) => createRefusal(err, config),
  );
  return { name: 'bucket', action: created === undefined ? 'unchanged' : 'created', value: `${name} in ${region}` };
}

/**
 * Every setting read (all at once), compared, and written one at a time where it differs;
 * `onDone` hears of each setting in order. A second run reads and writes nothing.
 */
export async function convergeStateBucketSettings(
  s3: S3Client,
  config: StateBucketConfig,
  onDone: (result: SettingResult) => void = () => undefined,
): Promise<SettingResult[]> {
  const observed = await readBucketSettings(s3, config.bucket, STATE_BUCKET_SETTINGS);
  const changes = bucketSettingChanges(STATE_BUCKET_SETTINGS, observed, config);
  const results: SettingResult[] = [];
  const report = (result: SettingResult) => {
    results.push(result);
    onDone(result);
  };
  let next = 0;
  /** The unchanged settings before `upTo` not reported yet, in order (changed ones are reported as written). */
  const unchangedUpTo = (upTo: number) => {
    for (; next < upTo; next++) {
      const setting = STATE_BUCKET_SETTINGS[next] as (typeof STATE_BUCKET_SETTINGS)[number];
      if (changes.some((c) => c.field === setting.name)) continue;
      report({ name: setting.name, action: 'unchanged', value: setting.summary(observed[setting.name]) });
    }
  };
  await writeBucketSettings(s3, config.bucket, STATE_BUCKET_SETTINGS, observed, config, changes, (change) => {
    const index = STATE_BUCKET_SETTINGS.findIndex((s) => s.name === change.field);
    unchangedUpTo(index);
    report({
      name: change.field,
      action: change.action === 'create' ? 'created' : 'updated',
      value: String(change.to ?? ''),
      ...(change.action === 'create' || change.from === undefined ? {} : { was: String(change.from) }),
    });
  });
  unchangedUpTo(STATE_BUCKET_SETTINGS.length);
  return results;
}
