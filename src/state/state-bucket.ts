/**
 * The bucket that holds team state (`--state s3://<bucket>/<prefix>`): what it should be, as
 * data (the prefix, the lifecycle rule, the tags), and the `--state` value that names it. How
 * it is found, created and set (`hm-infra state setup`) is src/resources/s3/state-bucket.ts,
 * a layer above (this one imports no resource).
 */
import type { LifecycleRule, Tag } from '@aws-sdk/client-s3';

/** What decides the state bucket's settings. */
export interface StateBucketConfig {
  bucket: string;
  region: string;
  /** SSE-KMS with this key (an ARN or `alias/…`); SSE-S3 when absent. */
  kmsKey?: string | undefined;
}

export const DEFAULT_STATE_PREFIX = 'hm-infra';
export const STATE_LIFECYCLE_RULE_ID = 'expire-noncurrent-state';

/** The `--state` value of a bucket and prefix. */
export function stateUrl(bucket: string, prefix: string): string {
  return `s3://${bucket}/${prefix}`;
}

/**
 * Every state write leaves the version it replaced; those are kept 90 days, so any write can be
 * undone for three months, and uploads left incomplete are aborted after a week.
 */
export function stateLifecycleRules(): LifecycleRule[] {
  return [
    {
      ID: STATE_LIFECYCLE_RULE_ID,
      Status: 'Enabled',
      Filter: { Prefix: '' },
      NoncurrentVersionExpiration: { NoncurrentDays: 90 },
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
    },
  ];
}

export const STATE_BUCKET_TAGS: readonly Tag[] = [
  { Key: 'Name', Value: 'hm-infra state' },
  { Key: 'ManagedBy', Value: 'hm-infra' },
];

export type SettingAction = 'created' | 'updated' | 'unchanged';

/** What became of one setting (or of the bucket itself, named `bucket`). */
export interface SettingResult {
  name: string;
  action: SettingAction;
  /** The value now, in words. */
  value: string;
  /** The value before, in words, when it was updated. */
  was?: string;
}
