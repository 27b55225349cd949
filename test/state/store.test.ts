import { spawnSync } from 'node:child_process';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { mkdir, mkdtemp, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { beforeEach, describe, expect, it } from 'vitest';
import { HmError } from '../../src/errors.js';
import { newState } from '../../src/state/schema.js';
import { STATE_DIR, StateStore, statePathFor } from '../../src/state/store.js';
import { givenConfig } from '../support/context.js';

let cwd: string;
const state = () => newState(givenConfig());

async function errorOf(promise: Promise<unknown>): Promise<HmError> {
  const e = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(HmError);
  return e as HmError;
}

describe('state store', () => {
  beforeEach(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'hm-state-'));
  });

  it('keeps one file per environment under .hm-infra, unless --state names another', () => {
    expect(statePathFor('prod', undefined, cwd)).toBe(join(cwd, STATE_DIR, 'prod.json'));
    expect(statePathFor('prod', 'elsewhere/x.json', cwd)).toBe(join(cwd, 'elsewhere/x.json'));
  });

  it('reports no state as absent', async () => {
    await expect(new StateStore(statePathFor('dev', undefined, cwd)).load()).resolves.toBeUndefined();
  });

  it('writes the file 0600 in a 0700 folder that ignores itself in git', async () => {
    const store = new StateStore(statePathFor('dev', undefined, cwd));
    // WHEN
    await store.save(state());
    // THEN
    expect((await stat(store.path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(cwd, STATE_DIR))).mode & 0o777).toBe(0o700);
    expect(await readFile(join(cwd, STATE_DIR, '.gitignore'), 'utf8')).toMatch(/^\*$/m);
    expect(await store.load()).toMatchObject({ app: 'healthmetrics', environment: 'dev', version: 1 });
  });

  it('leaves no temporary file behind and keeps the last of several concurrent saves', async () => {
    const store = new StateStore(statePathFor('dev', undefined, cwd));
    const states = Array.from({ length: 20 }, (_, i) => ({ ...state(), accountId: String(100000000000 + i) }));
    // WHEN
    await Promise.all(states.map((s) => store.save(s)));
    // THEN
    expect((await store.load())?.accountId).toBe('100000000019');
    expect((await readdir(join(cwd, STATE_DIR))).sort()).toEqual(['.gitignore', 'dev.json']);
  });

  it('does not touch the permissions of a folder the user chose with --state', async () => {
    await mkdir(join(cwd, 'mine'), { mode: 0o755 });
    const store = new StateStore(join(cwd, 'mine', 'dev.json'));
    // WHEN
    await store.save(state());
    // THEN
    expect((await stat(join(cwd, 'mine'))).mode & 0o777).toBe(0o755);
    expect((await stat(store.path)).mode & 0o777).toBe(0o600);
  });

  it('reports a corrupt file and leaves it as it was', async () => {
    const store = new StateStore(statePathFor('dev', undefined, cwd));
    await mkdir(join(cwd, STATE_DIR));
    await writeFile(store.path, '{"version": 1, "app": ');
    // WHEN
    const error = await errorOf(store.load());
    // THEN
    expect(error.code).toBe('STATE_CORRUPT');
    expect(error.message).toContain('not valid JSON');
    expect(error.hint).toContain('left untouched');
    expect(await readFile(store.path, 'utf8')).toBe('{"version": 1, "app": ');
  });

  it('reports a file that does not match the format, naming the field', async () => {
    const store = new StateStore(statePathFor('dev', undefined, cwd));
    await store.save({ ...state(), accountId: 'not-an-account' } as never);
    // WHEN
    const error = await errorOf(store.load());
    // THEN
    expect(error.code).toBe('STATE_CORRUPT');
    expect(error.message).toContain('accountId');
  });

  it('refuses a state file from a newer version of the tool', async () => {
    const store = new StateStore(statePathFor('dev', undefined, cwd));
    await store.save({ ...state(), version: 9 } as never);
    // WHEN
    const error = await errorOf(store.load());
    // THEN
    expect(error.code).toBe('STATE_TOO_NEW');
  });

  describe('lock', () => {
    it('refuses a second holder, naming the first', async () => {
      const first = new StateStore(statePathFor('dev', undefined, cwd));
      const second = new StateStore(statePathFor('dev', undefined, cwd));
      await first.lock('init');
      // WHEN
      const error = await errorOf(second.lock('init'));
      // THEN
      expect(error.code).toBe('STATE_LOCKED');
      expect(error.exitCode).toBe(1);
      expect(error.message).toContain(`pid ${process.pid} on ${hostname()}`);
      expect(error.message).toContain('hm-infra init');
      await first.unlock();
      await expect(second.lock('init')).resolves.toBeUndefined();
      await second.unlock();
    });

    it('names the holder that took the lock a moment ago and has not written who it is yet', async () => {
      const path = statePathFor('dev', undefined, cwd);
      await mkdir(join(cwd, STATE_DIR), { recursive: true });
      // GIVEN a run that holds the lock (a fresh lock folder) and writes who it is 100 ms later
      await mkdir(`${path}.lock`);
      const holder = { pid: process.pid, host: hostname(), command: 'teardown', startedAt: new Date().toISOString() };
      setTimeout(() => void writeFile(`${path}.lock-holder`, JSON.stringify(holder)), 100);
      // WHEN
      const error = await errorOf(new StateStore(path).lock('init'));
      // THEN
      expect(error.code).toBe('STATE_LOCKED');
      expect(error.message).toContain(`\`hm-infra teardown\` (pid ${process.pid}`);
    });

    it('takes over a lock whose holder died on this host', async () => {
      const path = statePathFor('dev', undefined, cwd);
      const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
      await mkdir(`${path}.lock`, { recursive: true });
      await writeFile(
        `${path}.lock-holder`,
        JSON.stringify({ pid: Number(dead), host: hostname(), command: 'init', startedAt: new Date().toISOString() }),
      );
      const store = new StateStore(path);
      // WHEN / THEN
      await expect(store.lock('init')).resolves.toBeUndefined();
      await store.unlock();
    });
  });
});
