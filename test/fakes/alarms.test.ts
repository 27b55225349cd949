/** CloudWatch alarms and the SNS topic they notify, on the fake account through their SDK clients. */
import {
  CloudWatchClient,
  DeleteAlarmsCommand,
  DescribeAlarmsCommand,
  ListTagsForResourceCommand as ListAlarmTagsCommand,
  PutMetricAlarmCommand,
  type PutMetricAlarmCommandInput,
  ResourceNotFoundException as AlarmNotFoundException,
  TagResourceCommand as TagAlarmCommand,
  ValidationException,
} from '@aws-sdk/client-cloudwatch';
import {
  CreateTopicCommand,
  DeleteTopicCommand,
  GetTopicAttributesCommand,
  InvalidParameterException,
  ListSubscriptionsByTopicCommand,
  ListTagsForResourceCommand as ListTopicTagsCommand,
  NotFoundException,
  ResourceNotFoundException as TopicNotFoundException,
  SNSClient,
  SubscribeCommand,
  TagResourceCommand as TagTopicCommand,
  UnsubscribeCommand,
} from '@aws-sdk/client-sns';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeAccount } from './account.js';
import { type InstalledFake, installFakeAccount } from './install.js';

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const TOPIC = 'myapp-dev-alerts';
const TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:${TOPIC}`;
const ALARM = 'myapp-dev-ses-bounces';
const ALARM_ARN = `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${ALARM}`;

let installed: InstalledFake;
let now: number;
const fake = () => installed.fake;
const cloudwatch = () => new CloudWatchClient({ region: REGION });
const sns = () => new SNSClient({ region: REGION });

/** The contract's bounce-count alarm. */
const bouncesAlarm = (extra: Partial<PutMetricAlarmCommandInput> = {}): PutMetricAlarmCommandInput => ({
  AlarmName: ALARM,
  Namespace: 'AWS/SES',
  MetricName: 'Bounce',
  Dimensions: [{ Name: 'ses:configuration-set', Value: 'myapp-dev' }],
  Statistic: 'Sum',
  Period: 3600,
  EvaluationPeriods: 1,
  Threshold: 50,
  ComparisonOperator: 'GreaterThanThreshold',
  TreatMissingData: 'notBreaching',
  AlarmActions: [TOPIC_ARN],
  OKActions: [TOPIC_ARN],
  Tags: [{ Key: 'app', Value: 'myapp' }],
  ...extra,
});
const describeAlarm = async () =>
  (await cloudwatch().send(new DescribeAlarmsCommand({ AlarmNames: [ALARM] }))).MetricAlarms ?? [];

beforeEach(() => {
  installed = installFakeAccount(new FakeAccount());
  now = 1_800_000_000_000;
  fake().now = () => now;
});
afterEach(() => installed.restore());

describe('CloudWatch alarms', () => {
  it('creates an alarm in INSUFFICIENT_DATA, tagged, and describes it by name; an unknown name lists nothing', async () => {
    await cloudwatch().send(new PutMetricAlarmCommand(bouncesAlarm()));
    expect(await describeAlarm()).toEqual([
      expect.objectContaining({
        AlarmName: ALARM,
        AlarmArn: ALARM_ARN,
        StateValue: 'INSUFFICIENT_DATA',
        Namespace: 'AWS/SES',
        Statistic: 'Sum',
        Period: 3600,
        Threshold: 50,
        AlarmActions: [TOPIC_ARN],
        TreatMissingData: 'notBreaching',
        ActionsEnabled: true,
      }),
    ]);
    expect((await cloudwatch().send(new ListAlarmTagsCommand({ ResourceARN: ALARM_ARN }))).Tags).toEqual([
      { Key: 'app', Value: 'myapp' },
    ]);
    expect((await cloudwatch().send(new DescribeAlarmsCommand({ AlarmNames: ['nope'] }))).MetricAlarms).toEqual([]);
  });

  it('replaces the configuration on a second PutMetricAlarm, keeping the state and the tags', async () => {
    await cloudwatch().send(new PutMetricAlarmCommand(bouncesAlarm()));
    fake().cloudwatch.setState(REGION, ALARM, 'ALARM');
    await cloudwatch().send(
      new PutMetricAlarmCommand(
        bouncesAlarm({ Threshold: 10, Tags: [{ Key: 'other', Value: 'x' }], OKActions: undefined }),
      ),
    );
    const [alarm] = await describeAlarm();
    expect(alarm).toMatchObject({ Threshold: 10, StateValue: 'ALARM', OKActions: [] });
    expect((await cloudwatch().send(new ListAlarmTagsCommand({ ResourceARN: ALARM_ARN }))).Tags).toEqual([
      { Key: 'app', Value: 'myapp' },
    ]);
  });

  it.each([
    ['no Statistic nor ExtendedStatistic', { Statistic: undefined }],
    ['both Statistic and ExtendedStatistic', { ExtendedStatistic: 'p99' }],
    ['a Period of 45', { Period: 45 }],
    ['no Threshold', { Threshold: undefined }],
    ['no EvaluationPeriods', { EvaluationPeriods: undefined }],
    ['a Statistic with a Metrics list', { Metrics: [{ Id: 'm1', Expression: 'x' }] }],
  ])('refuses an alarm with %s (ValidationError)', async (_what, change) => {
    const refused = await cloudwatch()
      .send(new PutMetricAlarmCommand(bouncesAlarm(change as Partial<PutMetricAlarmCommandInput>)))
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ValidationException);
    expect(refused).toMatchObject({ Code: 'ValidationError', $metadata: { httpStatusCode: 400 } });
    expect(await describeAlarm()).toEqual([]);
  });

  it('deletes the alarms it knows and ignores an unknown name; tags of a missing alarm are ResourceNotFoundException', async () => {
    await cloudwatch().send(new PutMetricAlarmCommand(bouncesAlarm()));
    await cloudwatch().send(new DeleteAlarmsCommand({ AlarmNames: [ALARM, 'nope'] }));
    expect(await describeAlarm()).toEqual([]);
    await cloudwatch().send(new DeleteAlarmsCommand({ AlarmNames: [ALARM] }));
    await expect(cloudwatch().send(new ListAlarmTagsCommand({ ResourceARN: ALARM_ARN }))).rejects.toBeInstanceOf(
      AlarmNotFoundException,
    );
    await expect(
      cloudwatch().send(new TagAlarmCommand({ ResourceARN: ALARM_ARN, Tags: [{ Key: 'a', Value: 'b' }] })),
    ).rejects.toBeInstanceOf(AlarmNotFoundException);
  });
});

describe('SNS topics and email subscriptions', () => {
  it('creates a topic idempotently, the same ARN for the same name; different attributes are refused', async () => {
    const first = await sns().send(new CreateTopicCommand({ Name: TOPIC, Tags: [{ Key: 'app', Value: 'myapp' }] }));
    const again = await sns().send(new CreateTopicCommand({ Name: TOPIC }));
    expect([first.TopicArn, again.TopicArn]).toEqual([TOPIC_ARN, TOPIC_ARN]);
    await expect(
      sns().send(new CreateTopicCommand({ Name: TOPIC, Attributes: { DisplayName: 'x' } })),
    ).rejects.toBeInstanceOf(InvalidParameterException);
    expect((await sns().send(new GetTopicAttributesCommand({ TopicArn: TOPIC_ARN }))).Attributes).toMatchObject({
      TopicArn: TOPIC_ARN,
      Owner: ACCOUNT,
      SubscriptionsPending: '0',
    });
    expect((await sns().send(new ListTopicTagsCommand({ ResourceArn: TOPIC_ARN }))).Tags).toEqual([
      { Key: 'app', Value: 'myapp' },
    ]);
  });

  it('answers a missing topic with NotFound (NotFoundException, code in Code), and its tags with ResourceNotFound', async () => {
    const missing = await sns()
      .send(new GetTopicAttributesCommand({ TopicArn: TOPIC_ARN }))
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NotFoundException);
    expect(missing).toMatchObject({ Code: 'NotFound', $metadata: { httpStatusCode: 404 } });
    await expect(
      sns().send(new TagTopicCommand({ ResourceArn: TOPIC_ARN, Tags: [{ Key: 'a', Value: 'b' }] })),
    ).rejects.toBeInstanceOf(TopicNotFoundException);
    // Deleting a topic that does not exist is no error.
    await sns().send(new DeleteTopicCommand({ TopicArn: TOPIC_ARN }));
  });

  it('keeps an email subscription pending until the endpoint confirms it; a pending one cannot be unsubscribed', async () => {
    // GIVEN
    await sns().send(new CreateTopicCommand({ Name: TOPIC }));
    // WHEN
    const { SubscriptionArn } = await sns().send(
      new SubscribeCommand({
        TopicArn: TOPIC_ARN,
        Protocol: 'email',
        Endpoint: 'ops@example.com',
        ReturnSubscriptionArn: true,
      }),
    );
    const list = async () =>
      (await sns().send(new ListSubscriptionsByTopicCommand({ TopicArn: TOPIC_ARN }))).Subscriptions ?? [];
    // THEN
    expect(SubscriptionArn).toMatch(new RegExp(`^${TOPIC_ARN}:`));
    expect(await list()).toEqual([
      {
        SubscriptionArn: 'PendingConfirmation',
        Owner: ACCOUNT,
        Protocol: 'email',
        Endpoint: 'ops@example.com',
        TopicArn: TOPIC_ARN,
      },
    ]);
    expect(
      (await sns().send(new SubscribeCommand({ TopicArn: TOPIC_ARN, Protocol: 'email', Endpoint: 'ops@example.com' })))
        .SubscriptionArn,
    ).toBe('pending confirmation');
    await expect(sns().send(new UnsubscribeCommand({ SubscriptionArn: 'PendingConfirmation' }))).rejects.toBeInstanceOf(
      InvalidParameterException,
    );
    await expect(sns().send(new UnsubscribeCommand({ SubscriptionArn }))).rejects.toBeInstanceOf(
      InvalidParameterException,
    );
    // WHEN the owner of the address confirms
    expect(fake().sns.confirm('ops@example.com')).toBe(1);
    // THEN it is listed by its ARN, and can go
    expect((await list())[0]?.SubscriptionArn).toBe(SubscriptionArn);
    await sns().send(new UnsubscribeCommand({ SubscriptionArn }));
    expect(await list()).toEqual([]);
    // An ARN SNS does not know is no error.
    await sns().send(new UnsubscribeCommand({ SubscriptionArn }));
  });

  it('drops a subscription left unconfirmed for 48 hours', async () => {
    await sns().send(new CreateTopicCommand({ Name: TOPIC }));
    await sns().send(new SubscribeCommand({ TopicArn: TOPIC_ARN, Protocol: 'email', Endpoint: 'ops@example.com' }));
    now += 48 * 3600 * 1000;
    expect((await sns().send(new ListSubscriptionsByTopicCommand({ TopicArn: TOPIC_ARN }))).Subscriptions).toEqual([]);
    expect(fake().sns.confirm('ops@example.com')).toBe(0);
  });

  it('refuses an email subscription to something that is not an address', async () => {
    await sns().send(new CreateTopicCommand({ Name: TOPIC }));
    await expect(
      sns().send(new SubscribeCommand({ TopicArn: TOPIC_ARN, Protocol: 'email', Endpoint: 'not an address' })),
    ).rejects.toMatchObject({ name: 'InvalidParameterException', message: 'Invalid parameter: Email address' });
  });
});
