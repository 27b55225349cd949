/** The scheduler: each step starts the moment what it waits for is done; independent ones at once. */
import { AsyncLocalStorage } from 'node:async_hooks';
import { toHmError } from '../aws/errors.js';
import type { AnyStep, StepId } from './types.js';
import type { StepOutcome, RunEvent } from './outcome.js';

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
export async function schedule(ordered: readonly AnyStep[], plan: Schedule): Promise<Map<StepId, StepOutcome>> {
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
