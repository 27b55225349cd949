/**
 * S3 steps against S3's wire format (restXml, path-style on an endpoint): `<Error>` documents
 * with S3's codes, and HEAD answers that carry a status and headers but no body.
 */
import { describe, expect, it } from 'vitest';
import type { HmError } from '../../src/errors.js';
import { bucketPolicyStep, ourStatements } from '../../src/resources/s3/bucket-policy.js';
import { bucketSettingsStep } from '../../src/resources/s3/bucket-settings.js';
import { bucketOutputs, bucketStep } from '../../src/resources/s3/bucket.js';
import type { StepOutputs } from '../../src/engine/types.js';
import { givenConfig, givenStepContext } from '../support/context.js';
import { empty, givenWireAws, s3Error, s3HeadError, xml } from '../support/wire-aws.js';

const wire = givenWireAws();

const BUCKET = 'healthmetrics-uploads-dev';
const DISTRIBUTION_ARN = 'arn:aws:cloudfront::123456789012:distribution/E2EXAMPLE12345';
const givenContext = (options: { region?: string; outputs?: Partial<StepOutputs> } = {}) =>
  givenStepContext({
    config: givenConfig({ region: options.region ?? 'us-east-1' }),
    aws: wire.aws(options.region),
    outputs: { bucket: bucketOutputs(BUCKET, options.region ?? 'us-east-1'), ...options.outputs },
  });
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (e: unknown) => e as HmError,
  );

// ── S3's answers ──────────────────────────────────────────────────────────────────────────

const S3_NS = 'http://s3.amazonaws.com/doc/2006-03-01/';
/** S3 names the bucket in the error documents of its bucket sub-resources. */
const bucketError = (status: number, code: string, message: string) =>
  s3Error(status, code, message, { BucketName: BUCKET });
const headOk = (region: string) => ({
  status: 200,
  headers: { 'x-amz-bucket-region': region, 'x-amz-access-point-alias': 'false' },
});

describe('S3 bucket', () => {
  it('reads a bucket S3 does not have (HeadBucket 404, no body) as absent', async () => {
    wire.on('s3', 'HeadBucket', s3HeadError(404));
    // WHEN
    const observed = await bucketStep.read(givenContext());
    // THEN
    expect(observed).toBeUndefined();
    expect(wire.sent('s3', 'HeadBucket').map((r) => `${r.method} ${r.url}`)).toEqual([`HEAD /${BUCKET}/`]);
  });

  it('reads a bucket of ours with the region S3 names in x-amz-bucket-region', async () => {
    wire.on('s3', 'HeadBucket', headOk('eu-west-1'));
    // WHEN
    const observed = await bucketStep.read(givenContext({ region: 'eu-west-1' }));
    // THEN
    expect(observed).toEqual({ name: BUCKET, region: 'eu-west-1' });
  });

  it('refuses a bucket of ours in another region than the configured one, naming it', async () => {
    wire.on('s3', 'HeadBucket', headOk('ap-south-1'));
    // WHEN
    const error = await failure(bucketStep.read(givenContext({ region: 'eu-west-1' })));
    // THEN
    expect(error).toMatchObject({ code: 'BUCKET_OTHER_REGION', hint: expect.stringContaining('--region ap-south-1') });
  });

  it('takes a bucket S3 refuses to show (HeadBucket 403, no body) as a name another account owns', async () => {
    wire.on('s3', 'HeadBucket', s3HeadError(403));
    // WHEN
    const error = await failure(bucketStep.read(givenContext()));
    // THEN
    expect(error).toMatchObject({ code: 'BUCKET_NAME_TAKEN' });
  });

  it('takes a redirect (HeadBucket 301, no body) as a bucket in another region', async () => {
    wire.on('s3', 'HeadBucket', s3HeadError(301, { 'x-amz-bucket-region': 'ap-south-1' }));
    // WHEN
    const error = await failure(bucketStep.read(givenContext({ region: 'eu-west-1' })));
    // THEN
    expect(error).toMatchObject({ code: 'BUCKET_OTHER_REGION' });
  });

  it('uses a bucket this account made meanwhile (BucketAlreadyOwnedByYou, 409 outside us-east-1)', async () => {
    wire.on(
      's3',
      'CreateBucket',
      bucketError(
        409,
        'BucketAlreadyOwnedByYou',
        'Your previous request to create the named bucket succeeded and you already own it.',
      ),
    );
    const ctx = givenContext({ region: 'eu-west-1' });
    // WHEN
    const outcome = await bucketStep.apply(ctx, undefined, []);
    // THEN
    expect(outcome).toEqual({ type: 'unchanged', outputs: bucketOutputs(BUCKET, 'eu-west-1') });
    expect(wire.sent('s3', 'CreateBucket')[0]?.body).toContain('<LocationConstraint>eu-west-1</LocationConstraint>');
  });

  it('takes a name another account holds (BucketAlreadyExists, 409) as taken', async () => {
    wire.on(
      's3',
      'CreateBucket',
      bucketError(
        409,
        'BucketAlreadyExists',
        'The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.',
      ),
    );
    // WHEN
    const error = await failure(bucketStep.apply(givenContext(), undefined, []));
    // THEN
    expect(error).toMatchObject({ code: 'BUCKET_NAME_TAKEN', hint: expect.stringContaining('--bucket-name') });
  });

  it('counts a bucket already gone (NoSuchBucket on DeleteBucket) as removed', async () => {
    wire.on('s3', 'DeleteBucket', bucketError(404, 'NoSuchBucket', 'The specified bucket does not exist'));
    // WHEN
    const outcome = await bucketStep.destroy(givenContext(), bucketOutputs(BUCKET, 'us-east-1'));
    // THEN
    expect(outcome).toBeUndefined();
  });

  it('stops at a bucket that still holds objects (BucketNotEmpty, 409): BUCKET_NOT_EMPTY', async () => {
    wire.on(
      's3',
      'DeleteBucket',
      bucketError(
        409,
        'BucketNotEmpty',
        'The bucket you tried to delete is not empty. You must delete all versions in the bucket.',
      ),
    );
    // WHEN
    const error = await failure(bucketStep.destroy(givenContext(), bucketOutputs(BUCKET, 'us-east-1')));
    // THEN
    expect(error).toMatchObject({ code: 'BUCKET_NOT_EMPTY' });
  });
});

describe('S3 bucket settings', () => {
  it('reads each setting S3 answers "not configured" for as not set, and plans all six', async () => {
    wire
      .on('s3', 'GetBucketVersioning', xml(`<VersioningConfiguration xmlns="${S3_NS}"/>`))
      .on(
        's3',
        'GetBucketEncryption',
        bucketError(
          404,
          'ServerSideEncryptionConfigurationNotFoundError',
          'The server side encryption configuration was not found',
        ),
      )
      .on(
        's3',
        'GetPublicAccessBlock',
        bucketError(404, 'NoSuchPublicAccessBlockConfiguration', 'The public access block configuration was not found'),
      )
      .on('s3', 'GetBucketCors', bucketError(404, 'NoSuchCORSConfiguration', 'The CORS configuration does not exist'))
      .on(
        's3',
        'GetBucketLifecycleConfiguration',
        bucketError(404, 'NoSuchLifecycleConfiguration', 'The lifecycle configuration does not exist'),
      )
      .on('s3', 'GetBucketTagging', bucketError(404, 'NoSuchTagSet', 'The TagSet does not exist'));
    const ctx = givenContext();
    // WHEN
    const observed = await bucketSettingsStep.read(ctx);
    // THEN
    expect(observed).toEqual({
      versioning: undefined,
      encryption: undefined,
      'public-access-block': undefined,
      cors: undefined,
      lifecycle: undefined,
      tags: undefined,
    });
    expect(bucketSettingsStep.plan(ctx, observed).map((c) => `${c.action} ${c.field}`)).toEqual([
      'create versioning',
      'create encryption',
      'create public-access-block',
      'create cors',
      'create lifecycle',
      'create tags',
    ]);
  });

  it('does not take a missing bucket (NoSuchBucket, also 404) for a setting not set', async () => {
    wire.on('s3', 'GetBucketVersioning', xml(`<VersioningConfiguration xmlns="${S3_NS}"/>`));
    for (const operation of [
      'GetBucketEncryption',
      'GetPublicAccessBlock',
      'GetBucketCors',
      'GetBucketLifecycleConfiguration',
      'GetBucketTagging',
    ]) {
      wire.on('s3', operation, bucketError(404, 'NoSuchBucket', 'The specified bucket does not exist'));
    }
    // WHEN
    const error = await failure(bucketSettingsStep.read(givenContext()));
    // THEN
    expect(error).toMatchObject({ code: 'AWS_ERROR', message: expect.stringContaining('NoSuchBucket') });
  });
});

describe('S3 bucket policy', () => {
  const outputs = { distribution: { arn: DISTRIBUTION_ARN } as StepOutputs['distribution'] };

  it('reads a bucket without a policy (NoSuchBucketPolicy, 404) as absent', async () => {
    wire.on('s3', 'GetBucketPolicy', bucketError(404, 'NoSuchBucketPolicy', 'The bucket policy does not exist'));
    // WHEN
    const observed = await bucketPolicyStep.read(givenContext({ outputs }));
    // THEN
    expect(observed).toBeUndefined();
    expect(wire.sent('s3', 'GetBucketPolicy').map((r) => `${r.method} ${r.url}`)).toEqual([`GET /${BUCKET}/?policy=`]);
  });

  it('plans nothing for a policy S3 returns (the bare JSON body, one-item lists as strings) that holds our statements', async () => {
    const [read, tls] = ourStatements(`arn:aws:s3:::${BUCKET}`, DISTRIBUTION_ARN);
    const stored = {
      Version: '2012-10-17',
      Id: 'PolicyForCloudFrontPrivateContent',
      Statement: [tls, { ...read, Resource: [read?.Resource] }],
    };
    wire.on('s3', 'GetBucketPolicy', {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(stored),
    });
    const ctx = givenContext({ outputs });
    // WHEN
    const observed = await bucketPolicyStep.read(ctx);
    // THEN
    expect(observed?.Statement).toHaveLength(2);
    expect(bucketPolicyStep.plan(ctx, observed)).toEqual([]);
  });

  it('writes the policy S3 has none of, as JSON in the body', async () => {
    wire.on('s3', 'PutBucketPolicy', empty(204));
    // WHEN
    const outcome = await bucketPolicyStep.apply(givenContext({ outputs }), undefined, []);
    // THEN
    expect(outcome.type).toBe('created');
    const [put] = wire.sent('s3', 'PutBucketPolicy');
    expect(put?.url).toBe(`/${BUCKET}/?policy=`);
    expect(JSON.parse(put?.body ?? '')).toEqual({
      Version: '2012-10-17',
      Statement: ourStatements(`arn:aws:s3:::${BUCKET}`, DISTRIBUTION_ARN),
    });
  });
});
