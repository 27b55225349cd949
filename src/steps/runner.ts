import type { AwsContext } from '../aws/context.js';
import { toHmError } from '../aws/errors.js';
import type { Config } from '../config/config.js';
import { HmError } from '../errors.js';
import type { ResourceRecord } from '../state/schema.js';
import type { StateSession } from '../state/session.js';
import type { AnyStep, Change, ResultType, RunFlags, Service, StepContext, StepId, StepOutputs } from './types.js';

/** What a step is shown as in a plan or a result. */
export type StepAction = 'create' | 'update' | 'unchanged' | 'read';

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
  durationMs: number;
}

export type RunEvent =
  | { type: 'start'; id: StepId; title: string }
  | { type: 'report'; id: StepId; message: string }
  | { type: 'debug'; id: StepId; message: string }
  | { type: 'done'; outcome: StepOutcome }
  | { type: 'failed'; outcome: StepOutcome }
  | { type: 'skipped'; outcome: StepOutcome };

export interface RunResult {
  ok: boolean;
  aborted: boolean;
  outcomes: StepOutcome[];
  outputs: Partial<StepOutputs>;
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
      if (!byId.has(dep)) throw new HmError('GRAPH_UNKNOWN_DEP', `step "${step.id}" depends on unknown step "${dep}"`, 'internal');
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
  const outcomes = new Map<StepId, StepOutcome>();
  const running = new Map<StepId, Promise<void>>();
  let stopped = false;

  const records = (): Record<string, ResourceRecord> => options.session?.state.resources ?? options.records ?? {};

  const contextFor = (step: AnyStep): StepContext => ({
    config: options.config,
    mode: options.mode,
    flags: { overwriteDns: options.flags?.overwriteDns === true, rotateKey: options.flags?.rotateKey === true },
    recorded: records()[step.id],
    recordedAccountId: options.session?.state.accountId ?? options.recordedAccountId ?? null,
    get aws(): AwsContext {
      if (!options.aws) throw new HmError('OFFLINE', `step ${step.id} tried to call AWS in offline mode`, 'internal');
      return options.aws;
    },
    output: (id) => {
      if (!(id in outputs)) throw new HmError('MISSING_OUTPUT', `step ${step.id} needs the outputs of ${String(id)}, which has not run`, 'internal');
      return outputs[id as string] as never;
    },
    report: (message) => emit({ type: 'report', id: step.id, message }),
    debug: (message) => emit({ type: 'debug', id: step.id, message }),
    intend: async (data) => {
      if (options.mode !== 'apply' || !options.session) throw new HmError('RUNNER_MISUSE', `step ${step.id} wrote an intent in plan mode`, 'internal');
      await options.session.intend(step.id, data);
    },
    saveSecret: async (secret) => {
      if (options.mode !== 'apply' || !options.session) throw new HmError('RUNNER_MISUSE', `step ${step.id} saved a secret in plan mode`, 'internal');
      await options.session.saveSecret(step.id, secret);
    },
  });

  const execute = async (step: AnyStep): Promise<StepOutcome> => {
    const ctx = contextFor(step);
    const started = Date.now();
    const base = { id: step.id, title: step.title, service: step.service, changes: [] as Change[] };
    const cannotRead = !options.aws || step.dependsOn.some((dep) => absent.has(dep));
    const observed = options.mode === 'plan' && cannotRead ? undefined : await step.read(ctx);
    const changes = step.plan(ctx, observed);
    if (options.mode === 'plan') {
      if (observed === undefined && !step.readOnly) absent.add(step.id);
      else if (observed !== undefined) outputs[step.id] = step.outputs(ctx, observed);
      const action: StepAction = step.readOnly ? 'read' : observed === undefined ? 'create' : changes.length > 0 ? 'update' : 'unchanged';
      for (const change of changes) if (change.note) ctx.debug(`${change.field}: ${change.note}`);
      return { ...base, status: 'done', action, changes, durationMs: Date.now() - started };
    }
    let result: { type: ResultType; outputs: object };
    if (changes.length === 0) {
      if (observed === undefined) throw new HmError('STEP_NO_PLAN', `step ${step.id} found nothing and planned nothing`, 'internal');
      ctx.debug('everything matches the configuration; nothing to write');
      result = { type: 'unchanged', outputs: step.outputs(ctx, observed) };
    } else {
      for (const change of changes) ctx.debug(`${change.action} ${change.field}${change.note ? `: ${change.note}` : ''}`);
      result = await step.apply(ctx, observed, changes);
    }
    outputs[step.id] = result.outputs;
    await (options.session as StateSession).recordResult(step.id, { type: result.type, outputs: result.outputs as Record<string, unknown> });
    const action: StepAction = step.readOnly ? 'read' : result.type === 'created' ? 'create' : result.type === 'updated' ? 'update' : 'unchanged';
    return { ...base, status: 'done', action, result: result.type, changes, durationMs: Date.now() - started };
  };

  const finish = (step: AnyStep, outcome: StepOutcome): void => {
    outcomes.set(step.id, outcome);
    emit({ type: outcome.status === 'done' ? 'done' : 'failed', outcome } as RunEvent);
  };

  const isDone = (id: StepId) => outcomes.get(id)?.status === 'done';
  await new Promise<void>((resolveAll) => {
    const start = (step: AnyStep): void => {
      emit({ type: 'start', id: step.id, title: step.title });
      const started = Date.now();
      const promise = execute(step)
        .then(
          (outcome) => finish(step, outcome),
          (err: unknown) => {
            stopped = true;
            const error = toHmError(err, `complete step "${step.title}"`);
            finish(step, { id: step.id, title: step.title, service: step.service, status: 'failed', changes: [], error, durationMs: Date.now() - started });
          },
        )
        .then(() => {
          running.delete(step.id);
          tick();
        });
      running.set(step.id, promise);
    };
    const tick = (): void => {
      if (options.signal?.aborted) stopped = true;
      if (!stopped) {
        for (const step of ordered) {
          if (outcomes.has(step.id) || running.has(step.id)) continue;
          if (step.dependsOn.every(isDone)) start(step);
        }
      }
      if (running.size === 0) resolveAll();
    };
    options.signal?.addEventListener('abort', tick, { once: true });
    tick();
  });

  for (const step of ordered) {
    if (outcomes.has(step.id)) continue;
    const failedDep = step.dependsOn.find((dep) => outcomes.get(dep)?.status !== 'done');
    const reason = options.signal?.aborted ? 'the run was interrupted' : failedDep ? `"${failedDep}" did not complete` : 'an earlier step failed';
    const outcome: StepOutcome = { id: step.id, title: step.title, service: step.service, status: 'skipped', changes: [], skippedBecause: reason, durationMs: 0 };
    outcomes.set(step.id, outcome);
    emit({ type: 'skipped', outcome });
  }

  const list = ordered.map((step) => outcomes.get(step.id) as StepOutcome);
  return {
    ok: list.every((o) => o.status === 'done'),
    aborted: options.signal?.aborted === true,
    outcomes: list,
    outputs: outputs as Partial<StepOutputs>,
  };
}
