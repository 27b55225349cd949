import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueueTagsCommand,
  SQSClient,
  SetQueueAttributesCommand,
  TagQueueCommand,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { HmError } from '../../../src/errors.js';
import {
  emailEventsDlqStep,
  emailEventsQueueStep,
  eventsDlqStep,
  eventsQueueStep,
} from '../../../src/resources/sqs/queue.js';
import {
  emailEventsQueuePolicyStep,
  eventsQueuePolicyStep,
  ruleDeliveryPolicy,
} from '../../../src/resources/sqs/queue-policy.js';
import { resourceTags } from '../../../src/resources/tags.js';
import { awsError } from '../../fakes/account.js';
import { converge, givenConfig, givenStepContext } from '../../support/context.js';

const sqs = mockClient(SQSClient);
const ACCOUNT = '123456789012';
const account = { accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/admin` };
const QUEUE = 'healthmetrics-dev-email-events';
const DLQ = 'healthmetrics-dev-email-events-dlq';
const url = (name: string) => `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/${name}`;
const arn = (name: string) => `arn:aws:sqs:us-east-1:${ACCOUNT}:${name}`;
const RULE_ARN = `arn:aws:events:us-east-1:${ACCOUNT}:rule/healthmetrics-dev-email-events`;
const EVENTS_RULE_ARN = `arn:aws:events:us-east-1:${ACCOUNT}:rule/healthmetrics-dev/healthmetrics-dev-events`;
const tagMap = (name: string) => Object.fromEntries(resourceTags(givenConfig(), name).map((t) => [t.Key, t.Value]));

const outputs = {
  account,
  'email-events-dlq': { name: DLQ, url: url(DLQ), arn: arn(DLQ) },
  'email-events-queue': { name: QUEUE, url: url(QUEUE), arn: arn(QUEUE) },
  'events-dlq': { name: 'healthmetrics-dev-events-dlq', url: url('x'), arn: arn('healthmetrics-dev-events-dlq') },
  'events-queue': {
    name: 'healthmetrics-dev-events',
    url: url('healthmetrics-dev-events'),
    arn: arn('healthmetrics-dev-events'),
  },
  'email-events-rule': { name: 'healthmetrics-dev-email-events', arn: RULE_ARN, busName: 'default' },
  'events-rule': { name: 'healthmetrics-dev-events', arn: EVENTS_RULE_ARN, busName: 'healthmetrics-dev' },
} as never;
const givenContext = () => givenStepContext({ outputs });
const noQueue = () => awsError('sqs', 'QueueDoesNotExist', 'The specified queue does not exist.');

const QUEUE_ATTRIBUTES = {
  QueueArn: arn(QUEUE),
  SqsManagedSseEnabled: 'true',
  MessageRetentionPeriod: '345600',
  VisibilityTimeout: '30',
  // SQS answers the count as a number in JSON; as a string it means the same.
  RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arn(DLQ), maxReceiveCount: '5' }),
};

function givenQueue(attributes: Record<string, string>, tags: Record<string, string> = tagMap(QUEUE)) {
  sqs.on(GetQueueUrlCommand).resolves({ QueueUrl: url(QUEUE) });
  sqs.on(GetQueueAttributesCommand).resolves({ Attributes: attributes });
  sqs.on(ListQueueTagsCommand).resolves({ Tags: tags });
  sqs.on(SetQueueAttributesCommand).resolves({});
  sqs.on(TagQueueCommand).resolves({});
}

const writes = () =>
  sqs.calls().filter((c) => {
    const name = (c.args[0] as { constructor: { name: string } }).constructor.name;
    return !['GetQueueUrlCommand', 'GetQueueAttributesCommand', 'ListQueueTagsCommand'].includes(name);
  });

describe('SQS queue steps', () => {
  beforeEach(() => sqs.reset());

  it('create the dead-letter queue with SSE-SQS, 14 days of retention, no redrive and the tags, saving the intent first', async () => {
    const ctx = givenContext();
    let intentsAtCreate: unknown[] = [];
    sqs.on(GetQueueUrlCommand).rejects(noQueue());
    sqs.on(CreateQueueCommand).callsFake(() => {
      intentsAtCreate = [...ctx.intents];
      return { QueueUrl: url(DLQ) };
    });
    // WHEN
    const { observed, result } = await converge(emailEventsDlqStep, ctx);
    // THEN
    expect(observed).toBeUndefined();
    expect(sqs.commandCalls(CreateQueueCommand).map((c) => c.args[0].input)).toEqual([
      {
        QueueName: DLQ,
        Attributes: { SqsManagedSseEnabled: 'true', MessageRetentionPeriod: '1209600' },
        tags: tagMap(DLQ),
      },
    ]);
    expect(result).toEqual({ type: 'created', outputs: { name: DLQ, url: url(DLQ), arn: arn(DLQ) } });
    expect(intentsAtCreate).toEqual([{ create: DLQ }]);
    expect(ctx.intents).toEqual([{ create: DLQ }]);
  });

  it('create the email-events queue with 4 days of retention and a redrive to the dead-letter queue after 5 receives', async () => {
    sqs.on(GetQueueUrlCommand).rejects(noQueue());
    sqs.on(CreateQueueCommand).resolves({ QueueUrl: url(QUEUE) });
    const ctx = givenContext();
    // WHEN
    const { changes, result } = await converge(emailEventsQueueStep, ctx);
    // THEN
    expect(changes).toMatchObject([
      { field: 'queue', action: 'create', to: expect.stringContaining(`to ${DLQ} after 5 receives`) },
    ]);
    const input = sqs.commandCalls(CreateQueueCommand)[0]?.args[0].input;
    expect(input).toMatchObject({ QueueName: QUEUE, tags: tagMap(QUEUE) });
    const { RedrivePolicy, ...rest } = input?.Attributes ?? {};
    expect(rest).toEqual({ SqsManagedSseEnabled: 'true', MessageRetentionPeriod: '345600' });
    expect(JSON.parse(RedrivePolicy ?? '')).toEqual({ deadLetterTargetArn: arn(DLQ), maxReceiveCount: 5 });
    expect(result.outputs).toEqual({ name: QUEUE, url: url(QUEUE), arn: arn(QUEUE) });
    expect(ctx.intents).toEqual([{ create: QUEUE }]);
  });

  it('name the app-events queues <app>-<env>-events and -events-dlq, the queue redriving to its own DLQ', async () => {
    sqs.on(GetQueueUrlCommand).rejects(noQueue());
    sqs.on(CreateQueueCommand).resolves({ QueueUrl: url('q') });
    // WHEN
    await converge(eventsDlqStep, givenContext());
    await converge(eventsQueueStep, givenContext());
    // THEN
    const inputs = sqs.commandCalls(CreateQueueCommand).map((c) => c.args[0].input);
    expect(inputs.map((i) => i.QueueName)).toEqual(['healthmetrics-dev-events-dlq', 'healthmetrics-dev-events']);
    expect(inputs[0]?.Attributes).toEqual({ SqsManagedSseEnabled: 'true', MessageRetentionPeriod: '1209600' });
    expect(JSON.parse(inputs[1]?.Attributes?.['RedrivePolicy'] ?? '')).toEqual({
      deadLetterTargetArn: arn('healthmetrics-dev-events-dlq'),
      maxReceiveCount: 5,
    });
  });

  it('leave a queue as wanted alone (maxReceiveCount as a string, other attributes it has)', async () => {
    givenQueue(QUEUE_ATTRIBUTES);
    // WHEN
    const { changes, result } = await converge(emailEventsQueueStep, givenContext());
    // THEN
    expect(changes).toEqual([]);
    expect(result).toEqual({ type: 'unchanged', outputs: { name: QUEUE, url: url(QUEUE), arn: arn(QUEUE) } });
    expect(writes()).toEqual([]);
  });

  it('set back a changed retention with one SetQueueAttributes of that attribute only', async () => {
    givenQueue({ ...QUEUE_ATTRIBUTES, MessageRetentionPeriod: '86400' });
    // WHEN
    const { changes, result } = await converge(emailEventsQueueStep, givenContext());
    // THEN
    expect(changes.map((c) => [c.field, c.action, c.from, c.to])).toEqual([
      ['MessageRetentionPeriod', 'update', '86400', 'messages kept 4 days'],
    ]);
    expect(result.type).toBe('updated');
    expect(writes()).toHaveLength(1);
    expect(sqs).toHaveReceivedCommandWith(SetQueueAttributesCommand, {
      QueueUrl: url(QUEUE),
      Attributes: { MessageRetentionPeriod: '345600' },
    });
  });

  it('put back a redrive someone pointed elsewhere or raised', async () => {
    givenQueue({
      ...QUEUE_ATTRIBUTES,
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arn('other-dlq'), maxReceiveCount: 5 }),
    });
    // WHEN
    const pointed = await converge(emailEventsQueueStep, givenContext());
    sqs.reset();
    givenQueue({
      ...QUEUE_ATTRIBUTES,
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arn(DLQ), maxReceiveCount: 50 }),
    });
    const raised = await converge(emailEventsQueueStep, givenContext());
    // THEN
    expect(pointed.changes.map((c) => c.field)).toEqual(['RedrivePolicy']);
    expect(raised.changes.map((c) => c.field)).toEqual(['RedrivePolicy']);
    const sent = sqs.commandCalls(SetQueueAttributesCommand)[0]?.args[0].input.Attributes ?? {};
    expect(Object.keys(sent)).toEqual(['RedrivePolicy']);
    expect(JSON.parse(sent['RedrivePolicy'] ?? '')).toEqual({ deadLetterTargetArn: arn(DLQ), maxReceiveCount: 5 });
  });

  it('turn SSE-SQS back on over a KMS key someone set, clearing the key (the two are exclusive)', async () => {
    givenQueue({ ...QUEUE_ATTRIBUTES, SqsManagedSseEnabled: 'false', KmsMasterKeyId: 'alias/aws/sqs' });
    // WHEN
    const { changes } = await converge(emailEventsQueueStep, givenContext());
    // THEN
    expect(changes.map((c) => [c.field, c.from])).toEqual([['SqsManagedSseEnabled', 'false']]);
    expect(sqs).toHaveReceivedCommandExactlyOnceWith(SetQueueAttributesCommand, {
      QueueUrl: url(QUEUE),
      Attributes: { SqsManagedSseEnabled: 'true', KmsMasterKeyId: '' },
    });
  });

  it('add only the missing tags, with TagQueue and no attribute write', async () => {
    const { Environment: _dropped, ...someTags } = tagMap(QUEUE);
    givenQueue(QUEUE_ATTRIBUTES, { ...someTags, team: 'ops' });
    // WHEN
    const { changes } = await converge(emailEventsQueueStep, givenContext());
    // THEN
    expect(changes).toMatchObject([{ field: 'tags', action: 'update', to: 'Environment=dev' }]);
    expect(sqs).toHaveReceivedCommandExactlyOnceWith(TagQueueCommand, {
      QueueUrl: url(QUEUE),
      Tags: { Environment: 'dev' },
    });
    expect(sqs).not.toHaveReceivedCommand(SetQueueAttributesCommand);
  });

  it('read a queue SQS answers QueueNameExists for (made by a lost answer, or differing) and converge it', async () => {
    sqs
      .on(GetQueueUrlCommand)
      .rejectsOnce(noQueue())
      .resolves({ QueueUrl: url(QUEUE) });
    sqs.on(CreateQueueCommand).rejects(awsError('sqs', 'QueueNameExists', 'A queue already exists with that name'));
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ...QUEUE_ATTRIBUTES, MessageRetentionPeriod: '60' } });
    sqs.on(ListQueueTagsCommand).resolves({ Tags: tagMap(QUEUE) });
    sqs.on(SetQueueAttributesCommand).resolves({});
    // WHEN
    const { result } = await converge(emailEventsQueueStep, givenContext());
    // THEN
    expect(result).toEqual({ type: 'updated', outputs: { name: QUEUE, url: url(QUEUE), arn: arn(QUEUE) } });
    expect(sqs).toHaveReceivedCommandTimes(CreateQueueCommand, 1);
    expect(sqs).toHaveReceivedCommandExactlyOnceWith(SetQueueAttributesCommand, {
      QueueUrl: url(QUEUE),
      Attributes: { MessageRetentionPeriod: '345600' },
    });
  });

  it('say to wait a minute when SQS does not take the name of a queue deleted moments ago', async () => {
    sqs.on(GetQueueUrlCommand).rejects(noQueue());
    sqs
      .on(CreateQueueCommand)
      .rejects(awsError('sqs', 'QueueDeletedRecently', 'You must wait 60 seconds after deleting a queue'));
    // WHEN
    const error = (await converge(emailEventsDlqStep, givenContext()).catch((e: unknown) => e)) as HmError;
    // THEN
    expect(error.code).toBe('SQS_QUEUE_DELETED_RECENTLY');
    expect(error.message).toContain(DLQ);
    expect(error.message).toContain('60 seconds');
    expect(error.hint).toBe('Wait a minute, then re-run init: everything made so far is kept.');
  });

  it('delete the recorded queue by its URL, and count one already gone as removed', async () => {
    sqs.on(DeleteQueueCommand).resolvesOnce({}).rejects(noQueue());
    const recorded = { name: QUEUE, url: url(QUEUE), arn: arn(QUEUE) };
    // WHEN
    const first = await emailEventsQueueStep.destroy(givenContext(), recorded);
    const again = await emailEventsQueueStep.destroy(givenContext(), recorded);
    // THEN
    expect(first).toBeUndefined();
    expect(again).toBeUndefined();
    expect(sqs).toHaveReceivedCommandTimes(DeleteQueueCommand, 2);
    expect(sqs).toHaveReceivedCommandWith(DeleteQueueCommand, { QueueUrl: url(QUEUE) });
  });

  it('name the queue in any other refusal', async () => {
    sqs.on(GetQueueUrlCommand).rejects(awsError('sqs', 'AccessDenied', 'not authorized to perform sqs:getqueueurl'));
    // WHEN
    const error = (await converge(emailEventsQueueStep, givenContext()).catch((e: unknown) => e)) as HmError;
    // THEN
    expect(error.code).toBe('ACCESS_DENIED');
    expect(error.message).toContain(`read SQS queue ${QUEUE}`);
  });
});

describe('SQS queue policy steps', () => {
  beforeEach(() => sqs.reset());
  const WANTED = ruleDeliveryPolicy(arn(QUEUE), RULE_ARN);
  const givenPolicy = (policy: string | undefined) => {
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: policy === undefined ? {} : { Policy: policy } });
    sqs.on(SetQueueAttributesCommand).resolves({});
  };
  const written = () =>
    sqs.commandCalls(SetQueueAttributesCommand).map((c) => ({
      QueueUrl: c.args[0].input.QueueUrl,
      Policy: JSON.parse(c.args[0].input.Attributes?.['Policy'] ?? '') as unknown,
    }));

  it('let only events.amazonaws.com send, only for the rule (ArnEquals aws:SourceArn), nothing else', () => {
    // THEN
    expect(WANTED).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'EventBridgeRuleDelivers',
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Action: ['sqs:SendMessage'],
          Resource: [arn(QUEUE)],
          Condition: { ArnEquals: { 'aws:SourceArn': RULE_ARN } },
        },
      ],
    });
  });

  it('write the policy to a queue that has none, saving the intent first', async () => {
    givenPolicy(undefined);
    const ctx = givenContext();
    // WHEN
    const { observed, result } = await converge(emailEventsQueuePolicyStep, ctx);
    // THEN
    expect(observed).toBeUndefined();
    expect(written()).toEqual([{ QueueUrl: url(QUEUE), Policy: WANTED }]);
    expect(result).toEqual({ type: 'created', outputs: { queueUrl: url(QUEUE), ruleArn: RULE_ARN } });
    expect(ctx.intents).toEqual([{ create: `policy of ${QUEUE}` }]);
  });

  it('write the app-events queue policy for the events rule on the app bus', async () => {
    givenPolicy(undefined);
    // WHEN
    await converge(eventsQueuePolicyStep, givenContext());
    // THEN
    expect(written()).toEqual([
      {
        QueueUrl: url('healthmetrics-dev-events'),
        Policy: ruleDeliveryPolicy(arn('healthmetrics-dev-events'), EVENTS_RULE_ARN),
      },
    ]);
  });

  it('see no drift in the same policy written with strings for one-element lists and other key order', async () => {
    givenPolicy(
      JSON.stringify({
        Statement: {
          Condition: { ArnEquals: { 'aws:SourceArn': RULE_ARN } },
          Resource: arn(QUEUE),
          Action: 'sqs:SendMessage',
          Principal: { Service: 'events.amazonaws.com' },
          Effect: 'Allow',
          Sid: 'EventBridgeRuleDelivers',
        },
        Version: '2012-10-17',
      }),
    );
    // WHEN
    const { changes, result } = await converge(emailEventsQueuePolicyStep, givenContext());
    // THEN
    expect(changes).toEqual([]);
    expect(result.type).toBe('unchanged');
    expect(sqs).not.toHaveReceivedCommand(SetQueueAttributesCommand);
  });

  it('set back a policy someone widened, with one write, naming what it held', async () => {
    const widened = {
      ...WANTED,
      Statement: [
        ...WANTED.Statement,
        { Effect: 'Allow', Principal: '*', Action: ['sqs:SendMessage', 'sqs:ReceiveMessage'], Resource: [arn(QUEUE)] },
      ],
    };
    givenPolicy(JSON.stringify(widened));
    // WHEN
    const { changes, result } = await converge(emailEventsQueuePolicyStep, givenContext());
    // THEN
    expect(changes).toMatchObject([
      { field: 'policy', action: 'update', from: expect.stringContaining('sqs:ReceiveMessage') },
    ]);
    expect(result.type).toBe('updated');
    expect(written()).toEqual([{ QueueUrl: url(QUEUE), Policy: WANTED }]);
  });

  it('set back a policy for another rule', async () => {
    givenPolicy(JSON.stringify(ruleDeliveryPolicy(arn(QUEUE), `${RULE_ARN}-old`)));
    // WHEN
    const { changes } = await converge(emailEventsQueuePolicyStep, givenContext());
    // THEN
    expect(changes.map((c) => c.field)).toEqual(['policy']);
    expect(written()).toEqual([{ QueueUrl: url(QUEUE), Policy: WANTED }]);
  });

  it('find nothing when the queue is gone (QueueDoesNotExist)', async () => {
    sqs.on(GetQueueAttributesCommand).rejects(noQueue());
    // WHEN
    const observed = await emailEventsQueuePolicyStep.read(givenContext());
    // THEN
    expect(observed).toBeUndefined();
  });

  it('clear the Policy attribute on remove, and count a queue already gone as removed', async () => {
    sqs.on(SetQueueAttributesCommand).resolvesOnce({}).rejects(noQueue());
    const recorded = { queueUrl: url(QUEUE), ruleArn: RULE_ARN };
    // WHEN
    await emailEventsQueuePolicyStep.destroy(givenContext(), recorded);
    const again = await emailEventsQueuePolicyStep.destroy(givenContext(), recorded);
    // THEN
    expect(again).toBeUndefined();
    expect(sqs).toHaveReceivedCommandTimes(SetQueueAttributesCommand, 2);
    expect(sqs).toHaveReceivedCommandWith(SetQueueAttributesCommand, {
      QueueUrl: url(QUEUE),
      Attributes: { Policy: '' },
    });
  });
});
