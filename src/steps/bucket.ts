import { type BucketLocationConstraint, CreateBucketCommand, DeleteBucketCommand, HeadBucketCommand } from '@aws-sdk/client-s3';
import { httpStatus, isAwsError, toHmError } from '../aws/errors.js';
import type { Config } from '../config/config.js';
import { HmError } from '../errors.js';
import type { Step } from './types.js';

export interface BucketOutputs {
  name: string;
  arn: string;
  region: string;
  /** The origin domain CloudFront uses (`<name>.s3.<region>.amazonaws.com`). */
  regionalDomainName: string;
}

declare module './types.js' {
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

function nameTaken(name: string): HmError {
  return new HmError('BUCKET_NAME_TAKEN', `the bucket name "${name}" is already taken by another AWS account (bucket names are global)`, 'user', {
    hint: `Choose another name with --bucket-name, for example --bucket-name ${name.slice(0, 55)}-${Math.random().toString(36).slice(2, 7)}`,
  });
}

function otherRegion(name: string, region: string | undefined, config: Config): HmError {
  return new HmError('BUCKET_OTHER_REGION', `your bucket "${name}" exists in ${region ?? 'another region'}, not in ${config.region}`, 'user', {
    hint: region ? `Re-run with --region ${region}, or choose another name with --bucket-name.` : 'Re-run with the bucket\'s region (--region), or choose another name with --bucket-name.',
  });
}

/** The uploads bucket `${app}-uploads-${env}` (or --bucket-name), in the configured region. */
export const bucketStep: Step<BucketObserved, BucketOutputs> = {
  id: 'bucket',
  title: 'S3 bucket',
  service: 'S3',
  dependsOn: ['account'],

  async read(ctx) {
    const name = ctx.config.bucketName;
    try {
      const head = await ctx.aws.s3().send(new HeadBucketCommand({ Bucket: name }));
      const region = head.BucketRegion ?? ctx.config.region;
      if (region !== ctx.config.region) throw otherRegion(name, region, ctx.config);
      return { name, region };
    } catch (err) {
      if (err instanceof HmError) throw err;
      // HeadBucket has no body: 404 is the only "absent" answer; 403 means someone else's.
      if (isAwsError(err, 'NotFound', 'NoSuchBucket') || httpStatus(err) === 404) return undefined;
      if (isAwsError(err, 'Forbidden') || httpStatus(err) === 403) throw nameTaken(name);
      if (isAwsError(err, 'PermanentRedirect') || httpStatus(err) === 301) throw otherRegion(name, undefined, ctx.config);
      throw toHmError(err, `check whether bucket ${name} exists`);
    }
  },

  plan(ctx, observed) {
    return observed ? [] : [{ field: 'bucket', action: 'create', to: ctx.config.bucketName, note: 'no bucket of that name exists' }];
  },

  async apply(ctx) {
    const { bucketName: name, region } = ctx.config;
    await ctx.intend({ create: name });
    try {
      await ctx.aws.s3().send(
        new CreateBucketCommand({
          Bucket: name,
          // us-east-1 is the default location and must not be named.
          ...(region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } }),
        }),
      );
    } catch (err) {
      if (isAwsError(err, 'BucketAlreadyOwnedByYou')) {
        ctx.debug(`bucket ${name} already exists in this account; using it`);
        return { type: 'unchanged', outputs: bucketOutputs(name, region) };
      }
      if (isAwsError(err, 'BucketAlreadyExists')) throw nameTaken(name);
      if (isAwsError(err, 'TooManyBuckets')) {
        throw new HmError('TOO_MANY_BUCKETS', 'this AWS account has reached its limit of S3 buckets', 'aws', {
          hint: 'Delete an unused bucket or request a higher quota in Service Quotas, then re-run.',
        });
      }
      throw toHmError(err, `create bucket ${name}`);
    }
    return { type: 'created', outputs: bucketOutputs(name, region) };
  },

  outputs: (_ctx, observed) => bucketOutputs(observed.name, observed.region),

  async destroy(ctx, recorded) {
    try {
      await ctx.aws.s3().send(new DeleteBucketCommand({ Bucket: recorded.name }));
    } catch (err) {
      if (isAwsError(err, 'NoSuchBucket')) return;
      if (isAwsError(err, 'BucketNotEmpty')) {
        throw new HmError('BUCKET_NOT_EMPTY', `bucket ${recorded.name} still holds objects`, 'user', {
          hint: 'Empty it first (teardown --force deletes every object version), or keep the bucket.',
        });
      }
      throw toHmError(err, `delete bucket ${recorded.name}`);
    }
  },
};
