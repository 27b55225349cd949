/**
 * CloudWatch alarms of the fake account, per region, to AWS's documented behaviour:
 *
 * - PutMetricAlarm creates an alarm in state INSUFFICIENT_DATA, or replaces the configuration
 *   of an existing one (its state left as it is; Tags only on create, "any tags you specify in
 *   this parameter are ignored" on update). It checks what AWS checks: the required members, a
 *   metric given either as one metric with exactly one of Statistic or ExtendedStatistic and a
 *   Period of 10, 20, 30 or a multiple of 60, or as a Metrics list with none of those, the
 *   enums, a Threshold unless ThresholdMetricId, DatapointsToAlarm ≤ EvaluationPeriods
 *   (ValidationError, which the SDK raises as ValidationException).
 * - DescribeAlarms with AlarmNames lists those that exist (a name that does not is no error).
 * - DeleteAlarms deletes the alarms it knows and ignores the names it does not: the API
 *   reference models ResourceNotFound for it, but its text (SDK 3.11xx) says "If you specify any
 *   incorrect alarm names, the alarms you specify with correct names are still deleted", and
 *   AWS answers 200 for a name it does not know (reported by the CloudFormation alarm handler's
 *   maintainers). A missing AlarmNames is refused.
 * - ListTagsForResource / TagResource / UntagResource on an alarm ARN
 *   (`arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME`); one that does not exist is
 *   ResourceNotFoundException.
 */
import { type Handler, awsError } from './errors.js';

type Tag = { Key: string; Value: string };
type Json = Record<string, unknown>;

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

export interface FakeAlarm {
  name: string;
  arn: string;
  region: string;
  /** The configuration as PutMetricAlarm gave it (Tags left out). */
  config: Json;
  state: AlarmState;
  stateReason: string;
  stateUpdatedAt: Date;
  configUpdatedAt: Date;
  tags: Tag[];
}

const COMPARISONS = [
  'GreaterThanOrEqualToThreshold',
  'GreaterThanThreshold',
  'LessThanThreshold',
  'LessThanOrEqualToThreshold',
  'LessThanLowerOrGreaterThanUpperThreshold',
  'LessThanLowerThreshold',
  'GreaterThanUpperThreshold',
];
const STATISTICS = ['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum'];
const MISSING_DATA = ['breaching', 'notBreaching', 'ignore', 'missing'];
const METRIC_MEMBERS = ['MetricName', 'Namespace', 'Statistic', 'ExtendedStatistic', 'Dimensions', 'Period', 'Unit'];

const clone = <T>(v: T): T => structuredClone(v);
const invalid = (message: string) => awsError('cloudwatch', 'ValidationException', message);
const required = (member: string) =>
  invalid(
    `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`,
  );
const notInEnum = (member: string, value: unknown, values: string[]) =>
  invalid(
    `1 validation error detected: Value '${String(value)}' at '${member}' failed to satisfy constraint: Member must satisfy enum value set: [${values.join(', ')}]`,
  );

/** What AWS refuses in a PutMetricAlarm, in the order it checks. */
function check(input: Json): void {
  const name = input['AlarmName'];
  if (typeof name !== 'string' || name === '') throw required('alarmName');
  if (name.length > 255)
    throw invalid(
      `1 validation error detected: Value '${name}' at 'alarmName' failed to satisfy constraint: Member must have length less than or equal to 255`,
    );
  if (input['EvaluationPeriods'] === undefined) throw required('evaluationPeriods');
  if (input['ComparisonOperator'] === undefined) throw required('comparisonOperator');
  if (!COMPARISONS.includes(String(input['ComparisonOperator'])))
    throw notInEnum('comparisonOperator', input['ComparisonOperator'], COMPARISONS);
  const evaluationPeriods = Number(input['EvaluationPeriods']);
  if (!Number.isInteger(evaluationPeriods) || evaluationPeriods < 1)
    throw invalid(
      `1 validation error detected: Value '${String(input['EvaluationPeriods'])}' at 'evaluationPeriods' failed to satisfy constraint: Member must have value greater than or equal to 1`,
    );
  if (input['Statistic'] !== undefined && !STATISTICS.includes(String(input['Statistic'])))
    throw notInEnum('statistic', input['Statistic'], STATISTICS);
  if (input['TreatMissingData'] !== undefined && !MISSING_DATA.includes(String(input['TreatMissingData'])))
    throw invalid(`The value ${String(input['TreatMissingData'])} is not supported for TreatMissingData.`);
  const metrics = input['Metrics'] as unknown[] | undefined;
  if (metrics !== undefined) {
    for (const member of METRIC_MEMBERS) {
      if (input[member] !== undefined) throw invalid(`${member} should not be set if list of Metrics is set.`);
    }
    if (metrics.length === 0) throw invalid('Exactly one element of the metrics list should return data.');
  } else {
    if (input['MetricName'] === undefined) throw invalid('MetricName must be set if the list of Metrics is not set.');
    if (input['Namespace'] === undefined) throw invalid('Namespace must be set if the list of Metrics is not set.');
    const statistics = ['Statistic', 'ExtendedStatistic'].filter((m) => input[m] !== undefined);
    if (statistics.length !== 1)
      throw invalid(
        statistics.length === 0
          ? 'Exactly one of Statistic or ExtendedStatistic must be set if the list of Metrics is not set.'
          : 'Statistic and ExtendedStatistic may not both be set.',
      );
    const period = input['Period'];
    if (period === undefined) throw invalid('Period must be set if the list of Metrics is not set.');
    const seconds = Number(period);
    if (![10, 20, 30].includes(seconds) && !(Number.isInteger(seconds) && seconds >= 60 && seconds % 60 === 0))
      throw invalid('The parameter Period must be 10, 20, 30, or a multiple of 60.');
  }
  if (input['Threshold'] === undefined && input['ThresholdMetricId'] === undefined)
    throw invalid('Threshold must be set if ThresholdMetricId is not set.');
  const datapoints = input['DatapointsToAlarm'];
  if (datapoints !== undefined && Number(datapoints) > evaluationPeriods)
    throw invalid('DatapointsToAlarm must be less than or equal to EvaluationPeriods.');
}

export class FakeCloudWatch {
  /** Alarms by `region/name`. */
  private readonly alarms = new Map<string, FakeAlarm>();

  constructor(
    private readonly accountId: () => string,
    private readonly now: () => number = () => Date.now(),
  ) {}

  alarmArn(region: string, name: string): string {
    return `arn:aws:cloudwatch:${region}:${this.accountId()}:alarm:${name}`;
  }

  alarm(region: string, name: string): FakeAlarm | undefined {
    return this.alarms.get(`${region}/${name}`);
  }

  /** Moves an alarm to a state, as CloudWatch's evaluation (or SetAlarmState) would. */
  setState(region: string, name: string, state: AlarmState, reason = 'Set by a test'): void {
    const alarm = this.alarm(region, name);
    if (!alarm) throw new Error(`no alarm ${name} in ${region}`);
    alarm.state = state;
    alarm.stateReason = reason;
    alarm.stateUpdatedAt = new Date(this.now());
  }

  snapshot(): unknown {
    return clone(
      [...this.alarms.values()]
        .sort((a, b) => `${a.region}/${a.name}`.localeCompare(`${b.region}/${b.name}`))
        .map((a) => ({ region: a.region, name: a.name, config: a.config, state: a.state, tags: a.tags })),
    );
  }

  private byArn(region: string, arn: unknown): FakeAlarm {
    const match = /^arn:aws[a-z-]*:cloudwatch:([^:]+):(\d{12}):alarm:(.+)$/.exec(String(arn ?? ''));
    const alarm = match && match[2] === this.accountId() ? this.alarm(match[1] ?? region, match[3] ?? '') : undefined;
    if (!alarm)
      throw awsError('cloudwatch', 'ResourceNotFoundException', `The specified resource ${String(arn)} was not found.`);
    return alarm;
  }

  private describe(a: FakeAlarm): Json {
    const c = a.config;
    return {
      AlarmName: a.name,
      AlarmArn: a.arn,
      AlarmDescription: c['AlarmDescription'],
      AlarmConfigurationUpdatedTimestamp: a.configUpdatedAt,
      ActionsEnabled: c['ActionsEnabled'] ?? true,
      OKActions: c['OKActions'] ?? [],
      AlarmActions: c['AlarmActions'] ?? [],
      InsufficientDataActions: c['InsufficientDataActions'] ?? [],
      StateValue: a.state,
      StateReason: a.stateReason,
      StateUpdatedTimestamp: a.stateUpdatedAt,
      StateTransitionedTimestamp: a.stateUpdatedAt,
      MetricName: c['MetricName'],
      Namespace: c['Namespace'],
      Statistic: c['Statistic'],
      ExtendedStatistic: c['ExtendedStatistic'],
      Dimensions: c['Metrics'] === undefined ? (c['Dimensions'] ?? []) : undefined,
      Period: c['Period'],
      Unit: c['Unit'],
      EvaluationPeriods: c['EvaluationPeriods'],
      DatapointsToAlarm: c['DatapointsToAlarm'],
      Threshold: c['Threshold'],
      ComparisonOperator: c['ComparisonOperator'],
      TreatMissingData: c['TreatMissingData'],
      EvaluateLowSampleCountPercentile: c['EvaluateLowSampleCountPercentile'],
      Metrics: c['Metrics'],
      ThresholdMetricId: c['ThresholdMetricId'],
    };
  }

  handlers(): Record<string, Handler> {
    return {
      'cloudwatch:PutMetricAlarm': (input, region) => {
        check(input);
        const name = String(input['AlarmName']);
        const { Tags: tags, ...config } = clone(input);
        const existing = this.alarm(region, name);
        const now = new Date(this.now());
        if (existing) {
          existing.config = config;
          existing.configUpdatedAt = now;
          return {};
        }
        this.alarms.set(`${region}/${name}`, {
          name,
          arn: this.alarmArn(region, name),
          region,
          config,
          state: 'INSUFFICIENT_DATA',
          stateReason: 'Unchecked: Initial alarm creation',
          stateUpdatedAt: now,
          configUpdatedAt: now,
          tags: (tags as Tag[] | undefined) ?? [],
        });
        return {};
      },
      'cloudwatch:DescribeAlarms': (input, region) => {
        const names = input['AlarmNames'] as string[] | undefined;
        const prefix = input['AlarmNamePrefix'] as string | undefined;
        if (names !== undefined && prefix !== undefined)
          throw awsError(
            'cloudwatch',
            'InvalidParameterCombinationException',
            'AlarmNames and AlarmNamePrefix cannot be used together.',
          );
        const state = input['StateValue'] as string | undefined;
        const types = (input['AlarmTypes'] as string[] | undefined) ?? ['MetricAlarm'];
        const alarms = [...this.alarms.values()]
          .filter((a) => a.region === region)
          .filter((a) => names === undefined || names.includes(a.name))
          .filter((a) => prefix === undefined || a.name.startsWith(prefix))
          .filter((a) => state === undefined || a.state === state)
          .sort((a, b) => a.name.localeCompare(b.name));
        return {
          MetricAlarms: types.includes('MetricAlarm') ? alarms.map((a) => this.describe(a)) : [],
          CompositeAlarms: [],
        };
      },
      'cloudwatch:DeleteAlarms': (input, region) => {
        const names = input['AlarmNames'] as string[] | undefined;
        if (names === undefined || names.length === 0) throw required('alarmNames');
        for (const name of names) this.alarms.delete(`${region}/${name}`);
        return {};
      },
      'cloudwatch:SetAlarmState': (input, region) => {
        const name = String(input['AlarmName'] ?? '');
        if (!this.alarm(region, name)) throw awsError('cloudwatch', 'ResourceNotFound', `Alarm ${name} not found`);
        this.setState(region, name, input['StateValue'] as AlarmState, String(input['StateReason'] ?? ''));
        return {};
      },
      'cloudwatch:ListTagsForResource': (input, region) => ({
        Tags: clone(this.byArn(region, input['ResourceARN']).tags),
      }),
      'cloudwatch:TagResource': (input, region) => {
        const alarm = this.byArn(region, input['ResourceARN']);
        for (const tag of (input['Tags'] as Tag[] | undefined) ?? [])
          alarm.tags = [...alarm.tags.filter((t) => t.Key !== tag.Key), tag];
        return {};
      },
      'cloudwatch:UntagResource': (input, region) => {
        const alarm = this.byArn(region, input['ResourceARN']);
        const keys = new Set((input['TagKeys'] as string[] | undefined) ?? []);
        alarm.tags = alarm.tags.filter((t) => !keys.has(t.Key));
        return {};
      },
    };
  }
}
