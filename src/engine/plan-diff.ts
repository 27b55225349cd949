import { isDeepStrictEqual } from 'node:util';
import type { StepOutcome } from './outcome.js';
import type { StepId } from './types.js';

/** One step whose plan is not what it was: what it was, and what it is now. */
export interface StepDifference {
  id: StepId;
  before: StepOutcome | undefined;
  after: StepOutcome | undefined;
}

/** What a plan compares by: each step's action, and each change's field, action, from and to. */
const planned = (o: StepOutcome | undefined) =>
  o === undefined
    ? undefined
    : {
        action: o.action ?? o.status,
        changes: o.changes.map((c) => ({ field: c.field, action: c.action, from: c.from, to: c.to })),
      };

/**
 * The steps whose plan differs between two plans of the same configuration (one shown, one
 * read again later), in the order of the later one; [] when they are the same.
 */
export function planDifferences(before: readonly StepOutcome[], after: readonly StepOutcome[]): StepDifference[] {
  const earlier = new Map(before.map((o) => [o.id, o]));
  const later = new Map(after.map((o) => [o.id, o]));
  const ids = [...new Set([...later.keys(), ...earlier.keys()])];
  return ids
    .map((id) => ({ id, before: earlier.get(id), after: later.get(id) }))
    .filter((d) => !isDeepStrictEqual(planned(d.before), planned(d.after)));
}
