import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueueTagsCommand,
  MessageNotInflight,
  QueueDeletedRecently,
  QueueDoesNotExist,
  QueueNameExists,
  ReceiptHandleIsInvalid,
  ReceiveMessageCommand,
  SQSClient,
  SQSServiceException,
  SendMessageCommand,
  SetQueueAttributesCommand,
  TagQueueCommand,
} from '@aws-sdk/client-sqs';
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeAccount } from './account.js';
import { type InstalledFake, installFakeAccount } from './install.js';
import { md5OfMessageAttributes } from './sqs.js';

const REGION = 'eu-west-1';
const ACCOUNT = '123456789012';
const URL = `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}`;
const ARN = `arn:aws:sqs:${REGION}:${ACCOUNT}`;

let installed: InstalledFake;
let now: number;
const fake = () => installed.fake;
const sqs = () => new SQSClient({ region: REGION });
const create = (name: string, Attributes?: Record<string, string>, tags?: Record<string, string>) =>
  sqs().send(new CreateQueueCommand({ QueueName: name, Attributes, tags }));
const attributes = async (name: string) =>
  (await sqs().send(new GetQueueAttributesCommand({ QueueUrl: `${URL}/${name}`, AttributeNames: ['All'] })))
    .Attributes ?? {};
const receive = (name: string, extra: Partial<{ MaxNumberOfMessages: number; WaitTimeSeconds: number }> = {}) =>
  sqs().send(new ReceiveMessageCommand({ QueueUrl: `${URL}/${name}`, MessageSystemAttributeNames: ['All'], ...extra }));

describe('the fake SQS, through an SQS client', () => {
  beforeEach(() => {
    installed = installFakeAccount(new FakeAccount());
    now = 1_800_000_000_000;
    fake().now = () => now;
  });
  afterEach(() => installed.restore());

  it('creates a queue with AWS’s URL, ARN and defaults (SSE-SQS on), the attributes as strings', async () => {
    // WHEN
    const { QueueUrl } = await create('jobs', { MessageRetentionPeriod: '1209600' }, { app: 'myapp' });
    // THEN
    expect(QueueUrl).toBe(`${URL}/jobs`);
    expect(await attributes('jobs')).toEqual({
      QueueArn: `${ARN}:jobs`,
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '0',
      ApproximateNumberOfMessagesDelayed: '0',
      CreatedTimestamp: String(now / 1000),
      LastModifiedTimestamp: String(now / 1000),
      DelaySeconds: '0',
      MaximumMessageSize: '1048576',
      MessageRetentionPeriod: '1209600',
      ReceiveMessageWaitTimeSeconds: '0',
      VisibilityTimeout: '30',
      SqsManagedSseEnabled: 'true',
    });
    expect((await sqs().send(new ListQueueTagsCommand({ QueueUrl }))).Tags).toEqual({ app: 'myapp' });
    expect((await sqs().send(new GetQueueUrlCommand({ QueueName: 'jobs' }))).QueueUrl).toBe(QueueUrl);
  });

  it('answers CreateQueue with the same attributes with the existing queue, and with others QueueNameExists', async () => {
    // GIVEN
    await create('jobs', { MessageRetentionPeriod: '1209600' });
    await sqs().send(new TagQueueCommand({ QueueUrl: `${URL}/jobs`, Tags: { team: 'a' } }));
    // WHEN the same attributes, or a subset, or none
    // THEN the queue is answered as it is
    expect((await create('jobs', { MessageRetentionPeriod: '1209600' })).QueueUrl).toBe(`${URL}/jobs`);
    expect((await create('jobs', { VisibilityTimeout: '30' })).QueueUrl).toBe(`${URL}/jobs`);
    expect((await create('jobs')).QueueUrl).toBe(`${URL}/jobs`);
    // WHEN an attribute differs
    const refused = await create('jobs', { MessageRetentionPeriod: '345600' }).catch((e: unknown) => e);
    // THEN SQS's modeled error, AWS's query code kept in Code
    expect(refused).toBeInstanceOf(QueueNameExists);
    expect(refused).toMatchObject({ Code: 'QueueAlreadyExists', $metadata: { httpStatusCode: 400 } });
    expect((await attributes('jobs'))['MessageRetentionPeriod']).toBe('1209600');
  });

  it('refuses to re-create a queue within 60 s of deleting it (the account clock), and a deleted queue is gone', async () => {
    // GIVEN
    await create('jobs');
    await sqs().send(new DeleteQueueCommand({ QueueUrl: `${URL}/jobs` }));
    // THEN
    await expect(sqs().send(new GetQueueUrlCommand({ QueueName: 'jobs' }))).rejects.toBeInstanceOf(QueueDoesNotExist);
    now += 59_000;
    await expect(create('jobs')).rejects.toBeInstanceOf(QueueDeletedRecently);
    now += 1_000;
    expect((await create('jobs')).QueueUrl).toBe(`${URL}/jobs`);
  });

  it('answers QueueDoesNotExist as the SDK raises it: named by the class, AWS’s code in Code', async () => {
    const err = await sqs()
      .send(new GetQueueUrlCommand({ QueueName: 'nope' }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QueueDoesNotExist);
    expect(err).toMatchObject({
      name: 'QueueDoesNotExist',
      Code: 'AWS.SimpleQueueService.NonExistentQueue',
      Type: 'Sender',
      message: 'The specified queue does not exist.',
    });
  });

  it('sets and clears a policy, and normalizes a RedrivePolicy as AWS stores it', async () => {
    // GIVEN
    await create('dlq');
    await create('jobs');
    const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*' }] });
    // WHEN
    await sqs().send(
      new SetQueueAttributesCommand({
        QueueUrl: `${URL}/jobs`,
        Attributes: {
          Policy: policy,
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: `${ARN}:dlq`, maxReceiveCount: '5' }),
        },
      }),
    );
    // THEN
    expect(await attributes('jobs')).toMatchObject({
      Policy: policy,
      RedrivePolicy: `{"deadLetterTargetArn":"${ARN}:dlq","maxReceiveCount":5}`,
    });
    // WHEN the policy is set to ''
    await sqs().send(new SetQueueAttributesCommand({ QueueUrl: `${URL}/jobs`, Attributes: { Policy: '' } }));
    // THEN it is gone
    expect(await attributes('jobs')).not.toHaveProperty('Policy');
    // AND a dead-letter target that does not exist is refused
    const refused = await sqs()
      .send(
        new SetQueueAttributesCommand({
          QueueUrl: `${URL}/jobs`,
          Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: `${ARN}:nope`, maxReceiveCount: 5 }) },
        }),
      )
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SQSServiceException);
    expect(refused).toMatchObject({ name: 'InvalidParameterValue' });
  });

  it('hides a received message for the visibility timeout, and deletes it only by its latest receipt handle', async () => {
    // GIVEN
    await create('jobs', { VisibilityTimeout: '10' });
    const body = '{"hello":"world"}';
    const sent = await sqs().send(new SendMessageCommand({ QueueUrl: `${URL}/jobs`, MessageBody: body }));
    expect(sent.MD5OfMessageBody).toBe(createHash('md5').update(body).digest('hex'));
    // WHEN received
    const first = (await receive('jobs')).Messages ?? [];
    // THEN
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({
      MessageId: sent.MessageId,
      Body: body,
      Attributes: { ApproximateReceiveCount: '1' },
    });
    expect((await receive('jobs')).Messages).toBeUndefined();
    // WHEN the timeout is over, it comes again with a new handle
    now += 10_000;
    const second = (await receive('jobs')).Messages ?? [];
    expect(second[0]?.Attributes?.['ApproximateReceiveCount']).toBe('2');
    expect(second[0]?.ReceiptHandle).not.toBe(first[0]?.ReceiptHandle);
    // THEN the old handle deletes nothing (and is no error), the latest does
    await sqs().send(new DeleteMessageCommand({ QueueUrl: `${URL}/jobs`, ReceiptHandle: first[0]?.ReceiptHandle }));
    expect(fake().sqs.bodies(REGION, 'jobs')).toEqual([body]);
    await sqs().send(new DeleteMessageCommand({ QueueUrl: `${URL}/jobs`, ReceiptHandle: second[0]?.ReceiptHandle }));
    expect(fake().sqs.bodies(REGION, 'jobs')).toEqual([]);
  });

  it('refuses a receipt handle SQS never issued (ReceiptHandleIsInvalid), and a visibility change of a message not in flight', async () => {
    await create('jobs');
    await expect(
      sqs().send(new DeleteMessageCommand({ QueueUrl: `${URL}/jobs`, ReceiptHandle: 'not-a-handle' })),
    ).rejects.toBeInstanceOf(ReceiptHandleIsInvalid);
    fake().sqs.send(REGION, 'jobs', 'x');
    const [message] = (await receive('jobs')).Messages ?? [];
    await sqs().send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: `${URL}/jobs`,
        ReceiptHandle: message?.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    await expect(
      sqs().send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: `${URL}/jobs`,
          ReceiptHandle: message?.ReceiptHandle,
          VisibilityTimeout: 0,
        }),
      ),
    ).rejects.toBeInstanceOf(MessageNotInflight);
  });

  it('moves a message to the dead-letter queue once it was received maxReceiveCount times', async () => {
    // GIVEN a queue whose messages may be received 3 times
    await create('jobs-dlq');
    await create('jobs', {
      VisibilityTimeout: '0',
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: `${ARN}:jobs-dlq`, maxReceiveCount: 3 }),
    });
    fake().sqs.send(REGION, 'jobs', 'poison');
    // WHEN received 3 times without being deleted
    for (let i = 1; i <= 3; i += 1) {
      const [m] = (await receive('jobs')).Messages ?? [];
      expect(m?.Attributes?.['ApproximateReceiveCount']).toBe(String(i));
    }
    // THEN the 4th receive finds none: it is in the dead-letter queue, saying where it came from
    expect((await receive('jobs')).Messages).toBeUndefined();
    const [dead] = (await receive('jobs-dlq')).Messages ?? [];
    expect(dead).toMatchObject({ Body: 'poison', Attributes: { DeadLetterQueueSourceArn: `${ARN}:jobs` } });
  });

  it('receives up to MaxNumberOfMessages, oldest first, and drops messages past the retention period', async () => {
    await create('jobs', { MessageRetentionPeriod: '60' });
    for (const body of ['a', 'b', 'c']) fake().sqs.send(REGION, 'jobs', body);
    expect(((await receive('jobs', { MaxNumberOfMessages: 2 })).Messages ?? []).map((m) => m.Body)).toEqual(['a', 'b']);
    now += 60_000;
    expect(fake().sqs.bodies(REGION, 'jobs')).toEqual([]);
  });

  it('returns a long poll at once when a message is there, and wakes it when one arrives', async () => {
    await create('jobs');
    // GIVEN a wait that would block for ever unless a message arrives
    fake().sqs.wait = () => new Promise(() => undefined);
    fake().sqs.send(REGION, 'jobs', 'ready');
    expect(((await receive('jobs', { WaitTimeSeconds: 20 })).Messages ?? []).map((m) => m.Body)).toEqual(['ready']);
    // WHEN nothing is there, a message sent during the wait ends it
    const polling = receive('jobs', { WaitTimeSeconds: 20 });
    await new Promise((r) => setTimeout(r, 5));
    fake().sqs.send(REGION, 'jobs', 'late');
    expect(((await polling).Messages ?? []).map((m) => m.Body)).toEqual(['late']);
  });

  it('ends a long poll with nothing after at most longPollMs of real time', async () => {
    await create('jobs');
    const started = performance.now();
    expect((await receive('jobs', { WaitTimeSeconds: 20 })).Messages).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('computes MD5OfMessageAttributes as SQS does (digests moto’s suite pins as AWS’s answers)', () => {
    const number = (StringValue: string) => ({ DataType: 'Number', StringValue });
    expect(md5OfMessageAttributes({ timestamp: number('1493147359900') })).toBe('235c5c510d26fb653d073faed50ae77c');
    expect(md5OfMessageAttributes({ timestamp: number('1493147359901') })).toBe('994258b45346a2cc3f9cbb611aa7af30');
    expect(md5OfMessageAttributes({ 'SOME_Valid.attribute-Name': number('1493147359900') })).toBe(
      '36655e7e9d7c0e8479fa3f3f42247ae7',
    );
  });
});
