import * as z from 'zod/mini';
import { SQS } from '../../aws/sdk.js';
import type { Config } from '../../config/config.js';
import { defineResource } from '../../engine/resource.js';
import type { Change, Step, StepContext, StepId } from '../../engine/types.js';
import { HmError } from '../../errors.js';
import { eventNames, regionalArn } from '../names.js';
import { missingTags, resourceTags, tagChanges } from '../tags.js';

const outputsSchema = z.object({ name: z.string(), url: z.string(), arn: z.string() });
export type QueueOutputs = z.infer<typeof outputsSchema>;

declare module '../../engine/types.js' {
  interface StepOutputs {
    'email-events-dlq': QueueOutputs;
    'email-events-queue': QueueOutputs;
    'events-dlq': QueueOutputs;
    'events-queue': QueueOutputs;
  }
}

export interface QueueObserved {
  url: string;
  attributes: Record<string, string>;
  tags: Record<string, string>;
}

/** A dead-letter queue keeps a failed message 14 days (SQS's maximum) to be looked at. */
export const DLQ_RETENTION_SECONDS = 14 * 24 * 3600;
/**
 * The working queue keeps messages SQS's default 4 days: shorter than its dead-letter queue, as
 * SQS advises, since a message's age counts from its first enqueue even once moved.
 */
export const QUEUE_RETENTION_SECONDS = 4 * 24 * 3600;
/** A message received this many times without being deleted moves to the dead-letter queue. */
export const MAX_RECEIVE_COUNT = 5;

type QueueId = 'email-events-dlq' | 'email-events-queue' | 'events-dlq' | 'events-queue';

interface QueueSpec {
  id: QueueId;
  title: string;
  name(config: Config): string;
  /** What the queue is for, in the plan. */
  purpose: string;
  /** The dead-letter queue this one redrives to; absent for a dead-letter queue itself. */
  deadLetter?: QueueId;
  deadLetterName?: (config: Config) => string;
  dependsOn: StepId[];
}

interface Wanted {
  attributes: Record<string, string>;
  /** Shown in the plan for each attribute. */
  words: Record<string, string>;
}

function wanted(ctx: StepContext, spec: QueueSpec, dlqArn: string | undefined): Wanted {
  const attributes: Record<string, string> = {
    SqsManagedSseEnabled: 'true',
    MessageRetentionPeriod: String(spec.deadLetter ? QUEUE_RETENTION_SECONDS : DLQ_RETENTION_SECONDS),
  };
  const words: Record<string, string> = {
    SqsManagedSseEnabled: 'encrypted (SSE-SQS)',
    MessageRetentionPeriod: `messages kept ${spec.deadLetter ? 4 : 14} days`,
  };
  if (spec.deadLetter) {
    const arn = dlqArn ?? ctx.outputIfKnown(spec.deadLetter)?.arn ?? '';
    attributes['RedrivePolicy'] = JSON.stringify({ deadLetterTargetArn: arn, maxReceiveCount: MAX_RECEIVE_COUNT });
    words['RedrivePolicy'] = `to ${spec.deadLetterName?.(ctx.config) ?? arn} after ${MAX_RECEIVE_COUNT} receives`;
  }
  return { attributes, words };
}

/** Two RedrivePolicy values alike: SQS may return maxReceiveCount as a string. */
function sameRedrive(live: string | undefined, want: string): boolean {
  if (live === undefined) return false;
  try {
    const a = JSON.parse(live) as { deadLetterTargetArn?: unknown; maxReceiveCount?: unknown };
    const b = JSON.parse(want) as { deadLetterTargetArn?: unknown; maxReceiveCount?: unknown };
    return a.deadLetterTargetArn === b.deadLetterTargetArn && Number(a.maxReceiveCount) === Number(b.maxReceiveCount);
  } catch (err) {
    if (err instanceof SyntaxError) return false;
    throw err;
  }
}

const sameAttribute = (key: string, live: string | undefined, want: string) =>
  key === 'RedrivePolicy' ? sameRedrive(live, want) : live === want;

const tagList = (tags: Record<string, string>) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

/** An SQS queue of this environment, encrypted with SQS's own keys (EventBridge delivers without a key grant). */
export function makeQueueStep(spec: QueueSpec): Step<QueueObserved, QueueOutputs> {
  const describe = (ctx: StepContext) => `SQS queue ${spec.name(ctx.config)}`;
  const tagsToAdd = (ctx: StepContext, observed: QueueObserved) =>
    missingTags(tagList(observed.tags), resourceTags(ctx.config, spec.name(ctx.config)));
  const differing = (ctx: StepContext, observed: QueueObserved) => {
    const want = wanted(ctx, spec, spec.deadLetter ? ctx.output(spec.deadLetter).arn : undefined);
    return Object.keys(want.attributes).filter(
      (key) => !sameAttribute(key, observed.attributes[key], want.attributes[key] ?? ''),
    );
  };

  return defineResource<QueueObserved, QueueOutputs>({
    id: spec.id,
    title: spec.title,
    service: 'SQS',
    dependsOn: spec.dependsOn,
    describe,
    notFound: (err) => err instanceof SQS.QueueDoesNotExist,
    alreadyExists: (err) => err instanceof SQS.QueueNameExists,
    outputsSchema,

    async find(ctx) {
      const sqs = ctx.aws.sqs();
      const name = spec.name(ctx.config);
      const { QueueUrl: url } = await sqs.send(new SQS.GetQueueUrlCommand({ QueueName: name }));
      if (!url) return undefined;
      const [attrs, tags] = await Promise.all([
        sqs.send(new SQS.GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] })),
        sqs.send(new SQS.ListQueueTagsCommand({ QueueUrl: url })),
      ]);
      return { url, attributes: attrs.Attributes ?? {}, tags: tags.Tags ?? {} };
    },

    toCreate(ctx) {
      const want = wanted(ctx, spec, undefined);
      return {
        field: 'queue',
        to: `${spec.name(ctx.config)} (${Object.values(want.words).join(', ')})`,
        note: spec.purpose,
      };
    },

    diff(ctx, observed) {
      const want = wanted(ctx, spec, spec.deadLetter ? ctx.output(spec.deadLetter).arn : undefined);
      const changes: Change[] = differing(ctx, observed).map((key) => ({
        field: key,
        action: 'update',
        from: observed.attributes[key] ?? 'unset',
        to: want.words[key],
        note: 'the queue was changed outside hm-infra; it is set back',
      }));
      return [...changes, ...tagChanges(tagsToAdd(ctx, observed))];
    },

    intent: (ctx) => ({ create: spec.name(ctx.config) }),

    async create(ctx) {
      const name = spec.name(ctx.config);
      const want = wanted(ctx, spec, spec.deadLetter ? ctx.output(spec.deadLetter).arn : undefined);
      const tags = Object.fromEntries(resourceTags(ctx.config, name).map((t) => [t.Key, t.Value]));
      const res = await ctx.aws
        .sqs()
        .send(new SQS.CreateQueueCommand({ QueueName: name, Attributes: want.attributes, tags }));
      const url = res.QueueUrl;
      if (!url) throw new HmError('AWS_ERROR', `SQS returned no URL for queue ${name}`, 'aws');
      return { name, url, arn: regionalArn(ctx.output('account'), ctx.config.region, 'sqs', name) };
    },

    async update(ctx, observed) {
      const sqs = ctx.aws.sqs();
      const want = wanted(ctx, spec, spec.deadLetter ? ctx.output(spec.deadLetter).arn : undefined);
      const keys = differing(ctx, observed);
      if (keys.length > 0) {
        const attributes = Object.fromEntries(keys.map((k) => [k, want.attributes[k] ?? '']));
        // SSE-SQS replaces a KMS key someone set: the two are exclusive.
        if (keys.includes('SqsManagedSseEnabled') && observed.attributes['KmsMasterKeyId'])
          attributes['KmsMasterKeyId'] = '';
        await sqs.send(new SQS.SetQueueAttributesCommand({ QueueUrl: observed.url, Attributes: attributes }));
      }
      const tags = tagsToAdd(ctx, observed);
      if (tags.length > 0)
        await sqs.send(
          new SQS.TagQueueCommand({
            QueueUrl: observed.url,
            Tags: Object.fromEntries(tags.map((t) => [t.Key, t.Value])),
          }),
        );
    },

    outputs: (ctx, observed) => ({
      name: spec.name(ctx.config),
      url: observed.url,
      arn: observed.attributes['QueueArn'] ?? '',
    }),

    async remove(ctx, recorded) {
      await ctx.aws.sqs().send(new SQS.DeleteQueueCommand({ QueueUrl: recorded.url }));
    },

    explain(ctx, err, doing) {
      if (err instanceof SQS.QueueDeletedRecently && doing === 'create')
        return new HmError(
          'SQS_QUEUE_DELETED_RECENTLY',
          `SQS queue ${spec.name(ctx.config)} was deleted less than 60 seconds ago, and SQS does not yet take its name again`,
          'aws',
          { hint: 'Wait a minute, then re-run init: everything made so far is kept.', cause: err },
        );
      return undefined;
    },
  });
}

export const emailEventsDlqStep = makeQueueStep({
  id: 'email-events-dlq',
  title: 'SQS dead-letter queue: email events',
  name: eventNames.emailEventsDlq,
  purpose: 'bounce and complaint messages the app failed to process 5 times are kept here',
  dependsOn: ['account'],
});

export const emailEventsQueueStep = makeQueueStep({
  id: 'email-events-queue',
  title: 'SQS queue: email events',
  name: eventNames.emailEventsQueue,
  purpose: 'SES bounces, complaints, rejections, delays and rendering failures, for the app to process',
  deadLetter: 'email-events-dlq',
  deadLetterName: eventNames.emailEventsDlq,
  dependsOn: ['email-events-dlq'],
});

export const eventsDlqStep = makeQueueStep({
  id: 'events-dlq',
  title: 'SQS dead-letter queue: app events',
  name: eventNames.eventsDlq,
  purpose: 'app events the email handler failed to process 5 times are kept here',
  dependsOn: ['account'],
});

export const eventsQueueStep = makeQueueStep({
  id: 'events-queue',
  title: 'SQS queue: app events',
  name: eventNames.eventsQueue,
  purpose: "the app's domain events from its event bus, for the email handler",
  deadLetter: 'events-dlq',
  deadLetterName: eventNames.eventsDlq,
  dependsOn: ['events-dlq'],
});
