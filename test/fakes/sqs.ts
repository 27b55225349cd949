/**
 * SQS of the fake account (standard queues, per region), to AWS's documented behaviour:
 *
 * - a queue is named per region, its URL `https://sqs.REGION.amazonaws.com/ACCOUNT/NAME`, its
 *   ARN `arn:aws:sqs:REGION:ACCOUNT:NAME`; attributes are strings, with AWS's defaults
 *   (VisibilityTimeout 30, MessageRetentionPeriod 345600, MaximumMessageSize 1048576 since
 *   2025, DelaySeconds 0, ReceiveMessageWaitTimeSeconds 0, SqsManagedSseEnabled true since 2022);
 * - CreateQueue returns the existing queue when every attribute it names has the value the
 *   queue has, else QueueNameExists; within 60 s of a delete (the account's clock) the name
 *   is refused with QueueDeletedRecently;
 * - messages: a received message is invisible for the visibility timeout and gets a new
 *   receipt handle each time; only the latest handle deletes it (an older one is accepted and
 *   does nothing, as AWS documents); a handle SQS never issued is ReceiptHandleIsInvalid. With
 *   a RedrivePolicy, a message already received maxReceiveCount times is moved to the
 *   dead-letter queue instead of being received again (it keeps its id, body, receive count and
 *   enqueue time, and gains DeadLetterQueueSourceArn). Messages older than the retention period
 *   are dropped.
 * - Long polling (WaitTimeSeconds, or the queue's ReceiveMessageWaitTimeSeconds) returns at once
 *   when a message is there; else it waits for one to arrive through `wait(ms)`, which by
 *   default sleeps at most `longPollMs` (20 ms) of real time, never the 20 s AWS may wait. A
 *   test on a virtual clock can set `wait` to its clock's sleep.
 *
 * AWS services (EventBridge) send through `sendFromService`, which the queue's Policy must allow
 * (and which a queue encrypted with a KMS key refuses). FIFO queues are accepted by name and
 * attributes, their ordering and deduplication are not modeled.
 */
import { createHash } from 'node:crypto';
import { type Caller as PolicyCaller, resourcePolicyAllows } from '../support/policy.js';
import { type Caller, type Handler, awsError } from './errors.js';

type Attributes = Record<string, string>;

export interface MessageAttributeValue {
  DataType: string;
  StringValue?: string | undefined;
  BinaryValue?: Uint8Array | undefined;
}

export interface FakeMessage {
  id: string;
  body: string;
  attributes: Record<string, MessageAttributeValue>;
  senderId: string;
  /** When it was enqueued (ms, the account's clock). */
  sentAt: number;
  /** Invisible until then (ms): delayed, or received and in flight. */
  visibleAt: number;
  receiveCount: number;
  firstReceivedAt?: number | undefined;
  /** The receipt handle of its latest receive. */
  receipt?: string | undefined;
  /** The queue it was moved from, when redriven to this dead-letter queue. */
  deadLetterSourceArn?: string | undefined;
}

export interface FakeQueue {
  name: string;
  region: string;
  url: string;
  arn: string;
  /** The attributes one sets (defaults included), as strings. */
  attributes: Attributes;
  tags: Record<string, string>;
  createdAt: number;
  modifiedAt: number;
  messages: FakeMessage[];
}

/** Settable attributes, with AWS's range for the numeric ones. */
const NUMERIC: Record<string, [number, number]> = {
  DelaySeconds: [0, 900],
  MaximumMessageSize: [1024, 1_048_576],
  MessageRetentionPeriod: [60, 1_209_600],
  ReceiveMessageWaitTimeSeconds: [0, 20],
  VisibilityTimeout: [0, 43_200],
  KmsDataKeyReusePeriodSeconds: [60, 86_400],
};
const SETTABLE = new Set([
  ...Object.keys(NUMERIC),
  'Policy',
  'RedrivePolicy',
  'RedriveAllowPolicy',
  'KmsMasterKeyId',
  'SqsManagedSseEnabled',
  'ContentBasedDeduplication',
  'DeduplicationScope',
  'FifoThroughputLimit',
]);
const READ_ONLY = new Set([
  'QueueArn',
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
]);
const DEFAULTS: Attributes = {
  DelaySeconds: '0',
  MaximumMessageSize: '1048576',
  MessageRetentionPeriod: '345600',
  ReceiveMessageWaitTimeSeconds: '0',
  VisibilityTimeout: '30',
  SqsManagedSseEnabled: 'true',
};
const SYSTEM_ATTRIBUTES = [
  'SenderId',
  'SentTimestamp',
  'ApproximateReceiveCount',
  'ApproximateFirstReceiveTimestamp',
  'DeadLetterQueueSourceArn',
];

const md5 = (data: string | Uint8Array) => createHash('md5').update(data).digest('hex');

/** SQS's digest of message attributes: each, by name, as length-prefixed name, type, transport byte and value. */
export function md5OfMessageAttributes(attributes: Record<string, MessageAttributeValue>): string {
  const parts: Buffer[] = [];
  const field = (bytes: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    parts.push(length, bytes);
  };
  for (const name of Object.keys(attributes).sort()) {
    const value = attributes[name] as MessageAttributeValue;
    field(Buffer.from(name, 'utf8'));
    field(Buffer.from(value.DataType, 'utf8'));
    const binary = value.DataType.startsWith('Binary');
    parts.push(Buffer.from([binary ? 2 : 1]));
    field(binary ? Buffer.from(value.BinaryValue ?? new Uint8Array()) : Buffer.from(value.StringValue ?? '', 'utf8'));
  }
  return md5(Buffer.concat(parts));
}

const invalidValue = (name: string) =>
  awsError('sqs', 'InvalidAttributeValue', `Invalid value for the parameter ${name}.`);
const noQueue = () => awsError('sqs', 'QueueDoesNotExist', 'The specified queue does not exist.');
const invalidHandle = (handle: string) =>
  awsError('sqs', 'ReceiptHandleIsInvalid', `The input receipt handle "${handle}" is not a valid receipt handle.`);

interface RedrivePolicy {
  deadLetterTargetArn: string;
  maxReceiveCount: number;
}

const parseRedrive = (text: string | undefined): RedrivePolicy | undefined =>
  text ? (JSON.parse(text) as RedrivePolicy) : undefined;

/** Who sends through `sendFromService`, and the context keys its request carries. */
export interface ServiceSender {
  service: string;
  sourceArn: string;
  sourceAccount: string;
}

export class FakeSqs {
  /** Queues by `region/name`. */
  private readonly queues = new Map<string, FakeQueue>();
  /** When a queue name was last deleted (ms), by `region/name`. */
  private readonly deletedAt = new Map<string, number>();
  private readonly arrivals = new Map<string, Set<() => void>>();
  private counter = 0;
  /** Real time a long poll waits for a message at most (ms). */
  longPollMs = 20;
  /** How a long poll waits `ms` for a message to arrive; resolves early when one does. */
  wait: (ms: number) => Promise<void> = (ms) =>
    new Promise((resolve) => setTimeout(resolve, Math.min(ms, this.longPollMs)));
  /** The SenderId of a message sent with the caller's key (the account's IAM user id). */
  senderOf: (caller: Caller) => string = () => 'AIDAFAKE';

  constructor(
    private readonly accountId: () => string,
    private readonly now: () => number = () => Date.now(),
  ) {}

  urlOf(region: string, name: string): string {
    return `https://sqs.${region}.amazonaws.com/${this.accountId()}/${name}`;
  }

  arnOf(region: string, name: string): string {
    return `arn:aws:sqs:${region}:${this.accountId()}:${name}`;
  }

  queue(region: string, name: string): FakeQueue | undefined {
    return this.queues.get(`${region}/${name}`);
  }

  /** The queue an ARN names, in this account. */
  byArn(arn: string): FakeQueue | undefined {
    const [, , service, region, account, name] = arn.split(':');
    if (service !== 'sqs' || account !== this.accountId() || region === undefined || name === undefined)
      return undefined;
    return this.queue(region, name);
  }

  /** The queue a QueueUrl names (its last two path segments are the account and the name; the host names the region). */
  byUrl(url: string, region: string): FakeQueue | undefined {
    const match = /^https?:\/\/([^/]+)\/(\d{12})\/([^/?]+)\/?$/.exec(url);
    if (!match || match[2] !== this.accountId()) return undefined;
    const urlRegion = /^sqs\.([a-z0-9-]+)\.amazonaws\.com$/.exec(match[1] ?? '')?.[1] ?? region;
    return this.queue(urlRegion, match[3] ?? '');
  }

  /** The bodies of the messages a queue holds (visible or not), oldest first. */
  bodies(region: string, name: string): string[] {
    const queue = this.queue(region, name);
    if (!queue) return [];
    this.expire(queue);
    return queue.messages.map((m) => m.body);
  }

  /** Puts a message on a queue as SendMessage does (for tests). */
  send(region: string, name: string, body: string, senderId = 'AIDAFAKE'): FakeMessage {
    const queue = this.queue(region, name);
    if (!queue) throw new Error(`no queue ${name} in ${region}`);
    return this.enqueue(queue, body, {}, undefined, senderId);
  }

  /**
   * A message an AWS service sends on its own (EventBridge, for a rule's target): delivered only
   * when the queue's Policy lets that service principal `sqs:SendMessage` with the request's
   * `aws:SourceArn` and `aws:SourceAccount`, and the queue is not encrypted with a KMS key
   * (SSE-KMS: the service may not use the key; SSE-SQS is fine). Answers why it was not
   * delivered, or undefined when it was.
   */
  sendFromService(queueArn: string, body: string, sender: ServiceSender): string | undefined {
    const queue = this.byArn(queueArn);
    if (!queue) return `queue ${queueArn} does not exist`;
    const policy = queue.attributes['Policy'];
    const caller: PolicyCaller = { service: sender.service };
    const request = {
      action: 'sqs:SendMessage',
      resource: queue.arn,
      context: { 'aws:SourceArn': sender.sourceArn, 'aws:SourceAccount': sender.sourceAccount },
    };
    if (!policy || !resourcePolicyAllows(JSON.parse(policy) as unknown, caller, request))
      return `the policy of ${queue.name} does not allow ${sender.service} sqs:SendMessage from ${sender.sourceArn}`;
    if (queue.attributes['KmsMasterKeyId'])
      return `${queue.name} is encrypted with the KMS key ${queue.attributes['KmsMasterKeyId']}, which ${sender.service} may not use`;
    this.enqueue(queue, body, {}, undefined, `AIDA${sender.service.split('.')[0]?.toUpperCase()}FAKE`);
    return undefined;
  }

  snapshot(): unknown {
    return [...this.queues.values()]
      .sort((a, b) => `${a.region}/${a.name}`.localeCompare(`${b.region}/${b.name}`))
      .map((q) => {
        this.expire(q);
        return {
          region: q.region,
          name: q.name,
          attributes: Object.fromEntries(Object.entries(q.attributes).sort(([a], [b]) => a.localeCompare(b))),
          tags: q.tags,
          // Message ids and receipt handles differ between runs; how many messages it holds does not.
          messages: q.messages.length,
        };
      });
  }

  private nextId(): string {
    this.counter += 1;
    const n = this.counter.toString(16).padStart(12, '0');
    return `5fa1e000-0000-4000-8000-${n}`;
  }

  private mustQueue(input: Record<string, unknown>, region: string): FakeQueue {
    const url = input['QueueUrl'];
    if (typeof url !== 'string' || url === '')
      throw awsError('sqs', 'MissingParameter', 'The request must contain the parameter QueueUrl.');
    const queue = this.byUrl(url, region);
    if (!queue) throw noQueue();
    return queue;
  }

  /** Checks and normalizes attributes being set (RedrivePolicy as AWS stores it: maxReceiveCount a number). */
  private checkAttributes(attributes: Attributes, region: string, creating: boolean): Attributes {
    const out: Attributes = {};
    for (const [name, raw] of Object.entries(attributes)) {
      const value = String(raw);
      if (READ_ONLY.has(name) || (name === 'FifoQueue' && !creating) || (!SETTABLE.has(name) && name !== 'FifoQueue'))
        throw awsError('sqs', 'InvalidAttributeName', `Unknown Attribute ${name}.`);
      const range = NUMERIC[name];
      if (range) {
        if (!/^\d+$/.test(value) || Number(value) < range[0] || Number(value) > range[1]) throw invalidValue(name);
        out[name] = String(Number(value));
      } else if (name === 'Policy' || name === 'RedriveAllowPolicy') {
        if (value !== '') {
          let doc: unknown;
          try {
            doc = JSON.parse(value);
          } catch {
            throw invalidValue(name);
          }
          if (name === 'Policy' && (typeof doc !== 'object' || doc === null || !('Statement' in doc)))
            throw invalidValue(name);
        }
        out[name] = value;
      } else if (name === 'RedrivePolicy') {
        if (value === '') {
          out[name] = '';
          continue;
        }
        let doc: { deadLetterTargetArn?: unknown; maxReceiveCount?: unknown };
        try {
          doc = JSON.parse(value) as typeof doc;
        } catch {
          throw invalidValue(name);
        }
        const count = Number(doc.maxReceiveCount);
        if (typeof doc.deadLetterTargetArn !== 'string' || !Number.isInteger(count) || count < 1 || count > 1000)
          throw invalidValue(name);
        const target = this.byArn(doc.deadLetterTargetArn);
        if (!target || target.region !== region)
          throw awsError(
            'sqs',
            'InvalidParameterValue',
            `Value ${value} for parameter RedrivePolicy is invalid. Reason: Dead letter target does not exist.`,
          );
        out[name] = JSON.stringify({ deadLetterTargetArn: doc.deadLetterTargetArn, maxReceiveCount: count });
      } else if (['SqsManagedSseEnabled', 'FifoQueue', 'ContentBasedDeduplication'].includes(name)) {
        if (value !== 'true' && value !== 'false') throw invalidValue(name);
        out[name] = value;
      } else {
        out[name] = value;
      }
    }
    if (out['SqsManagedSseEnabled'] === 'true' && out['KmsMasterKeyId'])
      throw awsError(
        'sqs',
        'InvalidAttributeValue',
        'You can use one type of server-side encryption (SSE) at one time. You can either enable KMS SSE or SQS SSE.',
      );
    return out;
  }

  /** Sets checked attributes on a queue: one server-side encryption at a time, '' clears a policy. */
  private apply(queue: FakeQueue, attributes: Attributes): void {
    for (const [name, value] of Object.entries(attributes)) {
      if (value === '') delete queue.attributes[name];
      else queue.attributes[name] = value;
    }
    if (attributes['KmsMasterKeyId']) {
      queue.attributes['SqsManagedSseEnabled'] = 'false';
      queue.attributes['KmsDataKeyReusePeriodSeconds'] ??= '300';
    } else if (attributes['KmsMasterKeyId'] === '' || attributes['SqsManagedSseEnabled'] === 'true') {
      delete queue.attributes['KmsMasterKeyId'];
      delete queue.attributes['KmsDataKeyReusePeriodSeconds'];
    }
    queue.modifiedAt = this.now();
  }

  /** Drops what is past the retention period. */
  private expire(queue: FakeQueue): void {
    const retention = Number(queue.attributes['MessageRetentionPeriod']) * 1000;
    const now = this.now();
    queue.messages = queue.messages.filter((m) => m.sentAt + retention > now);
  }

  private enqueue(
    queue: FakeQueue,
    body: string,
    attributes: Record<string, MessageAttributeValue>,
    delaySeconds: number | undefined,
    senderId: string,
  ): FakeMessage {
    const now = this.now();
    const message: FakeMessage = {
      id: this.nextId(),
      body,
      attributes,
      senderId,
      sentAt: now,
      visibleAt: now + (delaySeconds ?? Number(queue.attributes['DelaySeconds'])) * 1000,
      receiveCount: 0,
    };
    queue.messages.push(message);
    for (const wake of this.arrivals.get(queue.arn) ?? []) wake();
    return message;
  }

  private receiptOf(queue: FakeQueue, message: FakeMessage): string {
    return Buffer.from(JSON.stringify({ q: queue.arn, m: message.id, n: message.receiveCount })).toString('base64');
  }

  /** The message a receipt handle names: undefined when it is an older handle, or the message is gone. */
  private byReceipt(queue: FakeQueue, handle: unknown): FakeMessage | undefined {
    const text = String(handle ?? '');
    let parsed: { q?: unknown; m?: unknown; n?: unknown };
    try {
      parsed = JSON.parse(Buffer.from(text, 'base64').toString('utf8')) as typeof parsed;
    } catch {
      throw invalidHandle(text);
    }
    if (typeof parsed !== 'object' || parsed === null || parsed.q !== queue.arn || typeof parsed.m !== 'string')
      throw invalidHandle(text);
    return queue.messages.find((m) => m.id === parsed.m && m.receipt === text);
  }

  /** Visible messages, up to `max`; a message past its maxReceiveCount goes to the dead-letter queue instead. */
  private take(queue: FakeQueue, max: number, visibilitySeconds: number): FakeMessage[] {
    this.expire(queue);
    const now = this.now();
    const redrive = parseRedrive(queue.attributes['RedrivePolicy']);
    const out: FakeMessage[] = [];
    for (const message of [...queue.messages]) {
      if (out.length >= max) break;
      if (message.visibleAt > now) continue;
      const dlq = redrive && message.receiveCount >= redrive.maxReceiveCount && this.byArn(redrive.deadLetterTargetArn);
      if (dlq) {
        queue.messages = queue.messages.filter((m) => m !== message);
        dlq.messages.push({
          ...message,
          visibleAt: now,
          receipt: undefined,
          deadLetterSourceArn: queue.arn,
        });
        for (const wake of this.arrivals.get(dlq.arn) ?? []) wake();
        continue;
      }
      message.receiveCount += 1;
      message.firstReceivedAt ??= now;
      message.visibleAt = now + visibilitySeconds * 1000;
      message.receipt = this.receiptOf(queue, message);
      out.push(message);
    }
    return out;
  }

  /** Resolves when a message arrives on the queue or the wait is over. */
  private async waitForArrival(queue: FakeQueue, ms: number): Promise<void> {
    let wake: () => void = () => undefined;
    const arrived = new Promise<void>((resolve) => (wake = resolve));
    const waiting = this.arrivals.get(queue.arn) ?? new Set();
    waiting.add(wake);
    this.arrivals.set(queue.arn, waiting);
    try {
      await Promise.race([arrived, this.wait(ms)]);
    } finally {
      waiting.delete(wake);
    }
  }

  private messageOut(
    queue: FakeQueue,
    m: FakeMessage,
    systemNames: string[],
    attributeNames: string[],
  ): Record<string, unknown> {
    const all = systemNames.includes('All');
    const system: Record<string, string | undefined> = {
      SenderId: m.senderId,
      SentTimestamp: String(m.sentAt),
      ApproximateReceiveCount: String(m.receiveCount),
      ApproximateFirstReceiveTimestamp: m.firstReceivedAt === undefined ? undefined : String(m.firstReceivedAt),
      DeadLetterQueueSourceArn: m.deadLetterSourceArn,
    };
    const attributes = Object.fromEntries(
      SYSTEM_ATTRIBUTES.filter((n) => (all || systemNames.includes(n)) && system[n] !== undefined).map((n) => [
        n,
        system[n] as string,
      ]),
    );
    const wanted = (name: string) =>
      attributeNames.some(
        (w) => w === 'All' || w === '.*' || w === name || (w.endsWith('.*') && name.startsWith(w.slice(0, -1))),
      );
    const messageAttributes = Object.fromEntries(Object.entries(m.attributes).filter(([name]) => wanted(name)));
    const some = Object.keys(messageAttributes).length > 0;
    return {
      MessageId: m.id,
      ReceiptHandle: m.receipt ?? this.receiptOf(queue, m),
      MD5OfBody: md5(m.body),
      Body: m.body,
      ...(Object.keys(attributes).length > 0 ? { Attributes: attributes } : {}),
      ...(some
        ? { MessageAttributes: messageAttributes, MD5OfMessageAttributes: md5OfMessageAttributes(messageAttributes) }
        : {}),
    };
  }

  private attributesOf(queue: FakeQueue): Attributes {
    this.expire(queue);
    const now = this.now();
    const visible = queue.messages.filter((m) => m.visibleAt <= now);
    return {
      QueueArn: queue.arn,
      ApproximateNumberOfMessages: String(visible.length),
      ApproximateNumberOfMessagesNotVisible: String(
        queue.messages.filter((m) => m.visibleAt > now && m.receiveCount > 0).length,
      ),
      ApproximateNumberOfMessagesDelayed: String(
        queue.messages.filter((m) => m.visibleAt > now && m.receiveCount === 0).length,
      ),
      CreatedTimestamp: String(Math.floor(queue.createdAt / 1000)),
      LastModifiedTimestamp: String(Math.floor(queue.modifiedAt / 1000)),
      ...queue.attributes,
    };
  }

  handlers(): Record<string, Handler> {
    return {
      'sqs:CreateQueue': (input, region) => {
        const name = String(input['QueueName'] ?? '');
        const requested = (input['Attributes'] as Attributes | undefined) ?? {};
        const fifo = requested['FifoQueue'] === 'true';
        if (fifo ? !/^[A-Za-z0-9_-]{1,75}\.fifo$/.test(name) : !/^[A-Za-z0-9_-]{1,80}$/.test(name))
          throw awsError(
            'sqs',
            'InvalidParameterValue',
            fifo
              ? 'The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.'
              : 'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length',
          );
        const attributes = this.checkAttributes(requested, region, true);
        const key = `${region}/${name}`;
        const existing = this.queues.get(key);
        if (existing) {
          const current = this.attributesOf(existing);
          const differing = Object.entries(attributes).find(([n, v]) => (current[n] ?? '') !== v);
          if (differing)
            throw awsError(
              'sqs',
              'QueueNameExists',
              `A queue already exists with the same name and a different value for attribute ${differing[0]}`,
            );
          return { QueueUrl: existing.url };
        }
        const deleted = this.deletedAt.get(key);
        if (deleted !== undefined && this.now() - deleted < 60_000)
          throw awsError(
            'sqs',
            'QueueDeletedRecently',
            'You must wait 60 seconds after deleting a queue before you can create another with the same name.',
          );
        const now = this.now();
        const queue: FakeQueue = {
          name,
          region,
          url: this.urlOf(region, name),
          arn: this.arnOf(region, name),
          attributes: {
            ...DEFAULTS,
            ...(fifo
              ? {
                  FifoQueue: 'true',
                  ContentBasedDeduplication: 'false',
                  DeduplicationScope: 'queue',
                  FifoThroughputLimit: 'perQueue',
                }
              : {}),
          },
          tags: { ...((input['tags'] as Record<string, string> | undefined) ?? {}) },
          createdAt: now,
          modifiedAt: now,
          messages: [],
        };
        this.apply(queue, attributes);
        queue.modifiedAt = now;
        this.queues.set(key, queue);
        return { QueueUrl: queue.url };
      },
      'sqs:GetQueueUrl': (input, region) => {
        const owner = input['QueueOwnerAWSAccountId'];
        const queue = this.queue(region, String(input['QueueName'] ?? ''));
        if (!queue || (owner !== undefined && owner !== this.accountId())) throw noQueue();
        return { QueueUrl: queue.url };
      },
      'sqs:ListQueues': (input, region) => {
        const prefix = String(input['QueueNamePrefix'] ?? '');
        const urls = [...this.queues.values()]
          .filter((q) => q.region === region && q.name.startsWith(prefix))
          .map((q) => q.url)
          .sort();
        return urls.length > 0 ? { QueueUrls: urls } : {};
      },
      'sqs:GetQueueAttributes': (input, region) => {
        const queue = this.mustQueue(input, region);
        const names = (input['AttributeNames'] as string[] | undefined) ?? [];
        const all = this.attributesOf(queue);
        for (const n of names) {
          if (n !== 'All' && !SETTABLE.has(n) && !READ_ONLY.has(n) && n !== 'FifoQueue')
            throw awsError('sqs', 'InvalidAttributeName', `Unknown Attribute ${n}.`);
        }
        const picked = names.includes('All')
          ? all
          : Object.fromEntries(Object.entries(all).filter(([n]) => names.includes(n)));
        return Object.keys(picked).length > 0 ? { Attributes: picked } : {};
      },
      'sqs:SetQueueAttributes': (input, region) => {
        const queue = this.mustQueue(input, region);
        this.apply(queue, this.checkAttributes((input['Attributes'] as Attributes | undefined) ?? {}, region, false));
        return {};
      },
      'sqs:ListQueueTags': (input, region) => {
        const queue = this.mustQueue(input, region);
        return Object.keys(queue.tags).length > 0 ? { Tags: { ...queue.tags } } : {};
      },
      'sqs:TagQueue': (input, region) => {
        const queue = this.mustQueue(input, region);
        Object.assign(queue.tags, (input['Tags'] as Record<string, string> | undefined) ?? {});
        return {};
      },
      'sqs:UntagQueue': (input, region) => {
        const queue = this.mustQueue(input, region);
        for (const key of (input['TagKeys'] as string[] | undefined) ?? []) delete queue.tags[key];
        return {};
      },
      'sqs:DeleteQueue': (input, region) => {
        const queue = this.mustQueue(input, region);
        this.queues.delete(`${queue.region}/${queue.name}`);
        this.deletedAt.set(`${queue.region}/${queue.name}`, this.now());
        return {};
      },
      'sqs:PurgeQueue': (input, region) => {
        this.mustQueue(input, region).messages = [];
        return {};
      },
      'sqs:SendMessage': (input, region, caller) => {
        const queue = this.mustQueue(input, region);
        const body = input['MessageBody'];
        if (typeof body !== 'string' || body === '')
          throw awsError('sqs', 'MissingParameter', 'The request must contain the parameter MessageBody.');
        const attributes = (input['MessageAttributes'] as Record<string, MessageAttributeValue> | undefined) ?? {};
        const size =
          Buffer.byteLength(body) +
          Object.entries(attributes).reduce(
            (n, [k, v]) => n + k.length + v.DataType.length + (v.StringValue?.length ?? v.BinaryValue?.length ?? 0),
            0,
          );
        if (size > Number(queue.attributes['MaximumMessageSize']))
          throw awsError(
            'sqs',
            'InvalidParameterValue',
            `One or more parameters are invalid. Reason: Message must be shorter than ${queue.attributes['MaximumMessageSize']} bytes.`,
          );
        const delay = input['DelaySeconds'] as number | undefined;
        if (delay !== undefined && (delay < 0 || delay > 900))
          throw awsError(
            'sqs',
            'InvalidParameterValue',
            `Value ${delay} for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.`,
          );
        const message = this.enqueue(queue, body, attributes, delay, this.senderOf(caller));
        return {
          MessageId: message.id,
          MD5OfMessageBody: md5(body),
          ...(Object.keys(attributes).length > 0 ? { MD5OfMessageAttributes: md5OfMessageAttributes(attributes) } : {}),
        };
      },
      'sqs:ReceiveMessage': async (input, region) => {
        const queue = this.mustQueue(input, region);
        const max = (input['MaxNumberOfMessages'] as number | undefined) ?? 1;
        if (!Number.isInteger(max) || max < 1 || max > 10)
          throw awsError(
            'sqs',
            'InvalidParameterValue',
            `Value ${max} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.`,
          );
        const waitSeconds =
          (input['WaitTimeSeconds'] as number | undefined) ?? Number(queue.attributes['ReceiveMessageWaitTimeSeconds']);
        if (waitSeconds < 0 || waitSeconds > 20)
          throw awsError(
            'sqs',
            'InvalidParameterValue',
            `Value ${waitSeconds} for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.`,
          );
        const visibility =
          (input['VisibilityTimeout'] as number | undefined) ?? Number(queue.attributes['VisibilityTimeout']);
        if (visibility < 0 || visibility > 43_200)
          throw awsError(
            'sqs',
            'InvalidParameterValue',
            `Value ${visibility} for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= 43200, if provided.`,
          );
        let messages = this.take(queue, max, visibility);
        if (messages.length === 0 && waitSeconds > 0) {
          await this.waitForArrival(queue, waitSeconds * 1000);
          // A deleted queue answers as AWS does to a long poll on it.
          if (this.queues.get(`${queue.region}/${queue.name}`) !== queue) throw noQueue();
          messages = this.take(queue, max, visibility);
        }
        if (messages.length === 0) return {};
        const systemNames = [
          ...((input['AttributeNames'] as string[] | undefined) ?? []),
          ...((input['MessageSystemAttributeNames'] as string[] | undefined) ?? []),
        ];
        const attributeNames = (input['MessageAttributeNames'] as string[] | undefined) ?? [];
        return { Messages: messages.map((m) => this.messageOut(queue, m, systemNames, attributeNames)) };
      },
      'sqs:DeleteMessage': (input, region) => {
        const queue = this.mustQueue(input, region);
        const message = this.byReceipt(queue, input['ReceiptHandle']);
        // An older handle of a message received again is accepted and deletes nothing (AWS documents so).
        if (message) queue.messages = queue.messages.filter((m) => m !== message);
        return {};
      },
      'sqs:ChangeMessageVisibility': (input, region) => {
        const queue = this.mustQueue(input, region);
        const handle = String(input['ReceiptHandle'] ?? '');
        const message = this.byReceipt(queue, handle);
        if (!message) throw invalidHandle(handle);
        const seconds = Number(input['VisibilityTimeout']);
        if (!Number.isInteger(seconds) || seconds < 0 || seconds > 43_200)
          throw awsError(
            'sqs',
            'InvalidParameterValue',
            `Value ${String(input['VisibilityTimeout'])} for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= 43200.`,
          );
        if (message.visibleAt <= this.now())
          throw awsError('sqs', 'MessageNotInflight', 'The message referred to is not in flight.');
        message.visibleAt = this.now() + seconds * 1000;
        return {};
      },
    };
  }
}
