import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { AwsContext } from '../../src/aws/context.js';
import { HmError } from '../../src/errors.js';
import { newState } from '../../src/state/schema.js';
import { StateSession } from '../../src/state/session.js';
import { StateStore } from '../../src/state/store.js';
import { removalPlan, runDestroy } from '../../src/engine/destroy.js';
import { orderSteps } from '../../src/engine/order.js';
import type { RunEvent } from '../../src/engine/outcome.js';
import { runSteps } from '../../src/engine/run.js';
import type { AnyStep, Change } from '../../src/engine/types.js';
import { givenConfig } from '../support/context.js';

interface Gate {
  promise: Promise<void>;
  open(): void;
}
function gate(): Gate {
  let open = () => undefined as void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** A step that exists or not, waits on a gate when applying, and logs what happens to it. */
function givenStep(
  id: string,
  dependsOn: string[],
  log: string[],
  options: { exists?: boolean; fails?: boolean; wait?: Gate; changes?: Change[] } = {},
): AnyStep {
  return {
    id,
    title: `step ${id}`,
    service: 'S3',
    dependsOn,
    read: async () => {
      log.push(`read ${id}`);
      return options.exists ? { id } : undefined;
    },
    plan: (_ctx, observed) => (observed ? (options.changes ?? []) : [{ field: id, action: 'create' }]),
    apply: async () => {
      log.push(`start ${id}`);
      if (options.wait) await options.wait.promise;
      if (options.fails) throw new HmError('AWS_ERROR', `${id} failed`, 'aws');
      log.push(`end ${id}`);
      return { type: 'created', outputs: { id } };
    },
    outputs: () => ({ id }),
    destroy: async () => undefined,
  };
}

let dir: string;
let store: StateStore;
const config = givenConfig();
const aws = new AwsContext({ region: 'us-east-1' });

function session(): StateSession {
  return new StateSession(store, newState(config));
}

describe('orderSteps', () => {
  const log: string[] = [];
  it('puts every step after its dependencies', () => {
    const steps = [givenStep('c', ['b'], log), givenStep('b', ['a'], log), givenStep('a', [], log)];
    expect(orderSteps(steps).map((s) => s.id)).toEqual(['a', 'b', 'c']);
  });

  it('rejects a cycle, naming it', () => {
    const steps = [givenStep('a', ['c'], log), givenStep('b', ['a'], log), givenStep('c', ['b'], log)];
    expect(() => orderSteps(steps)).toThrow(/cycle: a → c → b → a/);
  });

  it('rejects duplicate ids and unknown dependencies', () => {
    expect(() => orderSteps([givenStep('a', [], log), givenStep('a', [], log)])).toThrow(/share the id "a"/);
    expect(() => orderSteps([givenStep('a', ['ghost'], log)])).toThrow(/unknown step "ghost"/);
  });
});

describe('runSteps', () => {
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hm-runner-'));
    store = new StateStore(join(dir, 'dev.json'));
  });

  it('runs independent steps at the same time', async () => {
    const log: string[] = [];
    const a = gate();
    const b = gate();
    const steps = [
      givenStep('root', [], log, { exists: true }),
      givenStep('a', ['root'], log, { wait: a }),
      givenStep('b', ['root'], log, { wait: b }),
    ];
    // WHEN
    const run = runSteps(steps, { mode: 'apply', config, aws, session: session() });
    // THEN both start while neither can finish
    await vi.waitFor(() => expect(log).toEqual(expect.arrayContaining(['start a', 'start b'])));
    expect(log.some((l) => l.startsWith('end'))).toBe(false);
    a.open();
    b.open();
    expect((await run).ok).toBe(true);
  });

  it('starts a step as soon as its own dependencies are done, not when a whole wave is', async () => {
    const log: string[] = [];
    const slow = gate();
    const steps = [
      givenStep('fast', [], log),
      givenStep('slow', [], log, { wait: slow }),
      givenStep('after-fast', ['fast'], log),
    ];
    // WHEN
    const run = runSteps(steps, { mode: 'apply', config, aws, session: session() });
    // THEN
    await vi.waitFor(() => expect(log).toContain('end after-fast'));
    expect(log).not.toContain('end slow');
    slow.open();
    await run;
  });

  it('saves state after every step', async () => {
    const log: string[] = [];
    const second = gate();
    const steps = [givenStep('first', [], log), givenStep('second', ['first'], log, { wait: second })];
    // WHEN
    const run = runSteps(steps, { mode: 'apply', config, aws, session: session() });
    await vi.waitFor(() => expect(log).toContain('start second'));
    // THEN the first step is on disk while the second is still running
    const onDisk = JSON.parse(await readFile(store.path, 'utf8'));
    expect(onDisk.resources.first).toMatchObject({ status: 'created', owned: true, outputs: { id: 'first' } });
    expect(onDisk.resources.second).toBeUndefined();
    second.open();
    await run;
  });

  it('after a failure starts nothing new but lets running steps finish and saves them', async () => {
    const log: string[] = [];
    const running = gate();
    const steps = [
      givenStep('fails', [], log, { fails: true }),
      givenStep('running', [], log, { wait: running }),
      givenStep('needs-fails', ['fails'], log),
      givenStep('needs-running', ['running'], log),
    ];
    // WHEN
    const events: RunEvent[] = [];
    const run = runSteps(steps, { mode: 'apply', config, aws, session: session(), onEvent: (e) => events.push(e) });
    await vi.waitFor(() => expect(events.some((e) => e.type === 'failed')).toBe(true));
    running.open();
    const result = await run;
    // THEN
    expect(result.ok).toBe(false);
    const status = Object.fromEntries(result.outcomes.map((o) => [o.id, o.status]));
    expect(status).toEqual({ fails: 'failed', running: 'done', 'needs-fails': 'skipped', 'needs-running': 'skipped' });
    expect(result.outcomes.find((o) => o.id === 'fails')?.error?.message).toBe('fails failed');
    expect(log).not.toContain('start needs-running');
    const onDisk = JSON.parse(await readFile(store.path, 'utf8'));
    expect(onDisk.resources.running.status).toBe('created');
  });

  it('does not call apply when the plan is empty', async () => {
    const log: string[] = [];
    // WHEN
    const result = await runSteps([givenStep('same', [], log, { exists: true })], {
      mode: 'apply',
      config,
      aws,
      session: session(),
    });
    // THEN
    expect(log).toEqual(['read same']);
    expect(result.outcomes[0]?.action).toBe('unchanged');
  });

  it('in plan mode reads but never applies, and does not read what depends on an absent resource', async () => {
    const log: string[] = [];
    const steps = [
      givenStep('exists', [], log, { exists: true, changes: [{ field: 'ttl', action: 'update', from: 1, to: 2 }] }),
      givenStep('absent', [], log),
      givenStep('child', ['absent'], log, { exists: true }),
    ];
    // WHEN
    const result = await runSteps(steps, { mode: 'plan', config, aws });
    // THEN
    expect(log.sort()).toEqual(['read absent', 'read exists']);
    expect(result.outcomes.map((o) => [o.id, o.action])).toEqual([
      ['exists', 'update'],
      ['absent', 'create'],
      ['child', 'create'],
    ]);
  });

  it('applies what a plan run read without reading it again, and reads what that plan could not', async () => {
    const log: string[] = [];
    const ttl: Change = { field: 'ttl', action: 'update', from: 1, to: 2 };
    const steps = [
      givenStep('exists', [], log, { exists: true, changes: [ttl] }),
      givenStep('absent', [], log),
      givenStep('child', ['absent'], log, { exists: true }),
    ];
    const planned = await runSteps(steps, { mode: 'plan', config, aws });
    expect([...(planned.observations?.keys() ?? [])].sort()).toEqual(['absent', 'exists']);
    log.length = 0;
    // WHEN
    const result = await runSteps(steps, {
      mode: 'apply',
      config,
      aws,
      session: session(),
      observations: planned.observations,
    });
    // THEN
    expect(log.sort()).toEqual(['end absent', 'end exists', 'read child', 'start absent', 'start exists']);
    expect(result.outcomes.map((o) => [o.id, o.changes])).toEqual([
      ['exists', [ttl]],
      ['absent', [{ field: 'absent', action: 'create' }]],
      ['child', []],
    ]);
  });

  it('offline reads nothing at all', async () => {
    const log: string[] = [];
    // WHEN
    const result = await runSteps([givenStep('a', [], log, { exists: true }), givenStep('b', ['a'], log)], {
      mode: 'plan',
      config,
      aws: undefined,
    });
    // THEN
    expect(log).toEqual([]);
    expect(result.outcomes.map((o) => o.action)).toEqual(['create', 'create']);
  });

  it('stops scheduling when aborted and reports the rest as skipped', async () => {
    const log: string[] = [];
    const first = gate();
    const controller = new AbortController();
    const steps = [givenStep('first', [], log, { wait: first }), givenStep('second', ['first'], log)];
    // WHEN
    const run = runSteps(steps, { mode: 'apply', config, aws, session: session(), signal: controller.signal });
    await vi.waitFor(() => expect(log).toContain('start first'));
    controller.abort();
    first.open();
    const result = await run;
    // THEN
    expect(result.aborted).toBe(true);
    expect(result.outcomes.map((o) => o.status)).toEqual(['done', 'skipped']);
    expect(log).not.toContain('start second');
  });
});

describe('runDestroy', () => {
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hm-destroy-'));
    store = new StateStore(join(dir, 'dev.json'), dir);
  });

  /** A step whose removal logs, may wait on a gate, may report AWS still removing it, or fail. */
  function removable(
    id: string,
    dependsOn: string[],
    log: string[],
    options: { wait?: Gate; pending?: boolean; fails?: boolean } = {},
  ): AnyStep {
    return {
      ...givenStep(id, dependsOn, log),
      destroy: async () => {
        log.push(`remove ${id}`);
        if (options.wait) await options.wait.promise;
        if (options.fails) throw new HmError('AWS_ERROR', `${id} failed`, 'aws');
        log.push(`removed ${id}`);
        return options.pending ? { pending: `${id} is going` } : undefined;
      },
    };
  }

  /** A session whose state records each id as created (owned) or adopted. */
  async function recorded(ids: Record<string, 'owned' | 'adopted'>): Promise<StateSession> {
    const s = session();
    for (const [id, how] of Object.entries(ids))
      s.state.resources[id] = {
        status: how === 'owned' ? 'created' : 'adopted',
        owned: how === 'owned',
        outputs: { id },
        updatedAt: '',
      };
    await s.save();
    return s;
  }

  it('removes dependents first, independent ones at once, and forgets each record as it goes', async () => {
    const log: string[] = [];
    const slow = gate();
    // a ← b ← c, and d alone.
    const steps = [
      removable('a', [], log),
      removable('b', ['a'], log),
      removable('c', ['b'], log, { wait: slow }),
      removable('d', [], log),
    ];
    const s = await recorded({ a: 'owned', b: 'owned', c: 'owned', d: 'owned' });
    // WHEN
    const running = runDestroy(steps, { config, aws, session: s, includeAdopted: false });
    await vi.waitFor(() => expect(log).toEqual(expect.arrayContaining(['remove c', 'removed d'])));
    const whileCWaits = [...log];
    slow.open();
    const result = await running;
    // THEN
    expect(whileCWaits).toEqual(expect.arrayContaining(['remove c', 'remove d', 'removed d']));
    expect(whileCWaits).not.toContain('remove b');
    expect(log.indexOf('remove b')).toBeGreaterThan(log.indexOf('removed c'));
    expect(log.indexOf('remove a')).toBeGreaterThan(log.indexOf('removed b'));
    expect(result.ok).toBe(true);
    expect(JSON.parse(await readFile(join(dir, 'dev.json'), 'utf8')).resources).toEqual({});
  });

  it('waits for a dependent state holds nothing of through the graph (c before a when b is unrecorded)', async () => {
    const log: string[] = [];
    const steps = [removable('a', [], log), removable('b', ['a'], log), removable('c', ['b'], log)];
    const s = await recorded({ a: 'owned', c: 'owned' });
    // WHEN
    const { items, waitsFor } = removalPlan(steps, s.state.resources, false);
    await runDestroy(steps, { config, aws, session: s, includeAdopted: false });
    // THEN
    expect(items.map((i) => i.step.id)).toEqual(['c', 'a']);
    expect(waitsFor.get('a')).toEqual(['c']);
    expect(log).toEqual(['remove c', 'removed c', 'remove a', 'removed a']);
  });

  it('keeps what it adopted (unless asked), and holds back what a pending removal still needs', async () => {
    const log: string[] = [];
    const steps = [
      removable('a', [], log),
      removable('b', ['a'], log, { pending: true }),
      removable('x', [], log),
      removable('y', ['x'], log),
    ];
    const s = await recorded({ a: 'owned', b: 'owned', x: 'adopted', y: 'owned' });
    // WHEN
    const result = await runDestroy(steps, { config, aws, session: s, includeAdopted: false });
    // THEN
    const by = (id: string) => result.outcomes.find((o) => o.id === id);
    expect(by('x')).toMatchObject({ status: 'done', action: 'keep' });
    expect(by('y')).toMatchObject({ status: 'done', action: 'delete' });
    expect(by('b')).toMatchObject({ status: 'done', action: 'pending', notes: ['b is going'] });
    expect(by('a')).toMatchObject({
      status: 'skipped',
      skippedBecause: 'waits until the step b is gone: run teardown again',
    });
    expect(result).toMatchObject({ ok: true, pending: true });
    expect(log).not.toContain('remove x');
    expect(Object.keys(s.state.resources).sort()).toEqual(['a', 'b', 'x']);
  });

  it('stops starting removals after a failure; what finished stays forgotten', async () => {
    const log: string[] = [];
    const steps = [removable('a', [], log), removable('b', ['a'], log, { fails: true }), removable('c', [], log)];
    const s = await recorded({ a: 'owned', b: 'owned', c: 'owned' });
    // WHEN
    const result = await runDestroy(steps, { config, aws, session: s, includeAdopted: false });
    // THEN
    expect(result.ok).toBe(false);
    expect(result.outcomes.find((o) => o.id === 'a')).toMatchObject({ status: 'skipped' });
    expect(Object.keys(s.state.resources).sort()).toEqual(['a', 'b']);
  });

  it('on Ctrl-C lets the running removal finish and saves it, and starts no other', async () => {
    const log: string[] = [];
    const slow = gate();
    const steps = [removable('a', [], log), removable('b', ['a'], log, { wait: slow })];
    const s = await recorded({ a: 'owned', b: 'owned' });
    const controller = new AbortController();
    // WHEN
    const running = runDestroy(steps, { config, aws, session: s, includeAdopted: false, signal: controller.signal });
    await vi.waitFor(() => expect(log).toContain('remove b'));
    controller.abort();
    slow.open();
    const result = await running;
    // THEN
    expect(result.aborted).toBe(true);
    expect(result.outcomes.find((o) => o.id === 'b')).toMatchObject({ status: 'done', action: 'delete' });
    expect(result.outcomes.find((o) => o.id === 'a')).toMatchObject({
      status: 'skipped',
      skippedBecause: 'the run was interrupted',
    });
    expect(log).not.toContain('remove a');
    expect(Object.keys(JSON.parse(await readFile(join(dir, 'dev.json'), 'utf8')).resources)).toEqual(['a']);
  });
});
