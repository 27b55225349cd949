import { describe, expect, it } from 'vitest';
import { planDifferences } from '../../src/engine/plan-diff.js';
import type { StepOutcome } from '../../src/engine/outcome.js';
import type { Change } from '../../src/engine/types.js';

const outcome = (id: string, action: StepOutcome['action'], changes: Change[] = []): StepOutcome => ({
  id,
  title: `step ${id}`,
  service: 'S3',
  status: 'done',
  action,
  changes,
  durationMs: 1,
});

describe('planDifferences', () => {
  const versioning: Change = { field: 'versioning', action: 'update', from: 'Suspended', to: 'Enabled' };

  it('finds none between equal plans, whatever the notes and timings', () => {
    const before = [outcome('bucket', 'unchanged'), outcome('settings', 'update', [versioning])];
    const after = [
      { ...outcome('bucket', 'unchanged'), durationMs: 9 },
      outcome('settings', 'update', [{ ...versioning, note: 'is Suspended; should be Enabled' }]),
    ];
    expect(planDifferences(before, after)).toEqual([]);
  });

  it.each([
    ['an action', outcome('settings', 'unchanged')],
    ['a field', outcome('settings', 'update', [{ ...versioning, field: 'cors' }])],
    ['a from', outcome('settings', 'update', [{ ...versioning, from: 'Disabled' }])],
    ['a to', outcome('settings', 'update', [{ ...versioning, to: { Status: 'Enabled' } }])],
    ['a change more', outcome('settings', 'update', [versioning, { field: 'cors', action: 'create' }])],
  ])('finds the step whose plan differs in %s', (_what, now) => {
    const before = [outcome('bucket', 'unchanged'), outcome('settings', 'update', [versioning])];
    const after = [outcome('bucket', 'unchanged'), now];
    expect(planDifferences(before, after)).toEqual([{ id: 'settings', before: before[1], after: now }]);
  });
});
