import * as z from 'zod/mini';
import { SNS } from '../../aws/sdk.js';
import { defineResource } from '../../engine/resource.js';
import type { StepContext } from '../../engine/types.js';
import { HmError } from '../../errors.js';
import { eventNames, regionalArn } from '../names.js';
import { missingTags, resourceTags, tagChanges } from '../tags.js';

const outputsSchema = z.object({ name: z.string(), arn: z.string() });
export type TopicOutputs = z.infer<typeof outputsSchema>;

declare module '../../engine/types.js' {
  interface StepOutputs {
    'alerts-topic': TopicOutputs;
  }
}

export interface TopicObserved {
  arn: string;
  /** The KMS key the topic is encrypted with, if any. */
  kmsKey: string | undefined;
  tags: Array<{ Key?: string | undefined; Value?: string | undefined }>;
}

const topicArn = (ctx: StepContext) =>
  regionalArn(ctx.output('account'), ctx.config.region, 'sns', eventNames.alertsTopic(ctx.config));

const tagsToAdd = (ctx: StepContext, observed: TopicObserved) =>
  missingTags(observed.tags, resourceTags(ctx.config, eventNames.alertsTopic(ctx.config)));

/**
 * Where the bounce and complaint alarms send: not encrypted with SNS's AWS-managed key, which
 * CloudWatch may not use (an alarm could not publish to it).
 */
export const alertsTopicStep = defineResource<TopicObserved, TopicOutputs>({
  id: 'alerts-topic',
  title: 'SNS topic: alerts',
  service: 'SNS',
  dependsOn: ['account'],
  describe: (ctx) => `SNS topic ${eventNames.alertsTopic(ctx.config)}`,
  // GetTopicAttributes answers NotFound for a topic that is not there, ListTagsForResource ResourceNotFound.
  notFound: [(err) => err instanceof SNS.NotFoundException, (err) => err instanceof SNS.ResourceNotFoundException],
  outputsSchema,

  async find(ctx) {
    const arn = topicArn(ctx);
    const sns = ctx.aws.sns();
    // One after the other: a missing topic is known from the first, without a second call.
    const attributes = await sns.send(new SNS.GetTopicAttributesCommand({ TopicArn: arn }));
    const tags = await sns.send(new SNS.ListTagsForResourceCommand({ ResourceArn: arn }));
    return { arn, kmsKey: attributes.Attributes?.['KmsMasterKeyId'] || undefined, tags: tags.Tags ?? [] };
  },

  toCreate: (ctx) => ({
    field: 'topic',
    to: eventNames.alertsTopic(ctx.config),
    note: 'the bounce and complaint alarms notify it',
  }),

  diff: (ctx, observed) => [
    ...(observed.kmsKey !== undefined
      ? [
          {
            field: 'encryption',
            action: 'update' as const,
            from: observed.kmsKey,
            to: 'none',
            note: "CloudWatch may not use SNS's AWS-managed key: an alarm could not notify an encrypted topic",
          },
        ]
      : []),
    ...tagChanges(tagsToAdd(ctx, observed)),
  ],

  async create(ctx) {
    const name = eventNames.alertsTopic(ctx.config);
    // CreateTopic of an existing name answers its ARN: a lost answer is made good by the re-run.
    const res = await ctx.aws
      .sns()
      .send(new SNS.CreateTopicCommand({ Name: name, Tags: resourceTags(ctx.config, name) }));
    if (!res.TopicArn) throw new HmError('AWS_ERROR', `SNS returned no ARN for topic ${name}`, 'aws');
    return { name, arn: res.TopicArn };
  },

  async update(ctx, observed) {
    const sns = ctx.aws.sns();
    // An empty KmsMasterKeyId turns server-side encryption off.
    if (observed.kmsKey !== undefined)
      await sns.send(
        new SNS.SetTopicAttributesCommand({
          TopicArn: observed.arn,
          AttributeName: 'KmsMasterKeyId',
          AttributeValue: '',
        }),
      );
    const tags = tagsToAdd(ctx, observed);
    if (tags.length > 0) await sns.send(new SNS.TagResourceCommand({ ResourceArn: observed.arn, Tags: tags }));
  },

  outputs: (ctx, observed) => ({ name: eventNames.alertsTopic(ctx.config), arn: observed.arn }),

  async remove(ctx, recorded) {
    await ctx.aws.sns().send(new SNS.DeleteTopicCommand({ TopicArn: recorded.arn }));
  },

  explain(_ctx, err, doing) {
    if (doing === 'create' && err instanceof SNS.TopicLimitExceededException)
      return new HmError(
        'LIMIT_REACHED',
        'this AWS account has reached its quota of SNS topics in this region',
        'aws',
        {
          hint: 'Delete unused topics (`aws sns list-topics`), then re-run.',
          cause: err,
        },
      );
    return undefined;
  },
});
