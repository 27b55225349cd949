import type * as z from 'zod/mini';
import { toHmError } from '../aws/errors.js';
import { HmError } from '../errors.js';
import type { Change, DestroyResult, Service, Step, StepContext, StepId, StepResult } from './types.js';

/**
 * Which AWS answers something is: `(err) => err instanceof IAM.NoSuchEntityException`. A test,
 * not the class itself, as the SDK's modules load only when the first client does (src/aws/sdk.ts).
 */
export type ErrorMatch = (err: unknown) => boolean;

/** True when `err` is one of the answers `match` names. */
export function matches(err: unknown, match: ErrorMatch | readonly ErrorMatch[] | undefined): boolean {
  if (match === undefined) return false;
  return (typeof match === 'function' ? [match] : match).some((m) => m(err));
}

/** What a resource is doing when an AWS answer comes back: worded into the error (`create IAM user …`). */
export type Doing = 'read' | 'create' | 'update' | 'delete';

/**
 * An AWS call whose exact answer `answer` means something other than failure (a not-found: the
 * thing is absent; S3's BucketAlreadyOwnedByYou: it is ours already): that answer becomes
 * `undefined`, for the caller to act on. Any other becomes an HmError saying what was being
 * done, a known one first explained by `explain`. The one catch of such a call.
 */
export async function unless<T>(
  call: () => Promise<T>,
  answer: ErrorMatch | readonly ErrorMatch[],
  doing: string,
  explain?: (err: unknown) => HmError | undefined,
): Promise<T | undefined> {
  try {
    return await call();
  } catch (err) {
    if (matches(err, answer)) return undefined;
    if (err instanceof HmError) throw err;
    throw explain?.(err) ?? toHmError(err, doing);
  }
}

/** `unless` for a lookup: the exact not-found answer means absent. */
export const unlessNotFound = unless;

/** An AWS call whose failure becomes an HmError saying what was being done (a known answer first explained by `explain`). */
export async function attempt<T>(
  call: () => Promise<T>,
  doing: string,
  explain?: (err: unknown) => HmError | undefined,
): Promise<T> {
  return (await unless(call, [], doing, explain)) as T;
}

/**
 * Tries a write once more after an answer that means "what you read has changed" (CloudFront's
 * PreconditionFailed): `again` is given that answer, reads afresh and writes with what it read;
 * `undefined` from it means the thing is gone, and the first answer stands.
 */
export async function retryOnce<T>(
  first: () => Promise<T>,
  on: ErrorMatch | readonly ErrorMatch[],
  again: (answer: unknown) => Promise<T | undefined>,
): Promise<T> {
  try {
    return await first();
  } catch (err) {
    if (!matches(err, on)) throw err;
    const second = await again(err);
    if (second === undefined) throw err;
    return second;
  }
}

/**
 * One resource, declared: how to find it, what it should be, and how to create, update and
 * remove it. `defineResource` turns it into a Step and owns what every resource does alike:
 * a find whose not-found answer means absent; the intent saved before a create; a create
 * answered "already exists" (an earlier run whose answer was lost, or someone else) read again
 * and converged; a removal of something already gone counting as done; every other AWS answer
 * turned into an HmError naming what was being done.
 */
export interface ResourceSpec<Obs, Out extends object> {
  readonly id: StepId;
  readonly title: string;
  readonly service: Service;
  readonly dependsOn: readonly StepId[];
  /** The resource as messages name it: `IAM user healthmetrics-app-dev`. */
  describe(ctx: StepContext): string;
  /** The SDK's answers that mean "it is not there": from `find`, absence; from `remove`, done. */
  readonly notFound: ErrorMatch | readonly ErrorMatch[];
  /** What exists now; undefined, or a not-found answer, when absent. */
  find(ctx: StepContext): Promise<Obs | undefined>;
  /** What the plan shows while it is absent (`action` is `create`): one line, or one per part (a distribution's origin, behaviours …). */
  toCreate(ctx: StepContext): Omit<Change, 'action'> | Array<Omit<Change, 'action'>>;
  /** What differs from what should be ([] when nothing does); may refuse (someone else's resource). */
  diff(ctx: StepContext, observed: Obs): Change[];
  /**
   * Identifiers saved to state before the create (default: `{ create: describe }`), and handed to
   * `create`: what makes a create idempotent (CloudFront's CallerReference) is the same in both.
   */
  intent?(ctx: StepContext): Record<string, unknown>;
  create(ctx: StepContext, intent: Record<string, unknown>): Promise<Out>;
  /** The create's answers that mean it exists already: it is read again and converged. */
  readonly alreadyExists?: ErrorMatch | readonly ErrorMatch[];
  /**
   * The create's answers that mean this account has it already, as it should be (S3's
   * BucketAlreadyOwnedByYou: an earlier run whose answer was lost made it), with its outputs
   * then: it is used as it is, without reading it again, and the result is `unchanged`.
   */
  readonly ours?: { readonly answer: ErrorMatch | readonly ErrorMatch[]; outputs(ctx: StepContext): Out };
  /** Makes an existing resource match; returns its outputs, or nothing for `outputs(observed)`. */
  update?(ctx: StepContext, observed: Obs, changes: Change[]): Promise<Out | void>;
  outputs(ctx: StepContext, observed: Obs): Out;
  /** Removes it; a not-found answer counts as removed. Absent: it goes with its parent. */
  remove?(ctx: StepContext, recorded: Out): Promise<DestroyResult | void>;
  /** Known answers in the user's terms (a quota reached, in use); undefined for the generic wording. */
  explain?(ctx: StepContext, err: unknown, doing: Doing): HmError | undefined;
  /** The outputs as state records them, checked when state is read back. */
  readonly outputsSchema?: z.ZodMiniType<Out>;
  readonly readOnly?: boolean;
  checkDestroy?(ctx: StepContext, recorded: Out): Promise<string | undefined>;
  pendingReason?(outputs: Out): string | undefined;
}

export function defineResource<Obs, Out extends object>(spec: ResourceSpec<Obs, Out>): Step<Obs, Out> {
  const fail = (ctx: StepContext, err: unknown, doing: Doing): HmError =>
    err instanceof HmError
      ? err
      : (spec.explain?.(ctx, err, doing) ?? toHmError(err, `${doing} ${spec.describe(ctx)}`));

  const step: Step<Obs, Out> = {
    id: spec.id,
    title: spec.title,
    service: spec.service,
    dependsOn: spec.dependsOn,
    ...(spec.readOnly ? { readOnly: true } : {}),

    async read(ctx) {
      try {
        return await spec.find(ctx);
      } catch (err) {
        if (matches(err, spec.notFound)) return undefined;
        throw fail(ctx, err, 'read');
      }
    },

    plan(ctx, observed) {
      if (observed === undefined) {
        const parts = spec.toCreate(ctx);
        // `action` second, after the field, as every other change lists it.
        return (Array.isArray(parts) ? parts : [parts]).map(({ field, ...rest }): Change => ({
          field,
          action: 'create',
          ...rest,
        }));
      }
      return spec.diff(ctx, observed);
    },

    async apply(ctx, observed, changes): Promise<StepResult<Out>> {
      if (observed !== undefined) {
        try {
          const outputs = (await spec.update?.(ctx, observed, changes)) ?? spec.outputs(ctx, observed);
          return { type: 'updated', outputs };
        } catch (err) {
          throw fail(ctx, err, 'update');
        }
      }
      const intent = spec.intent?.(ctx) ?? { create: spec.describe(ctx) };
      await ctx.intend(intent);
      try {
        return { type: 'created', outputs: await spec.create(ctx, intent) };
      } catch (err) {
        if (spec.ours && matches(err, spec.ours.answer)) {
          ctx.debug(`${spec.describe(ctx)} already exists in this account; using it`);
          return { type: 'unchanged', outputs: spec.ours.outputs(ctx) };
        }
        if (!matches(err, spec.alreadyExists)) throw fail(ctx, err, 'create');
        // Created by a run whose answer was lost (its intent is in state), or by someone else.
        ctx.debug(`${spec.describe(ctx)} already exists; reading it`);
        const found = await step.read(ctx);
        if (found === undefined) throw fail(ctx, err, 'create');
        const drift = step.plan(ctx, found);
        if (drift.length === 0) return { type: 'unchanged', outputs: spec.outputs(ctx, found) };
        return step.apply(ctx, found, drift);
      }
    },

    outputs: (ctx, observed) => spec.outputs(ctx, observed),

    async destroy(ctx, recorded) {
      if (!spec.remove) return undefined;
      try {
        return await spec.remove(ctx, recorded);
      } catch (err) {
        if (matches(err, spec.notFound)) return undefined;
        throw fail(ctx, err, 'delete');
      }
    },
  };
  if (spec.checkDestroy) step.checkDestroy = spec.checkDestroy;
  if (spec.pendingReason) step.pendingReason = spec.pendingReason;
  if (spec.outputsSchema) step.outputsSchema = spec.outputsSchema;
  return step;
}
