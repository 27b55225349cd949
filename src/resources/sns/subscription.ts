import * as z from 'zod/mini';
import { SNS } from '../../aws/sdk.js';
import { defineResource } from '../../engine/resource.js';
import type { StepContext } from '../../engine/types.js';

const outputsSchema = z.object({
  topicArn: z.string(),
  endpoint: z.string(),
  /** The subscription's ARN once confirmed; 'PendingConfirmation' until the address confirms. */
  subscriptionArn: z.string(),
});
export type SubscriptionOutputs = z.infer<typeof outputsSchema>;

declare module '../../engine/types.js' {
  interface StepOutputs {
    'alerts-subscription': SubscriptionOutputs;
  }
}

export interface SubscriptionObserved {
  /** The configured address's subscription; undefined while only an earlier address is subscribed. */
  subscriptionArn: string | undefined;
  /** The address an earlier run subscribed, when --alert-email has changed since, and its subscription. */
  previous?: { endpoint: string; subscriptionArn: string };
}

/** What SNS lists for an email subscription whose address has not yet followed the link. */
export const PENDING = 'PendingConfirmation';
export const isPending = (arn: string) => arn === PENDING || arn === 'pending confirmation' || !arn.startsWith('arn:');

const address = (ctx: StepContext) => ctx.config.alertEmail ?? '';

async function findSubscription(
  ctx: StepContext,
  topicArn: string,
  endpoint = address(ctx),
): Promise<{ subscriptionArn: string } | undefined> {
  let token: string | undefined;
  do {
    const res = await ctx.aws
      .sns()
      .send(new SNS.ListSubscriptionsByTopicCommand({ TopicArn: topicArn, NextToken: token }));
    const found = res.Subscriptions?.find(
      (s) => s.Protocol === 'email' && s.Endpoint?.toLowerCase() === endpoint.toLowerCase(),
    );
    if (found) return { subscriptionArn: found.SubscriptionArn ?? PENDING };
    token = res.NextToken;
  } while (token);
  return undefined;
}

/**
 * --alert-email subscribed to the alerts topic. AWS mails the address a link; until it is
 * followed the subscription is pending and nothing is delivered (status says so).
 */
export const alertsSubscriptionStep = defineResource<SubscriptionObserved, SubscriptionOutputs>({
  id: 'alerts-subscription',
  title: 'SNS subscription: alert email',
  service: 'SNS',
  dependsOn: ['alerts-topic'],
  describe: (ctx) =>
    `email subscription of ${address(ctx)} to SNS topic ${ctx.outputIfKnown('alerts-topic')?.name ?? 'alerts'}`,
  notFound: (err) => err instanceof SNS.NotFoundException,
  outputsSchema,

  async find(ctx) {
    const topicArn = ctx.output('alerts-topic').arn;
    const current = await findSubscription(ctx, topicArn);
    const recorded = ctx.recorded?.outputs['endpoint'];
    const earlier =
      typeof recorded === 'string' && recorded.toLowerCase() !== address(ctx).toLowerCase()
        ? await findSubscription(ctx, topicArn, recorded)
        : undefined;
    if (!earlier) return current;
    return {
      subscriptionArn: current?.subscriptionArn,
      previous: { endpoint: recorded as string, subscriptionArn: earlier.subscriptionArn ?? PENDING },
    };
  },

  toCreate: (ctx) => ({
    field: 'subscription',
    to: `${address(ctx)} (email)`,
    note: 'AWS mails the address a link; alarms reach it once the link is followed',
  }),

  diff: (ctx, observed) =>
    observed.previous
      ? [
          {
            field: 'subscription',
            action: 'update',
            from: `${observed.previous.endpoint} (email)`,
            to: `${address(ctx)} (email)`,
            note: '--alert-email changed: the new address is subscribed, the earlier one unsubscribed (a pending one expires by itself)',
          },
        ]
      : [],

  async update(ctx, observed) {
    const topicArn = ctx.output('alerts-topic').arn;
    const sns = ctx.aws.sns();
    let subscriptionArn = observed.subscriptionArn;
    if (subscriptionArn === undefined) {
      await sns.send(
        new SNS.SubscribeCommand({
          TopicArn: topicArn,
          Protocol: 'email',
          Endpoint: address(ctx),
          ReturnSubscriptionArn: true,
        }),
      );
      subscriptionArn = (await findSubscription(ctx, topicArn))?.subscriptionArn ?? PENDING;
    }
    const earlier = observed.previous;
    if (earlier && !isPending(earlier.subscriptionArn))
      await sns.send(new SNS.UnsubscribeCommand({ SubscriptionArn: earlier.subscriptionArn }));
    return { topicArn, endpoint: address(ctx), subscriptionArn };
  },

  intent: (ctx) => ({ create: `subscription of ${address(ctx)}` }),

  async create(ctx) {
    const topicArn = ctx.output('alerts-topic').arn;
    // Subscribe of an address already subscribed answers the same subscription.
    const res = await ctx.aws.sns().send(
      new SNS.SubscribeCommand({
        TopicArn: topicArn,
        Protocol: 'email',
        Endpoint: address(ctx),
        ReturnSubscriptionArn: true,
      }),
    );
    // An email subscription answers its ARN only once confirmed; pending, SNS keeps its own.
    const listed = await findSubscription(ctx, topicArn);
    return {
      topicArn,
      endpoint: address(ctx),
      subscriptionArn: listed?.subscriptionArn ?? res.SubscriptionArn ?? PENDING,
    };
  },

  outputs: (ctx, observed) => ({
    topicArn: ctx.output('alerts-topic').arn,
    endpoint: address(ctx),
    subscriptionArn: observed.subscriptionArn ?? PENDING,
  }),

  pendingReason: (outputs) =>
    isPending(outputs.subscriptionArn)
      ? `waiting for ${outputs.endpoint} to confirm: follow the link in the email from AWS Notifications`
      : undefined,

  /** A pending subscription cannot be unsubscribed; it goes with the topic. */
  async remove(ctx, recorded) {
    const live = await findSubscription(ctx, recorded.topicArn, recorded.endpoint);
    if (!live || isPending(live.subscriptionArn)) return;
    await ctx.aws.sns().send(new SNS.UnsubscribeCommand({ SubscriptionArn: live.subscriptionArn }));
  },
});
