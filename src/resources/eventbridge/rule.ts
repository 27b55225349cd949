import * as z from 'zod/mini';
import { isEventBridgeCode } from '../../aws/errors.js';
import { EventBridge } from '../../aws/sdk.js';
import type { Config } from '../../config/config.js';
import { defineResource } from '../../engine/resource.js';
import type { Change, Step, StepContext, StepId } from '../../engine/types.js';
import { HmError } from '../../errors.js';
import { configurationSetName } from '../ses/configuration-set.js';
import { eventNames } from '../names.js';
import { missingTags, resourceTags, tagChanges } from '../tags.js';
import { eventBridgeTags, limitReached } from './common.js';

const outputsSchema = z.object({ name: z.string(), arn: z.string(), busName: z.string() });
export type RuleOutputs = z.infer<typeof outputsSchema>;

declare module '../../engine/types.js' {
  interface StepOutputs {
    'email-events-rule': RuleOutputs;
    'events-rule': RuleOutputs;
  }
}

export interface RuleObserved {
  arn: string;
  pattern: unknown;
  state: string | undefined;
  tags: Array<{ Key?: string | undefined; Value?: string | undefined }>;
}

/** SES's event types and the detail-type each has on EventBridge. */
export const SES_DETAIL_TYPES = {
  BOUNCE: 'Email Bounced',
  COMPLAINT: 'Email Complaint Received',
  REJECT: 'Email Rejected',
  DELIVERY_DELAY: 'Email Delivery Delayed',
  RENDERING_FAILURE: 'Email Rendering Failed',
  DELIVERY: 'Email Delivered',
} as const;
export type SesEventType = keyof typeof SES_DETAIL_TYPES;

/** The SES events the app is told of: what went wrong, and deliveries with --track-deliveries. */
export function emailEventTypes(config: Config): SesEventType[] {
  const types: SesEventType[] = ['BOUNCE', 'COMPLAINT', 'REJECT', 'DELIVERY_DELAY', 'RENDERING_FAILURE'];
  return config.trackDeliveries ? [...types, 'DELIVERY'] : types;
}

/** Exactly those SES events, of this environment's configuration set (SES tags every event with it). */
export function emailEventsPattern(config: Config): object {
  return {
    source: ['aws.ses'],
    'detail-type': emailEventTypes(config).map((t) => SES_DETAIL_TYPES[t]),
    detail: { mail: { tags: { 'ses:configuration-set': [configurationSetName(config)] } } },
  };
}

/** One form per meaning: keys sorted, and the value lists of a pattern as sets. */
function canonicalPattern(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => JSON.stringify(canonicalPattern(v))).sort();
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => [k, canonicalPattern(v)]),
  );
}

export const samePattern = (a: unknown, b: unknown) =>
  JSON.stringify(canonicalPattern(a)) === JSON.stringify(canonicalPattern(b));

function parsePattern(raw: string | undefined): unknown {
  if (raw === undefined) return null;
  try {
    return JSON.parse(raw) as unknown;
  } catch (err) {
    if (err instanceof SyntaxError) return null;
    throw err;
  }
}

interface RuleSpec {
  id: 'email-events-rule' | 'events-rule';
  title: string;
  name(config: Config): string;
  /** The bus: SES publishes to the account's default bus; the app's events go to its own. */
  bus: { default: true } | { step: 'events-bus' };
  pattern(ctx: StepContext): object;
  /** The pattern in words, for the plan. */
  summary(config: Config): string;
  description: string;
  dependsOn: StepId[];
}

export function makeRuleStep(spec: RuleSpec): Step<RuleObserved, RuleOutputs> {
  const busName = (ctx: StepContext) =>
    'default' in spec.bus ? 'default' : (ctx.outputIfKnown(spec.bus.step)?.name ?? eventNames.eventBus(ctx.config));
  const describe = (ctx: StepContext) =>
    `EventBridge rule ${spec.name(ctx.config)}${'default' in spec.bus ? '' : ` on bus ${busName(ctx)}`}`;
  const tagsToAdd = (ctx: StepContext, observed: RuleObserved) =>
    missingTags(observed.tags, resourceTags(ctx.config, spec.name(ctx.config)));
  const put = (ctx: StepContext, tags: boolean) =>
    ctx.aws.eventbridge().send(
      new EventBridge.PutRuleCommand({
        Name: spec.name(ctx.config),
        EventBusName: busName(ctx),
        EventPattern: JSON.stringify(spec.pattern(ctx)),
        State: 'ENABLED',
        Description: spec.description,
        ...(tags ? { Tags: resourceTags(ctx.config, spec.name(ctx.config)) } : {}),
      }),
    );

  return defineResource<RuleObserved, RuleOutputs>({
    id: spec.id,
    title: spec.title,
    service: 'EventBridge',
    dependsOn: spec.dependsOn,
    describe,
    notFound: (err) => err instanceof EventBridge.ResourceNotFoundException,
    outputsSchema,

    async find(ctx) {
      const rule = await ctx.aws
        .eventbridge()
        .send(new EventBridge.DescribeRuleCommand({ Name: spec.name(ctx.config), EventBusName: busName(ctx) }));
      if (!rule.Arn) return undefined;
      return {
        arn: rule.Arn,
        pattern: parsePattern(rule.EventPattern),
        state: rule.State,
        tags: await eventBridgeTags(ctx, rule.Arn),
      };
    },

    toCreate: (ctx) => ({
      field: 'rule',
      to: `${spec.name(ctx.config)} on the ${busName(ctx)} bus: ${spec.summary(ctx.config)}`,
      note: spec.description,
    }),

    diff(ctx, observed) {
      const changes: Change[] = [];
      if (!samePattern(observed.pattern, spec.pattern(ctx)))
        changes.push({
          field: 'event-pattern',
          action: 'update',
          from: observed.pattern === null ? 'unreadable' : JSON.stringify(observed.pattern),
          to: JSON.stringify(spec.pattern(ctx)),
          note: 'the rule must match exactly these events',
        });
      if (observed.state !== 'ENABLED')
        changes.push({
          field: 'state',
          action: 'update',
          from: observed.state ?? 'unknown',
          to: 'ENABLED',
          note: 'a disabled rule delivers nothing',
        });
      return [...changes, ...tagChanges(tagsToAdd(ctx, observed))];
    },

    intent: (ctx) => ({ create: spec.name(ctx.config), bus: busName(ctx) }),

    async create(ctx) {
      const res = await put(ctx, true);
      if (!res.RuleArn) throw new HmError('AWS_ERROR', `EventBridge returned no ARN for ${describe(ctx)}`, 'aws');
      return { name: spec.name(ctx.config), arn: res.RuleArn, busName: busName(ctx) };
    },

    async update(ctx, observed, changes) {
      if (changes.some((c) => c.field !== 'tags')) await put(ctx, false);
      const tags = tagsToAdd(ctx, observed);
      if (tags.length > 0)
        await ctx.aws.eventbridge().send(new EventBridge.TagResourceCommand({ ResourceARN: observed.arn, Tags: tags }));
    },

    outputs: (ctx, observed) => ({ name: spec.name(ctx.config), arn: observed.arn, busName: busName(ctx) }),

    async remove(ctx, recorded) {
      await ctx.aws
        .eventbridge()
        .send(new EventBridge.DeleteRuleCommand({ Name: recorded.name, EventBusName: recorded.busName }));
    },

    explain(ctx, err, doing) {
      if (doing === 'delete' && isEventBridgeCode(err, 'ValidationException') && /target/i.test((err as Error).message))
        return new HmError(
          'EVENTS_RULE_IN_USE',
          `${describe(ctx)} still has targets that hm-infra did not add, so it is not deleted`,
          'aws',
          {
            hint: `List them with \`aws events list-targets-by-rule --rule ${spec.name(ctx.config)} --event-bus-name ${busName(ctx)}\`, remove them, then re-run teardown.`,
            cause: err,
          },
        );
      return limitReached(err, doing, 'EventBridge rules on this bus');
    },
  });
}

export const emailEventsRuleStep = makeRuleStep({
  id: 'email-events-rule',
  title: 'EventBridge rule: email events',
  name: eventNames.emailEventsRule,
  bus: { default: true },
  pattern: (ctx) => emailEventsPattern(ctx.config),
  summary: (config) =>
    `SES ${emailEventTypes(config)
      .map((t) => t.toLowerCase().replace('_', ' '))
      .join(', ')} events of configuration set ${configurationSetName(config)}`,
  description: "SES bounce and complaint events of this environment's configuration set, to its email-events queue",
  dependsOn: ['account'],
});

export const eventsRuleStep = makeRuleStep({
  id: 'events-rule',
  title: 'EventBridge rule: app events',
  name: eventNames.eventsRule,
  bus: { step: 'events-bus' },
  pattern: (ctx) => ({ account: [ctx.output('account').accountId] }),
  summary: () => 'every event put on the bus by this account',
  description: "the app's domain events, to the events queue the email handler reads",
  dependsOn: ['events-bus'],
});
