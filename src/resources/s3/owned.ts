import { type ErrorMatch, type ResourceSpec, defineResource } from '../../engine/resource.js';
import type { Step, StepContext } from '../../engine/types.js';
import { unlessAnswered } from '../answers.js';

/**
 * A resource whose create may be answered "this account has it already" (S3's
 * BucketAlreadyOwnedByYou: an earlier run whose answer was lost made it): that answer means it is
 * there as it should be, so it is used as it is, without reading it again, and the result is
 * `unchanged`. Everything else is as `defineResource` declares it.
 */
export interface OwnedResourceSpec<Obs, Out extends object> extends ResourceSpec<Obs, Out> {
  readonly owned: {
    /** The create's answers that mean this account has it already. */
    readonly answer: ErrorMatch | readonly ErrorMatch[];
    /** Its outputs then, from the configuration. */
    outputs(ctx: StepContext): Out;
  };
}

export function defineOwnedResource<Obs, Out extends object>(spec: OwnedResourceSpec<Obs, Out>): Step<Obs, Out> {
  const step = defineResource(spec);
  return {
    ...step,
    async apply(ctx, observed, changes) {
      if (observed !== undefined) return step.apply(ctx, observed, changes);
      await ctx.intend(spec.intent?.(ctx) ?? { create: spec.describe(ctx) });
      const outputs = await unlessAnswered(
        () => spec.create(ctx),
        spec.owned.answer,
        `create ${spec.describe(ctx)}`,
        (err) => spec.explain?.(ctx, err, 'create'),
      );
      if (outputs !== undefined) return { type: 'created', outputs };
      ctx.debug(`${spec.describe(ctx)} already exists in this account; using it`);
      return { type: 'unchanged', outputs: spec.owned.outputs(ctx) };
    },
  };
}
