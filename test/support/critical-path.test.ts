import { describe, expect, it } from 'vitest';
import { type TimedCall, chainOf, criticalPath, repeatedReads } from './critical-path.js';

/** A call of `step` from `start` to `start + 50` ms. */
const call = (
  step: string | undefined,
  start: number,
  command = 'GetThing',
  input: Record<string, unknown> = { Name: `${step}-${start}` },
): TimedCall => ({
  service: 's3',
  command,
  input,
  step,
  startedAt: start,
  endedAt: start + 50,
});

describe('chainOf', () => {
  it('counts calls made one after another, and calls made at once as one', () => {
    expect(chainOf([])).toBe(0);
    expect(chainOf([call('a', 0), call('a', 1), call('a', 2)])).toBe(1);
    expect(chainOf([call('a', 0), call('a', 50), call('a', 100)])).toBe(3);
    // six reads at once, then two writes one after the other
    expect(chainOf([...[0, 0, 0, 0, 0, 0].map((t) => call('a', t)), call('a', 51), call('a', 102)])).toBe(3);
  });
});

describe('criticalPath', () => {
  const graph = [
    { id: 'root', dependsOn: [] },
    { id: 'left', dependsOn: ['root'] },
    { id: 'right', dependsOn: ['root'] },
    { id: 'end', dependsOn: ['left', 'right'] },
  ];

  it('follows the longest chain of dependent calls through the graph', () => {
    const calls = [
      call('root', 0),
      call('left', 50),
      call('right', 50),
      call('right', 100),
      call('right', 150),
      call('end', 200),
    ];
    expect(criticalPath(graph, calls)).toEqual({ length: 5, path: ['root 1', 'right 3', 'end 1'] });
  });

  it('does not charge a step for calls it made at once', () => {
    const calls = [call('root', 0), call('left', 50), call('left', 50), call('left', 50), call('end', 100)];
    expect(criticalPath(graph, calls).length).toBe(3);
  });

  it('counts calls outside the steps as a chain of their own', () => {
    const calls = [call('root', 0), call(undefined, 0), call(undefined, 60), call(undefined, 120)];
    expect(criticalPath(graph, calls)).toEqual({ length: 3, path: ['outside the steps 3'] });
  });
});

describe('repeatedReads', () => {
  it('finds a read made twice, but not one made again after a write to the same resource', () => {
    const twice = [call('a', 0, 'GetIdentity', { Id: 'x' }), call('b', 60, 'GetIdentity', { Id: 'x' })];
    expect(repeatedReads(twice)).toEqual(['s3:GetIdentity:{"Id":"x"} ×2']);
    const afterWrite = [
      call('a', 0, 'GetIdentity', { Id: 'x' }),
      call('a', 60, 'CreateIdentity', { Id: 'x' }),
      call('b', 120, 'GetIdentity', { Id: 'x' }),
    ];
    expect(repeatedReads(afterWrite)).toEqual([]);
    const otherWrite = [
      call('a', 0, 'GetIdentity', { Id: 'x' }),
      call('a', 60, 'CreateIdentity', { Id: 'y' }),
      call('b', 120, 'GetIdentity', { Id: 'x' }),
    ];
    expect(repeatedReads(otherWrite)).toHaveLength(1);
  });

  it('tells reads signed by different credentials apart', () => {
    const calls = [
      call('account', 0, 'GetCallerIdentity', {}),
      { ...call('access-key', 60, 'GetCallerIdentity', {}), signedBy: 'AKIANEW' },
    ];
    expect(repeatedReads(calls)).toEqual([]);
  });
});
