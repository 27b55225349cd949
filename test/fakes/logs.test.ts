import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  DeleteLogGroupCommand,
  DescribeLogGroupsCommand,
  InvalidParameterException,
  ListTagsForResourceCommand,
  ListTagsLogGroupCommand,
  PutRetentionPolicyCommand,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
  TagResourceCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeAccount } from './account.js';
import { type InstalledFake, installFakeAccount } from './install.js';

const REGION = 'us-east-1';
const GROUP = '/aws/lambda/myapp-dev-email-handler';
const ARN = `arn:aws:logs:${REGION}:123456789012:log-group:${GROUP}`;

let installed: InstalledFake;
const logs = () => new CloudWatchLogsClient({ region: REGION });
const describeGroups = async (logGroupNamePrefix: string) =>
  (await logs().send(new DescribeLogGroupsCommand({ logGroupNamePrefix }))).logGroups ?? [];

describe('CloudWatch Logs log groups on the fake account, through a Logs client', () => {
  beforeEach(() => {
    installed = installFakeAccount(new FakeAccount());
    installed.fake.now = () => 1_800_000_000_123;
  });
  afterEach(() => installed.restore());

  it('creates a group once, tagged, and describes it with both ARN forms and its retention', async () => {
    // GIVEN
    await logs().send(new CreateLogGroupCommand({ logGroupName: GROUP, tags: { app: 'myapp' } }));
    await logs().send(new CreateLogGroupCommand({ logGroupName: `${GROUP}-other` }));
    await logs().send(new PutRetentionPolicyCommand({ logGroupName: GROUP, retentionInDays: 14 }));
    // THEN a prefix lists both: the code filters the exact name
    const groups = await describeGroups(GROUP);
    expect(groups.map((g) => g.logGroupName)).toEqual([GROUP, `${GROUP}-other`]);
    expect(groups[0]).toMatchObject({
      logGroupName: GROUP,
      arn: `${ARN}:*`,
      logGroupArn: ARN,
      retentionInDays: 14,
      creationTime: 1_800_000_000_123,
    });
    expect(groups[1]).not.toHaveProperty('retentionInDays');
    await expect(logs().send(new CreateLogGroupCommand({ logGroupName: GROUP }))).rejects.toBeInstanceOf(
      ResourceAlreadyExistsException,
    );
  });

  it('takes only AWS’s retention values', async () => {
    await logs().send(new CreateLogGroupCommand({ logGroupName: GROUP }));
    const refused = await logs()
      .send(new PutRetentionPolicyCommand({ logGroupName: GROUP, retentionInDays: 13 }))
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(InvalidParameterException);
    expect(refused).toMatchObject({ message: expect.stringContaining('[1, 3, 5, 7, 14, 30,') });
    await expect(
      logs().send(new PutRetentionPolicyCommand({ logGroupName: 'nope', retentionInDays: 14 })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('tags by the ARN without :* (the :* form names no resource); the legacy API by name', async () => {
    await logs().send(new CreateLogGroupCommand({ logGroupName: GROUP, tags: { app: 'myapp' } }));
    await logs().send(new TagResourceCommand({ resourceArn: ARN, tags: { env: 'dev' } }));
    expect((await logs().send(new ListTagsForResourceCommand({ resourceArn: ARN }))).tags).toEqual({
      app: 'myapp',
      env: 'dev',
    });
    expect((await logs().send(new ListTagsLogGroupCommand({ logGroupName: GROUP }))).tags).toEqual({
      app: 'myapp',
      env: 'dev',
    });
    await expect(logs().send(new ListTagsForResourceCommand({ resourceArn: `${ARN}:*` }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
  });

  it('deletes a group; deleting it again is ResourceNotFoundException', async () => {
    await logs().send(new CreateLogGroupCommand({ logGroupName: GROUP }));
    await logs().send(new DeleteLogGroupCommand({ logGroupName: GROUP }));
    expect(await describeGroups(GROUP)).toEqual([]);
    await expect(logs().send(new DeleteLogGroupCommand({ logGroupName: GROUP }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
  });
});
