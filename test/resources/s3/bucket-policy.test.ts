import {
  DeleteBucketPolicyCommand,
  GetBucketPolicyCommand,
  PutBucketPolicyCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { bucketOutputs } from '../../../src/resources/s3/bucket.js';
import {
  type PolicyDocument,
  bucketPolicyStep,
  makeBucketPolicyStep,
  ourStatements,
} from '../../../src/resources/s3/bucket-policy.js';
import { awsError } from '../../fakes/account.js';
import { converge, givenStepContext } from '../../support/context.js';

const s3 = mockClient(S3Client);
const BUCKET = bucketOutputs('healthmetrics-uploads-dev', 'us-east-1');
const DIST_ARN = 'arn:aws:cloudfront::123456789012:distribution/EDIST';

function givenContext(distributionArn = DIST_ARN) {
  return givenStepContext({
    outputs: {
      bucket: BUCKET,
      distribution: {
        id: 'EDIST',
        arn: distributionArn,
        domainName: 'd1.cloudfront.net',
        status: 'Deployed',
        url: 'https://d1.cloudfront.net',
        aliases: [],
        env: { CLOUDFRONT_URL: 'https://d1.cloudfront.net' },
      },
    },
  });
}

function givenPolicy(doc: PolicyDocument | undefined) {
  if (doc) s3.on(GetBucketPolicyCommand).resolves({ Policy: JSON.stringify(doc) });
  else s3.on(GetBucketPolicyCommand).rejects(awsError('s3', 'NoSuchBucketPolicy'));
  s3.on(PutBucketPolicyCommand).resolves({});
  s3.on(DeleteBucketPolicyCommand).resolves({});
}

const written = (): PolicyDocument =>
  JSON.parse(String(s3.commandCalls(PutBucketPolicyCommand)[0]?.args[0].input.Policy));

const userStatement = {
  Sid: 'PartnerRead',
  Effect: 'Allow',
  Principal: { AWS: 'arn:aws:iam::210987654321:root' },
  Action: 's3:ListBucket',
  Resource: BUCKET.arn,
};

describe('bucket policy step', () => {
  beforeEach(() => s3.reset());

  it('lets only this distribution read, and refuses plain HTTP', async () => {
    givenPolicy(undefined);
    // WHEN
    const { result } = await converge(bucketPolicyStep, givenContext());
    // THEN
    expect(result.type).toBe('created');
    expect(written()).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'AllowCloudFrontRead',
          Effect: 'Allow',
          Principal: { Service: 'cloudfront.amazonaws.com' },
          Action: 's3:GetObject',
          Resource: 'arn:aws:s3:::healthmetrics-uploads-dev/*',
          Condition: { StringEquals: { 'AWS:SourceArn': DIST_ARN } },
        },
        {
          Sid: 'DenyInsecureTransport',
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:*',
          Resource: ['arn:aws:s3:::healthmetrics-uploads-dev', 'arn:aws:s3:::healthmetrics-uploads-dev/*'],
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
      ],
    });
  });

  it('sees no change in the policy as AWS stores it back (re-spelled, reordered)', async () => {
    const [read, tls] = ourStatements(BUCKET.arn, DIST_ARN);
    givenPolicy({
      Version: '2012-10-17',
      Statement: [
        { ...tls!, Action: ['s3:*'], Resource: [`${BUCKET.arn}/*`, BUCKET.arn] },
        {
          ...read!,
          Principal: { Service: ['cloudfront.amazonaws.com'] },
          Condition: { StringEquals: { 'aws:sourcearn': [DIST_ARN] } },
        },
      ],
    });
    // WHEN
    const { changes } = await converge(bucketPolicyStep, givenContext());
    // THEN
    expect(changes).toEqual([]);
    expect(s3).not.toHaveReceivedCommand(PutBucketPolicyCommand);
  });

  it("merges by Sid: keeps the user's statements and replaces ours when the distribution changed", async () => {
    givenPolicy({
      Version: '2012-10-17',
      Statement: [userStatement, ...ourStatements(BUCKET.arn, 'arn:aws:cloudfront::123456789012:distribution/EOLD')],
    });
    // WHEN
    const { changes } = await converge(bucketPolicyStep, givenContext());
    // THEN
    expect(changes.map((c) => [c.field, c.action])).toEqual([['AllowCloudFrontRead', 'update']]);
    expect(written().Statement.map((s) => s.Sid)).toEqual([
      'PartnerRead',
      'AllowCloudFrontRead',
      'DenyInsecureTransport',
    ]);
    expect(written().Statement[1]?.Condition).toEqual({ StringEquals: { 'AWS:SourceArn': DIST_ARN } });
  });

  it("adds its statements to a policy that has only the user's", async () => {
    givenPolicy({ Version: '2012-10-17', Statement: [userStatement] });
    // WHEN
    const { changes } = await converge(bucketPolicyStep, givenContext());
    // THEN
    expect(changes.map((c) => [c.field, c.action])).toEqual([
      ['AllowCloudFrontRead', 'create'],
      ['DenyInsecureTransport', 'create'],
    ]);
    expect(written().Statement).toEqual([userStatement, ...ourStatements(BUCKET.arn, DIST_ARN)]);
  });

  it('without the CDN only refuses plain HTTP, and needs no distribution', async () => {
    givenPolicy(undefined);
    const step = makeBucketPolicyStep(false);
    // WHEN
    await converge(step, givenStepContext({ outputs: { bucket: BUCKET } }));
    // THEN
    expect(step.dependsOn).not.toContain('distribution');
    expect(written().Statement.map((s) => s.Sid)).toEqual(['DenyInsecureTransport']);
  });

  it('on destroy removes only its statements, and the policy when nothing else is left', async () => {
    givenPolicy({ Version: '2012-10-17', Statement: [userStatement, ...ourStatements(BUCKET.arn, DIST_ARN)] });
    // WHEN
    await bucketPolicyStep.destroy(givenContext(), { sids: ['AllowCloudFrontRead', 'DenyInsecureTransport'] });
    // THEN
    expect(written().Statement).toEqual([userStatement]);
    s3.reset();
    givenPolicy({ Version: '2012-10-17', Statement: ourStatements(BUCKET.arn, DIST_ARN) });
    // WHEN
    await bucketPolicyStep.destroy(givenContext(), { sids: ['AllowCloudFrontRead', 'DenyInsecureTransport'] });
    // THEN
    expect(s3).toHaveReceivedCommandWith(DeleteBucketPolicyCommand, { Bucket: BUCKET.name });
    expect(s3).not.toHaveReceivedCommand(PutBucketPolicyCommand);
  });
});
