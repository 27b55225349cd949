import { describe, expect, it, vi } from 'vitest';
import { HmError } from '../../src/errors.js';
import { liveProgress, progressMode } from '../../src/views/live-progress.js';
import { makeStyle } from '../../src/views/style.js';
import type { StepOutcome } from '../../src/engine/outcome.js';
import type { AnyStep } from '../../src/engine/types.js';
import { fakeTerminal, plain } from '../support/terminal.js';

function givenStep(id: string, dependsOn: string[] = []): AnyStep {
  return {
    id,
    title: `Step ${id}`,
    service: 'S3',
    dependsOn,
    read: async () => undefined,
    plan: () => [],
    apply: async () => ({ type: 'created', outputs: {} }),
    outputs: () => ({}),
    destroy: async () => undefined,
  };
}

const outcome = (id: string, extra: Partial<StepOutcome> = {}): StepOutcome => ({
  id,
  title: `Step ${id}`,
  service: 'S3',
  status: 'done',
  action: 'create',
  changes: [],
  durationMs: 1,
  ...extra,
});

/** The latest frame once it shows `expected` (the renderer redraws on changes and on its spinner tick). */
const frameShowing = (writes: string[], expected: string | RegExp) =>
  vi.waitFor(() => {
    const latest = plain(writes.at(-1) ?? '');
    expect(latest).toMatch(expected);
    return latest;
  });

/** The final frame: the renderer prints the whole list once more as it ends. */
const lastFrame = (writes: string[]) => plain(writes.filter((w) => w.includes('Step a')).at(-1) ?? '');

const SPINNER = '[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]';

describe('progressMode', () => {
  it.each([
    [{ terminal: true, env: {}, verbose: false }, 'live'],
    [{ terminal: true, env: { CI: 'false' }, verbose: false }, 'live'],
    [{ terminal: true, env: { CI: '0' }, verbose: false }, 'live'],
    [{ terminal: true, env: { CI: 'true' }, verbose: false }, 'lines'],
    [{ terminal: true, env: { CI: '1' }, verbose: false }, 'lines'],
    [{ terminal: true, env: { TERM: 'dumb' }, verbose: false }, 'lines'],
    [{ terminal: true, env: {}, verbose: true }, 'lines'],
    [{ terminal: false, env: {}, verbose: false }, 'lines'],
  ])('%j → %s', (options, mode) => {
    expect(progressMode(options)).toBe(mode);
  });
});

describe('the live task list', () => {
  it('spins only on running steps, says what waiting ones wait for, shows reports, and ends with every outcome', async () => {
    const terminal = fakeTerminal();
    const steps = [
      givenStep('a'),
      givenStep('b'),
      givenStep('c', ['a', 'b']),
      givenStep('d', ['c']),
      givenStep('e', ['d']),
    ];
    const live = await liveProgress(steps, terminal, makeStyle(false));
    // WHEN two independent steps start
    live.onEvent({ type: 'start', id: 'a', title: 'Step a' });
    live.onEvent({ type: 'start', id: 'b', title: 'Step b' });
    // THEN both spin at once, and the one that needs them waits without a spinner
    const first = await frameShowing(
      terminal.writes,
      new RegExp(`${SPINNER} Step a[^]*${SPINNER} Step b|${SPINNER} Step b[^]*${SPINNER} Step a`),
    );
    expect(first).toMatch(new RegExp(`${SPINNER} Step a`));
    expect(first).toMatch(new RegExp(`${SPINNER} Step b`));
    expect(first).toContain('◦ Step c · waits for Step a, Step b');
    expect(terminal.text()).not.toMatch(new RegExp(`${SPINNER} Step c`));
    // WHEN one finishes and the other reports a long wait
    live.onEvent({ type: 'done', outcome: outcome('a') });
    live.onEvent({ type: 'report', id: 'b', message: 'waiting for Route 53 to apply the change…' });
    // THEN the finished one is ticked, the report shows under its step, and c waits for b alone
    await vi.waitFor(() => {
      const second = plain(terminal.writes.at(-1) ?? '');
      expect(second).toMatch(/✔ Step a created/);
      expect(second).toContain('waiting for Route 53 to apply the change…');
      expect(second).toContain('◦ Step c · waits for Step b\n');
    });
    // WHEN the rest ends: an update, a failure and a skip
    live.onEvent({
      type: 'done',
      outcome: outcome('b', { action: 'update', changes: [{ field: 'cors', action: 'update' }] }),
    });
    live.onEvent({ type: 'start', id: 'c', title: 'Step c' });
    live.onEvent({
      type: 'failed',
      outcome: outcome('c', { status: 'failed', error: new HmError('AWS_ERROR', 'it broke', 'aws') }),
    });
    live.onEvent({
      type: 'skipped',
      outcome: outcome('d', { status: 'skipped', skippedBecause: '"c" did not complete' }),
    });
    live.onEvent({
      type: 'skipped',
      outcome: outcome('e', { status: 'skipped', skippedBecause: '"d" did not complete' }),
    });
    await live.close();
    // THEN the last frame lists every step with what happened to it
    const final = lastFrame(terminal.writes);
    expect(final).toMatch(/✔ Step b updated \(cors\)/);
    expect(final).toMatch(/✖ Step c failed \(AWS_ERROR\)/);
    expect(final).toMatch(/Step d skipped: "c" did not complete/);
    expect(final).not.toContain('waiting for Route 53');
  });

  it('closes steps the runner never ended, so the terminal is handed back', async () => {
    const terminal = fakeTerminal();
    const live = await liveProgress([givenStep('a'), givenStep('b', ['a'])], terminal, makeStyle(false));
    live.onEvent({ type: 'start', id: 'a', title: 'Step a' });
    live.stopping();
    await frameShowing(terminal.writes, 'Step b · will not start: stopping');
    // WHEN
    await live.close();
    // THEN
    expect(lastFrame(terminal.writes)).toMatch(/✖ Step a stopped/);
    expect(lastFrame(terminal.writes)).toMatch(/✖ Step b stopped/);
  });
});
