import { AsyncLocalStorage } from 'node:async_hooks';
import { RunReads } from './reads.js';
import type { AwsContext } from '../aws/context.js';
import { toHmError } from '../aws/errors.js';
import type { Config } from '../config/config.js';
import { HmError } from '../errors.js';
import type { ResourceRecord } from '../state/schema.js';
import type { StateSession } from '../state/session.js';
import type { AnyStep, Change, ResultType, RunFlags, Service, StepContext, StepId, StepOutputs } from './types.js';

/**
 * What a step is shown as in a plan or a result. Teardown: `delete` removed (or found already
 * gone), `keep` left in place as not ours, `pending` being removed by AWS (next teardown finishes).
 */
export type StepAction = 'create' | 'update' | 'unchanged' | 'read' | 'delete' | 'keep' | 'pending';

export interface StepOutcome {
  id: StepId;
  title: string;
  service: Service;
  status: 'done' | 'failed' | 'skipped';
  /** Plan: what would happen. Apply: what happened (`create` = created …). */
  action?: StepAction;
  result?: ResultType;
  changes: Change[];
  error?: HmError;
  skippedBecause?: string;
  /** Teardown: what was left in place and why, or what AWS is still doing. */
  notes?: string[];
  durationMs: number;
}

export type RunEvent =
  | { type: 'start'; id: StepId; title: string }
  | { type: 'report'; id: StepId; message: string }
  | { type: 'debug'; id: StepId; message: string }
  | { type: 'done'; outcome: StepOutcome }
  | { type: 'failed'; outcome: StepOutcome }
  | { type: 'skipped'; outcome: StepOutcome };

/** What a plan run found of one step it read: what exists (undefined: absent) and what would change. */
export interface StepObservation {
  observed: unknown;
  changes: Change[];
}

export interface RunResult {
  ok: boolean;
  aborted: boolean;
  outcomes: StepOutcome[];
  outputs: Partial<StepOutputs>;
  /**
   * Plan mode: what each step that was read found. Steps downstream of something still to be
   * created were not read and have none.
   */
  observations?: ReadonlyMap<StepId, StepObservation>;
}

export interface RunOptions {
  /** `plan` only reads; `apply` reads, writes and saves state after every step. */
  mode: 'apply' | 'plan';
  config: Config;
  flags?: Partial<RunFlags>;
  /** Undefined in `plan --offline`: nothing is read, everything is "to create". */
  aws: AwsContext | undefined;
  /** Required in apply mode. */
  session?: StateSession;
  /** Records of the state file, for plan mode without a session. */
  records?: Record<string, ResourceRecord>;
  recordedAccountId?: string | null;
  /** Stops scheduling new steps (Ctrl-C); running steps finish and are saved. */
  signal?: AbortSignal;
  onEvent?: (event: RunEvent) => void;
  /**
   * Apply mode: what a plan run of the same configuration just read (its `observations`). A
   * step found there is not read again: it applies the changes that plan found. Any other
   * step is read as usual.
   */
  observations?: ReadonlyMap<StepId, StepObservation>;
  /**
   * `status` (plan mode): check every step even after one fails, and read a step whose
   * dependency is missing with that dependency's recorded outputs (the names it had).
   */
  survey?: boolean;
}

/**
 * Sorts steps so each comes after its dependencies. Rejects duplicate ids, unknown
 * dependencies and cycles: those are programming errors, reported before anything runs.
 */
export function orderSteps(steps: readonly AnyStep[]): AnyStep[] {
  const byId = new Map<StepId, AnyStep>();
  for (const step of steps) {
    if (byId.has(step.id)) throw new HmError('GRAPH_DUPLICATE', `two steps share the id "${step.id}"`, 'internal');
    byId.set(step.id, step);
  }
  for (const step of steps) {
    for (const dep of step.dependsOn) {
      if (!byId.has(dep))
        throw new HmError('GRAPH_UNKNOWN_DEP', `step "${step.id}" depends on unknown step "${dep}"`, 'internal');
    }
  }
  const ordered: AnyStep[] = [];
  const state = new Map<StepId, 'visiting' | 'done'>();
  const visit = (step: AnyStep, path: StepId[]): void => {
    const mark = state.get(step.id);
    if (mark === 'done') return;
    if (mark === 'visiting') {
      const cycle = [...path.slice(path.indexOf(step.id)), step.id];
      throw new HmError('GRAPH_CYCLE', `steps depend on each other in a cycle: ${cycle.join(' → ')}`, 'internal');
    }
    state.set(step.id, 'visiting');
    for (const dep of step.dependsOn) visit(byId.get(dep) as AnyStep, [...path, step.id]);
    state.set(step.id, 'done');
    ordered.push(step);
  };
  for (const step of steps) visit(step, []);
  return ordered;
}

/**
 * Runs the step graph: each step starts the moment its dependencies are done, so
 * independent steps run at once. In apply mode the state is saved as each step returns.
 * After the first failure (or an abort) no new step starts; running ones finish and are saved.
 */
export async function runSteps(steps: readonly AnyStep[], options: RunOptions): Promise<RunResult> {
  const ordered = orderSteps(steps);
  if (options.mode === 'apply' && (!options.session || !options.aws)) {
    throw new HmError('RUNNER_MISUSE', 'apply mode needs a state session and AWS clients', 'internal');
  }
  const emit = options.onEvent ?? (() => undefined);
  const outputs: Record<string, unknown> = {};
  /** Steps whose resource does not exist yet (plan mode): dependents cannot be read either. */
  const absent = new Set<StepId>();
  const observations = new Map<StepId, StepObservation>();

  const records = (): Record<string, ResourceRecord> => options.session?.state.resources ?? options.records ?? {};
  const reads = new RunReads();

  const contextFor = (step: AnyStep): StepContext =>
    stepContext(step, {
      mode: options.mode,
      config: options.config,
      flags: options.flags,
      aws: options.aws,
      session: options.session,
      records: records(),
      recordedAccountId: options.session?.state.accountId ?? options.recordedAccountId ?? null,
      output: (id) => {
        if (id in outputs) return outputs[id];
        if (recordedInstead(id)) return records()[id]?.outputs;
        throw new HmError(
          'MISSING_OUTPUT',
          `step ${step.id} needs the outputs of ${id}, which has not run`,
          'internal',
        );
      },
      emit,
      reads,
    });
  /** In a survey, a missing dependency is stood in for by what state recorded of it. */
  const recordedInstead = (id: StepId) =>
    options.survey === true && absent.has(id) && Object.keys(records()[id]?.outputs ?? {}).length > 0;

  /**
   * In a survey, a step read with a missing dependency's recorded outputs that cannot be read
   * (bucket settings of a deleted bucket) is missing along with it.
   */
  const readFor = async (step: AnyStep, ctx: StepContext) => {
    const standIn = step.dependsOn.find((dep) => recordedInstead(dep));
    if (standIn === undefined) return step.read(ctx);
    try {
      return await step.read(ctx);
    } catch (err) {
      ctx.debug(`cannot be read while ${standIn} is missing (${err instanceof Error ? err.message : String(err)})`);
      return undefined;
    }
  };

  const execute = async (step: AnyStep): Promise<StepOutcome> => {
    const ctx = contextFor(step);
    const started = Date.now();
    const base = { id: step.id, title: step.title, service: step.service, changes: [] as Change[] };
    const cannotRead = !options.aws || step.dependsOn.some((dep) => absent.has(dep) && !recordedInstead(dep));
    const planned = options.mode === 'apply' ? options.observations?.get(step.id) : undefined;
    if (planned) ctx.debug('read for the plan just shown; not read again');
    const observed = planned
      ? planned.observed
      : options.mode === 'plan' && cannotRead
        ? undefined
        : await readFor(step, ctx);
    const changes = planned ? planned.changes : step.plan(ctx, observed);
    if (options.mode === 'plan') {
      if (!cannotRead) observations.set(step.id, { observed, changes });
      if (observed === undefined && !step.readOnly) absent.add(step.id);
      else if (observed !== undefined) outputs[step.id] = step.outputs(ctx, observed);
      const action: StepAction = step.readOnly
        ? 'read'
        : observed === undefined
          ? 'create'
          : changes.length > 0
            ? 'update'
            : 'unchanged';
      for (const change of changes) if (change.note) ctx.debug(`${change.field}: ${change.note}`);
      return { ...base, status: 'done', action, changes, durationMs: Date.now() - started };
    }
    let result: { type: ResultType; outputs: object };
    if (changes.length === 0) {
      if (observed === undefined)
        throw new HmError('STEP_NO_PLAN', `step ${step.id} found nothing and planned nothing`, 'internal');
      ctx.debug('everything matches the configuration; nothing to write');
      result = { type: 'unchanged', outputs: step.outputs(ctx, observed) };
    } else {
      for (const change of changes)
        ctx.debug(`${change.action} ${change.field}${change.note ? `: ${change.note}` : ''}`);
      result = await step.apply(ctx, observed, changes);
    }
    outputs[step.id] = result.outputs;
    await (options.session as StateSession).recordResult(step.id, {
      type: result.type,
      outputs: result.outputs as Record<string, unknown>,
    });
    const action: StepAction = step.readOnly
      ? 'read'
      : result.type === 'created'
        ? 'create'
        : result.type === 'updated'
          ? 'update'
          : 'unchanged';
    return { ...base, status: 'done', action, result: result.type, changes, durationMs: Date.now() - started };
  };

  const outcomes = await schedule(ordered, {
    waitsFor: (step) => step.dependsOn,
    releases: (outcome) => outcome.status === 'done',
    keepGoing: options.survey === true,
    execute,
    signal: options.signal,
    emit,
    skipReason: (step, ended) => {
      const failedDep = step.dependsOn.find((dep) => ended.get(dep)?.status !== 'done');
      return failedDep ? `"${failedDep}" did not complete` : 'an earlier step failed';
    },
  });

  const list = ordered.map((step) => outcomes.get(step.id) as StepOutcome);
  return {
    ok: list.every((o) => o.status === 'done'),
    aborted: options.signal?.aborted === true,
    outcomes: list,
    outputs: outputs as Partial<StepOutputs>,
    ...(options.mode === 'plan' ? { observations } : {}),
  };
}

interface ContextParts {
  mode: StepContext['mode'];
  config: Config;
  flags: Partial<RunFlags> | undefined;
  aws: AwsContext | undefined;
  session: StateSession | undefined;
  records: Record<string, ResourceRecord>;
  recordedAccountId: string | null;
  output(id: string): unknown;
  emit(event: RunEvent): void;
  reads: RunReads;
}

/** The context a step runs with; state writes go through the session, and only in the modes that write. */
function stepContext(step: AnyStep, parts: ContextParts): StepContext {
  const sessionFor = (what: string, mode: StepContext['mode']): StateSession => {
    if (parts.mode !== mode || !parts.session)
      throw new HmError('RUNNER_MISUSE', `step ${step.id} ${what} in ${parts.mode} mode`, 'internal');
    return parts.session;
  };
  return {
    config: parts.config,
    mode: parts.mode,
    flags: {
      overwriteDns: parts.flags?.overwriteDns === true,
      rotateKey: parts.flags?.rotateKey === true,
      force: parts.flags?.force === true,
      removalWaitSeconds: parts.flags?.removalWaitSeconds ?? 30 * 60,
    },
    recorded: parts.records[step.id],
    recordedAccountId: parts.recordedAccountId,
    reads: parts.reads,
    get aws(): AwsContext {
      if (!parts.aws) throw new HmError('OFFLINE', `step ${step.id} tried to call AWS in offline mode`, 'internal');
      return parts.aws;
    },
    output: (id) => parts.output(id as string) as never,
    report: (message) => parts.emit({ type: 'report', id: step.id, message }),
    debug: (message) => parts.emit({ type: 'debug', id: step.id, message }),
    intend: (data) => sessionFor('wrote an intent', 'apply').intend(step.id, data),
    saveSecret: (secret) => sessionFor('saved a secret', 'apply').saveSecret(step.id, secret),
    markDisabling: () => sessionFor('marked a removal', 'destroy').markDisabling(step.id),
  };
}

const stepScope = new AsyncLocalStorage<StepId>();

/**
 * The step on whose behalf the current code runs, across every await inside it: lets the
 * benchmark's fake account attribute each AWS call to the step that made it.
 */
export function currentStepId(): StepId | undefined {
  return stepScope.getStore();
}

interface Schedule {
  /** Steps that must have ended (and released) before this one may start. */
  waitsFor(step: AnyStep): readonly StepId[];
  /** Whether an ended step lets the steps waiting for it start. */
  releases(outcome: StepOutcome): boolean;
  execute(step: AnyStep): Promise<StepOutcome>;
  signal: AbortSignal | undefined;
  emit(event: RunEvent): void;
  /** Why a step never started, when the run was not interrupted. */
  skipReason(step: AnyStep, ended: ReadonlyMap<StepId, StepOutcome>): string;
  /** A failure does not stop the others (only the steps waiting for it). */
  keepGoing?: boolean;
}

/**
 * Starts each step the moment everything it waits for has released it, so independent steps
 * run at once. After the first failure (or an abort) no new step starts; running ones finish.
 * Every step ends with an outcome: done, failed, or skipped with the reason.
 */
async function schedule(ordered: readonly AnyStep[], plan: Schedule): Promise<Map<StepId, StepOutcome>> {
  const outcomes = new Map<StepId, StepOutcome>();
  const running = new Map<StepId, Promise<void>>();
  let stopped = false;
  const finish = (outcome: StepOutcome): void => {
    outcomes.set(outcome.id, outcome);
    plan.emit({ type: outcome.status === 'done' ? 'done' : 'failed', outcome } as RunEvent);
  };
  const released = (id: StepId) => {
    const outcome = outcomes.get(id);
    return outcome !== undefined && plan.releases(outcome);
  };
  await new Promise<void>((resolveAll) => {
    const start = (step: AnyStep): void => {
      plan.emit({ type: 'start', id: step.id, title: step.title });
      const started = Date.now();
      const promise = stepScope
        .run(step.id, () => plan.execute(step))
        .then(finish, (err: unknown) => {
          if (!plan.keepGoing) stopped = true;
          const error = toHmError(err, `complete step "${step.title}"`);
          finish({
            id: step.id,
            title: step.title,
            service: step.service,
            status: 'failed',
            changes: [],
            error,
            durationMs: Date.now() - started,
          });
        })
        .then(() => {
          running.delete(step.id);
          tick();
        });
      running.set(step.id, promise);
    };
    const tick = (): void => {
      if (plan.signal?.aborted) stopped = true;
      if (!stopped) {
        for (const step of ordered) {
          if (outcomes.has(step.id) || running.has(step.id)) continue;
          if (plan.waitsFor(step).every(released)) start(step);
        }
      }
      if (running.size === 0) resolveAll();
    };
    plan.signal?.addEventListener('abort', tick, { once: true });
    tick();
  });
  for (const step of ordered) {
    if (outcomes.has(step.id)) continue;
    const reason = plan.signal?.aborted ? 'the run was interrupted' : plan.skipReason(step, outcomes);
    const outcome: StepOutcome = {
      id: step.id,
      title: step.title,
      service: step.service,
      status: 'skipped',
      changes: [],
      skippedBecause: reason,
      durationMs: 0,
    };
    outcomes.set(step.id, outcome);
    plan.emit({ type: 'skipped', outcome });
  }
  return outcomes;
}

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
    output: (id) => {
      const record = session.state.resources[id];
      if (!record)
        throw new HmError(
          'MISSING_OUTPUT',
          `removing ${step.id} needs the recorded outputs of ${id}, which state no longer has`,
          'internal',
        );
      const dependency = steps.find((s) => s.id === id);
      return dependency ? recordedOutputs(dependency, record) : record.outputs;
    },
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
