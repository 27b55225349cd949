/**
 * What the benchmark computes from one command's AWS calls (each logged with the step that
 * made it and when it started and ended) and the step graph:
 * - a step's own chain: the longest run of its calls each starting after the one before ended
 *   (the calls it could not make at once);
 * - the critical path: the longest path of those chains through the graph, a step's chain
 *   counted after the longest chain of its dependencies; calls made outside any step count as
 *   one more chain that depends on nothing;
 * - repeated reads: the same read (command and input, and who signed it) made twice with no
 *   write naming the same resource in between.
 */
import type { Call } from '../fakes/account.js';

/** A call as the fake account logs it, once it has ended. */
export type TimedCall = Omit<Call, 'n' | 'endedAt'> & { endedAt: number };

export interface GraphStep {
  id: string;
  dependsOn: readonly string[];
}

export interface CriticalPath {
  /** Calls on the longest chain. */
  length: number;
  /** The steps on it, each with its own chain: "bucket 2". */
  path: string[];
}

const READ = /^(Get|Head|List|Describe)/;
export const isWrite = (call: Pick<TimedCall, 'command'>): boolean => !READ.test(call.command);

/** Calls closer than this (ms) are taken as overlapping: timers are not exact. */
const SLACK = 0.5;

export function chainOf(calls: readonly TimedCall[]): number {
  const sorted = [...calls].sort((a, b) => a.startedAt - b.startedAt);
  const best = sorted.map(() => 1);
  for (let i = 0; i < sorted.length; i += 1) {
    for (let j = 0; j < i; j += 1) {
      if ((sorted[j] as TimedCall).endedAt <= (sorted[i] as TimedCall).startedAt + SLACK)
        best[i] = Math.max(best[i] as number, (best[j] as number) + 1);
    }
  }
  return Math.max(0, ...best);
}

export function criticalPath(graph: readonly GraphStep[], calls: readonly TimedCall[]): CriticalPath {
  const byStep = new Map<string, TimedCall[]>(graph.map((s) => [s.id, []]));
  const outside: TimedCall[] = [];
  for (const call of calls) (byStep.get(call.step ?? '') ?? outside).push(call);
  const memo = new Map<string, CriticalPath>();
  const longer = (a: CriticalPath, b: CriticalPath) => (b.length > a.length ? b : a);
  const longest = (step: GraphStep): CriticalPath => {
    const known = memo.get(step.id);
    if (known) return known;
    const own = chainOf(byStep.get(step.id) ?? []);
    const before = step.dependsOn
      .map((id) => graph.find((s) => s.id === id))
      .filter((s): s is GraphStep => s !== undefined)
      .map(longest)
      .reduce(longer, { length: 0, path: [] });
    const result = { length: before.length + own, path: own > 0 ? [...before.path, `${step.id} ${own}`] : before.path };
    memo.set(step.id, result);
    return result;
  };
  const paths = graph.map(longest);
  const outsideChain = chainOf(outside);
  if (outsideChain > 0) paths.push({ length: outsideChain, path: [`outside the steps ${outsideChain}`] });
  return paths.reduce(longer, { length: 0, path: [] });
}

const identity = (call: TimedCall) =>
  `${call.service}:${call.command}:${JSON.stringify(call.input)}${call.signedBy ? ` signed by ${call.signedBy}` : ''}`;
const namesIn = (input: Record<string, unknown>) =>
  Object.values(input).filter((v): v is string => typeof v === 'string');

/** Each read made again with nothing written to what it names in between, with how often. */
export function repeatedReads(calls: readonly TimedCall[]): string[] {
  const sorted = [...calls].sort((a, b) => a.startedAt - b.startedAt);
  const last = new Map<string, number>();
  const repeats = new Map<string, number>();
  sorted.forEach((call, index) => {
    if (isWrite(call)) return;
    const key = identity(call);
    const before = last.get(key);
    last.set(key, index);
    if (before === undefined) return;
    const names = namesIn(call.input);
    const changedBetween = sorted
      .slice(before + 1, index)
      .some((c) => isWrite(c) && c.service === call.service && namesIn(c.input).some((n) => names.includes(n)));
    if (!changedBetween) repeats.set(key, (repeats.get(key) ?? 1) + 1);
  });
  return [...repeats.entries()].map(([key, n]) => `${key.slice(0, 160)} ×${n}`);
}
