/** The order of the step graph: dependencies first; duplicates, unknown dependencies and cycles refused. */
import { HmError } from '../errors.js';
import type { AnyStep, StepId } from './types.js';

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
