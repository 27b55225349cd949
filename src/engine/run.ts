/** Plan and apply: the step graph run read-only, or read, written and saved step by step. */
import { RunReads } from './reads.js';
import type { AwsContext } from '../aws/context.js';
import type { Config } from '../config/config.js';
import { HmError } from '../errors.js';
import type { ResourceRecord } from '../state/schema.js';
import type { StateSession } from '../state/session.js';
import type { AnyStep, Change, ResultType, RunFlags, StepContext, StepId, StepOutputs } from './types.js';
import { stepContext } from './context.js';
import { orderSteps } from './order.js';
import type { StepAction, StepOutcome, RunEvent, StepObservation, RunResult } from './outcome.js';
import { schedule } from './schedule.js';

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
      outputOf: (id) => (id in outputs ? outputs[id] : recordedInstead(id) ? records()[id]?.outputs : undefined),
      missing: (id) =>
        new HmError('MISSING_OUTPUT', `step ${step.id} needs the outputs of ${id}, which has not run`, 'internal'),
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
