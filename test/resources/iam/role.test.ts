import {
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DeleteUserPolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetUserPolicyCommand,
  IAMClient,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  type Role,
  TagRoleCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { HmError } from '../../../src/errors.js';
import type { ResourceRecord } from '../../../src/state/schema.js';
import { appEventsPolicyStep, emailEventsPolicyStep } from '../../../src/resources/iam/policies.js';
import {
  appEventsPublisherPolicy,
  emailEventsConsumerPolicy,
  emailHandlerPolicy,
  lambdaTrustPolicy,
} from '../../../src/resources/iam/policy-document.js';
import { emailHandlerRolePolicyStep, emailHandlerRoleStep } from '../../../src/resources/iam/role.js';
import { resourceTags } from '../../../src/resources/tags.js';
import { awsError } from '../../fakes/account.js';
import { converge, givenConfig, givenStepContext } from '../../support/context.js';

const iam = mockClient(IAMClient);
const ACCOUNT = '123456789012';
const ROLE = 'healthmetrics-dev-email-handler';
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/${ROLE}`;
const USER = 'healthmetrics-app-dev';
const OURS = resourceTags(givenConfig(), ROLE);
const SES_ARN = `arn:aws:ses:us-east-1:${ACCOUNT}`;
const EVENTS_QUEUE_ARN = `arn:aws:sqs:us-east-1:${ACCOUNT}:healthmetrics-dev-events`;
const EMAIL_EVENTS_QUEUE_ARN = `arn:aws:sqs:us-east-1:${ACCOUNT}:healthmetrics-dev-email-events`;
const BUS_ARN = `arn:aws:events:us-east-1:${ACCOUNT}:event-bus/healthmetrics-dev`;
const LOG_GROUP_ARN = `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/lambda/${ROLE}`;
const outputs = {
  account: { accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/admin` },
  'iam-user': { name: USER, arn: `arn:aws:iam::${ACCOUNT}:user/${USER}`, userId: 'AIDAUSER' },
  'events-queue': { name: 'healthmetrics-dev-events', url: 'https://q/events', arn: EVENTS_QUEUE_ARN },
  'email-events-queue': { name: 'healthmetrics-dev-email-events', url: 'https://q/ee', arn: EMAIL_EVENTS_QUEUE_ARN },
  'events-bus': { name: 'healthmetrics-dev', arn: BUS_ARN },
  'email-handler-log-group': { name: `/aws/lambda/${ROLE}`, arn: LOG_GROUP_ARN },
  'email-identity': { arn: `${SES_ARN}:identity/example.com` },
  'email-config-set': { name: 'healthmetrics-dev', arn: `${SES_ARN}:configuration-set/healthmetrics-dev` },
  'template-email-verification': { name: 'email-verification', variables: [] },
  'template-password-reset': { name: 'password-reset', variables: [] },
} as never;
const givenContext = (recorded?: ResourceRecord) => givenStepContext({ outputs, ...(recorded ? { recorded } : {}) });
const noEntity = () => awsError('iam', 'NoSuchEntity', `The role with name ${ROLE} cannot be found.`);
const encoded = (doc: unknown) => encodeURIComponent(JSON.stringify(doc));

/** What the email handler may do, built from the same ARNs the step gets (checked in least-privilege.test.ts). */
const HANDLER_POLICY = emailHandlerPolicy({
  queueArn: EVENTS_QUEUE_ARN,
  logGroupArn: LOG_GROUP_ARN,
  sending: {
    identityArn: `${SES_ARN}:identity/example.com`,
    configurationSetArn: `${SES_ARN}:configuration-set/healthmetrics-dev`,
    templateArns: [`${SES_ARN}:template/email-verification`, `${SES_ARN}:template/password-reset`],
    fromAddress: 'noreply@example.com',
  },
});

const role = (fields: Partial<Role> = {}): Role => ({
  RoleName: ROLE,
  Arn: ROLE_ARN,
  RoleId: 'AROAMINE',
  Path: '/',
  CreateDate: new Date('2026-11-01T00:00:00Z'),
  AssumeRolePolicyDocument: encoded(lambdaTrustPolicy()),
  Tags: OURS,
  ...fields,
});
const recordOf = (roleId: string): ResourceRecord => ({
  status: 'created',
  owned: true,
  outputs: { name: ROLE, arn: ROLE_ARN, roleId },
  updatedAt: '2026-11-01T00:00:00.000Z',
});

describe('IAM role step: email handler', () => {
  beforeEach(() => iam.reset());

  it('creates the role only Lambda may assume, with the tags, saving the intent first', async () => {
    const ctx = givenContext();
    let intentsAtCreate: unknown[] = [];
    iam.on(GetRoleCommand).rejects(noEntity());
    iam.on(CreateRoleCommand).callsFake(() => {
      intentsAtCreate = [...ctx.intents];
      return { Role: role({ RoleId: 'AROANEW' }) };
    });
    // WHEN
    const { observed, result } = await converge(emailHandlerRoleStep, ctx);
    // THEN
    expect(observed).toBeUndefined();
    const input = iam.commandCalls(CreateRoleCommand)[0]?.args[0].input;
    expect(input).toMatchObject({ RoleName: ROLE, Tags: OURS });
    expect(JSON.parse(input?.AssumeRolePolicyDocument ?? '')).toEqual({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: ['sts:AssumeRole'] }],
    });
    expect(result).toEqual({ type: 'created', outputs: { name: ROLE, arn: ROLE_ARN, roleId: 'AROANEW' } });
    expect(intentsAtCreate).toEqual([{ create: ROLE }]);
  });

  it('leaves a role tagged for this app and environment alone (trust policy URL-encoded, as IAM returns it)', async () => {
    iam.on(GetRoleCommand).resolves({
      Role: role({
        AssumeRolePolicyDocument: encoded({
          Statement: [{ Action: 'sts:AssumeRole', Principal: { Service: 'lambda.amazonaws.com' }, Effect: 'Allow' }],
          Version: '2012-10-17',
        }),
      }),
    });
    // WHEN
    const { changes, result } = await converge(emailHandlerRoleStep, givenContext());
    // THEN
    expect(changes).toEqual([]);
    expect(result).toEqual({ type: 'unchanged', outputs: { name: ROLE, arn: ROLE_ARN, roleId: 'AROAMINE' } });
    expect(iam).not.toHaveReceivedCommand(UpdateAssumeRolePolicyCommand);
    expect(iam).not.toHaveReceivedCommand(TagRoleCommand);
  });

  it('sets back a trust policy someone widened, with one UpdateAssumeRolePolicy', async () => {
    const widened = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: ['lambda.amazonaws.com', 'ec2.amazonaws.com'] },
          Action: 'sts:AssumeRole',
        },
      ],
    };
    iam.on(GetRoleCommand).resolves({ Role: role({ AssumeRolePolicyDocument: encoded(widened) }) });
    iam.on(UpdateAssumeRolePolicyCommand).resolves({});
    // WHEN
    const { changes, result } = await converge(emailHandlerRoleStep, givenContext());
    // THEN
    expect(changes.map((c) => [c.field, c.to])).toEqual([['trust-policy', 'sts:AssumeRole by lambda.amazonaws.com']]);
    expect(result.type).toBe('updated');
    const calls = iam.commandCalls(UpdateAssumeRolePolicyCommand).map((c) => c.args[0].input);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.RoleName).toBe(ROLE);
    expect(JSON.parse(calls[0]?.PolicyDocument ?? '')).toEqual(lambdaTrustPolicy());
    expect(iam).not.toHaveReceivedCommand(TagRoleCommand);
  });

  it('puts back the tags of the role state recorded', async () => {
    iam.on(GetRoleCommand).resolves({ Role: role({ Tags: [] }) });
    iam.on(TagRoleCommand).resolves({});
    // WHEN
    const { changes } = await converge(emailHandlerRoleStep, givenContext(recordOf('AROAMINE')));
    // THEN
    expect(changes.map((c) => c.field)).toEqual(['tags']);
    expect(iam).toHaveReceivedCommandExactlyOnceWith(TagRoleCommand, { RoleName: ROLE, Tags: OURS });
    expect(iam).not.toHaveReceivedCommand(UpdateAssumeRolePolicyCommand);
  });

  it('refuses a role of that name hm-infra did not make, before changing anything', async () => {
    iam.on(GetRoleCommand).resolves({ Role: role({ RoleId: 'AROAOTHER', Tags: [{ Key: 'team', Value: 'ops' }] }) });
    // WHEN
    const error = (await converge(emailHandlerRoleStep, givenContext(recordOf('AROAMINE'))).catch(
      (e: unknown) => e,
    )) as HmError;
    // THEN
    expect(error.code).toBe('IAM_ROLE_NOT_OURS');
    expect(error.exitCode).toBe(2);
    expect(error.hint).toContain(`aws iam tag-role --role-name ${ROLE}`);
    expect(iam).not.toHaveReceivedCommand(TagRoleCommand);
    expect(iam).not.toHaveReceivedCommand(UpdateAssumeRolePolicyCommand);
  });

  it('refuses a role tagged for another environment', async () => {
    iam.on(GetRoleCommand).resolves({ Role: role({ Tags: resourceTags(givenConfig({ environment: 'prod' }), ROLE) }) });
    // WHEN
    const error = (await converge(emailHandlerRoleStep, givenContext()).catch((e: unknown) => e)) as HmError;
    // THEN
    expect(error.code).toBe('IAM_ROLE_NOT_OURS');
  });

  it('reads the role a lost answer created (EntityAlreadyExists) and converges it, without a second create', async () => {
    iam
      .on(GetRoleCommand)
      .rejectsOnce(noEntity())
      .resolves({ Role: role({ RoleId: 'AROALOST' }) });
    iam.on(CreateRoleCommand).rejects(awsError('iam', 'EntityAlreadyExists', `Role with name ${ROLE} already exists.`));
    // WHEN
    const { result } = await converge(emailHandlerRoleStep, givenContext());
    // THEN
    expect(result).toEqual({ type: 'unchanged', outputs: { name: ROLE, arn: ROLE_ARN, roleId: 'AROALOST' } });
    expect(iam).toHaveReceivedCommandTimes(CreateRoleCommand, 1);
  });

  it('deletes the role, and counts one already gone as removed', async () => {
    iam.on(DeleteRoleCommand).resolvesOnce({}).rejects(noEntity());
    const recorded = { name: ROLE, arn: ROLE_ARN, roleId: 'AROAMINE' };
    // WHEN
    await emailHandlerRoleStep.destroy(givenContext(), recorded);
    const again = await emailHandlerRoleStep.destroy(givenContext(), recorded);
    // THEN
    expect(again).toBeUndefined();
    expect(iam).toHaveReceivedCommandTimes(DeleteRoleCommand, 2);
    expect(iam).toHaveReceivedCommandWith(DeleteRoleCommand, { RoleName: ROLE });
  });

  it('explains a role IAM will not delete because of policies hm-infra did not add', async () => {
    iam
      .on(DeleteRoleCommand)
      .rejects(awsError('iam', 'DeleteConflict', 'Cannot delete entity, must detach all policies first.'));
    // WHEN
    const error = (await emailHandlerRoleStep
      .destroy(givenContext(), { name: ROLE, arn: ROLE_ARN, roleId: 'AROAMINE' })
      .catch((e: unknown) => e)) as HmError;
    // THEN
    expect(error.code).toBe('IAM_ROLE_IN_USE');
    expect(error.hint).toContain(`aws iam list-attached-role-policies --role-name ${ROLE}`);
  });

  it('explains the quota of roles', async () => {
    iam.on(GetRoleCommand).rejects(noEntity());
    iam
      .on(CreateRoleCommand)
      .rejects(awsError('iam', 'LimitExceeded', 'Cannot exceed quota for RolesPerAccount: 1000'));
    // WHEN
    const error = (await converge(emailHandlerRoleStep, givenContext()).catch((e: unknown) => e)) as HmError;
    // THEN
    expect(error.code).toBe('IAM_LIMIT');
  });
});

describe('IAM role policy step: email handler', () => {
  beforeEach(() => iam.reset());
  const written = () =>
    iam.commandCalls(PutRolePolicyCommand).map((c) => ({
      RoleName: c.args[0].input.RoleName,
      PolicyName: c.args[0].input.PolicyName,
      PolicyDocument: JSON.parse(c.args[0].input.PolicyDocument ?? '') as unknown,
    }));

  it('writes policy email-handler, built from the queue, log group and SES outputs, when there is none', async () => {
    iam.on(GetRolePolicyCommand).rejects(noEntity());
    iam.on(PutRolePolicyCommand).resolves({});
    const ctx = givenContext();
    // WHEN
    const { result } = await converge(emailHandlerRolePolicyStep, ctx);
    // THEN
    expect(written()).toEqual([{ RoleName: ROLE, PolicyName: 'email-handler', PolicyDocument: HANDLER_POLICY }]);
    expect(result).toEqual({ type: 'created', outputs: { roleName: ROLE, policyName: 'email-handler' } });
    expect(ctx.intents).toEqual([{ create: 'email-handler' }]);
  });

  it('retries the write while IAM does not see the new role yet', async () => {
    iam.on(GetRolePolicyCommand).rejects(noEntity());
    iam.on(PutRolePolicyCommand).rejectsOnce(noEntity()).resolves({});
    // WHEN
    const { result } = await converge(emailHandlerRolePolicyStep, givenContext());
    // THEN
    expect(result.type).toBe('created');
    expect(iam).toHaveReceivedCommandTimes(PutRolePolicyCommand, 2);
  });

  it('sees no drift in the same policy URL-encoded with statements in another order', async () => {
    const shuffled = { ...HANDLER_POLICY, Statement: [...HANDLER_POLICY.Statement].reverse() };
    iam
      .on(GetRolePolicyCommand)
      .resolves({ RoleName: ROLE, PolicyName: 'email-handler', PolicyDocument: encoded(shuffled) });
    // WHEN
    const { changes } = await converge(emailHandlerRolePolicyStep, givenContext());
    // THEN
    expect(changes).toEqual([]);
    expect(iam).not.toHaveReceivedCommand(PutRolePolicyCommand);
  });

  it('rewrites a policy someone widened, once', async () => {
    const widened = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sqs:*', Resource: '*' }] };
    iam.on(GetRolePolicyCommand).resolves({ PolicyDocument: encoded(widened) });
    iam.on(PutRolePolicyCommand).resolves({});
    // WHEN
    const { changes, result } = await converge(emailHandlerRolePolicyStep, givenContext());
    // THEN
    expect(changes).toMatchObject([{ field: 'policy', action: 'update', from: 'sqs:* on *' }]);
    expect(result.type).toBe('updated');
    expect(written()).toEqual([{ RoleName: ROLE, PolicyName: 'email-handler', PolicyDocument: HANDLER_POLICY }]);
  });

  it('deletes the inline policy, and counts one already gone as removed', async () => {
    iam.on(DeleteRolePolicyCommand).resolvesOnce({}).rejects(noEntity());
    const recorded = { roleName: ROLE, policyName: 'email-handler' };
    // WHEN
    await emailHandlerRolePolicyStep.destroy(givenContext(), recorded);
    const again = await emailHandlerRolePolicyStep.destroy(givenContext(), recorded);
    // THEN
    expect(again).toBeUndefined();
    expect(iam).toHaveReceivedCommandWith(DeleteRolePolicyCommand, { RoleName: ROLE, PolicyName: 'email-handler' });
    expect(iam).toHaveReceivedCommandTimes(DeleteRolePolicyCommand, 2);
  });
});

describe('IAM user policy steps: email events and app events', () => {
  beforeEach(() => iam.reset());
  const written = () =>
    iam.commandCalls(PutUserPolicyCommand).map((c) => ({
      UserName: c.args[0].input.UserName,
      PolicyName: c.args[0].input.PolicyName,
      PolicyDocument: JSON.parse(c.args[0].input.PolicyDocument ?? '') as unknown,
    }));

  it('write email-events: receive and delete on the email-events queue', async () => {
    iam.on(GetUserPolicyCommand).rejects(noEntity());
    iam.on(PutUserPolicyCommand).resolves({});
    // WHEN
    const { result } = await converge(emailEventsPolicyStep, givenContext());
    // THEN
    expect(written()).toEqual([
      { UserName: USER, PolicyName: 'email-events', PolicyDocument: emailEventsConsumerPolicy(EMAIL_EVENTS_QUEUE_ARN) },
    ]);
    expect(result).toEqual({ type: 'created', outputs: { userName: USER, policyName: 'email-events' } });
  });

  it('write app-events: PutEvents on the app bus', async () => {
    iam.on(GetUserPolicyCommand).rejects(noEntity());
    iam.on(PutUserPolicyCommand).resolves({});
    // WHEN
    await converge(appEventsPolicyStep, givenContext());
    // THEN
    expect(written()).toEqual([
      { UserName: USER, PolicyName: 'app-events', PolicyDocument: appEventsPublisherPolicy(BUS_ARN) },
    ]);
  });

  it('leave an equal email-events policy alone, and set back one that grants SendMessage too', async () => {
    const want = emailEventsConsumerPolicy(EMAIL_EVENTS_QUEUE_ARN);
    iam
      .on(GetUserPolicyCommand)
      .resolvesOnce({ PolicyDocument: encoded(want) })
      .resolves({
        PolicyDocument: encoded({
          ...want,
          Statement: [{ ...want.Statement[0], Action: [...(want.Statement[0]?.Action ?? []), 'sqs:SendMessage'] }],
        }),
      });
    iam.on(PutUserPolicyCommand).resolves({});
    // WHEN
    const equal = await converge(emailEventsPolicyStep, givenContext());
    const widened = await converge(emailEventsPolicyStep, givenContext());
    // THEN
    expect(equal.changes).toEqual([]);
    expect(widened.changes.map((c) => c.field)).toEqual(['policy']);
    expect(written()).toEqual([{ UserName: USER, PolicyName: 'email-events', PolicyDocument: want }]);
  });

  it('delete the inline policy, and count one already gone as removed', async () => {
    iam.on(DeleteUserPolicyCommand).resolvesOnce({}).rejects(noEntity());
    const recorded = { userName: USER, policyName: 'app-events' };
    // WHEN
    await appEventsPolicyStep.destroy(givenContext(), recorded);
    const again = await appEventsPolicyStep.destroy(givenContext(), recorded);
    // THEN
    expect(again).toBeUndefined();
    expect(iam).toHaveReceivedCommandWith(DeleteUserPolicyCommand, { UserName: USER, PolicyName: 'app-events' });
  });
});
