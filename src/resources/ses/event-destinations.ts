import type { EventDestination } from '@aws-sdk/client-sesv2';
import * as z from 'zod/mini';
import { SES } from '../../aws/sdk.js';
import type { Config } from '../../config/config.js';
import { defineResource } from '../../engine/resource.js';
import type { Step, StepContext, StepId } from '../../engine/types.js';
import { emailEventTypes } from '../eventbridge/rule.js';
import { regionalArn } from '../names.js';
import { configurationSetName } from './configuration-set.js';

const outputsSchema = z.object({ configurationSet: z.string(), name: z.string() });
export type EventDestinationOutputs = z.infer<typeof outputsSchema>;

declare module '../../engine/types.js' {
  interface StepOutputs {
    'email-event-destination': EventDestinationOutputs;
    'email-metrics-destination': EventDestinationOutputs;
  }
}

export interface EventDestinationObserved {
  destination: EventDestination;
}

/** The dimension SES's Bounce and Complaint metrics carry, and the bounce-count alarm reads: SES's configuration-set auto-tag. */
export const CONFIG_SET_DIMENSION = 'ses:configuration-set';

interface Wanted {
  types: string[];
  definition: Omit<EventDestination, 'Name' | 'MatchingEventTypes'>;
  /** Where the events go, in words. */
  where: string;
}

interface DestinationSpec {
  id: 'email-event-destination' | 'email-metrics-destination';
  title: string;
  suffix: string;
  dependsOn: StepId[];
  wanted(ctx: StepContext): Wanted;
  /** Where the events go, in words, from the configuration alone (a plan before anything exists). */
  summary(config: Config): string;
}

const sorted = (values: readonly string[] | undefined) => [...(values ?? [])].sort().join(',');

function differs(live: EventDestination, want: Wanted): string[] {
  const fields: string[] = [];
  if (live.Enabled !== true) fields.push('enabled');
  if (sorted(live.MatchingEventTypes) !== sorted(want.types)) fields.push('event-types');
  const liveBus = live.EventBridgeDestination?.EventBusArn;
  if (liveBus !== want.definition.EventBridgeDestination?.EventBusArn) fields.push('destination');
  const dims = (d: EventDestination['CloudWatchDestination']) =>
    JSON.stringify(
      (d?.DimensionConfigurations ?? [])
        .map((c) => [c.DimensionName, c.DimensionValueSource, c.DefaultDimensionValue])
        .sort(),
    );
  if (dims(live.CloudWatchDestination) !== dims(want.definition.CloudWatchDestination)) fields.push('destination');
  return [...new Set(fields)];
}

/** Both destinations read from one listing per run (the two steps share it). */
const listingKey = (ctx: StepContext) =>
  `sesv2:GetConfigurationSetEventDestinations:${configurationSetName(ctx.config)}`;
const listDestinations = (ctx: StepContext) =>
  ctx.reads.once(listingKey(ctx), () =>
    ctx.aws
      .sesv2()
      .send(
        new SES.GetConfigurationSetEventDestinationsCommand({ ConfigurationSetName: configurationSetName(ctx.config) }),
      ),
  );

function makeEventDestinationStep(spec: DestinationSpec): Step<EventDestinationObserved, EventDestinationOutputs> {
  const name = (config: Config) => `${configurationSetName(config)}-${spec.suffix}`;
  const outputs = (ctx: StepContext) => ({
    configurationSet: configurationSetName(ctx.config),
    name: name(ctx.config),
  });
  const definition = (ctx: StepContext) => {
    const want = spec.wanted(ctx);
    return { ...want.definition, MatchingEventTypes: want.types as EventDestination['MatchingEventTypes'] };
  };

  return defineResource<EventDestinationObserved, EventDestinationOutputs>({
    id: spec.id,
    title: spec.title,
    service: 'SES',
    dependsOn: ['email-config-set', ...spec.dependsOn],
    describe: (ctx) =>
      `event destination ${name(ctx.config)} of SES configuration set ${configurationSetName(ctx.config)}`,
    notFound: (err) => err instanceof SES.NotFoundException,
    alreadyExists: (err) => err instanceof SES.AlreadyExistsException,
    outputsSchema,

    async find(ctx) {
      const res = await listDestinations(ctx);
      const destination = res.EventDestinations?.find((d) => d.Name === name(ctx.config));
      return destination ? { destination } : undefined;
    },

    toCreate: (ctx) => ({
      field: 'event-destination',
      to: `${name(ctx.config)}: ${spec.summary(ctx.config)}`,
      note: 'SES publishes the events of every email sent through the configuration set',
    }),

    diff(ctx, observed) {
      const want = spec.wanted(ctx);
      return differs(observed.destination, want).map((field) => ({
        field,
        action: 'update' as const,
        from:
          field === 'enabled'
            ? 'disabled'
            : field === 'event-types'
              ? sorted(observed.destination.MatchingEventTypes) || 'none'
              : 'another destination',
        to: field === 'enabled' ? 'enabled' : field === 'event-types' ? sorted(want.types) : want.where,
        note: 'the event destination was changed outside hm-infra; it is set back',
      }));
    },

    intent: (ctx) => ({ create: name(ctx.config) }),

    async create(ctx) {
      ctx.reads.forget(listingKey(ctx));
      await ctx.aws.sesv2().send(
        new SES.CreateConfigurationSetEventDestinationCommand({
          ConfigurationSetName: configurationSetName(ctx.config),
          EventDestinationName: name(ctx.config),
          EventDestination: definition(ctx),
        }),
      );
      return outputs(ctx);
    },

    async update(ctx) {
      ctx.reads.forget(listingKey(ctx));
      await ctx.aws.sesv2().send(
        new SES.UpdateConfigurationSetEventDestinationCommand({
          ConfigurationSetName: configurationSetName(ctx.config),
          EventDestinationName: name(ctx.config),
          EventDestination: definition(ctx),
        }),
      );
    },

    outputs,

    async remove(ctx, recorded) {
      await ctx.aws.sesv2().send(
        new SES.DeleteConfigurationSetEventDestinationCommand({
          ConfigurationSetName: recorded.configurationSet,
          EventDestinationName: recorded.name,
        }),
      );
    },
  });
}

/** SES publishes only to the account's default bus (the API reference of EventBridgeDestination). */
export const defaultBusArn = (ctx: StepContext) =>
  regionalArn(ctx.output('account'), ctx.config.region, 'events', 'event-bus/default');

/**
 * Bounces, complaints, rejections, delays and rendering failures (deliveries with
 * --track-deliveries) to the default bus, where the email-events rule picks them up. Made once
 * the rule, its target and the queue policy are in place, so no event is published into nothing.
 */
export const emailEventDestinationStep = makeEventDestinationStep({
  id: 'email-event-destination',
  title: 'SES event destination: EventBridge',
  suffix: 'eventbridge',
  dependsOn: ['email-events-target', 'email-events-queue-policy'],
  wanted: (ctx) => ({
    types: emailEventTypes(ctx.config),
    definition: { Enabled: true, EventBridgeDestination: { EventBusArn: defaultBusArn(ctx) } },
    where: "the account's default EventBridge bus",
  }),
  summary: (config) =>
    `${emailEventTypes(config)
      .map((t) => t.toLowerCase())
      .join(', ')} to the default EventBridge bus`,
});

/**
 * Bounce and complaint counts to CloudWatch under the configuration set's dimension: what the
 * bounce-count alarm reads (SES publishes no per-set counts without such a destination).
 */
export const emailMetricsDestinationStep = makeEventDestinationStep({
  id: 'email-metrics-destination',
  title: 'SES event destination: CloudWatch',
  suffix: 'cloudwatch',
  dependsOn: [],
  wanted: (ctx) => ({
    types: ['BOUNCE', 'COMPLAINT'],
    definition: {
      Enabled: true,
      CloudWatchDestination: {
        DimensionConfigurations: [
          {
            DimensionName: CONFIG_SET_DIMENSION,
            DimensionValueSource: 'MESSAGE_TAG',
            DefaultDimensionValue: configurationSetName(ctx.config),
          },
        ],
      },
    },
    where: `CloudWatch metrics by ${CONFIG_SET_DIMENSION}`,
  }),
  summary: () => `bounce and complaint counts to CloudWatch by ${CONFIG_SET_DIMENSION}`,
});
