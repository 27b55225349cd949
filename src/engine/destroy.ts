/** Teardown: what to remove, in what order, and the removal itself. */
import { RunReads } from './reads.js';
import type { AwsContext } from '../aws/context.js';
import type { Config } from '../config/config.js';
import { HmError } from '../errors.js';
import type { ResourceRecord } from '../state/schema.js';
import type { StateSession } from '../state/session.js';
import type { AnyStep, RunFlags, StepContext, StepId } from './types.js';
import { stepContext } from './context.js';
import { orderSteps } from './order.js';
import type { StepAction, StepOutcome, RunEvent } from './outcome.js';
import { schedule } from './schedule.js';

/** What teardown does with a recorded resource. */
export type Removal =
  /** Ours: remove it. */
  | 'remove'
  /** It existed before this tool found it: leave it (unless --include-adopted). */
  | 'keep'
  /** A create was interrupted before its answer was saved: remove it if it exists. */
  | 'find';

export interface RemovalItem {
  step: AnyStep;
  removal: Removal;
  record: ResourceRecord;
}

/**
 * The recorded resources teardown deals with, dependents first (the reverse of the graph),
 * and for each step the recorded steps that must be removed before it: every step that
 * depends on it, directly or through steps state holds nothing of.
 */
export function removalPlan(
  steps: readonly AnyStep[],
  records: Record<string, ResourceRecord>,
  includeAdopted: boolean,
): { items: RemovalItem[]; waitsFor: Map<StepId, StepId[]> } {
  const ordered = orderSteps(steps);
  const items: RemovalItem[] = [];
  for (const step of [...ordered].reverse()) {
    const record = records[step.id];
    if (!record || step.readOnly) continue;
    const removal: Removal = record.status === 'pending' ? 'find' : record.owned || includeAdopted ? 'remove' : 'keep';
    // A record that cannot be used is refused now, before anything is removed.
    if (removal === 'remove') recordedOutputs(step, record);
    items.push({ step, removal, record });
  }
  const dependents = new Map<StepId, StepId[]>(ordered.map((s) => [s.id, []]));
  for (const step of ordered) for (const dep of step.dependsOn) dependents.get(dep)?.push(step.id);
  const included = new Set(items.map((i) => i.step.id));
  const waitsFor = new Map<StepId, StepId[]>();
  for (const { step } of items) {
    const seen = new Set<StepId>();
    const visit = (id: StepId) => {
      for (const next of dependents.get(id) ?? []) {
        if (seen.has(next)) continue;
        seen.add(next);
        visit(next);
      }
    };
    visit(step.id);
    waitsFor.set(
      step.id,
      [...seen].filter((id) => included.has(id)),
    );
  }
  return { items, waitsFor };
}

export interface DestroyOptions {
  config: Config;
  flags?: Partial<RunFlags>;
  aws: AwsContext;
  session: StateSession;
  /** --include-adopted: also remove what existed before this tool found it. */
  includeAdopted: boolean;
  /** Stops starting removals (Ctrl-C); running ones finish and are saved. */
  signal?: AbortSignal;
  onEvent?: (event: RunEvent) => void;
}

export interface DestroyResult {
  /** No removal failed (with `pending`, some wait for the next teardown). */
  ok: boolean;
  aborted: boolean;
  /** AWS is still removing something (a distribution being disabled): run teardown again. */
  pending: boolean;
  outcomes: StepOutcome[];
}

/**
 * Teardown: removes what the state says this tool created, dependents first, independent
 * ones at once. Each removal is saved as it finishes (the record goes, secret included), so
 * an interrupted teardown resumes where it stopped.
 */
export async function runDestroy(steps: readonly AnyStep[], options: DestroyOptions): Promise<DestroyResult> {
  const { session } = options;
  const { items, waitsFor } = removalPlan(steps, session.state.resources, options.includeAdopted);
  const itemOf = new Map(items.map((i) => [i.step.id, i]));
  const emit = options.onEvent ?? (() => undefined);
  const titleOf = (id: StepId) => itemOf.get(id)?.step.title ?? id;

  const execute = async (step: AnyStep): Promise<StepOutcome> => {
    const item = itemOf.get(step.id) as RemovalItem;
    const started = Date.now();
    const done = (action: StepAction, notes: string[] = []): StepOutcome => ({
      id: step.id,
      title: step.title,
      service: step.service,
      status: 'done',
      action,
      changes: [],
      ...(notes.length > 0 ? { notes } : {}),
      durationMs: Date.now() - started,
    });
    if (item.removal === 'keep') {
      ctx(step).debug('it existed before hm-infra found it; --include-adopted removes it');
      return done('keep', ['existed before hm-infra: left in place (--include-adopted removes it)']);
    }
    const context = ctx(step);
    let outputs = recordedOutputs(step, item.record);
    if (item.removal === 'find') {
      const observed = await step.read(context);
      if (observed === undefined) {
        context.debug('an interrupted create left nothing behind');
        await session.forget(step.id);
        return done('delete', ['an interrupted create had left nothing behind']);
      }
      outputs = step.outputs(context, observed) as Record<string, unknown>;
    }
    const result = (await step.destroy(context, outputs)) ?? {};
    if (result.pending !== undefined) return done('pending', [result.pending]);
    await session.forget(step.id);
    return done('delete', result.kept ?? []);
  };

  const reads = new RunReads();
  const ctx = (step: AnyStep): StepContext => destroyContext(step, steps, options, emit, reads);

  const ordered = items.map((i) => i.step);
  const outcomes = await schedule(ordered, {
    waitsFor: (step) => waitsFor.get(step.id) ?? [],
    releases: (outcome) => outcome.status === 'done' && outcome.action !== 'pending',
    execute,
    signal: options.signal,
    emit,
    skipReason: (step, ended) => {
      const blocking = (waitsFor.get(step.id) ?? [])
        .map((id) => ended.get(id))
        .find((o) => o !== undefined && (o.status !== 'done' || o.action === 'pending'));
      if (blocking?.action === 'pending') return `waits until the ${titleOf(blocking.id)} is gone: run teardown again`;
      if (blocking) return `the ${titleOf(blocking.id)} was not removed`;
      return 'an earlier removal failed';
    },
  });
  const list = ordered.map((step) => outcomes.get(step.id) as StepOutcome);
  return {
    ok: list.every((o) => o.status !== 'failed'),
    aborted: options.signal?.aborted === true,
    pending: list.some((o) => o.action === 'pending'),
    outcomes: list,
  };
}

/** A removal's context: what it needs of its dependencies (the bucket's name) is in their records. */
function destroyContext(
  step: AnyStep,
  steps: readonly AnyStep[],
  options: Omit<DestroyOptions, 'signal' | 'onEvent'>,
  emit: (event: RunEvent) => void,
  reads: RunReads,
): StepContext {
  const { session } = options;
  return stepContext(step, {
    mode: 'destroy',
    config: options.config,
    flags: options.flags,
    aws: options.aws,
    session,
    records: session.state.resources,
    recordedAccountId: session.state.accountId,
    outputOf: (id) => {
      const record = session.state.resources[id];
      if (!record) return undefined;
      const dependency = steps.find((s) => s.id === id);
      return dependency ? recordedOutputs(dependency, record) : record.outputs;
    },
    missing: (id) =>
      new HmError(
        'MISSING_OUTPUT',
        `removing ${step.id} needs the recorded outputs of ${id}, which state no longer has`,
        'internal',
      ),
    emit,
    reads,
  });
}

/**
 * Why teardown must not start (a bucket holding objects without --force): every removal's
 * own check, run at once before anything is removed. Only resources that would be removed count.
 */
export async function removalBlockers(
  steps: readonly AnyStep[],
  options: Omit<DestroyOptions, 'signal' | 'onEvent'>,
): Promise<Array<{ id: StepId; title: string; problem: string }>> {
  const { session } = options;
  const { items } = removalPlan(steps, session.state.resources, options.includeAdopted);
  const reads = new RunReads();
  const checks = items
    .filter((i) => i.removal === 'remove' && i.step.checkDestroy !== undefined)
    .map(async ({ step, record }) => {
      const context = destroyContext(step, steps, options, () => undefined, reads);
      const problem = await step.checkDestroy?.(context, recordedOutputs(step, record));
      return problem === undefined ? [] : [{ id: step.id, title: step.title, problem }];
    });
  return (await Promise.all(checks)).flat();
}

/**
 * A resource's outputs as state recorded them, checked against the resource's own schema: a
 * record edited by hand (or by another version) is refused with what is wrong, before it is used.
 * A record still `pending` has no outputs yet and is passed through.
 */
export function recordedOutputs(step: AnyStep, record: ResourceRecord): Record<string, unknown> {
  // An interrupted create recorded only its intent; teardown looks the resource up by name instead.
  if (!step.outputsSchema || record.status === 'pending') return record.outputs;
  const parsed = step.outputsSchema.safeParse(record.outputs);
  if (parsed.success) return parsed.data as Record<string, unknown>;
  const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(record)'}: ${i.message}`).join('; ');
  throw new HmError(
    'STATE_RECORD_INVALID',
    `the state's record of the ${step.title} is not valid (${problems})`,
    'user',
    {
      hint: 'Restore the state file from a backup, or remove that record from it and run `hm-infra init` again to find the resource by its name.',
    },
  );
}
