import * as z from 'zod/mini';
import { Logs } from '../../aws/sdk.js';
import { defineResource } from '../../engine/resource.js';
import type { Change, StepContext } from '../../engine/types.js';
import { HmError } from '../../errors.js';
import { eventNames, regionalArn } from '../names.js';
import { resourceTags } from '../tags.js';

const outputsSchema = z.object({ name: z.string(), arn: z.string() });
export type LogGroupOutputs = z.infer<typeof outputsSchema>;

declare module '../../engine/types.js' {
  interface StepOutputs {
    'email-handler-log-group': LogGroupOutputs;
  }
}

export interface LogGroupObserved {
  retentionInDays: number | undefined;
  tags: Record<string, string>;
}

/** The MyMeetings setup's log retention: 14 days. */
export const LOG_RETENTION_DAYS = 14;

/** The log group's ARN without the `:*` DescribeLogGroups appends (what the tag API and policies take). */
const logGroupArn = (ctx: StepContext) =>
  regionalArn(
    ctx.output('account'),
    ctx.config.region,
    'logs',
    `log-group:${eventNames.emailHandlerLogGroup(ctx.config)}`,
  );

const tagsToAdd = (ctx: StepContext, observed: LogGroupObserved) =>
  resourceTags(ctx.config, eventNames.emailHandlerLogGroup(ctx.config)).filter((t) => observed.tags[t.Key] !== t.Value);

/**
 * The email handler Lambda's log group, made before the function so its logs are kept 14 days
 * (Lambda's own group would keep them forever).
 */
export const emailHandlerLogGroupStep = defineResource<LogGroupObserved, LogGroupOutputs>({
  id: 'email-handler-log-group',
  title: 'CloudWatch Logs group: email handler',
  service: 'Logs',
  dependsOn: ['account'],
  describe: (ctx) => `CloudWatch Logs group ${eventNames.emailHandlerLogGroup(ctx.config)}`,
  notFound: (err) => err instanceof Logs.ResourceNotFoundException,
  alreadyExists: (err) => err instanceof Logs.ResourceAlreadyExistsException,
  outputsSchema,

  async find(ctx) {
    const name = eventNames.emailHandlerLogGroup(ctx.config);
    const logs = ctx.aws.logs();
    const res = await logs.send(new Logs.DescribeLogGroupsCommand({ logGroupNamePrefix: name }));
    const group = res.logGroups?.find((g) => g.logGroupName === name);
    if (!group) return undefined;
    const tags = await logs.send(new Logs.ListTagsForResourceCommand({ resourceArn: logGroupArn(ctx) }));
    return { retentionInDays: group.retentionInDays, tags: tags.tags ?? {} };
  },

  toCreate: (ctx) => ({
    field: 'log-group',
    to: `${eventNames.emailHandlerLogGroup(ctx.config)} (kept ${LOG_RETENTION_DAYS} days)`,
    note: 'the email handler writes its logs here; about $0.50 per GB ingested',
  }),

  diff(ctx, observed) {
    const changes: Change[] = [];
    if (observed.retentionInDays !== LOG_RETENTION_DAYS)
      changes.push({
        field: 'retention',
        action: 'update',
        from: observed.retentionInDays === undefined ? 'never expire' : `${observed.retentionInDays} days`,
        to: `${LOG_RETENTION_DAYS} days`,
        note: 'logs are kept 14 days',
      });
    const tags = tagsToAdd(ctx, observed);
    if (tags.length > 0)
      changes.push({
        field: 'tags',
        action: 'update',
        to: tags.map((t) => `${t.Key}=${t.Value}`).join(', '),
        note: 'tags that identify it are missing',
      });
    return changes;
  },

  async create(ctx) {
    const name = eventNames.emailHandlerLogGroup(ctx.config);
    const logs = ctx.aws.logs();
    const tags = Object.fromEntries(resourceTags(ctx.config, name).map((t) => [t.Key, t.Value]));
    await logs.send(new Logs.CreateLogGroupCommand({ logGroupName: name, tags }));
    await logs.send(new Logs.PutRetentionPolicyCommand({ logGroupName: name, retentionInDays: LOG_RETENTION_DAYS }));
    return { name, arn: logGroupArn(ctx) };
  },

  async update(ctx, observed, changes) {
    const name = eventNames.emailHandlerLogGroup(ctx.config);
    const logs = ctx.aws.logs();
    if (changes.some((c) => c.field === 'retention'))
      await logs.send(new Logs.PutRetentionPolicyCommand({ logGroupName: name, retentionInDays: LOG_RETENTION_DAYS }));
    const tags = tagsToAdd(ctx, observed);
    if (tags.length > 0)
      await logs.send(
        new Logs.TagResourceCommand({
          resourceArn: logGroupArn(ctx),
          tags: Object.fromEntries(tags.map((t) => [t.Key, t.Value])),
        }),
      );
  },

  outputs: (ctx) => ({ name: eventNames.emailHandlerLogGroup(ctx.config), arn: logGroupArn(ctx) }),

  async remove(ctx, recorded) {
    await ctx.aws.logs().send(new Logs.DeleteLogGroupCommand({ logGroupName: recorded.name }));
  },

  explain(_ctx, err, doing) {
    if (doing === 'create' && err instanceof Logs.LimitExceededException)
      return new HmError('LIMIT_REACHED', 'this AWS account has reached its quota of CloudWatch Logs groups', 'aws', {
        hint: 'Delete unused log groups, then re-run.',
        cause: err,
      });
    return undefined;
  },
});
