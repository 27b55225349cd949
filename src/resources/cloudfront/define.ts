import { z } from 'zod';
import { defineResource, type ResourceSpec } from '../../engine/resource.js';
import type { Change, Step, StepContext } from '../../engine/types.js';

/** One part of what a resource still to create will be, as the plan shows it. */
export type Part = Omit<Change, 'action'>;

/**
 * `defineResource` for a resource whose plan, while it is absent, lists what it will be part by
 * part (a distribution: origin, behaviours, certificate …) rather than in one line.
 */
export function defineResourceInParts<Obs, Out extends object>(
  spec: Omit<ResourceSpec<Obs, Out>, 'toCreate'> & {
    /** The changes shown when it is absent, one a part (`action` is `create`). */
    toCreate(ctx: StepContext): Part[];
  },
): Step<Obs, Out> {
  const step = defineResource<Obs, Out>({
    ...spec,
    // Never shown: the plan of an absent resource is its parts (below).
    toCreate: (ctx) => ({ field: spec.id, to: spec.describe(ctx) }),
  });
  return {
    ...step,
    plan: (ctx, observed) =>
      observed === undefined
        ? spec.toCreate(ctx).map((part): Change => ({ ...part, action: 'create' }))
        : step.plan(ctx, observed),
  };
}

const isEmptyRecord = (value: unknown) =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0;

/**
 * The outputs as state records them, or none at all: a create interrupted before its answer was
 * saved leaves a record with its intent and no outputs, and teardown finds that resource by its
 * name before it removes it (so the empty outputs are never used as the resource's).
 */
export function recordedOrInterrupted<Out>(schema: z.ZodType<Out>): z.ZodType<Out> {
  return z.unknown().transform((value, ctx): Out => {
    if (isEmptyRecord(value)) return value as Out;
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
    return z.NEVER;
  });
}
