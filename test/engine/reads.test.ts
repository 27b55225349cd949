import { describe, expect, it } from 'vitest';
import { RunReads } from '../../src/engine/reads.js';

describe('RunReads', () => {
  it('reads once for every caller of the same key, including callers that come while the read is on its way', async () => {
    const reads = new RunReads();
    let calls = 0;
    const read = async () => {
      calls += 1;
      await new Promise((r) => setImmediate(r));
      return { calls };
    };
    // WHEN
    const [a, b] = await Promise.all([reads.once('k', read), reads.once('k', read)]);
    const c = await reads.once('k', read);
    // THEN
    expect(calls).toBe(1);
    expect(b).toBe(a);
    expect(c).toBe(a);
    expect(await reads.once('other', read)).toEqual({ calls: 2 });
  });

  it('reads again after forget (a step changed what it read)', async () => {
    const reads = new RunReads();
    let calls = 0;
    const read = async () => ++calls;
    await reads.once('k', read);
    reads.forget('k');
    expect(await reads.once('k', read)).toBe(2);
  });

  it('does not keep a failed read', async () => {
    const reads = new RunReads();
    await expect(reads.once('k', async () => Promise.reject(new Error('throttled')))).rejects.toThrow('throttled');
    expect(await reads.once('k', async () => 'fine')).toBe('fine');
  });
});
