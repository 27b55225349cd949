import type { Clock } from '../../src/clock.js';

/** Where a virtual clock starts (ms since the epoch). */
export const VIRTUAL_START = 1_700_000_000_000;

export type VirtualClock = Clock & { sleeps: number[] };

/**
 * A clock on which waiting takes no real time: each sleep moves it forward and is recorded;
 * `onSleep` runs at each one (to press Ctrl-C in the middle of a wait, say).
 */
export function givenVirtualClock(onSleep: () => void = () => undefined): VirtualClock {
  let now = VIRTUAL_START;
  const sleeps: number[] = [];
  return {
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
      onSleep();
    },
    sleeps,
  };
}
