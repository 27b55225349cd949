import {
  CloudWatchClient,
  DeleteAlarmsCommand,
  DescribeAlarmsCommand,
  ListTagsForResourceCommand,
  type MetricAlarm,
  PutMetricAlarmCommand,
  TagResourceCommand,
} from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { HmError } from '../../../src/errors.js';
import {
  bounceRateAlarmStep,
  bouncesAlarmStep,
  complaintRateAlarmStep,
} from '../../../src/resources/cloudwatch/alarms.js';
import { resourceTags } from '../../../src/resources/tags.js';
import { awsError } from '../../fakes/account.js';
import { converge, givenConfig, givenStepContext } from '../../support/context.js';

const cw = mockClient(CloudWatchClient);
const ACCOUNT = '123456789012';
const account = { accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/admin` };
const TOPIC_ARN = `arn:aws:sns:us-east-1:${ACCOUNT}:healthmetrics-dev-alerts`;
const outputs = { account, 'alerts-topic': { name: 'healthmetrics-dev-alerts', arn: TOPIC_ARN } } as never;
const givenContext = () => givenStepContext({ outputs });
const alarmArn = (name: string) => `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:${name}`;
const OURS = (name: string) => resourceTags(givenConfig(), name);

const BOUNCE_RATE = 'healthmetrics-dev-ses-bounce-rate';
const COMPLAINT_RATE = 'healthmetrics-dev-ses-complaint-rate';
const BOUNCES = 'healthmetrics-dev-ses-bounces';

/** What every alarm shares: the topic for both actions, missing data not breaching. */
const common = {
  ActionsEnabled: true,
  AlarmActions: [TOPIC_ARN],
  OKActions: [TOPIC_ARN],
  TreatMissingData: 'notBreaching',
};
/** The three alarms of docs/resources.md, written out. */
const BOUNCE_RATE_ALARM = {
  ...common,
  AlarmName: BOUNCE_RATE,
  Namespace: 'AWS/SES',
  MetricName: 'Reputation.BounceRate',
  Statistic: 'Maximum',
  Period: 3600,
  EvaluationPeriods: 1,
  Threshold: 0.04,
  ComparisonOperator: 'GreaterThanOrEqualToThreshold',
};
const COMPLAINT_RATE_ALARM = {
  ...BOUNCE_RATE_ALARM,
  AlarmName: COMPLAINT_RATE,
  MetricName: 'Reputation.ComplaintRate',
  Threshold: 0.0008,
};
const BOUNCES_ALARM = {
  ...common,
  AlarmName: BOUNCES,
  Namespace: 'AWS/SES',
  MetricName: 'Bounce',
  Dimensions: [{ Name: 'ses:configuration-set', Value: 'healthmetrics-dev' }],
  Statistic: 'Sum',
  Period: 3600,
  EvaluationPeriods: 1,
  Threshold: 50,
  ComparisonOperator: 'GreaterThanThreshold',
};

/** An alarm as DescribeAlarms answers it: the definition, its ARN, state and what AWS adds. */
const described = (definition: object, name: string): MetricAlarm =>
  ({
    Dimensions: [],
    ...definition,
    AlarmArn: alarmArn(name),
    AlarmDescription: 'edited by hand',
    InsufficientDataActions: [],
    StateValue: 'OK',
    StateUpdatedTimestamp: new Date('2026-11-01T00:00:00Z'),
  }) as MetricAlarm;

function givenAlarm(alarm: MetricAlarm | undefined, tags = OURS(alarm?.AlarmName ?? '')) {
  cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: alarm ? [alarm] : [] });
  cw.on(ListTagsForResourceCommand).resolves({ Tags: tags });
  cw.on(PutMetricAlarmCommand).resolves({});
  cw.on(TagResourceCommand).resolves({});
}
const puts = () => cw.commandCalls(PutMetricAlarmCommand).map((c) => c.args[0].input);

describe('CloudWatch alarm steps', () => {
  beforeEach(() => cw.reset());

  it('create the bounce-rate alarm on the account metric (no dimension), >= 4% over an hour, saving the intent first', async () => {
    const ctx = givenContext();
    let intentsAtPut: unknown[] = [];
    cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
    cw.on(PutMetricAlarmCommand).callsFake(() => {
      intentsAtPut = [...ctx.intents];
      return {};
    });
    // WHEN
    const { observed, result } = await converge(bounceRateAlarmStep, ctx);
    // THEN
    expect(observed).toBeUndefined();
    expect(cw).toHaveReceivedCommandWith(DescribeAlarmsCommand, {
      AlarmNames: [BOUNCE_RATE],
      AlarmTypes: ['MetricAlarm'],
    });
    const [input] = puts();
    expect({ ...input, AlarmDescription: undefined }).toEqual({
      ...BOUNCE_RATE_ALARM,
      AlarmDescription: undefined,
      Tags: OURS(BOUNCE_RATE),
    });
    expect(input?.Dimensions).toBeUndefined();
    expect(input?.AlarmDescription).toContain('5%');
    expect(result).toEqual({ type: 'created', outputs: { name: BOUNCE_RATE, arn: alarmArn(BOUNCE_RATE) } });
    expect(intentsAtPut).toEqual([{ create: BOUNCE_RATE }]);
  });

  it('create the complaint-rate alarm at >= 0.08%', async () => {
    givenAlarm(undefined);
    // WHEN
    await converge(complaintRateAlarmStep, givenContext());
    // THEN
    expect(puts()[0]).toMatchObject({ ...COMPLAINT_RATE_ALARM, Tags: OURS(COMPLAINT_RATE) });
    expect(puts()[0]?.Dimensions).toBeUndefined();
  });

  it('create the bounce-count alarm on Bounce by configuration set, more than 50 in an hour', async () => {
    givenAlarm(undefined);
    // WHEN
    const { result } = await converge(bouncesAlarmStep, givenContext());
    // THEN
    expect(puts()[0]).toMatchObject({ ...BOUNCES_ALARM, Tags: OURS(BOUNCES) });
    expect(result.outputs).toEqual({ name: BOUNCES, arn: alarmArn(BOUNCES) });
  });

  it('leave an alarm as wanted alone (its description, state and empty lists do not count)', async () => {
    givenAlarm(described(BOUNCES_ALARM, BOUNCES));
    // WHEN
    const { changes, result } = await converge(bouncesAlarmStep, givenContext());
    // THEN
    expect(changes).toEqual([]);
    expect(result).toEqual({ type: 'unchanged', outputs: { name: BOUNCES, arn: alarmArn(BOUNCES) } });
    expect(cw).not.toHaveReceivedCommand(PutMetricAlarmCommand);
    expect(cw).not.toHaveReceivedCommand(TagResourceCommand);
  });

  it('set back a threshold someone raised with one PutMetricAlarm of the whole alarm, without tags', async () => {
    givenAlarm(described({ ...BOUNCE_RATE_ALARM, Threshold: 0.09 }, BOUNCE_RATE));
    // WHEN
    const { changes, result } = await converge(bounceRateAlarmStep, givenContext());
    // THEN
    expect(changes.map((c) => [c.field, c.from, c.to])).toEqual([['Threshold', '0.09', '0.04']]);
    expect(result.type).toBe('updated');
    expect(puts()).toHaveLength(1);
    expect(puts()[0]).toMatchObject(BOUNCE_RATE_ALARM);
    expect(puts()[0]?.Tags).toBeUndefined();
    expect(cw).not.toHaveReceivedCommand(TagResourceCommand);
  });

  it('set back actions pointed elsewhere, missing data treated as breaching, and a changed dimension', async () => {
    givenAlarm(
      described(
        {
          ...BOUNCES_ALARM,
          AlarmActions: [`arn:aws:sns:us-east-1:${ACCOUNT}:other`],
          OKActions: [],
          TreatMissingData: 'breaching',
          Dimensions: [{ Name: 'ses:configuration-set', Value: 'healthmetrics-prod' }],
        },
        BOUNCES,
      ),
    );
    // WHEN
    const { changes } = await converge(bouncesAlarmStep, givenContext());
    // THEN
    expect(changes.map((c) => c.field).sort()).toEqual(['AlarmActions', 'Dimensions', 'OKActions', 'TreatMissingData']);
    expect(puts()).toHaveLength(1);
    expect(puts()[0]).toMatchObject(BOUNCES_ALARM);
  });

  it('add missing tags with TagResource alone', async () => {
    givenAlarm(described(BOUNCE_RATE_ALARM, BOUNCE_RATE), OURS(BOUNCE_RATE).slice(0, 1));
    // WHEN
    const { changes } = await converge(bounceRateAlarmStep, givenContext());
    // THEN
    expect(changes.map((c) => c.field)).toEqual(['tags']);
    expect(cw).toHaveReceivedCommandExactlyOnceWith(TagResourceCommand, {
      ResourceARN: alarmArn(BOUNCE_RATE),
      Tags: OURS(BOUNCE_RATE).slice(1),
    });
    expect(cw).not.toHaveReceivedCommand(PutMetricAlarmCommand);
  });

  it('find nothing when the alarm is gone between the listing and its tags (ResourceNotFoundException)', async () => {
    cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [described(BOUNCE_RATE_ALARM, BOUNCE_RATE)] });
    cw.on(ListTagsForResourceCommand).rejects(awsError('cloudwatch', 'ResourceNotFoundException', 'not found'));
    // WHEN
    const observed = await bounceRateAlarmStep.read(givenContext());
    // THEN
    expect(observed).toBeUndefined();
  });

  it('ignore an alarm of another name the listing returns', async () => {
    cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [described(BOUNCES_ALARM, BOUNCES)] });
    // WHEN
    const observed = await bounceRateAlarmStep.read(givenContext());
    // THEN
    expect(observed).toBeUndefined();
  });

  it('explain the account quota of alarms', async () => {
    cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
    cw.on(PutMetricAlarmCommand).rejects(awsError('cloudwatch', 'LimitExceededFault', 'The maximum number of alarms'));
    // WHEN
    const error = (await converge(bouncesAlarmStep, givenContext()).catch((e: unknown) => e)) as HmError;
    // THEN
    expect(error.code).toBe('LIMIT_REACHED');
    expect(error.hint).toContain('aws cloudwatch describe-alarms');
  });

  it('delete the alarm by name, and count one already gone as removed', async () => {
    cw.on(DeleteAlarmsCommand)
      .resolvesOnce({})
      .rejects(awsError('cloudwatch', 'ResourceNotFound', 'not found'));
    const recorded = { name: BOUNCES, arn: alarmArn(BOUNCES) };
    // WHEN
    await bouncesAlarmStep.destroy(givenContext(), recorded);
    const again = await bouncesAlarmStep.destroy(givenContext(), recorded);
    // THEN
    expect(again).toBeUndefined();
    expect(cw).toHaveReceivedCommandTimes(DeleteAlarmsCommand, 2);
    expect(cw).toHaveReceivedCommandWith(DeleteAlarmsCommand, { AlarmNames: [BOUNCES] });
  });
});
