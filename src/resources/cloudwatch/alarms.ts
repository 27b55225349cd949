import type { MetricAlarm, PutMetricAlarmCommandInput } from '@aws-sdk/client-cloudwatch';
import * as z from 'zod/mini';
import { CloudWatch } from '../../aws/sdk.js';
import type { Config } from '../../config/config.js';
import { defineResource } from '../../engine/resource.js';
import type { Step, StepContext } from '../../engine/types.js';
import { HmError } from '../../errors.js';
import { CONFIG_SET_DIMENSION } from '../ses/event-destinations.js';
import { configurationSetName } from '../ses/configuration-set.js';
import { eventNames, regionalArn } from '../names.js';
import { missingTags, resourceTags, tagChanges } from '../tags.js';

const outputsSchema = z.object({ name: z.string(), arn: z.string() });
export type AlarmOutputs = z.infer<typeof outputsSchema>;

declare module '../../engine/types.js' {
  interface StepOutputs {
    'alarm-bounce-rate': AlarmOutputs;
    'alarm-complaint-rate': AlarmOutputs;
    'alarm-bounces': AlarmOutputs;
  }
}

export interface AlarmObserved {
  alarm: MetricAlarm;
  tags: Array<{ Key?: string | undefined; Value?: string | undefined }>;
}

/**
 * SES reviews an account whose bounce rate reaches 5% or complaint rate 0.1% (and may pause
 * sending at 10% and 0.5%: the SES developer guide, "Reputation metrics messages"). The alarms
 * go off a little below review, with time to act.
 */
export const BOUNCE_RATE_THRESHOLD = 0.04;
export const COMPLAINT_RATE_THRESHOLD = 0.0008;
/** The PRD's bounce-count alarm: more than 50 bounces in an hour. */
export const BOUNCE_COUNT_THRESHOLD = 50;

type AlarmId = 'alarm-bounce-rate' | 'alarm-complaint-rate' | 'alarm-bounces';

interface AlarmSpec {
  id: AlarmId;
  title: string;
  suffix: string;
  /** The alarm's definition, without its name, actions and tags. */
  definition(config: Config): Omit<PutMetricAlarmCommandInput, 'AlarmName' | 'AlarmActions' | 'OKActions' | 'Tags'>;
  /** What it watches, in words. */
  summary: string;
  dependsOn: string[];
}

/** The settings compared between the alarm as read and as wanted. */
const COMPARED = [
  'Namespace',
  'MetricName',
  'Statistic',
  'Period',
  'EvaluationPeriods',
  'Threshold',
  'ComparisonOperator',
  'TreatMissingData',
  'ActionsEnabled',
] as const;

const dims = (d: ReadonlyArray<{ Name?: string | undefined; Value?: string | undefined }> | undefined) =>
  JSON.stringify((d ?? []).map((x) => [x.Name, x.Value]).sort());
const list = (v: readonly string[] | undefined) => [...(v ?? [])].sort().join(',');

export function makeAlarmStep(spec: AlarmSpec): Step<AlarmObserved, AlarmOutputs> {
  const name = (config: Config) => eventNames.alarm(config, spec.suffix);
  const wanted = (ctx: StepContext): PutMetricAlarmCommandInput => {
    const topic = ctx.output('alerts-topic').arn;
    return {
      AlarmName: name(ctx.config),
      ActionsEnabled: true,
      AlarmActions: [topic],
      OKActions: [topic],
      TreatMissingData: 'notBreaching',
      ...spec.definition(ctx.config),
    };
  };
  const tagsToAdd = (ctx: StepContext, observed: AlarmObserved) =>
    missingTags(observed.tags, resourceTags(ctx.config, name(ctx.config)));
  const put = (ctx: StepContext, tags: boolean) =>
    ctx.aws.cloudwatch().send(
      new CloudWatch.PutMetricAlarmCommand({
        ...wanted(ctx),
        ...(tags ? { Tags: resourceTags(ctx.config, name(ctx.config)) } : {}),
      }),
    );
  const differing = (ctx: StepContext, alarm: MetricAlarm): string[] => {
    const want = wanted(ctx);
    const fields: string[] = COMPARED.filter((key) => alarm[key] !== want[key]);
    if (dims(alarm.Dimensions) !== dims(want.Dimensions)) fields.push('Dimensions');
    if (list(alarm.AlarmActions) !== list(want.AlarmActions)) fields.push('AlarmActions');
    if (list(alarm.OKActions) !== list(want.OKActions)) fields.push('OKActions');
    return fields;
  };

  return defineResource<AlarmObserved, AlarmOutputs>({
    id: spec.id,
    title: spec.title,
    service: 'CloudWatch',
    dependsOn: ['alerts-topic', ...spec.dependsOn],
    describe: (ctx) => `CloudWatch alarm ${name(ctx.config)}`,
    // DeleteAlarms answers ResourceNotFound for a name it does not know; the tag calls ResourceNotFoundException.
    notFound: [
      (err) => err instanceof CloudWatch.ResourceNotFound,
      (err) => err instanceof CloudWatch.ResourceNotFoundException,
    ],
    outputsSchema,

    async find(ctx) {
      const cw = ctx.aws.cloudwatch();
      const res = await cw.send(
        new CloudWatch.DescribeAlarmsCommand({ AlarmNames: [name(ctx.config)], AlarmTypes: ['MetricAlarm'] }),
      );
      const alarm = res.MetricAlarms?.find((a) => a.AlarmName === name(ctx.config));
      if (!alarm?.AlarmArn) return undefined;
      const tags = await cw.send(new CloudWatch.ListTagsForResourceCommand({ ResourceARN: alarm.AlarmArn }));
      return { alarm, tags: tags.Tags ?? [] };
    },

    toCreate: (ctx) => ({
      field: 'alarm',
      to: `${name(ctx.config)}: ${spec.summary}, to topic ${ctx.outputIfKnown('alerts-topic')?.name ?? eventNames.alertsTopic(ctx.config)}`,
      note: 'billed per alarm-month (about $0.10)',
    }),

    diff(ctx, observed) {
      const want = wanted(ctx) as unknown as Record<string, unknown>;
      const live = observed.alarm as unknown as Record<string, unknown>;
      return [
        ...differing(ctx, observed.alarm).map((field) => ({
          field,
          action: 'update' as const,
          from: JSON.stringify(live[field] ?? null),
          to: JSON.stringify(want[field] ?? null),
          note: 'the alarm was changed outside hm-infra; it is set back',
        })),
        ...tagChanges(tagsToAdd(ctx, observed)),
      ];
    },

    intent: (ctx) => ({ create: name(ctx.config) }),

    async create(ctx) {
      // PutMetricAlarm answers nothing; the ARN is the alarm's name in this account and region.
      await put(ctx, true);
      const arn = regionalArn(ctx.output('account'), ctx.config.region, 'cloudwatch', `alarm:${name(ctx.config)}`);
      return { name: name(ctx.config), arn };
    },

    async update(ctx, observed) {
      // PutMetricAlarm replaces the whole alarm; tags are kept.
      if (differing(ctx, observed.alarm).length > 0) await put(ctx, false);
      const tags = tagsToAdd(ctx, observed);
      if (tags.length > 0 && observed.alarm.AlarmArn)
        await ctx.aws
          .cloudwatch()
          .send(new CloudWatch.TagResourceCommand({ ResourceARN: observed.alarm.AlarmArn, Tags: tags }));
    },

    outputs: (ctx, observed) => ({ name: name(ctx.config), arn: observed.alarm.AlarmArn ?? '' }),

    async remove(ctx, recorded) {
      await ctx.aws.cloudwatch().send(new CloudWatch.DeleteAlarmsCommand({ AlarmNames: [recorded.name] }));
    },

    explain(_ctx, err, doing) {
      if (doing === 'create' && err instanceof CloudWatch.LimitExceededFault)
        return new HmError('LIMIT_REACHED', 'this AWS account has reached its quota of CloudWatch alarms', 'aws', {
          hint: 'Delete unused alarms (`aws cloudwatch describe-alarms`), then re-run.',
          cause: err,
        });
      return undefined;
    },
  });
}

/**
 * An alarm on one of the account's reputation rates, which SES publishes whenever the account
 * sends: a little below the rate at which SES reviews the account.
 */
function reputationAlarm(spec: {
  id: 'alarm-bounce-rate' | 'alarm-complaint-rate';
  what: 'bounce' | 'complaint';
  metric: 'Reputation.BounceRate' | 'Reputation.ComplaintRate';
  threshold: number;
  review: string;
}): Step<AlarmObserved, AlarmOutputs> {
  const words = `SES ${spec.what} rate at ${spec.threshold * 100}% or more`;
  return makeAlarmStep({
    id: spec.id,
    title: `CloudWatch alarm: ${spec.what} rate`,
    suffix: `${spec.what}-rate`,
    summary: `the account's ${words} (SES reviews at ${spec.review})`,
    dependsOn: [],
    definition: () => ({
      AlarmDescription: `${words}: SES puts the account under review at ${spec.review}`,
      Namespace: 'AWS/SES',
      MetricName: spec.metric,
      Statistic: 'Maximum',
      Period: 3600,
      EvaluationPeriods: 1,
      Threshold: spec.threshold,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    }),
  });
}

export const bounceRateAlarmStep = reputationAlarm({
  id: 'alarm-bounce-rate',
  what: 'bounce',
  metric: 'Reputation.BounceRate',
  threshold: BOUNCE_RATE_THRESHOLD,
  review: '5%',
});

export const complaintRateAlarmStep = reputationAlarm({
  id: 'alarm-complaint-rate',
  what: 'complaint',
  metric: 'Reputation.ComplaintRate',
  threshold: COMPLAINT_RATE_THRESHOLD,
  review: '0.1%',
});

/** The PRD's alarm, on the counts the CloudWatch event destination publishes under the configuration set's dimension. */
export const bouncesAlarmStep = makeAlarmStep({
  id: 'alarm-bounces',
  title: 'CloudWatch alarm: bounces',
  suffix: 'bounces',
  summary: `more than ${BOUNCE_COUNT_THRESHOLD} bounces in an hour through the configuration set`,
  dependsOn: ['email-metrics-destination'],
  definition: (config) => ({
    AlarmDescription: `More than ${BOUNCE_COUNT_THRESHOLD} bounces in an hour through SES configuration set ${configurationSetName(config)}`,
    Namespace: 'AWS/SES',
    MetricName: 'Bounce',
    Dimensions: [{ Name: CONFIG_SET_DIMENSION, Value: configurationSetName(config) }],
    Statistic: 'Sum',
    Period: 3600,
    EvaluationPeriods: 1,
    Threshold: BOUNCE_COUNT_THRESHOLD,
    ComparisonOperator: 'GreaterThanThreshold',
  }),
});
