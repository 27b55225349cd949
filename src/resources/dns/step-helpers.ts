import { type ErrorMatch, matches, retryOnce } from '../../engine/resource.js';
import type { StepContext, StepOutputs } from '../../engine/types.js';

/**
 * What the DNS records step needs beyond what the engine offers: a dependency's outputs that
 * may not exist yet, and a second try that is told why the first was refused.
 */

/**
 * A dependency's outputs when they are known; undefined when they are not (in `plan`, a step
 * downstream of one still to be created, or offline, where nothing was read).
 */
export function outputIfKnown<K extends keyof StepOutputs>(ctx: StepContext, id: K): StepOutputs[K] | undefined {
  try {
    return ctx.output(id);
  } catch {
    return undefined;
  }
}

/** `retryOnce`, with the answer that refused the first try handed to the second (to say why). */
export function retryOnceAfter<T>(
  first: () => Promise<T>,
  on: ErrorMatch | readonly ErrorMatch[],
  again: (answer: unknown) => Promise<T | undefined>,
): Promise<T> {
  let answer: unknown;
  const refused: ErrorMatch = (err) => {
    if (!matches(err, on)) return false;
    answer = err;
    return true;
  };
  return retryOnce(first, refused, () => again(answer));
}
