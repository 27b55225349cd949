import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  NoSuchEntityException,
  ListUserTagsCommand,
  PutUserPolicyCommand,
  TagUserCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { HmError } from '../../../src/errors.js';
import type { ResourceRecord } from '../../../src/state/schema.js';
import { makeAccessKeyStep } from '../../../src/resources/iam/access-key.js';
import { s3PolicyStep, sesPolicyStep } from '../../../src/resources/iam/policies.js';
import {
  canonical,
  s3UploadsPolicy,
  samePolicy,
  sesSendingPolicy,
} from '../../../src/resources/iam/policy-document.js';
import { iamUserStep, whileUserPropagates } from '../../../src/resources/iam/user.js';
import { resourceTags } from '../../../src/resources/tags.js';
import { awsError } from '../../fakes/account.js';
import { converge, givenConfig, givenStepContext } from '../../support/context.js';

const iam = mockClient(IAMClient);
const sts = mockClient(STSClient);
const USER = 'healthmetrics-app-dev';
const OURS = resourceTags(givenConfig(), USER);
const noEntity = () => awsError('iam', 'NoSuchEntity', 'cannot be found');
const account = { accountId: '123456789012', arn: 'arn:aws:iam::123456789012:user/admin' };
const BUCKET_ARN = 'arn:aws:s3:::healthmetrics-uploads-dev';
const outputs = {
  account,
  'iam-user': { name: USER, arn: `arn:aws:iam::123456789012:user/${USER}`, userId: 'AIDAUSER' },
  bucket: { name: 'healthmetrics-uploads-dev', arn: BUCKET_ARN, region: 'us-east-1', regionalDomainName: 'x' },
  'email-identity': { arn: 'arn:aws:ses:us-east-1:123456789012:identity/example.com' },
  'email-config-set': {
    name: 'healthmetrics-dev',
    arn: 'arn:aws:ses:us-east-1:123456789012:configuration-set/healthmetrics-dev',
  },
  'template-email-verification': { name: 'email-verification', variables: [] },
  'template-password-reset': { name: 'password-reset', variables: [] },
} as never;
const givenContext = (options: { recorded?: ResourceRecord; rotateKey?: boolean } = {}) =>
  givenStepContext({
    outputs,
    ...(options.recorded ? { recorded: options.recorded } : {}),
    flags: { rotateKey: options.rotateKey === true },
  });
const record = (fields: Partial<ResourceRecord>): ResourceRecord => ({
  status: 'created',
  owned: true,
  outputs: {},
  updatedAt: '2026-11-01T00:00:00.000Z',
  ...fields,
});
const key = (id: string, status: 'Active' | 'Inactive' = 'Active') => ({
  UserName: USER,
  AccessKeyId: id,
  Status: status,
  CreateDate: new Date('2026-11-01T00:00:00Z'),
});
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

describe('IAM user step', () => {
  beforeEach(() => iam.reset());

  it('creates healthmetrics-app-dev with the tags, saying so first', async () => {
    iam.on(GetUserCommand).rejects(noEntity());
    iam.on(CreateUserCommand).resolves({
      User: {
        UserName: USER,
        Arn: `arn:aws:iam::123456789012:user/${USER}`,
        UserId: 'AIDANEW',
        Path: '/',
        CreateDate: new Date(),
      },
    });
    const ctx = givenContext();
    // WHEN
    const { result } = await converge(iamUserStep, ctx);
    // THEN
    expect(result).toEqual({
      type: 'created',
      outputs: { name: USER, arn: `arn:aws:iam::123456789012:user/${USER}`, userId: 'AIDANEW' },
    });
    expect(iam).toHaveReceivedCommandWith(CreateUserCommand, { UserName: USER, Tags: OURS });
    expect(ctx.intents).toEqual([{ create: USER }]);
  });

  it('adopts a user tagged ManagedBy=hm-infra for this app and environment, writing nothing', async () => {
    iam
      .on(GetUserCommand)
      .resolves({ User: { UserName: USER, Arn: 'arn:u', UserId: 'AIDAOLD', Path: '/', CreateDate: new Date() } });
    iam.on(ListUserTagsCommand).resolves({ Tags: OURS });
    // WHEN
    const { changes, result } = await converge(iamUserStep, givenContext());
    // THEN
    expect(changes).toEqual([]);
    expect(result).toMatchObject({ type: 'unchanged', outputs: { userId: 'AIDAOLD' } });
    expect(iam).not.toHaveReceivedCommand(CreateUserCommand);
    expect(iam).not.toHaveReceivedCommand(TagUserCommand);
  });

  it('refuses a user of that name that hm-infra did not make, naming how to claim it', async () => {
    iam
      .on(GetUserCommand)
      .resolves({ User: { UserName: USER, Arn: 'arn:u', UserId: 'AIDAOTHER', Path: '/', CreateDate: new Date() } });
    iam.on(ListUserTagsCommand).resolves({ Tags: [{ Key: 'team', Value: 'ops' }] });
    // WHEN
    const error = (await converge(iamUserStep, givenContext()).catch((e: unknown) => e)) as HmError;
    // THEN
    expect(error.code).toBe('IAM_USER_NOT_OURS');
    expect(error.exitCode).toBe(2);
    expect(error.hint).toContain('aws iam tag-user');
    expect(iam).not.toHaveReceivedCommand(TagUserCommand);
  });

  it('refuses a user another environment of hm-infra tagged', async () => {
    iam
      .on(GetUserCommand)
      .resolves({ User: { UserName: USER, Arn: 'arn:u', UserId: 'AIDAOTHER', Path: '/', CreateDate: new Date() } });
    iam.on(ListUserTagsCommand).resolves({ Tags: resourceTags(givenConfig({ environment: 'prod' }), USER) });
    // WHEN
    const error = (await converge(iamUserStep, givenContext()).catch((e: unknown) => e)) as HmError;
    // THEN
    expect(error.code).toBe('IAM_USER_IN_USE');
  });

  it('puts back the tags of the user state recorded, when someone removed them', async () => {
    iam
      .on(GetUserCommand)
      .resolves({ User: { UserName: USER, Arn: 'arn:u', UserId: 'AIDAMINE', Path: '/', CreateDate: new Date() } });
    iam.on(ListUserTagsCommand).resolves({ Tags: [] });
    iam.on(TagUserCommand).resolves({});
    // WHEN
    const { result } = await converge(
      iamUserStep,
      givenContext({ recorded: record({ outputs: { name: USER, arn: 'arn:u', userId: 'AIDAMINE' } }) }),
    );
    // THEN
    expect(result.type).toBe('updated');
    expect(iam).toHaveReceivedCommandWith(TagUserCommand, { UserName: USER, Tags: OURS });
  });

  it('uses the user a lost answer created (EntityAlreadyExists), without a second create', async () => {
    iam
      .on(GetUserCommand)
      .rejectsOnce(noEntity())
      .resolves({ User: { UserName: USER, Arn: 'arn:u', UserId: 'AIDALOST', Path: '/', CreateDate: new Date() } });
    iam.on(ListUserTagsCommand).resolves({ Tags: OURS });
    iam.on(CreateUserCommand).rejects(awsError('iam', 'EntityAlreadyExists', 'exists'));
    // WHEN
    const { result } = await converge(iamUserStep, givenContext());
    // THEN
    expect(result).toMatchObject({ type: 'unchanged', outputs: { userId: 'AIDALOST' } });
    expect(iam).toHaveReceivedCommandTimes(CreateUserCommand, 1);
  });

  it('retries a call while a new user is not yet visible everywhere (NoSuchEntity)', async () => {
    let calls = 0;
    // WHEN
    const value = await whileUserPropagates(
      async () => {
        calls += 1;
        if (calls < 3) throw noEntity();
        return 'ok';
      },
      { firstDelayMs: 1 },
    );
    // THEN
    expect(value).toBe('ok');
    expect(calls).toBe(3);
    await expect(
      whileUserPropagates(async () => Promise.reject(noEntity()), { attempts: 2, firstDelayMs: 1 }),
    ).rejects.toBeInstanceOf(NoSuchEntityException);
  });
});

describe('policy documents', () => {
  it('lets the app read, write and delete objects, and list only the bucket itself', () => {
    // WHEN
    const doc = s3UploadsPolicy(BUCKET_ARN);
    // THEN
    expect(doc.Statement).toEqual([
      {
        Sid: 'UploadObjects',
        Effect: 'Allow',
        Action: ['s3:PutObject', 's3:GetObject', 's3:DeleteObject'],
        Resource: [`${BUCKET_ARN}/*`],
      },
      { Sid: 'ListUploads', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: [BUCKET_ARN] },
    ]);
  });

  it('lets the app send only as the configured sender, through named SES resources, never "*"', () => {
    // WHEN
    const doc = sesSendingPolicy({
      identityArn: 'arn:i',
      configurationSetArn: 'arn:c',
      templateArns: ['arn:t1', 'arn:t2'],
      fromAddress: 'noreply@example.com',
    });
    // THEN
    const [statement] = doc.Statement;
    expect(statement?.Action).toEqual(['ses:SendEmail', 'ses:SendRawEmail', 'ses:SendTemplatedEmail']);
    expect(statement?.Resource).toEqual(['arn:i', 'arn:c', 'arn:t1', 'arn:t2']);
    expect(statement?.Condition).toEqual({ StringEquals: { 'ses:FromAddress': 'noreply@example.com' } });
    expect(JSON.stringify(doc)).not.toContain('"*"');
  });

  it('compares by meaning: key order, a one-element list against a string and statement order do not count', () => {
    const ours = s3UploadsPolicy(BUCKET_ARN);
    const reordered = {
      Statement: [
        { Resource: BUCKET_ARN, Action: 's3:ListBucket', Effect: 'Allow', Sid: 'ListUploads' },
        {
          Resource: [`${BUCKET_ARN}/*`],
          Effect: 'Allow',
          Action: ['s3:DeleteObject', 's3:PutObject', 's3:GetObject'],
          Sid: 'UploadObjects',
        },
      ],
      Version: '2012-10-17',
    };
    // THEN
    expect(samePolicy(reordered, ours)).toBe(true);
    expect(
      samePolicy(
        { ...reordered, Statement: [{ ...reordered.Statement[0], Resource: '*' }, reordered.Statement[1]] },
        ours,
      ),
    ).toBe(false);
    expect(samePolicy({ ...reordered, Statement: [reordered.Statement[1]] }, ours)).toBe(false);
    expect(canonical({ b: 1, a: [2, 1] })).toEqual({ a: [2, 1], b: 1 });
  });
});

describe('inline policy steps', () => {
  beforeEach(() => iam.reset());

  it('writes the S3 policy as JSON built from the typed document when there is none', async () => {
    iam.on(GetUserPolicyCommand).rejects(noEntity());
    iam.on(PutUserPolicyCommand).resolves({});
    const ctx = givenContext();
    // WHEN
    const { result } = await converge(s3PolicyStep, ctx);
    // THEN
    expect(result).toEqual({ type: 'created', outputs: { userName: USER, policyName: 's3-uploads' } });
    const sent = iam.commandCalls(PutUserPolicyCommand)[0]?.args[0].input;
    expect(sent).toMatchObject({ UserName: USER, PolicyName: 's3-uploads' });
    expect(JSON.parse(sent?.PolicyDocument ?? '')).toEqual(s3UploadsPolicy(BUCKET_ARN));
  });

  it('sees no drift in a URL-encoded document with other key order (as GetUserPolicy returns it)', async () => {
    const doc = s3UploadsPolicy(BUCKET_ARN);
    const shuffled = {
      Statement: doc.Statement.map((s) => ({
        Resource: s.Resource,
        Action: [...s.Action].reverse(),
        Sid: s.Sid,
        Effect: s.Effect,
      })).reverse(),
      Version: doc.Version,
    };
    iam.on(GetUserPolicyCommand).resolves({
      UserName: USER,
      PolicyName: 's3-uploads',
      PolicyDocument: encodeURIComponent(JSON.stringify(shuffled)),
    });
    // WHEN
    const { changes, result } = await converge(s3PolicyStep, givenContext());
    // THEN
    expect(changes).toEqual([]);
    expect(result.type).toBe('unchanged');
    expect(iam).not.toHaveReceivedCommand(PutUserPolicyCommand);
  });

  it('rewrites a policy someone widened, once, and says what it held', async () => {
    const widened = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ses:*', Resource: '*' }] };
    iam.on(GetUserPolicyCommand).resolves({ PolicyDocument: encodeURIComponent(JSON.stringify(widened)) });
    iam.on(PutUserPolicyCommand).resolves({});
    // WHEN
    const { changes, result } = await converge(sesPolicyStep, givenContext());
    // THEN
    expect(changes).toMatchObject([{ field: 'policy', action: 'update', from: 'ses:* on *' }]);
    expect(result.type).toBe('updated');
    expect(iam).toHaveReceivedCommandTimes(PutUserPolicyCommand, 1);
    const sent = JSON.parse(iam.commandCalls(PutUserPolicyCommand)[0]?.args[0].input.PolicyDocument ?? '');
    expect(sent.Statement[0].Resource).toEqual([
      'arn:aws:ses:us-east-1:123456789012:identity/example.com',
      'arn:aws:ses:us-east-1:123456789012:configuration-set/healthmetrics-dev',
      'arn:aws:ses:us-east-1:123456789012:template/email-verification',
      'arn:aws:ses:us-east-1:123456789012:template/password-reset',
    ]);
  });
});

describe('access key step', () => {
  const step = makeAccessKeyStep({ dependsOn: ['iam-user'], timing: { intervalMs: 1, timeoutMs: 30 } });
  let events: string[];

  beforeEach(() => {
    iam.reset();
    sts.reset();
    events = [];
    iam.on(CreateAccessKeyCommand).callsFake(() => {
      events.push('create');
      return {
        AccessKey: {
          UserName: USER,
          AccessKeyId: 'AKIANEW',
          SecretAccessKey: SECRET,
          Status: 'Active',
          CreateDate: new Date('2026-11-22T00:00:00Z'),
        },
      };
    });
    iam.on(UpdateAccessKeyCommand).callsFake((input: { AccessKeyId: string; Status: string }) => {
      events.push(`${input.Status.toLowerCase()} ${input.AccessKeyId}`);
      return {};
    });
    iam.on(DeleteAccessKeyCommand).callsFake((input: { AccessKeyId: string }) => {
      events.push(`delete ${input.AccessKeyId}`);
      return {};
    });
    sts.on(GetCallerIdentityCommand).callsFake(async (_input, getClient) => {
      const creds = await (getClient() as STSClient).config.credentials();
      events.push(`check ${creds.accessKeyId}`);
      return { Account: '123456789012', Arn: `arn:aws:iam::123456789012:user/${USER}` };
    });
  });

  const withSaves = (ctx: ReturnType<typeof givenContext>) => {
    const save = ctx.saveSecret;
    return Object.assign(ctx, {
      saveSecret: async (secret: { accessKeyId: string; secretAccessKey: string }) => {
        events.push(`save ${secret.accessKeyId}`);
        await save(secret);
      },
    });
  };

  it('creates one key for a user without keys, saves the secret first, then checks it works with it', async () => {
    iam.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [] });
    const ctx = withSaves(givenContext());
    // WHEN
    const { result } = await converge(step, ctx);
    // THEN
    expect(events).toEqual(['create', 'save AKIANEW', 'check AKIANEW']);
    expect(ctx.secrets).toEqual([{ accessKeyId: 'AKIANEW', secretAccessKey: SECRET }]);
    expect(result).toEqual({
      type: 'created',
      outputs: {
        userName: USER,
        accessKeyId: 'AKIANEW',
        createdAt: '2026-11-22T00:00:00.000Z',
        verified: true,
        retiring: [],
      },
    });
    expect(JSON.stringify(result)).not.toContain(SECRET);
    expect(ctx.intents).toEqual([{ keysBefore: [], retiring: [] }]);
  });

  it('changes nothing when state holds the key, it exists and was confirmed', async () => {
    iam.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [key('AKIAOLD')] });
    const recorded = record({
      outputs: { userName: USER, accessKeyId: 'AKIAOLD', verified: true, retiring: [] },
      secret: { accessKeyId: 'AKIAOLD', secretAccessKey: SECRET },
    });
    // WHEN
    const { changes } = await converge(step, givenContext({ recorded }));
    // THEN
    expect(changes).toEqual([]);
    expect(iam).not.toHaveReceivedCommand(CreateAccessKeyCommand);
  });

  it('stops at two keys state does not know, with or without --rotate-key, and never asks for a third', async () => {
    iam.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [key('AKIAONE'), key('AKIATWO')] });
    // WHEN
    const plain = (await converge(step, givenContext()).catch((e: unknown) => e)) as HmError;
    const rotating = (await converge(step, givenContext({ rotateKey: true })).catch((e: unknown) => e)) as HmError;
    // THEN
    expect(plain.code).toBe('IAM_KEY_UNKNOWN');
    expect(plain.message).toContain('AKIAONE, AKIATWO');
    expect(plain.hint).toContain('--rotate-key');
    expect(rotating.code).toBe('IAM_KEY_LIMIT');
    expect(rotating.hint).toContain('aws iam delete-access-key');
    expect(iam).not.toHaveReceivedCommand(CreateAccessKeyCommand);
  });

  it('explains one key it does not know instead of making a second', async () => {
    iam.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [key('AKIAHAND')] });
    // WHEN
    const error = (await converge(step, givenContext()).catch((e: unknown) => e)) as HmError;
    // THEN
    expect(error.code).toBe('IAM_KEY_UNKNOWN');
    expect(error.exitCode).toBe(2);
    expect(iam).not.toHaveReceivedCommand(CreateAccessKeyCommand);
  });

  it('rotates in order: create, save, check the new key, then deactivate and delete the old one', async () => {
    iam.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [key('AKIAOLD')] });
    const recorded = record({
      outputs: { userName: USER, accessKeyId: 'AKIAOLD', verified: true, retiring: [] },
      secret: { accessKeyId: 'AKIAOLD', secretAccessKey: 'old-secret' },
    });
    const ctx = withSaves(givenContext({ recorded, rotateKey: true }));
    // WHEN
    const { changes, result } = await converge(step, ctx);
    // THEN
    expect(changes.map((c) => `${c.action} ${c.field}`)).toEqual(['create access-key', 'delete old-key']);
    expect(events).toEqual(['create', 'save AKIANEW', 'check AKIANEW', 'inactive AKIAOLD', 'delete AKIAOLD']);
    expect(ctx.intents).toEqual([{ keysBefore: ['AKIAOLD'], retiring: ['AKIAOLD'] }]);
    expect(result.outputs).toMatchObject({ accessKeyId: 'AKIANEW', verified: true, retiring: [] });
  });

  it('keeps the old key while AWS does not accept the new one yet, and says so', async () => {
    iam.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [key('AKIAOLD')] });
    sts
      .on(GetCallerIdentityCommand)
      .rejects(awsError('sts', 'InvalidClientTokenId', 'The security token included in the request is invalid.'));
    const recorded = record({
      outputs: { userName: USER, accessKeyId: 'AKIAOLD', verified: true, retiring: [] },
      secret: { accessKeyId: 'AKIAOLD', secretAccessKey: 'old-secret' },
    });
    const ctx = givenContext({ recorded, rotateKey: true });
    // WHEN
    const { result } = await converge(step, ctx);
    // THEN
    expect(result.outputs).toMatchObject({ accessKeyId: 'AKIANEW', verified: false, retiring: ['AKIAOLD'] });
    expect(iam).not.toHaveReceivedCommand(DeleteAccessKeyCommand);
    expect(ctx.reports.at(-1)).toContain('does not accept access key AKIANEW yet');
    expect(sts.commandCalls(GetCallerIdentityCommand).length).toBeGreaterThan(1);
  });

  it('finishes an interrupted rotation: checks the saved new key, then deletes the old one', async () => {
    iam.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [key('AKIAOLD'), key('AKIANEW')] });
    const recorded = record({
      outputs: { userName: USER, accessKeyId: 'AKIAOLD', verified: true, retiring: [] },
      intent: { keysBefore: ['AKIAOLD'], retiring: ['AKIAOLD'] },
      secret: { accessKeyId: 'AKIANEW', secretAccessKey: SECRET },
    });
    // WHEN
    const { changes, result } = await converge(step, givenContext({ recorded }));
    // THEN
    expect(changes.map((c) => `${c.action} ${c.field}`)).toEqual(['delete old-key', 'update key-check']);
    expect(events).toEqual(['check AKIANEW', 'inactive AKIAOLD', 'delete AKIAOLD']);
    expect(iam).not.toHaveReceivedCommand(CreateAccessKeyCommand);
    expect(result.outputs).toMatchObject({ accessKeyId: 'AKIANEW', verified: true, retiring: [] });
  });

  it('deletes a key an interrupted create made but never saved, and makes a new one', async () => {
    iam.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [key('AKIALOST')] });
    const recorded = record({ status: 'pending', owned: false, intent: { keysBefore: [], retiring: [] } });
    const ctx = withSaves(givenContext({ recorded }));
    // WHEN
    const { changes } = await converge(step, ctx);
    // THEN
    expect(changes.map((c) => `${c.action} ${c.field}`)).toEqual(['delete orphaned-key', 'create access-key']);
    expect(events).toEqual(['delete AKIALOST', 'create', 'save AKIANEW', 'check AKIANEW']);
  });

  it('deletes the key of a create the SDK had to retry (its first answer lost), keeping the one it saved', async () => {
    iam
      .on(ListAccessKeysCommand)
      .resolvesOnce({ AccessKeyMetadata: [] })
      .resolves({ AccessKeyMetadata: [key('AKIALOST'), key('AKIANEW')] });
    iam.on(CreateAccessKeyCommand).callsFake(() => {
      events.push('create');
      return {
        AccessKey: { UserName: USER, AccessKeyId: 'AKIANEW', SecretAccessKey: SECRET, Status: 'Active' },
        $metadata: { attempts: 2 },
      };
    });
    const ctx = withSaves(givenContext());
    // WHEN
    const { result } = await converge(step, ctx);
    // THEN
    expect(events).toEqual(['create', 'save AKIANEW', 'delete AKIALOST', 'check AKIANEW']);
    expect(result.outputs).toMatchObject({ accessKeyId: 'AKIANEW', verified: true });
  });

  it('when such a lost create took the last free slot (LimitExceeded), deletes that key and creates once more', async () => {
    iam
      .on(ListAccessKeysCommand)
      .resolvesOnce({ AccessKeyMetadata: [key('AKIAOLD')] })
      .resolves({ AccessKeyMetadata: [key('AKIAOLD'), key('AKIALOST')] });
    // The SDK sent the create twice: the first made AKIALOST (its answer lost), the second found no room.
    const retried = Object.assign(awsError('iam', 'LimitExceeded', 'Cannot exceed quota for AccessKeysPerUser: 2'), {
      $metadata: { httpStatusCode: 409, attempts: 2 },
    });
    iam
      .on(CreateAccessKeyCommand)
      .rejectsOnce(retried)
      .callsFake(() => {
        events.push('create');
        return { AccessKey: { UserName: USER, AccessKeyId: 'AKIANEW', SecretAccessKey: SECRET, Status: 'Active' } };
      });
    const recorded = record({
      outputs: { userName: USER, accessKeyId: 'AKIAOLD', verified: true, retiring: [] },
      secret: { accessKeyId: 'AKIAOLD', secretAccessKey: 'old-secret' },
    });
    const ctx = withSaves(givenContext({ recorded, rotateKey: true }));
    // WHEN
    const { result } = await converge(step, ctx);
    // THEN
    expect(events).toEqual([
      'delete AKIALOST',
      'create',
      'save AKIANEW',
      'check AKIANEW',
      'inactive AKIAOLD',
      'delete AKIAOLD',
    ]);
    expect(result.outputs).toMatchObject({ accessKeyId: 'AKIANEW', retiring: [] });
  });

  it('deletes the new key again when its secret cannot be saved, and keeps the secret out of the error', async () => {
    iam.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [] });
    const ctx = givenContext();
    const failing = Object.assign(ctx, {
      saveSecret: async () => {
        throw new Error('ENOSPC: no space left on device');
      },
    });
    // WHEN
    const error = (await converge(step, failing).catch((e: unknown) => e)) as HmError;
    // THEN
    expect(error.code).toBe('STATE_SAVE_FAILED');
    expect(`${error.message} ${error.hint ?? ''}`).toContain('ENOSPC');
    expect(`${error.message} ${error.hint ?? ''} ${error.stack ?? ''}`).not.toContain(SECRET);
    expect(iam).toHaveReceivedCommandWith(DeleteAccessKeyCommand, { UserName: USER, AccessKeyId: 'AKIANEW' });
  });
});
