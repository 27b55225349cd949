import * as z from 'zod/mini';
import { SQS } from '../../aws/sdk.js';
import { defineResource } from '../../engine/resource.js';
import type { Step, StepContext } from '../../engine/types.js';
import { type PolicyDocument, parsePolicyDocument, policyChanges } from '../iam/policy-document.js';

const outputsSchema = z.object({ queueUrl: z.string(), ruleArn: z.string() });
export type QueuePolicyOutputs = z.infer<typeof outputsSchema>;

declare module '../../engine/types.js' {
  interface StepOutputs {
    'email-events-queue-policy': QueuePolicyOutputs;
    'events-queue-policy': QueuePolicyOutputs;
  }
}

export interface QueuePolicyObserved {
  /** The Policy attribute, parsed; undefined when the queue has none. */
  document: unknown;
}

/** Only EventBridge, and only for this one rule, may send to the queue. */
export function ruleDeliveryPolicy(queueArn: string, ruleArn: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'EventBridgeRuleDelivers',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: ['sqs:SendMessage'],
        Resource: [queueArn],
        Condition: { ArnEquals: { 'aws:SourceArn': ruleArn } },
      },
    ],
  };
}

interface QueuePolicySpec {
  id: 'email-events-queue-policy' | 'events-queue-policy';
  title: string;
  queue: 'email-events-queue' | 'events-queue';
  rule: 'email-events-rule' | 'events-rule';
}

/**
 * The queue's resource policy: the rule that feeds it may send, nothing else is granted. A
 * step of its own, so `status` names a changed policy, and teardown clears it before the queue.
 */
export function makeQueuePolicyStep(spec: QueuePolicySpec): Step<QueuePolicyObserved, QueuePolicyOutputs> {
  const wanted = (ctx: StepContext) => ruleDeliveryPolicy(ctx.output(spec.queue).arn, ctx.output(spec.rule).arn);
  const write = async (ctx: StepContext): Promise<QueuePolicyOutputs> => {
    const queueUrl = ctx.output(spec.queue).url;
    await ctx.aws
      .sqs()
      .send(
        new SQS.SetQueueAttributesCommand({ QueueUrl: queueUrl, Attributes: { Policy: JSON.stringify(wanted(ctx)) } }),
      );
    return { queueUrl, ruleArn: ctx.output(spec.rule).arn };
  };

  return defineResource<QueuePolicyObserved, QueuePolicyOutputs>({
    id: spec.id,
    title: spec.title,
    service: 'SQS',
    dependsOn: [spec.queue, spec.rule],
    describe: (ctx) => `policy of SQS queue ${ctx.outputIfKnown(spec.queue)?.name ?? spec.queue}`,
    notFound: (err) => err instanceof SQS.QueueDoesNotExist,
    outputsSchema,

    async find(ctx) {
      const res = await ctx.aws
        .sqs()
        .send(new SQS.GetQueueAttributesCommand({ QueueUrl: ctx.output(spec.queue).url, AttributeNames: ['Policy'] }));
      const raw = res.Attributes?.['Policy'];
      return raw ? { document: parsePolicyDocument(raw) } : undefined;
    },

    toCreate: () => ({
      field: 'policy',
      to: 'sqs:SendMessage by events.amazonaws.com for this rule only (aws:SourceArn)',
      note: 'EventBridge may deliver to the queue only for the rule that feeds it',
    }),

    diff: (ctx, observed) =>
      policyChanges(
        observed.document,
        wanted(ctx),
        'the queue policy was changed outside hm-infra; it is set back to let only the rule send',
      ),

    intent: (ctx) => ({ create: `policy of ${ctx.output(spec.queue).name}` }),
    create: write,
    update: write,
    outputs: (ctx) => ({ queueUrl: ctx.output(spec.queue).url, ruleArn: ctx.output(spec.rule).arn }),

    async remove(ctx, recorded) {
      await ctx.aws
        .sqs()
        .send(new SQS.SetQueueAttributesCommand({ QueueUrl: recorded.queueUrl, Attributes: { Policy: '' } }));
    },
  });
}

export const emailEventsQueuePolicyStep = makeQueuePolicyStep({
  id: 'email-events-queue-policy',
  title: 'SQS queue policy: email events',
  queue: 'email-events-queue',
  rule: 'email-events-rule',
});

export const eventsQueuePolicyStep = makeQueuePolicyStep({
  id: 'events-queue-policy',
  title: 'SQS queue policy: app events',
  queue: 'events-queue',
  rule: 'events-rule',
});
