import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
// Provides the SDK's modules to src/aws/sdk.ts, as the first AwsContext does.
import '../../../src/aws/context.js';
import { HmError } from '../../../src/errors.js';
import { ensureStateBucket } from '../../../src/resources/s3/state-bucket.js';
import { stateUrl } from '../../../src/state/state-bucket.js';
import { awsError } from '../../fakes/account.js';

const s3 = mockClient(S3Client);
const config = { bucket: 'team-state', region: 'us-east-1' };

async function refusal(): Promise<HmError> {
  const err = await ensureStateBucket(new S3Client({ region: config.region }), config).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(HmError);
  return err as HmError;
}

describe('ensureStateBucket', () => {
  beforeEach(() => s3.reset());

  it('refuses a bucket HeadBucket finds in another region, naming it', async () => {
    s3.on(HeadBucketCommand).resolves({ BucketRegion: 'eu-west-1' });
    // WHEN
    const err = await refusal();
    // THEN
    expect(err.code).toBe('BUCKET_OTHER_REGION');
    expect(err.exitCode).toBe(2);
    expect(err.hint).toContain('--region eu-west-1');
  });

  it("names the region of S3's 301 answer when it gives one", async () => {
    const moved = Object.assign(awsError('s3', 'MovedPermanently', 'Moved Permanently'), {
      $response: { statusCode: 301, headers: { 'x-amz-bucket-region': 'ap-south-1' } },
    });
    s3.on(HeadBucketCommand).rejects(moved);
    // WHEN
    const err = await refusal();
    // THEN
    expect(err.code).toBe('BUCKET_OTHER_REGION');
    expect(err.message).toContain('exists in ap-south-1');
  });

  it('uses a bucket of this account in the region as it is', async () => {
    s3.on(HeadBucketCommand).resolves({ BucketRegion: 'us-east-1' });
    // WHEN
    const result = await ensureStateBucket(new S3Client({ region: config.region }), config);
    // THEN
    expect(result).toEqual({ name: 'bucket', action: 'unchanged', value: 'team-state in us-east-1' });
    expect(s3.calls()).toHaveLength(1);
  });
});

describe('stateUrl', () => {
  it('is s3://<bucket>/<prefix>', () => {
    expect(stateUrl('team-state', 'teams/a')).toBe('s3://team-state/teams/a');
  });
});
