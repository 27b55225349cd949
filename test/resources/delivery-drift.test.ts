/**
 * Changes by hand that silently stop events or alarms reaching anyone, seen as drift and set
 * back: a reshaped queue target, an encrypted alerts topic, an alert address changed since.
 */
import { EventBridgeClient, ListTargetsByRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import {
  GetTopicAttributesCommand,
  ListSubscriptionsByTopicCommand,
  ListTagsForResourceCommand,
  SNSClient,
  SetTopicAttributesCommand,
  SubscribeCommand,
  UnsubscribeCommand,
} from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { emailEventsTargetStep } from '../../src/resources/eventbridge/target.js';
import { alertsSubscriptionStep } from '../../src/resources/sns/subscription.js';
import { alertsTopicStep } from '../../src/resources/sns/topic.js';
import { resourceTags } from '../../src/resources/tags.js';
import { converge, givenConfig, givenStepContext } from '../support/context.js';

const eb = mockClient(EventBridgeClient);
const sns = mockClient(SNSClient);
const ACCOUNT = '123456789012';
const QUEUE_ARN = `arn:aws:sqs:us-east-1:${ACCOUNT}:healthmetrics-dev-email-events`;
const TOPIC = 'healthmetrics-dev-alerts';
const TOPIC_ARN = `arn:aws:sns:us-east-1:${ACCOUNT}:${TOPIC}`;
const outputs = {
  account: { accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/admin` },
  'email-events-rule': { name: 'healthmetrics-dev-email-events', arn: 'arn:r', busName: 'default' },
  'email-events-queue': { name: 'healthmetrics-dev-email-events', url: 'https://q', arn: QUEUE_ARN },
  'alerts-topic': { name: TOPIC, arn: TOPIC_ARN },
} as never;

describe('drift that stops delivery', () => {
  beforeEach(() => {
    eb.reset();
    sns.reset();
  });

  it('a queue target someone gave an InputTransformer no longer delivers each event whole: that is drift', async () => {
    eb.on(ListTargetsByRuleCommand).resolves({
      Targets: [
        {
          Id: 'queue',
          Arn: QUEUE_ARN,
          InputTransformer: { InputPathsMap: { t: '$.detail-type' }, InputTemplate: '"<t>"' },
        },
      ],
    });
    eb.on(PutTargetsCommand).resolves({ FailedEntryCount: 0 });
    // WHEN
    const { changes } = await converge(emailEventsTargetStep, givenStepContext({ outputs }));
    // THEN
    expect(changes.map((c) => c.field)).toEqual(['target']);
    expect(eb).toHaveReceivedCommandExactlyOnceWith(PutTargetsCommand, {
      Targets: [{ Id: 'queue', Arn: QUEUE_ARN }],
    });
  });

  it('an alerts topic someone encrypted with the AWS-managed key (which CloudWatch may not use) is drift', async () => {
    sns
      .on(GetTopicAttributesCommand)
      .resolves({ Attributes: { TopicArn: TOPIC_ARN, KmsMasterKeyId: 'alias/aws/sns' } });
    sns.on(ListTagsForResourceCommand).resolves({ Tags: resourceTags(givenConfig(), TOPIC) });
    sns.on(SetTopicAttributesCommand).resolves({});
    // WHEN
    const { changes } = await converge(alertsTopicStep, givenStepContext({ outputs }));
    // THEN
    expect(changes.map((c) => [c.field, c.from, c.to])).toEqual([['encryption', 'alias/aws/sns', 'none']]);
    expect(sns).toHaveReceivedCommandExactlyOnceWith(SetTopicAttributesCommand, {
      TopicArn: TOPIC_ARN,
      AttributeName: 'KmsMasterKeyId',
      AttributeValue: '',
    });
  });

  it('subscribes a changed --alert-email and unsubscribes the earlier, confirmed address', async () => {
    const earlier = `${TOPIC_ARN}:0f3c-earlier`;
    sns
      .on(ListSubscriptionsByTopicCommand)
      .resolvesOnce({ Subscriptions: [{ Protocol: 'email', Endpoint: 'old@example.org', SubscriptionArn: earlier }] })
      .resolvesOnce({ Subscriptions: [{ Protocol: 'email', Endpoint: 'old@example.org', SubscriptionArn: earlier }] })
      .resolves({
        Subscriptions: [
          { Protocol: 'email', Endpoint: 'old@example.org', SubscriptionArn: earlier },
          { Protocol: 'email', Endpoint: 'new@example.org', SubscriptionArn: 'PendingConfirmation' },
        ],
      });
    sns.on(SubscribeCommand).resolves({ SubscriptionArn: 'pending confirmation' });
    sns.on(UnsubscribeCommand).resolves({});
    const ctx = givenStepContext({
      config: givenConfig({ alertEmail: 'new@example.org' }),
      outputs,
      recorded: {
        status: 'created',
        owned: true,
        outputs: { topicArn: TOPIC_ARN, endpoint: 'old@example.org', subscriptionArn: earlier },
        updatedAt: '2026-12-01T00:00:00.000Z',
      },
    });
    // WHEN
    const { changes, result } = await converge(alertsSubscriptionStep, ctx);
    // THEN
    expect(changes.map((c) => [c.field, c.from, c.to])).toEqual([
      ['subscription', 'old@example.org (email)', 'new@example.org (email)'],
    ]);
    expect(sns).toHaveReceivedCommandExactlyOnceWith(SubscribeCommand, {
      TopicArn: TOPIC_ARN,
      Protocol: 'email',
      Endpoint: 'new@example.org',
    });
    expect(sns).toHaveReceivedCommandExactlyOnceWith(UnsubscribeCommand, { SubscriptionArn: earlier });
    expect(result.outputs).toEqual({
      topicArn: TOPIC_ARN,
      endpoint: 'new@example.org',
      subscriptionArn: 'PendingConfirmation',
    });
  });
});
