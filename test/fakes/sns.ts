/**
 * SNS of the fake account (topics and subscriptions, per region), to AWS's documented behaviour:
 *
 * - CreateTopic is idempotent: the same name gives the same ARN, unless the call names
 *   attributes or tags that differ from the topic's (InvalidParameter "Topic already exists with
 *   different attributes / tags"); DeleteTopic of a topic that does not exist is no error, and
 *   takes the topic's subscriptions with it; GetTopicAttributes of a missing topic is NotFound.
 * - Subscribe: an email (email-json, http, https) subscription waits for its endpoint to confirm
 *   (`confirm(endpoint)` here): ListSubscriptionsByTopic shows it as `PendingConfirmation`, and
 *   Subscribe answers `pending confirmation` unless ReturnSubscriptionArn. Subscribing the same
 *   endpoint again answers the same subscription. SNS drops a subscription left unconfirmed for
 *   48 hours (the account's clock). SQS, Lambda and Firehose subscriptions are confirmed at once.
 * - Unsubscribe: an ARN SNS does not know is no error (AWS answers 200); "PendingConfirmation"
 *   or any other non-ARN is InvalidParameter; a subscription still pending cannot be deleted
 *   (InvalidParameter, as the contract says AWS answers; the SNS guide: "You can't delete a
 *   subscription that's pending confirmation").
 * - Tags: ListTagsForResource / TagResource / UntagResource on a topic ARN, a missing topic
 *   being ResourceNotFound.
 */
import { type Handler, awsError } from './errors.js';

type Tag = { Key: string; Value: string };

export interface FakeSubscription {
  arn: string;
  topicArn: string;
  protocol: string;
  endpoint: string;
  pending: boolean;
  createdAt: number;
  attributes: Record<string, string>;
}

export interface FakeTopic {
  name: string;
  region: string;
  arn: string;
  attributes: Record<string, string>;
  tags: Tag[];
  subscriptions: FakeSubscription[];
}

export interface PublishedMessage {
  topicArn: string;
  messageId: string;
  message: string;
  subject?: string | undefined;
}

const PROTOCOLS = ['http', 'https', 'email', 'email-json', 'sms', 'sqs', 'application', 'lambda', 'firehose'];
const CONFIRMED_AT_ONCE = ['sqs', 'lambda', 'firehose', 'application', 'sms'];
const PENDING_FOR_MS = 48 * 3600 * 1000;
const TOPIC_ATTRIBUTES = [
  'DisplayName',
  'Policy',
  'DeliveryPolicy',
  'KmsMasterKeyId',
  'SignatureVersion',
  'TracingConfig',
  'FifoTopic',
  'ContentBasedDeduplication',
  'ArchivePolicy',
  'FifoThroughputScope',
  'DataProtectionPolicy',
];

const clone = <T>(v: T): T => structuredClone(v);
const invalidParameter = (message: string) => awsError('sns', 'InvalidParameter', `Invalid parameter: ${message}`);
const noTopic = () => awsError('sns', 'NotFound', 'Topic does not exist');
const sameTags = (a: Tag[], b: Tag[]) =>
  a.length === b.length && a.every((t) => b.some((u) => u.Key === t.Key && u.Value === t.Value));

export class FakeSns {
  /** Topics by ARN. */
  private readonly topics = new Map<string, FakeTopic>();
  readonly published: PublishedMessage[] = [];
  private counter = 0;

  constructor(
    private readonly accountId: () => string,
    private readonly now: () => number = () => Date.now(),
  ) {}

  topicArn(region: string, name: string): string {
    return `arn:aws:sns:${region}:${this.accountId()}:${name}`;
  }

  topic(region: string, name: string): FakeTopic | undefined {
    const topic = this.topics.get(this.topicArn(region, name));
    if (topic) this.expire(topic);
    return topic;
  }

  /**
   * The endpoint's owner follows the confirmation link: its pending subscriptions (to one topic,
   * or to all) are confirmed. Answers how many were.
   */
  confirm(endpoint: string, topicArn?: string): number {
    let n = 0;
    for (const topic of this.topics.values()) {
      if (topicArn !== undefined && topic.arn !== topicArn) continue;
      this.expire(topic);
      for (const s of topic.subscriptions) {
        if (s.pending && s.endpoint === endpoint) {
          s.pending = false;
          n += 1;
        }
      }
    }
    return n;
  }

  snapshot(): unknown {
    return clone(
      [...this.topics.values()]
        .sort((a, b) => a.arn.localeCompare(b.arn))
        .map((t) => {
          this.expire(t);
          return {
            region: t.region,
            name: t.name,
            attributes: t.attributes,
            tags: t.tags,
            // A subscription's ARN ends in an id of SNS's choosing; what it is for does not.
            subscriptions: t.subscriptions
              .map((s) => ({ protocol: s.protocol, endpoint: s.endpoint, pending: s.pending }))
              .sort((a, b) => `${a.protocol}:${a.endpoint}`.localeCompare(`${b.protocol}:${b.endpoint}`)),
          };
        }),
    );
  }

  /** SNS drops a subscription left unconfirmed for 48 hours. */
  private expire(topic: FakeTopic): void {
    const now = this.now();
    topic.subscriptions = topic.subscriptions.filter((s) => !s.pending || now - s.createdAt < PENDING_FOR_MS);
  }

  private nextId(): string {
    this.counter += 1;
    return `5a5e0000-0000-4000-8000-${this.counter.toString(16).padStart(12, '0')}`;
  }

  private mustTopic(arn: unknown): FakeTopic {
    const text = String(arn ?? '');
    if (!text.startsWith('arn:')) throw invalidParameter(`TopicArn Reason: ${text} does not start with arn`);
    const topic = this.topics.get(text);
    if (!topic) throw noTopic();
    this.expire(topic);
    return topic;
  }

  private taggable(arn: unknown): FakeTopic {
    const topic = this.topics.get(String(arn ?? ''));
    if (!topic) throw awsError('sns', 'ResourceNotFound', 'Resource does not exist');
    return topic;
  }

  private defaultPolicy(arn: string): string {
    return JSON.stringify({
      Version: '2008-10-17',
      Id: '__default_policy_ID',
      Statement: [
        {
          Sid: '__default_statement_ID',
          Effect: 'Allow',
          Principal: { AWS: '*' },
          Action: [
            'SNS:GetTopicAttributes',
            'SNS:SetTopicAttributes',
            'SNS:AddPermission',
            'SNS:RemovePermission',
            'SNS:DeleteTopic',
            'SNS:Subscribe',
            'SNS:ListSubscriptionsByTopic',
            'SNS:Publish',
          ],
          Resource: arn,
          Condition: { StringEquals: { 'AWS:SourceOwner': this.accountId() } },
        },
      ],
    });
  }

  private listed(s: FakeSubscription) {
    return {
      SubscriptionArn: s.pending ? 'PendingConfirmation' : s.arn,
      Owner: this.accountId(),
      Protocol: s.protocol,
      Endpoint: s.endpoint,
      TopicArn: s.topicArn,
    };
  }

  handlers(): Record<string, Handler> {
    return {
      'sns:CreateTopic': (input, region) => {
        const name = String(input['Name'] ?? '');
        const attributes = (input['Attributes'] as Record<string, string> | undefined) ?? {};
        const fifo = attributes['FifoTopic'] === 'true';
        if (fifo ? !/^[A-Za-z0-9_-]{1,251}\.fifo$/.test(name) : !/^[A-Za-z0-9_-]{1,256}$/.test(name))
          throw invalidParameter('Topic Name');
        for (const key of Object.keys(attributes)) {
          if (
            !TOPIC_ATTRIBUTES.includes(key) &&
            !/^[A-Za-z]+(Success|Failure)FeedbackRoleArn$|SuccessFeedbackSampleRate$/.test(key)
          )
            throw invalidParameter(`Attributes Reason: Unknown attribute ${key}`);
        }
        const tags = (input['Tags'] as Tag[] | undefined) ?? [];
        const arn = this.topicArn(region, name);
        const existing = this.topics.get(arn);
        if (existing) {
          if (Object.entries(attributes).some(([k, v]) => existing.attributes[k] !== v))
            throw invalidParameter('Attributes Reason: Topic already exists with different attributes');
          if (input['Tags'] !== undefined && !sameTags(tags, existing.tags))
            throw invalidParameter('Tags Reason: Topic already exists with different tags');
          return { TopicArn: arn };
        }
        this.topics.set(arn, {
          name,
          region,
          arn,
          attributes: { ...attributes },
          tags: clone(tags),
          subscriptions: [],
        });
        return { TopicArn: arn };
      },
      'sns:GetTopicAttributes': (input) => {
        const topic = this.mustTopic(input['TopicArn']);
        const count = (pending: boolean) => String(topic.subscriptions.filter((s) => s.pending === pending).length);
        return {
          Attributes: {
            TopicArn: topic.arn,
            Owner: this.accountId(),
            Policy: this.defaultPolicy(topic.arn),
            DisplayName: '',
            SubscriptionsPending: count(true),
            SubscriptionsConfirmed: count(false),
            SubscriptionsDeleted: '0',
            EffectiveDeliveryPolicy:
              '{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"disableSubscriptionOverrides":false,"defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}}',
            ...topic.attributes,
          },
        };
      },
      'sns:SetTopicAttributes': (input) => {
        const topic = this.mustTopic(input['TopicArn']);
        const name = String(input['AttributeName'] ?? '');
        if (!TOPIC_ATTRIBUTES.includes(name) || name === 'FifoTopic') throw invalidParameter('AttributeName');
        const value = input['AttributeValue'];
        if (value === undefined || value === '') delete topic.attributes[name];
        else topic.attributes[name] = String(value);
        return {};
      },
      'sns:ListTopics': (_input, region) => ({
        Topics: [...this.topics.values()].filter((t) => t.region === region).map((t) => ({ TopicArn: t.arn })),
      }),
      'sns:DeleteTopic': (input) => {
        const arn = String(input['TopicArn'] ?? '');
        if (!arn.startsWith('arn:')) throw invalidParameter(`TopicArn Reason: ${arn} does not start with arn`);
        this.topics.delete(arn);
        return {};
      },
      'sns:Subscribe': (input) => {
        const topic = this.mustTopic(input['TopicArn']);
        const protocol = String(input['Protocol'] ?? '');
        if (!PROTOCOLS.includes(protocol)) throw invalidParameter(`Invalid protocol type: ${protocol}`);
        const endpoint = String(input['Endpoint'] ?? '');
        if (protocol.startsWith('email') && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(endpoint))
          throw invalidParameter('Email address');
        if (protocol.startsWith('http') && !endpoint.startsWith(`${protocol}://`))
          throw invalidParameter(`Endpoint must match the specified protocol`);
        const returnArn = input['ReturnSubscriptionArn'] === true;
        const existing = topic.subscriptions.find((s) => s.protocol === protocol && s.endpoint === endpoint);
        const subscription: FakeSubscription = existing ?? {
          arn: `${topic.arn}:${this.nextId()}`,
          topicArn: topic.arn,
          protocol,
          endpoint,
          pending: !CONFIRMED_AT_ONCE.includes(protocol),
          createdAt: this.now(),
          attributes: { ...((input['Attributes'] as Record<string, string> | undefined) ?? {}) },
        };
        if (!existing) topic.subscriptions.push(subscription);
        return { SubscriptionArn: subscription.pending && !returnArn ? 'pending confirmation' : subscription.arn };
      },
      'sns:ListSubscriptionsByTopic': (input) => ({
        Subscriptions: this.mustTopic(input['TopicArn']).subscriptions.map((s) => this.listed(s)),
      }),
      'sns:ListSubscriptions': (_input, region) => ({
        Subscriptions: [...this.topics.values()]
          .filter((t) => t.region === region)
          .flatMap((t) => {
            this.expire(t);
            return t.subscriptions.map((s) => this.listed(s));
          }),
      }),
      'sns:GetSubscriptionAttributes': (input) => {
        const arn = String(input['SubscriptionArn'] ?? '');
        const s = [...this.topics.values()].flatMap((t) => t.subscriptions).find((x) => x.arn === arn);
        if (!s) throw awsError('sns', 'NotFound', 'Subscription does not exist');
        return {
          Attributes: {
            SubscriptionArn: s.arn,
            TopicArn: s.topicArn,
            Owner: this.accountId(),
            Protocol: s.protocol,
            Endpoint: s.endpoint,
            PendingConfirmation: String(s.pending),
            ConfirmationWasAuthenticated: String(!s.pending && !s.protocol.startsWith('email')),
            RawMessageDelivery: 'false',
            ...s.attributes,
          },
        };
      },
      'sns:Unsubscribe': (input) => {
        const arn = String(input['SubscriptionArn'] ?? '');
        if (!arn.startsWith('arn:')) throw invalidParameter(`SubscriptionArn Reason: ${arn} does not start with arn`);
        if (arn.split(':').length < 6)
          throw invalidParameter(
            `SubscriptionArn Reason: An ARN must have at least 6 elements, not ${arn.split(':').length}`,
          );
        for (const topic of this.topics.values()) {
          const s = topic.subscriptions.find((x) => x.arn === arn);
          if (!s) continue;
          if (s.pending)
            throw invalidParameter('SubscriptionArn Reason: A subscription pending confirmation cannot be deleted');
          topic.subscriptions = topic.subscriptions.filter((x) => x !== s);
        }
        return {};
      },
      'sns:Publish': (input) => {
        const topic = this.mustTopic(input['TopicArn']);
        const message = input['Message'];
        if (typeof message !== 'string' || message === '') throw invalidParameter('Empty message');
        const messageId = this.nextId();
        this.published.push({
          topicArn: topic.arn,
          messageId,
          message,
          subject: input['Subject'] as string | undefined,
        });
        return { MessageId: messageId };
      },
      'sns:ListTagsForResource': (input) => ({ Tags: clone(this.taggable(input['ResourceArn']).tags) }),
      'sns:TagResource': (input) => {
        const topic = this.taggable(input['ResourceArn']);
        for (const tag of (input['Tags'] as Tag[] | undefined) ?? [])
          topic.tags = [...topic.tags.filter((t) => t.Key !== tag.Key), tag];
        return {};
      },
      'sns:UntagResource': (input) => {
        const topic = this.taggable(input['ResourceArn']);
        const keys = new Set((input['TagKeys'] as string[] | undefined) ?? []);
        topic.tags = topic.tags.filter((t) => !keys.has(t.Key));
        return {};
      },
    };
  }
}
