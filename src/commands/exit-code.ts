import type { HmError } from '../errors.js';

/** Exit code for a run whose steps failed: the first failure's own code (2 for bad input). */
export function exitCodeOf(errors: ReadonlyArray<HmError | undefined>): number {
  const first = errors.find((e) => e !== undefined);
  return first?.exitCode ?? 1;
}

/** Exit code for a run with failed steps: the first failed step's own code. */
export function failureCode(result: { outcomes: ReadonlyArray<{ status: string; error?: HmError }> }): number {
  return exitCodeOf(result.outcomes.filter((o) => o.status === 'failed').map((o) => o.error));
}
