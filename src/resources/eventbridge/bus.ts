import * as z from 'zod/mini';
import { EventBridge } from '../../aws/sdk.js';
import { defineResource } from '../../engine/resource.js';
import type { StepContext } from '../../engine/types.js';
import { eventNames } from '../names.js';
import { missingTags, resourceTags, tagChanges } from '../tags.js';
import { eventBridgeTags, limitReached } from './common.js';

const outputsSchema = z.object({ name: z.string(), arn: z.string() });
export type EventBusOutputs = z.infer<typeof outputsSchema>;

declare module '../../engine/types.js' {
  interface StepOutputs {
    'events-bus': EventBusOutputs;
  }
}

export interface EventBusObserved {
  arn: string;
  tags: Array<{ Key?: string | undefined; Value?: string | undefined }>;
}

const tagsToAdd = (ctx: StepContext, observed: EventBusObserved) =>
  missingTags(observed.tags, resourceTags(ctx.config, eventNames.eventBus(ctx.config)));

/** The app's own bus for its domain events (SES publishes only to the default bus, so email events do not come here). */
export const eventBusStep = defineResource<EventBusObserved, EventBusOutputs>({
  id: 'events-bus',
  title: 'EventBridge bus: app events',
  service: 'EventBridge',
  dependsOn: ['account'],
  describe: (ctx) => `EventBridge bus ${eventNames.eventBus(ctx.config)}`,
  notFound: (err) => err instanceof EventBridge.ResourceNotFoundException,
  alreadyExists: (err) => err instanceof EventBridge.ResourceAlreadyExistsException,
  outputsSchema,

  async find(ctx) {
    const bus = await ctx.aws
      .eventbridge()
      .send(new EventBridge.DescribeEventBusCommand({ Name: eventNames.eventBus(ctx.config) }));
    if (!bus.Arn) return undefined;
    return { arn: bus.Arn, tags: await eventBridgeTags(ctx, bus.Arn) };
  },

  toCreate: (ctx) => ({
    field: 'event-bus',
    to: eventNames.eventBus(ctx.config),
    note: "the app's domain events are put here (events:PutEvents), and its rule routes them to the events queue",
  }),

  diff: (ctx, observed) => tagChanges(tagsToAdd(ctx, observed)),

  async create(ctx) {
    const name = eventNames.eventBus(ctx.config);
    const res = await ctx.aws
      .eventbridge()
      .send(new EventBridge.CreateEventBusCommand({ Name: name, Tags: resourceTags(ctx.config, name) }));
    return { name, arn: res.EventBusArn ?? '' };
  },

  async update(ctx, observed) {
    await ctx.aws
      .eventbridge()
      .send(new EventBridge.TagResourceCommand({ ResourceARN: observed.arn, Tags: tagsToAdd(ctx, observed) }));
  },

  outputs: (ctx, observed) => ({ name: eventNames.eventBus(ctx.config), arn: observed.arn }),

  async remove(ctx, recorded) {
    await ctx.aws.eventbridge().send(new EventBridge.DeleteEventBusCommand({ Name: recorded.name }));
  },

  explain: (ctx, err, doing) => limitReached(err, doing, `EventBridge event buses`),
});
