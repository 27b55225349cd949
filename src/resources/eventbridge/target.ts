import * as z from 'zod/mini';
import { EventBridge } from '../../aws/sdk.js';
import { defineResource } from '../../engine/resource.js';
import type { Step, StepContext } from '../../engine/types.js';
import type { Config } from '../../config/config.js';
import { HmError } from '../../errors.js';
import { eventNames } from '../names.js';

const outputsSchema = z.object({ rule: z.string(), busName: z.string(), targetId: z.string() });
export type TargetOutputs = z.infer<typeof outputsSchema>;

declare module '../../engine/types.js' {
  interface StepOutputs {
    'email-events-target': TargetOutputs;
    'events-target': TargetOutputs;
  }
}

export interface TargetObserved {
  arn: string | undefined;
  /** What changes the event before delivery (InputTransformer, InputPath, Input): the app expects it whole. */
  reshaped: string[];
}

/** The id of the queue among the rule's targets: others someone adds are left alone. */
export const QUEUE_TARGET_ID = 'queue';

interface TargetSpec {
  id: 'email-events-target' | 'events-target';
  title: string;
  rule: 'email-events-rule' | 'events-rule';
  queue: 'email-events-queue' | 'events-queue';
  queueName(config: Config): string;
}

/** The rule delivers to its queue. Removed before the rule (EventBridge refuses to delete a rule with targets). */
export function makeTargetStep(spec: TargetSpec): Step<TargetObserved, TargetOutputs> {
  const describe = (ctx: StepContext) =>
    `target of EventBridge rule ${ctx.outputIfKnown(spec.rule)?.name ?? spec.rule}`;
  const outputs = (ctx: StepContext): TargetOutputs => ({
    rule: ctx.output(spec.rule).name,
    busName: ctx.output(spec.rule).busName,
    targetId: QUEUE_TARGET_ID,
  });
  const write = async (ctx: StepContext): Promise<TargetOutputs> => {
    const rule = ctx.output(spec.rule);
    const res = await ctx.aws.eventbridge().send(
      new EventBridge.PutTargetsCommand({
        Rule: rule.name,
        EventBusName: rule.busName,
        Targets: [{ Id: QUEUE_TARGET_ID, Arn: ctx.output(spec.queue).arn }],
      }),
    );
    const failed = res.FailedEntries?.[0];
    if ((res.FailedEntryCount ?? 0) > 0 || failed)
      throw new HmError(
        'EVENTS_TARGET_REFUSED',
        `EventBridge refused queue ${ctx.output(spec.queue).name} as a target of rule ${rule.name}: ${failed?.ErrorCode ?? 'no reason given'}${failed?.ErrorMessage ? ` (${failed.ErrorMessage})` : ''}`,
        'aws',
        { hint: 'Re-run init; if it happens again, check the rule with `aws events list-targets-by-rule`.' },
      );
    return outputs(ctx);
  };

  return defineResource<TargetObserved, TargetOutputs>({
    id: spec.id,
    title: spec.title,
    service: 'EventBridge',
    dependsOn: [spec.rule, spec.queue],
    describe,
    notFound: (err) => err instanceof EventBridge.ResourceNotFoundException,
    outputsSchema,

    async find(ctx) {
      const rule = ctx.output(spec.rule);
      const res = await ctx.aws
        .eventbridge()
        .send(new EventBridge.ListTargetsByRuleCommand({ Rule: rule.name, EventBusName: rule.busName }));
      const target = res.Targets?.find((t) => t.Id === QUEUE_TARGET_ID);
      if (!target) return undefined;
      const reshaped = (['InputTransformer', 'InputPath', 'Input'] as const).filter((key) => target[key] !== undefined);
      return { arn: target.Arn, reshaped };
    },

    toCreate: (ctx) => ({
      field: 'target',
      to: `queue ${spec.queueName(ctx.config)}`,
      note: 'the rule delivers each matching event, whole, as a message',
    }),

    diff(ctx, observed) {
      const queueArn = ctx.output(spec.queue).arn;
      if (observed.arn !== queueArn)
        return [
          {
            field: 'target',
            action: 'update',
            from: observed.arn ?? 'none',
            to: queueArn,
            note: 'the rule must deliver to its queue',
          },
        ];
      if (observed.reshaped.length > 0)
        return [
          {
            field: 'target',
            action: 'update',
            from: `${queueArn} with ${observed.reshaped.join(', ')}`,
            to: `${queueArn}, each event whole`,
            note: 'the app reads the event as EventBridge delivers it; a transformed message would not parse',
          },
        ];
      return [];
    },

    intent: (ctx) => ({ create: `target ${QUEUE_TARGET_ID} of ${ctx.output(spec.rule).name}` }),
    create: write,
    update: write,
    outputs,

    async remove(ctx, recorded) {
      await ctx.aws.eventbridge().send(
        new EventBridge.RemoveTargetsCommand({
          Rule: recorded.rule,
          EventBusName: recorded.busName,
          Ids: [recorded.targetId],
        }),
      );
    },
  });
}

export const emailEventsTargetStep = makeTargetStep({
  id: 'email-events-target',
  title: 'EventBridge target: email events queue',
  rule: 'email-events-rule',
  queue: 'email-events-queue',
  queueName: eventNames.emailEventsQueue,
});

export const eventsTargetStep = makeTargetStep({
  id: 'events-target',
  title: 'EventBridge target: app events queue',
  rule: 'events-rule',
  queue: 'events-queue',
  queueName: eventNames.eventsQueue,
});
