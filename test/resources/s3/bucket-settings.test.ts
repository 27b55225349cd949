import {
  GetBucketCorsCommand,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  PutBucketCorsCommand,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { HmError } from '../../../src/errors.js';
import { bucketOutputs } from '../../../src/resources/s3/bucket.js';
import {
  CORS_RULE_ID,
  bucketSettingsStep,
  bucketTags,
  lifecycleRules,
} from '../../../src/resources/s3/bucket-settings.js';
import { awsError } from '../../fakes/account.js';
import { converge, givenConfig, givenStepContext } from '../../support/context.js';

const s3 = mockClient(S3Client);
const config = givenConfig();
const Bucket = config.bucketName;

const ourCors = {
  ID: CORS_RULE_ID,
  AllowedHeaders: ['*'],
  AllowedMethods: ['GET', 'PUT', 'POST', 'HEAD'],
  AllowedOrigins: ['https://example.com', 'https://www.example.com'],
  ExposeHeaders: ['ETag'],
  MaxAgeSeconds: 3600,
};

/** A command class of any input and output: the table below mixes six of each. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyCommand = any;

interface SettingCase {
  name: string;
  get: AnyCommand;
  absent(): unknown;
  equal(): unknown;
  different(): unknown;
  put: AnyCommand;
  expected: Record<string, unknown>;
}

/** Each setting: how AWS answers when it is absent, equal and different, and the write expected. */
const settings: SettingCase[] = [
  {
    name: 'versioning',
    get: GetBucketVersioningCommand,
    absent: () => s3.on(GetBucketVersioningCommand).resolves({}),
    equal: () => s3.on(GetBucketVersioningCommand).resolves({ Status: 'Enabled' }),
    different: () => s3.on(GetBucketVersioningCommand).resolves({ Status: 'Suspended' }),
    put: PutBucketVersioningCommand,
    expected: { Bucket, VersioningConfiguration: { Status: 'Enabled' } },
  },
  {
    name: 'encryption',
    get: GetBucketEncryptionCommand,
    absent: () =>
      s3.on(GetBucketEncryptionCommand).rejects(awsError('s3', 'ServerSideEncryptionConfigurationNotFoundError')),
    equal: () =>
      s3.on(GetBucketEncryptionCommand).resolves({
        ServerSideEncryptionConfiguration: {
          Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: false }],
        },
      }),
    different: () =>
      s3.on(GetBucketEncryptionCommand).resolves({
        ServerSideEncryptionConfiguration: {
          Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: 'k' } }],
        },
      }),
    put: PutBucketEncryptionCommand,
    expected: {
      Bucket,
      ServerSideEncryptionConfiguration: {
        Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
    },
  },
  {
    name: 'public-access-block',
    get: GetPublicAccessBlockCommand,
    absent: () => s3.on(GetPublicAccessBlockCommand).rejects(awsError('s3', 'NoSuchPublicAccessBlockConfiguration')),
    equal: () =>
      s3.on(GetPublicAccessBlockCommand).resolves({
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          IgnorePublicAcls: true,
          BlockPublicPolicy: true,
          RestrictPublicBuckets: true,
        },
      }),
    different: () =>
      s3.on(GetPublicAccessBlockCommand).resolves({
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          IgnorePublicAcls: true,
          BlockPublicPolicy: false,
          RestrictPublicBuckets: true,
        },
      }),
    put: PutPublicAccessBlockCommand,
    expected: {
      Bucket,
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        IgnorePublicAcls: true,
        BlockPublicPolicy: true,
        RestrictPublicBuckets: true,
      },
    },
  },
  {
    name: 'cors',
    get: GetBucketCorsCommand,
    absent: () => s3.on(GetBucketCorsCommand).rejects(awsError('s3', 'NoSuchCORSConfiguration')),
    // Order of list values does not matter to S3, so it does not count as drift.
    equal: () =>
      s3
        .on(GetBucketCorsCommand)
        .resolves({ CORSRules: [{ ...ourCors, AllowedMethods: ['HEAD', 'POST', 'PUT', 'GET'] }] }),
    different: () => s3.on(GetBucketCorsCommand).resolves({ CORSRules: [{ ...ourCors, MaxAgeSeconds: 60 }] }),
    put: PutBucketCorsCommand,
    expected: { Bucket, CORSConfiguration: { CORSRules: [ourCors] } },
  },
  {
    name: 'lifecycle',
    get: GetBucketLifecycleConfigurationCommand,
    absent: () => s3.on(GetBucketLifecycleConfigurationCommand).rejects(awsError('s3', 'NoSuchLifecycleConfiguration')),
    // AWS returns `Filter: {}` for "whole bucket" where we sent `Prefix: ''`: not drift.
    equal: () =>
      s3
        .on(GetBucketLifecycleConfigurationCommand)
        .resolves({ Rules: lifecycleRules().map((r) => ({ ...r, Filter: {} })) }),
    different: () =>
      s3.on(GetBucketLifecycleConfigurationCommand).resolves({
        Rules: lifecycleRules().map((r) =>
          r.ID === 'abort-incomplete-multipart'
            ? { ...r, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 30 } }
            : r,
        ),
      }),
    put: PutBucketLifecycleConfigurationCommand,
    expected: { Bucket, LifecycleConfiguration: { Rules: lifecycleRules() } },
  },
  {
    name: 'tags',
    get: GetBucketTaggingCommand,
    absent: () => s3.on(GetBucketTaggingCommand).rejects(awsError('s3', 'NoSuchTagSet')),
    equal: () => s3.on(GetBucketTaggingCommand).resolves({ TagSet: [...bucketTags(config)].reverse() }),
    different: () =>
      s3.on(GetBucketTaggingCommand).resolves({
        TagSet: bucketTags(config).map((t) => (t.Key === 'ManagedBy' ? { ...t, Value: 'terraform' } : t)),
      }),
    put: PutBucketTaggingCommand,
    expected: { Bucket, Tagging: { TagSet: bucketTags(config) } },
  },
];

function givenEverySettingAsConfigured(): void {
  for (const setting of settings) setting.equal();
  for (const setting of settings) s3.on(setting.put).resolves({});
}

const ctx = () =>
  givenStepContext({ config, outputs: { bucket: bucketOutputs(Bucket, 'us-east-1') }, recorded: undefined });

describe('bucket settings', () => {
  beforeEach(() => {
    s3.reset();
    givenEverySettingAsConfigured();
  });

  describe.each(settings)('$name', (setting) => {
    it('is written when absent', async () => {
      setting.absent();
      // WHEN
      const { changes } = await converge(bucketSettingsStep, ctx());
      // THEN
      expect(changes.map((c) => [c.field, c.action])).toEqual([[setting.name, 'create']]);
      expect(s3).toHaveReceivedCommandTimes(setting.put, 1);
      expect(s3).toHaveReceivedCommandWith(setting.put, setting.expected);
    });

    it('is not written when it already matches', async () => {
      // WHEN
      const { changes, result } = await converge(bucketSettingsStep, ctx());
      // THEN
      expect(changes).toEqual([]);
      expect(result.type).toBe('unchanged');
      expect(s3).not.toHaveReceivedCommand(setting.put);
    });

    it('is rewritten when it differs', async () => {
      setting.different();
      // WHEN
      const { changes } = await converge(bucketSettingsStep, ctx());
      // THEN
      expect(changes.map((c) => [c.field, c.action])).toEqual([[setting.name, 'update']]);
      expect(s3).toHaveReceivedCommandTimes(setting.put, 1);
      for (const other of settings.filter((s) => s.name !== setting.name))
        expect(s3).not.toHaveReceivedCommand(other.put);
    });
  });

  it("keeps the user's own tags, lifecycle rules and CORS rules when it writes its own", async () => {
    const userRule = {
      ID: 'archive-logs',
      Status: 'Enabled' as const,
      Filter: { Prefix: 'logs/' },
      Expiration: { Days: 365 },
    };
    const userCors = { AllowedMethods: ['GET'], AllowedOrigins: ['https://admin.example.org'] };
    s3.on(GetBucketTaggingCommand).resolves({ TagSet: [{ Key: 'CostCenter', Value: '42' }] });
    s3.on(GetBucketLifecycleConfigurationCommand).resolves({ Rules: [userRule] });
    s3.on(GetBucketCorsCommand).resolves({ CORSRules: [userCors] });
    // WHEN
    await converge(bucketSettingsStep, ctx());
    // THEN
    const tagSet = s3.commandCalls(PutBucketTaggingCommand)[0]?.args[0].input.Tagging?.TagSet;
    expect(tagSet).toEqual([...bucketTags(config), { Key: 'CostCenter', Value: '42' }]);
    const rules = s3.commandCalls(PutBucketLifecycleConfigurationCommand)[0]?.args[0].input.LifecycleConfiguration
      ?.Rules;
    expect(rules).toEqual([...lifecycleRules(), userRule]);
    const corsRules = s3.commandCalls(PutBucketCorsCommand)[0]?.args[0].input.CORSConfiguration?.CORSRules;
    expect(corsRules).toEqual([ourCors, userCors]);
  });

  it('configures CORS with exactly the configured origins', async () => {
    const custom = givenConfig({ corsOrigins: ['https://app.example.com', 'http://localhost:3003'] });
    s3.on(GetBucketCorsCommand).rejects(awsError('s3', 'NoSuchCORSConfiguration'));
    // WHEN
    await converge(
      bucketSettingsStep,
      givenStepContext({ config: custom, outputs: { bucket: bucketOutputs(Bucket, 'us-east-1') } }),
    );
    // THEN
    expect(s3).toHaveReceivedCommandWith(PutBucketCorsCommand, {
      CORSConfiguration: {
        CORSRules: [{ ...ourCors, AllowedOrigins: ['https://app.example.com', 'http://localhost:3003'] }],
      },
    });
  });

  it('reads all six settings at once rather than one after another', async () => {
    let inFlight = 0;
    let peak = 0;
    for (const setting of settings) {
      s3.on(setting.get).callsFake(async () => {
        inFlight += 1;
        peak = Math.max(peak, inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight -= 1;
        throw awsError('s3', 'AccessDenied');
      });
    }
    // WHEN
    await expect(bucketSettingsStep.read(ctx())).rejects.toThrow();
    // THEN
    expect(peak).toBe(settings.length);
  });

  it('reports a read it may not do as an error instead of treating it as absent', async () => {
    s3.on(GetBucketCorsCommand).rejects(awsError('s3', 'AccessDenied', 'Access Denied'));
    // WHEN
    const error = await bucketSettingsStep.read(ctx()).catch((e: unknown) => e);
    // THEN
    expect(error).toBeInstanceOf(HmError);
    expect((error as HmError).code).toBe('ACCESS_DENIED');
    expect((error as HmError).message).toContain('cors');
  });
});
