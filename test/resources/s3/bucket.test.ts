import { CreateBucketCommand, DeleteBucketCommand, HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { HmError } from '../../../src/errors.js';
import { bucketOutputs, bucketStep } from '../../../src/resources/s3/bucket.js';
import { awsError } from '../../fakes/account.js';
import { converge, givenConfig, givenStepContext } from '../../support/context.js';

const s3 = mockClient(S3Client);

function givenNoBucket() {
  s3.on(HeadBucketCommand).rejects(awsError('s3', 'NotFound', 'Not Found'));
  s3.on(CreateBucketCommand).resolves({});
}

async function failureOf(promise: Promise<unknown>): Promise<HmError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HmError);
  return error as HmError;
}

describe('bucket step', () => {
  beforeEach(() => s3.reset());

  it('creates the bucket without a location constraint in us-east-1', async () => {
    givenNoBucket();
    const ctx = givenStepContext({ config: givenConfig({ region: 'us-east-1' }) });
    // WHEN
    const { result } = await converge(bucketStep, ctx);
    // THEN
    expect(result.type).toBe('created');
    expect(s3.commandCalls(CreateBucketCommand)[0]?.args[0].input).toEqual({ Bucket: 'healthmetrics-uploads-dev' });
    expect(result.outputs).toEqual(bucketOutputs('healthmetrics-uploads-dev', 'us-east-1'));
  });

  it('names the region as location constraint elsewhere', async () => {
    givenNoBucket();
    const ctx = givenStepContext({ config: givenConfig({ region: 'eu-west-1' }) });
    // WHEN
    await converge(bucketStep, ctx);
    // THEN
    expect(s3).toHaveReceivedCommandWith(CreateBucketCommand, {
      Bucket: 'healthmetrics-uploads-dev',
      CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' },
    });
  });

  it('records its intent to create before the create call', async () => {
    givenNoBucket();
    const ctx = givenStepContext();
    let intentsAtCreate = -1;
    s3.on(CreateBucketCommand).callsFake(() => {
      intentsAtCreate = ctx.intents.length;
      return {};
    });
    // WHEN
    await converge(bucketStep, ctx);
    // THEN
    expect(intentsAtCreate).toBe(1);
    expect(ctx.intents[0]).toEqual({ create: 'healthmetrics-uploads-dev' });
  });

  it('leaves an existing bucket of this account alone', async () => {
    s3.on(HeadBucketCommand).resolves({ BucketRegion: 'us-east-1' });
    // WHEN
    const { changes, result } = await converge(bucketStep, givenStepContext());
    // THEN
    expect(changes).toEqual([]);
    expect(result.type).toBe('unchanged');
    expect(s3).not.toHaveReceivedCommand(CreateBucketCommand);
  });

  it('adopts the bucket when CreateBucket answers BucketAlreadyOwnedByYou', async () => {
    s3.on(HeadBucketCommand).rejects(awsError('s3', 'NotFound'));
    s3.on(CreateBucketCommand).rejects(awsError('s3', 'BucketAlreadyOwnedByYou'));
    // WHEN
    const { result } = await converge(bucketStep, givenStepContext());
    // THEN
    expect(result.type).toBe('unchanged');
  });

  it('suggests --bucket-name when another account owns the name', async () => {
    s3.on(HeadBucketCommand).rejects(awsError('s3', 'NotFound'));
    s3.on(CreateBucketCommand).rejects(awsError('s3', 'BucketAlreadyExists'));
    // WHEN
    const error = await failureOf(converge(bucketStep, givenStepContext()));
    // THEN
    expect(error.code).toBe('BUCKET_NAME_TAKEN');
    expect(error.exitCode).toBe(2);
    expect(error.hint).toContain('--bucket-name');
  });

  it('treats a 403 from HeadBucket as a name owned by someone else', async () => {
    s3.on(HeadBucketCommand).rejects(awsError('s3', 'Forbidden'));
    // WHEN
    const error = await failureOf(bucketStep.read(givenStepContext()));
    // THEN
    expect(error.code).toBe('BUCKET_NAME_TAKEN');
    expect(s3).not.toHaveReceivedCommand(CreateBucketCommand);
  });

  it('refuses a bucket of this account that lives in another region', async () => {
    s3.on(HeadBucketCommand).resolves({ BucketRegion: 'eu-central-1' });
    // WHEN
    const error = await failureOf(bucketStep.read(givenStepContext()));
    // THEN
    expect(error.code).toBe('BUCKET_OTHER_REGION');
    expect(error.hint).toContain('--region eu-central-1');
  });

  it('does not mistake another HeadBucket failure for "absent"', async () => {
    s3.on(HeadBucketCommand).rejects(awsError('s3', 'InternalError'));
    // WHEN
    const error = await failureOf(bucketStep.read(givenStepContext()));
    // THEN
    expect(error.code).toBe('AWS_ERROR');
    expect(s3).not.toHaveReceivedCommand(CreateBucketCommand);
  });

  describe('destroy', () => {
    it('deletes the bucket, and counts one already gone as removed', async () => {
      s3.on(DeleteBucketCommand).rejectsOnce(awsError('s3', 'NoSuchBucket'));
      // WHEN / THEN
      await expect(
        bucketStep.destroy(givenStepContext(), bucketOutputs('b-uploads-dev', 'us-east-1')),
      ).resolves.toBeUndefined();
      expect(s3).toHaveReceivedCommandWith(DeleteBucketCommand, { Bucket: 'b-uploads-dev' });
    });

    it('refuses a bucket that still holds objects', async () => {
      s3.on(DeleteBucketCommand).rejects(awsError('s3', 'BucketNotEmpty'));
      // WHEN
      const error = await failureOf(
        bucketStep.destroy(givenStepContext(), bucketOutputs('b-uploads-dev', 'us-east-1')),
      );
      // THEN
      expect(error.code).toBe('BUCKET_NOT_EMPTY');
    });
  });
});
