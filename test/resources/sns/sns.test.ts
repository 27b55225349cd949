import {
  CreateTopicCommand,
  DeleteTopicCommand,
  GetTopicAttributesCommand,
  ListSubscriptionsByTopicCommand,
  ListTagsForResourceCommand,
  SNSClient,
  SubscribeCommand,
  TagResourceCommand,
  TopicLimitExceededException,
  UnsubscribeCommand,
} from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { HmError } from '../../../src/errors.js';
import { alertsSubscriptionStep } from '../../../src/resources/sns/subscription.js';
import { alertsTopicStep } from '../../../src/resources/sns/topic.js';
import { resourceTags } from '../../../src/resources/tags.js';
import { awsError } from '../../fakes/account.js';
import { converge, givenConfig, givenStepContext } from '../../support/context.js';

const sns = mockClient(SNSClient);
const ACCOUNT = '123456789012';
const account = { accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/admin` };
const TOPIC = 'healthmetrics-dev-alerts';
const TOPIC_ARN = `arn:aws:sns:us-east-1:${ACCOUNT}:${TOPIC}`;
const SUB_ARN = `${TOPIC_ARN}:0b5c7a1e-55c4-4a55-9d5f-3f0c4c1d2e3f`;
const EMAIL = 'ops@example.com';
const OURS = resourceTags(givenConfig(), TOPIC);
const outputs = { account, 'alerts-topic': { name: TOPIC, arn: TOPIC_ARN } } as never;
const givenContext = (config = givenConfig({ alertEmail: EMAIL })) => givenStepContext({ config, outputs });
const noTopic = () => awsError('sns', 'NotFound', 'Topic does not exist');

describe('SNS topic step', () => {
  beforeEach(() => sns.reset());

  it('creates <app>-<env>-alerts with the tags and no KMS key (CloudWatch could not publish to it), saying so first', async () => {
    sns.on(GetTopicAttributesCommand).rejects(noTopic());
    sns.on(CreateTopicCommand).resolves({ TopicArn: TOPIC_ARN });
    const ctx = givenContext();
    // WHEN
    const { observed, result } = await converge(alertsTopicStep, ctx);
    // THEN
    expect(observed).toBeUndefined();
    expect(sns).toHaveReceivedCommandWith(GetTopicAttributesCommand, { TopicArn: TOPIC_ARN });
    expect(sns.commandCalls(CreateTopicCommand).map((c) => c.args[0].input)).toEqual([{ Name: TOPIC, Tags: OURS }]);
    expect(result).toEqual({ type: 'created', outputs: { name: TOPIC, arn: TOPIC_ARN } });
    expect(ctx.intents).toEqual([{ create: `SNS topic ${TOPIC}` }]);
  });

  it('leaves a tagged topic alone', async () => {
    sns.on(GetTopicAttributesCommand).resolves({ Attributes: { TopicArn: TOPIC_ARN } });
    sns.on(ListTagsForResourceCommand).resolves({ Tags: OURS });
    // WHEN
    const { changes, result } = await converge(alertsTopicStep, givenContext());
    // THEN
    expect(changes).toEqual([]);
    expect(result).toEqual({ type: 'unchanged', outputs: { name: TOPIC, arn: TOPIC_ARN } });
    expect(sns).not.toHaveReceivedCommand(CreateTopicCommand);
    expect(sns).not.toHaveReceivedCommand(TagResourceCommand);
  });

  it('adds the tags a topic lacks', async () => {
    sns.on(GetTopicAttributesCommand).resolves({ Attributes: { TopicArn: TOPIC_ARN } });
    sns.on(ListTagsForResourceCommand).resolves({ Tags: [{ Key: 'Name', Value: TOPIC }] });
    sns.on(TagResourceCommand).resolves({});
    // WHEN
    const { changes } = await converge(alertsTopicStep, givenContext());
    // THEN
    expect(changes.map((c) => c.field)).toEqual(['tags']);
    expect(sns).toHaveReceivedCommandExactlyOnceWith(TagResourceCommand, {
      ResourceArn: TOPIC_ARN,
      Tags: OURS.slice(1),
    });
  });

  it('explains the quota of topics', async () => {
    sns.on(GetTopicAttributesCommand).rejects(noTopic());
    // Not among the fakes' codes: the SDK's own class, as it raises it for TopicLimitExceeded.
    sns.on(CreateTopicCommand).rejects(
      new TopicLimitExceededException({
        message: 'Topic limit exceeded',
        $metadata: { httpStatusCode: 403, attempts: 1, totalRetryDelay: 0 },
      }),
    );
    // WHEN
    const error = (await converge(alertsTopicStep, givenContext()).catch((e: unknown) => e)) as HmError;
    // THEN
    expect(error.code).toBe('LIMIT_REACHED');
    expect(error.hint).toContain('aws sns list-topics');
  });

  it('deletes the topic, and counts one already gone as removed', async () => {
    sns.on(DeleteTopicCommand).resolvesOnce({}).rejects(noTopic());
    // WHEN
    await alertsTopicStep.destroy(givenContext(), { name: TOPIC, arn: TOPIC_ARN });
    const again = await alertsTopicStep.destroy(givenContext(), { name: TOPIC, arn: TOPIC_ARN });
    // THEN
    expect(again).toBeUndefined();
    expect(sns).toHaveReceivedCommandTimes(DeleteTopicCommand, 2);
    expect(sns).toHaveReceivedCommandWith(DeleteTopicCommand, { TopicArn: TOPIC_ARN });
  });
});

describe('SNS alert subscription step', () => {
  beforeEach(() => sns.reset());
  const email = (Endpoint: string, SubscriptionArn: string) => ({
    Protocol: 'email',
    Endpoint,
    SubscriptionArn,
    TopicArn: TOPIC_ARN,
    Owner: ACCOUNT,
  });

  it('subscribes the address by email; pending until the link is followed, and status says so', async () => {
    sns
      .on(ListSubscriptionsByTopicCommand)
      .resolvesOnce({ Subscriptions: [email('someone@example.com', SUB_ARN)] })
      .resolves({ Subscriptions: [email(EMAIL, 'PendingConfirmation')] });
    // With ReturnSubscriptionArn SNS answers an ARN even for a pending subscription.
    sns.on(SubscribeCommand).resolves({ SubscriptionArn: SUB_ARN });
    const ctx = givenContext();
    // WHEN
    const { observed, result } = await converge(alertsSubscriptionStep, ctx);
    // THEN
    expect(observed).toBeUndefined();
    expect(sns.commandCalls(SubscribeCommand).map((c) => c.args[0].input)).toEqual([
      { TopicArn: TOPIC_ARN, Protocol: 'email', Endpoint: EMAIL, ReturnSubscriptionArn: true },
    ]);
    expect(result).toEqual({
      type: 'created',
      outputs: { topicArn: TOPIC_ARN, endpoint: EMAIL, subscriptionArn: 'PendingConfirmation' },
    });
    expect(alertsSubscriptionStep.pendingReason?.(result.outputs)).toBe(
      `waiting for ${EMAIL} to confirm: follow the link in the email from AWS Notifications`,
    );
    expect(ctx.intents).toEqual([{ create: `subscription of ${EMAIL}` }]);
  });

  it('is not pending once confirmed, and a confirmed subscription is left alone', async () => {
    sns.on(ListSubscriptionsByTopicCommand).resolves({ Subscriptions: [email('OPS@example.com', SUB_ARN)] });
    // WHEN
    const { changes, result } = await converge(alertsSubscriptionStep, givenContext());
    // THEN
    expect(changes).toEqual([]);
    expect(result).toEqual({
      type: 'unchanged',
      outputs: { topicArn: TOPIC_ARN, endpoint: EMAIL, subscriptionArn: SUB_ARN },
    });
    expect(alertsSubscriptionStep.pendingReason?.(result.outputs)).toBeUndefined();
    expect(sns).not.toHaveReceivedCommand(SubscribeCommand);
  });

  it('finds the subscription on a later page of the listing', async () => {
    sns
      .on(ListSubscriptionsByTopicCommand, { TopicArn: TOPIC_ARN, NextToken: undefined })
      .resolves({ Subscriptions: [email('a@example.com', `${TOPIC_ARN}:a`)], NextToken: 'page-2' })
      .on(ListSubscriptionsByTopicCommand, { TopicArn: TOPIC_ARN, NextToken: 'page-2' })
      .resolves({ Subscriptions: [email(EMAIL, 'PendingConfirmation')] });
    // WHEN
    const observed = await alertsSubscriptionStep.read(givenContext());
    // THEN
    expect(observed).toEqual({ subscriptionArn: 'PendingConfirmation' });
    expect(sns).toHaveReceivedCommandTimes(ListSubscriptionsByTopicCommand, 2);
  });

  it('finds nothing when the topic is gone', async () => {
    sns.on(ListSubscriptionsByTopicCommand).rejects(noTopic());
    // WHEN
    const observed = await alertsSubscriptionStep.read(givenContext());
    // THEN
    expect(observed).toBeUndefined();
  });

  it('unsubscribes a confirmed subscription on remove', async () => {
    sns.on(ListSubscriptionsByTopicCommand).resolves({ Subscriptions: [email(EMAIL, SUB_ARN)] });
    sns.on(UnsubscribeCommand).resolves({});
    // WHEN
    await alertsSubscriptionStep.destroy(givenContext(), {
      topicArn: TOPIC_ARN,
      endpoint: EMAIL,
      subscriptionArn: SUB_ARN,
    });
    // THEN
    expect(sns).toHaveReceivedCommandExactlyOnceWith(UnsubscribeCommand, { SubscriptionArn: SUB_ARN });
  });

  it('makes no Unsubscribe call for a pending subscription (it goes with the topic)', async () => {
    sns.on(ListSubscriptionsByTopicCommand).resolves({ Subscriptions: [email(EMAIL, 'PendingConfirmation')] });
    // WHEN
    const result = await alertsSubscriptionStep.destroy(givenContext(), {
      topicArn: TOPIC_ARN,
      endpoint: EMAIL,
      subscriptionArn: 'PendingConfirmation',
    });
    // THEN
    expect(result).toBeUndefined();
    expect(sns).not.toHaveReceivedCommand(UnsubscribeCommand);
  });

  it('counts a subscription whose topic is already gone as removed', async () => {
    sns.on(ListSubscriptionsByTopicCommand).rejects(noTopic());
    // WHEN
    const result = await alertsSubscriptionStep.destroy(givenContext(), {
      topicArn: TOPIC_ARN,
      endpoint: EMAIL,
      subscriptionArn: SUB_ARN,
    });
    // THEN
    expect(result).toBeUndefined();
    expect(sns).not.toHaveReceivedCommand(UnsubscribeCommand);
  });
});
