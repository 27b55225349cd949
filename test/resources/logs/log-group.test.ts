import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  DeleteLogGroupCommand,
  DescribeLogGroupsCommand,
  ListTagsForResourceCommand,
  PutRetentionPolicyCommand,
  TagResourceCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { HmError } from '../../../src/errors.js';
import { emailHandlerLogGroupStep } from '../../../src/resources/logs/log-group.js';
import { resourceTags } from '../../../src/resources/tags.js';
import { awsError } from '../../fakes/account.js';
import { converge, givenConfig, givenStepContext } from '../../support/context.js';

const logs = mockClient(CloudWatchLogsClient);
const ACCOUNT = '123456789012';
const account = { accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/admin` };
const GROUP = '/aws/lambda/healthmetrics-dev-email-handler';
const GROUP_ARN = `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:${GROUP}`;
const TAGS = Object.fromEntries(resourceTags(givenConfig(), GROUP).map((t) => [t.Key, t.Value]));
const givenContext = () => givenStepContext({ outputs: { account } as never });
const group = (logGroupName: string, retentionInDays?: number) => ({
  logGroupName,
  arn: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:${logGroupName}:*`,
  ...(retentionInDays !== undefined ? { retentionInDays } : {}),
});

function givenGroup(retentionInDays: number | undefined, tags: Record<string, string> = TAGS) {
  logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [group(GROUP, retentionInDays)] });
  logs.on(ListTagsForResourceCommand).resolves({ tags });
  logs.on(PutRetentionPolicyCommand).resolves({});
  logs.on(TagResourceCommand).resolves({});
}

describe('CloudWatch Logs group step', () => {
  beforeEach(() => logs.reset());

  it('creates the email handler group with the tags, then keeps its logs 14 days; saves the intent first', async () => {
    const ctx = givenContext();
    let intentsAtCreate: unknown[] = [];
    // A longer name with the same prefix is another function's group.
    logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [group(`${GROUP}-old`, 14)] });
    logs.on(CreateLogGroupCommand).callsFake(() => {
      intentsAtCreate = [...ctx.intents];
      return {};
    });
    logs.on(PutRetentionPolicyCommand).resolves({});
    // WHEN
    const { observed, result } = await converge(emailHandlerLogGroupStep, ctx);
    // THEN
    expect(observed).toBeUndefined();
    expect(logs).toHaveReceivedCommandWith(DescribeLogGroupsCommand, { logGroupNamePrefix: GROUP });
    expect(logs.commandCalls(CreateLogGroupCommand).map((c) => c.args[0].input)).toEqual([
      { logGroupName: GROUP, tags: TAGS },
    ]);
    expect(logs.commandCalls(PutRetentionPolicyCommand).map((c) => c.args[0].input)).toEqual([
      { logGroupName: GROUP, retentionInDays: 14 },
    ]);
    expect(result).toEqual({ type: 'created', outputs: { name: GROUP, arn: GROUP_ARN } });
    expect(intentsAtCreate).toEqual([{ create: `CloudWatch Logs group ${GROUP}` }]);
  });

  it('leaves a group kept 14 days and tagged alone', async () => {
    givenGroup(14, { ...TAGS, team: 'ops' });
    // WHEN
    const { changes, result } = await converge(emailHandlerLogGroupStep, givenContext());
    // THEN
    expect(logs).toHaveReceivedCommandWith(ListTagsForResourceCommand, { resourceArn: GROUP_ARN });
    expect(changes).toEqual([]);
    expect(result).toEqual({ type: 'unchanged', outputs: { name: GROUP, arn: GROUP_ARN } });
    expect(logs).not.toHaveReceivedCommand(PutRetentionPolicyCommand);
    expect(logs).not.toHaveReceivedCommand(TagResourceCommand);
  });

  it('sets back a changed retention with one PutRetentionPolicy', async () => {
    givenGroup(30);
    // WHEN
    const { changes, result } = await converge(emailHandlerLogGroupStep, givenContext());
    // THEN
    expect(changes.map((c) => [c.field, c.from, c.to])).toEqual([['retention', '30 days', '14 days']]);
    expect(result.type).toBe('updated');
    expect(logs).toHaveReceivedCommandExactlyOnceWith(PutRetentionPolicyCommand, {
      logGroupName: GROUP,
      retentionInDays: 14,
    });
    expect(logs).not.toHaveReceivedCommand(TagResourceCommand);
  });

  it('says "never expire" for a group without retention', async () => {
    givenGroup(undefined);
    // WHEN
    const { changes } = await converge(emailHandlerLogGroupStep, givenContext());
    // THEN
    expect(changes.map((c) => [c.field, c.from])).toEqual([['retention', 'never expire']]);
  });

  it('adds only the missing tags, on the group ARN without ":*"', async () => {
    const { ManagedBy: _gone, ...rest } = TAGS;
    givenGroup(14, rest);
    // WHEN
    const { changes } = await converge(emailHandlerLogGroupStep, givenContext());
    // THEN
    expect(changes).toMatchObject([{ field: 'tags', to: 'ManagedBy=hm-infra' }]);
    expect(logs).toHaveReceivedCommandExactlyOnceWith(TagResourceCommand, {
      resourceArn: GROUP_ARN,
      tags: { ManagedBy: 'hm-infra' },
    });
    expect(logs).not.toHaveReceivedCommand(PutRetentionPolicyCommand);
  });

  it('reads the group again when it already exists, and sets its retention', async () => {
    logs
      .on(DescribeLogGroupsCommand)
      .resolvesOnce({ logGroups: [] })
      .resolves({ logGroups: [group(GROUP)] });
    logs.on(ListTagsForResourceCommand).resolves({ tags: TAGS });
    logs
      .on(CreateLogGroupCommand)
      .rejects(awsError('logs', 'ResourceAlreadyExistsException', 'The specified log group already exists'));
    logs.on(PutRetentionPolicyCommand).resolves({});
    // WHEN
    const { result } = await converge(emailHandlerLogGroupStep, givenContext());
    // THEN
    expect(result).toEqual({ type: 'updated', outputs: { name: GROUP, arn: GROUP_ARN } });
    expect(logs).toHaveReceivedCommandTimes(CreateLogGroupCommand, 1);
    expect(logs).toHaveReceivedCommandExactlyOnceWith(PutRetentionPolicyCommand, {
      logGroupName: GROUP,
      retentionInDays: 14,
    });
  });

  it('finds nothing when the group goes between the listing and its tags', async () => {
    logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [group(GROUP, 14)] });
    logs.on(ListTagsForResourceCommand).rejects(awsError('logs', 'ResourceNotFoundException', 'not found'));
    // WHEN
    const observed = await emailHandlerLogGroupStep.read(givenContext());
    // THEN
    expect(observed).toBeUndefined();
  });

  it('explains the quota of log groups', async () => {
    logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [] });
    logs.on(CreateLogGroupCommand).rejects(awsError('logs', 'LimitExceededException', 'Resource limit exceeded.'));
    // WHEN
    const error = (await converge(emailHandlerLogGroupStep, givenContext()).catch((e: unknown) => e)) as HmError;
    // THEN
    expect(error.code).toBe('LIMIT_REACHED');
    expect(logs).not.toHaveReceivedCommand(PutRetentionPolicyCommand);
  });

  it('deletes the group by name, and counts one already gone as removed', async () => {
    logs
      .on(DeleteLogGroupCommand)
      .resolvesOnce({})
      .rejects(awsError('logs', 'ResourceNotFoundException', 'The specified log group does not exist.'));
    // WHEN
    await emailHandlerLogGroupStep.destroy(givenContext(), { name: GROUP, arn: GROUP_ARN });
    const again = await emailHandlerLogGroupStep.destroy(givenContext(), { name: GROUP, arn: GROUP_ARN });
    // THEN
    expect(again).toBeUndefined();
    expect(logs).toHaveReceivedCommandTimes(DeleteLogGroupCommand, 2);
    expect(logs).toHaveReceivedCommandWith(DeleteLogGroupCommand, { logGroupName: GROUP });
  });
});
