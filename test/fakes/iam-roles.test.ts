import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  DeleteConflictException,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  EntityAlreadyExistsException,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  ListRoleTagsCommand,
  MalformedPolicyDocumentException,
  NoSuchEntityException,
  PutRolePolicyCommand,
  TagRoleCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeAccount } from './account.js';
import { type InstalledFake, installFakeAccount } from './install.js';

const ROLE = 'myapp-dev-email-handler';
const TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});
const INLINE = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: 'arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/myapp-dev-email-handler:*',
    },
  ],
});

let installed: InstalledFake;
const iam = () => new IAMClient({ region: 'us-east-1' });
const createRole = () =>
  iam().send(
    new CreateRoleCommand({ RoleName: ROLE, AssumeRolePolicyDocument: TRUST, Tags: [{ Key: 'app', Value: 'myapp' }] }),
  );

describe('IAM roles on the fake account, through an IAM client', () => {
  beforeEach(() => {
    installed = installFakeAccount(new FakeAccount());
  });
  afterEach(() => installed.restore());

  it('creates a role once, and GetRole returns its trust policy URL-encoded (RFC 3986) as IAM does', async () => {
    // WHEN
    const { Role } = await createRole();
    // THEN
    expect(Role).toMatchObject({ RoleName: ROLE, Arn: `arn:aws:iam::123456789012:role/${ROLE}`, Path: '/' });
    expect(Role?.RoleId).toMatch(/^AROA/);
    const got = (await iam().send(new GetRoleCommand({ RoleName: ROLE }))).Role;
    expect(got?.AssumeRolePolicyDocument).not.toContain('{');
    expect(JSON.parse(decodeURIComponent(got?.AssumeRolePolicyDocument ?? ''))).toEqual(JSON.parse(TRUST));
    expect(got).toMatchObject({ MaxSessionDuration: 3600, Tags: [{ Key: 'app', Value: 'myapp' }] });
    await expect(createRole()).rejects.toBeInstanceOf(EntityAlreadyExistsException);
    await expect(iam().send(new GetRoleCommand({ RoleName: 'nope' }))).rejects.toBeInstanceOf(NoSuchEntityException);
  });

  it('refuses a trust policy without a Principal, or with a Resource (MalformedPolicyDocument)', async () => {
    const doc = (statement: Record<string, unknown>) =>
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', ...statement }],
      });
    await expect(
      iam().send(new CreateRoleCommand({ RoleName: ROLE, AssumeRolePolicyDocument: doc({}) })),
    ).rejects.toBeInstanceOf(MalformedPolicyDocumentException);
    await expect(
      iam().send(
        new CreateRoleCommand({
          RoleName: ROLE,
          AssumeRolePolicyDocument: doc({ Principal: { Service: 'lambda.amazonaws.com' }, Resource: '*' }),
        }),
      ),
    ).rejects.toMatchObject({ name: 'MalformedPolicyDocumentException', message: 'Has prohibited field Resource' });
  });

  it('updates the trust policy and the tags', async () => {
    await createRole();
    const other = TRUST.replace('lambda', 'edgelambda');
    await iam().send(new UpdateAssumeRolePolicyCommand({ RoleName: ROLE, PolicyDocument: other }));
    await iam().send(new TagRoleCommand({ RoleName: ROLE, Tags: [{ Key: 'env', Value: 'dev' }] }));
    const got = (await iam().send(new GetRoleCommand({ RoleName: ROLE }))).Role;
    expect(decodeURIComponent(got?.AssumeRolePolicyDocument ?? '')).toBe(other);
    expect((await iam().send(new ListRoleTagsCommand({ RoleName: ROLE }))).Tags).toEqual([
      { Key: 'app', Value: 'myapp' },
      { Key: 'env', Value: 'dev' },
    ]);
  });

  it('keeps inline policies (GetRolePolicy URL-encoded) and refuses to delete the role while any remains', async () => {
    // GIVEN
    await createRole();
    await iam().send(new PutRolePolicyCommand({ RoleName: ROLE, PolicyName: 'email-handler', PolicyDocument: INLINE }));
    // THEN
    expect((await iam().send(new ListRolePoliciesCommand({ RoleName: ROLE }))).PolicyNames).toEqual(['email-handler']);
    const policy = await iam().send(new GetRolePolicyCommand({ RoleName: ROLE, PolicyName: 'email-handler' }));
    // `*` too is encoded, as RFC 3986 has it (encodeURIComponent leaves it).
    expect(policy.PolicyDocument).toContain('%2A');
    expect(decodeURIComponent(policy.PolicyDocument ?? '')).toBe(INLINE);
    // WHEN
    const refused = await iam()
      .send(new DeleteRoleCommand({ RoleName: ROLE }))
      .catch((e: unknown) => e);
    // THEN
    expect(refused).toBeInstanceOf(DeleteConflictException);
    expect(refused).toMatchObject({ message: 'Cannot delete entity, must delete policies first.' });
    await iam().send(new DeleteRolePolicyCommand({ RoleName: ROLE, PolicyName: 'email-handler' }));
    await expect(
      iam().send(new GetRolePolicyCommand({ RoleName: ROLE, PolicyName: 'email-handler' })),
    ).rejects.toBeInstanceOf(NoSuchEntityException);
    await iam().send(new DeleteRoleCommand({ RoleName: ROLE }));
    expect(installed.fake.iam.role(ROLE)).toBeUndefined();
  });

  it('refuses to delete a role with an attached managed policy until it is detached', async () => {
    await createRole();
    const arn = 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole';
    await iam().send(new AttachRolePolicyCommand({ RoleName: ROLE, PolicyArn: arn }));
    expect((await iam().send(new ListAttachedRolePoliciesCommand({ RoleName: ROLE }))).AttachedPolicies).toEqual([
      { PolicyArn: arn, PolicyName: 'AWSLambdaBasicExecutionRole' },
    ]);
    await expect(iam().send(new DeleteRoleCommand({ RoleName: ROLE }))).rejects.toMatchObject({
      name: 'DeleteConflictException',
      message: 'Cannot delete entity, must detach all policies first.',
    });
    await iam().send(new DetachRolePolicyCommand({ RoleName: ROLE, PolicyArn: arn }));
    await iam().send(new DeleteRoleCommand({ RoleName: ROLE }));
  });

  it('refuses an inline policy with a principal or without resources', async () => {
    await createRole();
    const put = (statement: Record<string, unknown>) =>
      iam().send(
        new PutRolePolicyCommand({
          RoleName: ROLE,
          PolicyName: 'p',
          PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', ...statement }] }),
        }),
      );
    await expect(put({ Action: 's3:GetObject' })).rejects.toBeInstanceOf(MalformedPolicyDocumentException);
    await expect(put({ Action: 's3:GetObject', Resource: '*', Principal: '*' })).rejects.toBeInstanceOf(
      MalformedPolicyDocumentException,
    );
  });
});
