import { bucketNameProblem, checkKmsKey, checkRegion, checkStatePrefix } from '../config/validate.js';
import { ExitCode, HmError, inputError } from '../errors.js';
import { convergeStateBucketSettings, ensureStateBucket } from '../resources/s3/state-bucket.js';
import { DEFAULT_STATE_PREFIX, type StateBucketConfig, stateUrl } from '../state/state-bucket.js';
import { stateSetupViewFor } from '../views/state-setup.js';
import { createAws } from './aws.js';
import { type GlobalOptions, globalProblems } from './common.js';
import type { Io } from './io.js';

export interface StateSetupFlags {
  bucket?: string;
  prefix?: string;
  kmsKey?: string;
}

const BUCKET_EXAMPLE = 'myteam-hm-infra-state';

/**
 * The region: --region, else AWS_REGION (or AWS_DEFAULT_REGION), the profile's, then us-east-1,
 * as every command but with no state file to take it from (the bucket is what will hold state).
 * Reading the profile touches local files only.
 */
async function stateRegion(globals: GlobalOptions, io: Io): Promise<string> {
  if (globals.region !== undefined) return globals.region;
  const fromEnv = io.env['AWS_REGION'] || io.env['AWS_DEFAULT_REGION'];
  if (fromEnv) return fromEnv;
  const { regionFromEnvironment } = await import('../aws/context.js');
  return (await regionFromEnvironment(globals.profile)) ?? 'us-east-1';
}

/** A KMS key ARN names its region; S3 encrypts only with keys of the bucket's own region. */
function kmsRegionProblem(key: string, region: string): string | undefined {
  const keyRegion = /^arn:[^:]+:kms:([^:]+):/.exec(key)?.[1];
  if (keyRegion === undefined || keyRegion === region) return undefined;
  return `KMS key "${key}" is in ${keyRegion}, but the bucket is in ${region}: S3 encrypts only with a key of the bucket's region; pass a key of ${region}, or --region ${keyRegion}`;
}

/** Everything typed, checked before any AWS call: the bucket's settings and the prefix. */
async function checkedInput(
  globals: GlobalOptions,
  flags: StateSetupFlags,
  io: Io,
): Promise<{ config: StateBucketConfig; prefix: string }> {
  if (flags.bucket === undefined || flags.bucket.trim() === '')
    throw new HmError('MISSING_INPUT', 'state setup needs the name of the bucket to hold team state', 'user', {
      hint: `Pass --bucket <name>, for example: hm-infra state setup --bucket ${BUCKET_EXAMPLE}`,
    });
  const prefix = flags.prefix ?? DEFAULT_STATE_PREFIX;
  const problems = [
    ...globalProblems(globals, io),
    bucketNameProblem(flags.bucket, '--bucket', BUCKET_EXAMPLE),
    checkStatePrefix(prefix),
    flags.kmsKey !== undefined ? checkKmsKey(flags.kmsKey) : undefined,
  ].filter((p) => p !== undefined);
  if (problems.length > 0) throw inputError(problems.join('\n'));
  const region = await stateRegion(globals, io);
  const late = [
    // A region from the environment or the profile was not typed as --region, so not checked yet.
    globals.region === undefined ? checkRegion(region) : undefined,
    flags.kmsKey !== undefined ? kmsRegionProblem(flags.kmsKey, region) : undefined,
  ].filter((p) => p !== undefined);
  if (late.length > 0) throw inputError(late.join('\n'));
  return { config: { bucket: flags.bucket, region, kmsKey: flags.kmsKey }, prefix };
}

/**
 * `hm-infra state setup`: the bucket that holds team state, created if need be and set as
 * src/state/state-bucket.ts says (src/resources/s3/state-bucket.ts does it); each setting read,
 * compared, and written only when it differs. Prints the `--state` value that uses it. Nothing
 * is written locally.
 */
export async function runStateSetup(globals: GlobalOptions, flags: StateSetupFlags, io: Io): Promise<number> {
  const view = stateSetupViewFor(globals, io);
  const { config, prefix } = await checkedInput(globals, flags, io);
  const aws = await createAws(globals, io, config.region);
  try {
    const s3 = aws.s3();
    view.start(config);
    const bucket = await ensureStateBucket(s3, config);
    view.setting(bucket);
    const settings = await convergeStateBucketSettings(s3, config, (result) => view.setting(result));
    view.result({
      bucket: config.bucket,
      region: config.region,
      state: stateUrl(config.bucket, prefix),
      settings: [bucket, ...settings],
    });
    return ExitCode.ok;
  } finally {
    aws.destroy();
  }
}
