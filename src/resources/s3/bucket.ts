import type { BucketLocationConstraint, S3Client } from '@aws-sdk/client-s3';
import * as z from 'zod/mini';
import { httpStatus, isS3Code, refusedOverPlainHttp, toHmError } from '../../aws/errors.js';
import { S3 } from '../../aws/sdk.js';
import type { Config } from '../../config/config.js';
import { type ErrorMatch, defineResource, unlessNotFound } from '../../engine/resource.js';
import type { StepContext } from '../../engine/types.js';
import { HmError } from '../../errors.js';

const outputsSchema = z.object({
  name: z.string(),
  arn: z.string(),
  region: z.string(),
  /** The origin domain CloudFront uses (`<name>.s3.<region>.amazonaws.com`). */
  regionalDomainName: z.string(),
});
export type BucketOutputs = z.infer<typeof outputsSchema>;

declare module '../../engine/types.js' {
  interface StepOutputs {
    bucket: BucketOutputs;
  }
}

interface BucketObserved {
  name: string;
  region: string;
}

export function bucketOutputs(name: string, region: string): BucketOutputs {
  return { name, arn: `arn:aws:s3:::${name}`, region, regionalDomainName: `${name}.s3.${region}.amazonaws.com` };
}

const noSuchBucket: ErrorMatch = (err) => err instanceof S3.NoSuchBucket;

function nameTaken(name: string): HmError {
  return new HmError(
    'BUCKET_NAME_TAKEN',
    `the bucket name "${name}" is already taken by another AWS account (bucket names are global)`,
    'user',
    {
      hint: `Choose another name with --bucket-name, for example --bucket-name ${name.slice(0, 55)}-${Math.random().toString(36).slice(2, 7)}`,
    },
  );
}

function otherRegion(name: string, region: string | undefined, config: Config): HmError {
  return new HmError(
    'BUCKET_OTHER_REGION',
    `your bucket "${name}" exists in ${region ?? 'another region'}, not in ${config.region}`,
    'user',
    {
      hint: region
        ? `Re-run with --region ${region}, or choose another name with --bucket-name.`
        : "Re-run with the bucket's region (--region), or choose another name with --bucket-name.",
    },
  );
}

/**
 * What HeadBucket's answer means. A HEAD answer has no body: the SDK raises NotFound for a 404
 * (the only "absent" answer) and names every other answer "Unknown", so the status tells them
 * apart: 403 is someone else's bucket, 301 one in another region.
 */
function headRefusal(ctx: StepContext, err: unknown): HmError {
  const name = ctx.config.bucketName;
  const checking = `check whether bucket ${name} exists`;
  // Over plain HTTP, the TLS-only policy of a bucket this state knows refuses even its owner (toHmError says so).
  if (httpStatus(err) === 403)
    return ctx.recorded !== undefined && refusedOverPlainHttp(err) !== undefined
      ? toHmError(err, checking)
      : nameTaken(name);
  if (httpStatus(err) === 301) return otherRegion(name, undefined, ctx.config);
  return toHmError(err, checking);
}

/** The uploads bucket `${app}-uploads-${env}` (or --bucket-name), in the configured region. */
export const bucketStep = defineResource<BucketObserved, BucketOutputs>({
  id: 'bucket',
  title: 'S3 bucket',
  service: 'S3',
  dependsOn: ['account'],
  describe: (ctx) => `bucket ${ctx.config.bucketName}`,
  // HeadBucket's 404 is NotFound; the answer of every other call, NoSuchBucket.
  notFound: [(err) => err instanceof S3.NotFound, noSuchBucket],
  ours: {
    answer: (err) => err instanceof S3.BucketAlreadyOwnedByYou,
    outputs: (ctx) => bucketOutputs(ctx.config.bucketName, ctx.config.region),
  },
  outputsSchema,

  async find(ctx) {
    const name = ctx.config.bucketName;
    const head = await ctx.aws.s3().send(new S3.HeadBucketCommand({ Bucket: name }));
    const region = head.BucketRegion ?? ctx.config.region;
    if (region !== ctx.config.region) throw otherRegion(name, region, ctx.config);
    return { name, region };
  },

  toCreate: (ctx) => ({ field: 'bucket', to: ctx.config.bucketName, note: 'no bucket of that name exists' }),

  // A bucket of this account in the configured region is used as it is; its settings are the next step's.
  diff: () => [],

  intent: (ctx) => ({ create: ctx.config.bucketName }),

  async create(ctx) {
    const { bucketName: name, region } = ctx.config;
    await ctx.aws.s3().send(
      new S3.CreateBucketCommand({
        Bucket: name,
        // us-east-1 is the default location and must not be named.
        ...(region === 'us-east-1'
          ? {}
          : { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } }),
      }),
    );
    return bucketOutputs(name, region);
  },

  outputs: (_ctx, observed) => bucketOutputs(observed.name, observed.region),

  /** A bucket holding objects (any version) is removed only with --force, which empties it first. */
  async checkDestroy(ctx, recorded) {
    if (ctx.flags.force) return undefined;
    const held = await objectVersions(ctx.aws.s3(), recorded.name, 1);
    if (held === undefined || held.length === 0) return undefined;
    return `bucket ${recorded.name} still holds objects: pass --force to delete every object version with it, or empty it yourself (or keep it by moving its uploads elsewhere first)`;
  },

  async remove(ctx, recorded) {
    if (ctx.flags.force) await emptyBucket(ctx, recorded.name);
    await ctx.aws.s3().send(new S3.DeleteBucketCommand({ Bucket: recorded.name }));
  },

  explain(ctx, err, doing) {
    const name = ctx.config.bucketName;
    if (doing === 'read') return headRefusal(ctx, err);
    if (err instanceof S3.BucketAlreadyExists) return nameTaken(name);
    if (isS3Code(err, 'TooManyBuckets')) {
      return new HmError('TOO_MANY_BUCKETS', 'this AWS account has reached its limit of S3 buckets', 'aws', {
        hint: 'Delete an unused bucket or request a higher quota in Service Quotas, then re-run.',
      });
    }
    if (isS3Code(err, 'BucketNotEmpty')) {
      return new HmError('BUCKET_NOT_EMPTY', `bucket ${name} still holds objects`, 'user', {
        hint: 'Something uploaded while teardown ran, or teardown ran without --force. Re-run with --force to delete every object version, or keep the bucket.',
      });
    }
    return undefined;
  },
});

/** Up to `max` object versions and delete markers of a bucket; undefined when the bucket is gone. */
async function objectVersions(
  s3: S3Client,
  bucket: string,
  max: number,
): Promise<Array<{ Key: string; VersionId?: string }> | undefined> {
  const page = await unlessNotFound(
    () => s3.send(new S3.ListObjectVersionsCommand({ Bucket: bucket, MaxKeys: max })),
    noSuchBucket,
    `list the objects in bucket ${bucket}`,
  );
  if (page === undefined) return undefined;
  return [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])]
    .filter((v) => v.Key !== undefined)
    .slice(0, max)
    .map((v) => ({ Key: v.Key as string, ...(v.VersionId !== undefined ? { VersionId: v.VersionId } : {}) }));
}

/**
 * Deletes every object version and delete marker, 1000 per request (the DeleteObjects limit),
 * reading the first page again after each batch, so it resumes cleanly after an interruption.
 */
async function emptyBucket(ctx: StepContext, bucket: string): Promise<void> {
  const s3 = ctx.aws.s3();
  let deleted = 0;
  for (;;) {
    const batch = await objectVersions(s3, bucket, 1000);
    if (batch === undefined || batch.length === 0) return;
    const answer = await unlessNotFound(
      () => s3.send(new S3.DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch, Quiet: true } })),
      noSuchBucket,
      `delete objects in bucket ${bucket}`,
    );
    if (answer === undefined) return;
    const errors = answer.Errors;
    if (errors && errors.length > 0) {
      const first = errors[0];
      throw new HmError(
        'BUCKET_EMPTY_FAILED',
        `could not delete ${errors.length} object version(s) in bucket ${bucket}: ${first?.Key ?? '?'}: ${first?.Code ?? ''} ${first?.Message ?? ''}`.trim(),
        'aws',
        {
          hint: 'Check that your credentials may s3:DeleteObjectVersion (and that no object lock or legal hold applies), then re-run.',
        },
      );
    }
    deleted += batch.length;
    ctx.report(`deleted ${deleted.toLocaleString('en-US')} object version${deleted === 1 ? '' : 's'}…`);
  }
}
