import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeAccount } from '../fakes/account.js';
import { type InstalledFake, installFakeAccount } from '../fakes/install.js';
import { runCli } from '../support/cli.js';
import { isWrite } from '../support/critical-path.js';

const answers = vi.hoisted(() => ({ confirm: vi.fn<() => Promise<boolean>>() }));
vi.mock('@inquirer/prompts', () => ({ confirm: answers.confirm }));

const INIT = ['init', '--app', 'healthmetrics', '--domain', 'example.com'];
let cwd: string;
let installed: InstalledFake;

class ExitPromptError extends Error {
  override name = 'ExitPromptError';
}

describe('init in a terminal', () => {
  beforeEach(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'hm-tty-'));
    installed = installFakeAccount(new FakeAccount());
    answers.confirm.mockReset();
  });
  afterEach(() => installed.restore());

  it('shows the plan, asks, and provisions on yes', async () => {
    answers.confirm.mockResolvedValue(true);
    // WHEN
    const run = await runCli(INIT, { cwd, interactive: true });
    // THEN
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/S3 bucket\s+create/);
    expect(answers.confirm).toHaveBeenCalledTimes(1);
    expect(installed.fake.buckets.size).toBe(1);
  });

  it.each([
    ['no', () => answers.confirm.mockResolvedValue(false)],
    ['Ctrl-C', () => answers.confirm.mockRejectedValue(new ExitPromptError('User force closed the prompt'))],
  ])('exits 130 and writes nothing when the answer is %s', async (_answer, given) => {
    given();
    // WHEN
    const run = await runCli(INIT, { cwd, interactive: true });
    // THEN
    expect(run.code).toBe(130);
    expect(run.stderr).toContain('Nothing was changed');
    expect(installed.fake.writes).toEqual([]);
    expect(await readdir(join(cwd, '.hm-infra'))).not.toContain('dev.json');
  });

  it('does not ask when there is nothing to change', async () => {
    answers.confirm.mockResolvedValue(true);
    await runCli(INIT, { cwd, interactive: true });
    answers.confirm.mockClear();
    // WHEN
    const run = await runCli(INIT, { cwd, interactive: true });
    // THEN
    expect(run.code).toBe(0);
    expect(answers.confirm).not.toHaveBeenCalled();
  });

  it('explains every write with --verbose', async () => {
    await runCli([...INIT, '--yes'], { cwd });
    installed.fake.buckets.get('healthmetrics-uploads-dev')!.versioning = 'Suspended';
    // WHEN
    const run = await runCli([...INIT, '--yes', '--verbose'], { cwd });
    // THEN
    expect(run.stderr).toContain('update versioning: is Suspended; should be Enabled');
    expect(run.stderr).toContain('bucket: everything matches the configuration; nothing to write');
  });
});

describe('init applies the plan it showed', () => {
  const BUCKET = 'healthmetrics-uploads-dev';
  /** How often each read (command and input) was made since call `from`. */
  const readCounts = (from: number) => {
    const counts = new Map<string, number>();
    for (const c of installed.fake.calls.slice(from)) {
      if (isWrite(c)) continue;
      const key = `${c.command} ${JSON.stringify(c.input)}${c.signedBy ? ` signed by ${c.signedBy}` : ''}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return counts;
  };

  beforeEach(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'hm-tty-'));
    installed = installFakeAccount(new FakeAccount());
    answers.confirm.mockReset();
  });
  afterEach(() => installed.restore());

  it('applies the confirmed plan with what it read just before: no step is read a third time', async () => {
    await runCli([...INIT, '--yes'], { cwd });
    installed.fake.buckets.get(BUCKET)!.versioning = 'Suspended';
    answers.confirm.mockResolvedValue(true);
    const from = installed.fake.calls.length;
    // WHEN
    const run = await runCli(INIT, { cwd, interactive: true });
    // THEN
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('~ versioning: Suspended → Enabled');
    expect(answers.confirm).toHaveBeenCalledTimes(1);
    expect(installed.fake.buckets.get(BUCKET)!.versioning).toBe('Enabled');
    expect(
      installed.fake.calls
        .slice(from)
        .filter(isWrite)
        .map((c) => c.command),
    ).toEqual(['PutBucketVersioning']);
    // each read once for the plan shown and once just before applying it; never while applying
    const reads = readCounts(from);
    expect(reads.get('GetBucketVersioning {"Bucket":"healthmetrics-uploads-dev"}')).toBe(2);
    expect([...reads].filter(([, n]) => n !== 2)).toEqual([['GetAccount {}', 1]]);
  });

  it('reads while applying only the steps that wait for something still to be created', async () => {
    answers.confirm.mockResolvedValue(true);
    // WHEN
    const run = await runCli(INIT, { cwd, interactive: true });
    // THEN
    expect(run.code, run.stderr).toBe(0);
    const reads = readCounts(0);
    // the bucket: read for the plan shown and just before applying, then created
    expect(reads.get('HeadBucket {"Bucket":"healthmetrics-uploads-dev"}')).toBe(2);
    // its settings cannot be read before it exists: read once, while applying
    expect(reads.get('GetBucketVersioning {"Bucket":"healthmetrics-uploads-dev"}')).toBe(1);
    expect(installed.fake.buckets.get(BUCKET)!.versioning).toBe('Enabled');
  });

  it('shows what changed between the confirmation and the apply, and asks again; no changes nothing', async () => {
    await runCli([...INIT, '--yes'], { cwd });
    installed.fake.buckets.get(BUCKET)!.versioning = 'Suspended';
    answers.confirm
      .mockImplementationOnce(async () => {
        // someone removes the bucket's CORS rules while the question is on the screen
        delete installed.fake.buckets.get(BUCKET)!.cors;
        return true;
      })
      .mockResolvedValueOnce(false);
    const from = installed.fake.calls.length;
    // WHEN
    const run = await runCli(INIT, { cwd, interactive: true });
    // THEN
    expect(run.code).toBe(130);
    expect(answers.confirm).toHaveBeenCalledTimes(2);
    const [, changed] = run.stdout.split('the plan has changed since it was shown');
    expect(changed).toMatch(/S3 bucket settings\s+update\s+bucket-settings \(was update: versioning\)/);
    expect(changed).toContain('~ versioning: Suspended → Enabled');
    expect(changed).toContain('+ cors: GET/PUT/POST/HEAD from https://example.com, https://www.example.com');
    expect(changed).toContain('Now: 0 to create, 1 to update, 26 unchanged');
    expect(run.stderr).toContain('Nothing was changed');
    expect(installed.fake.calls.slice(from).filter(isWrite)).toEqual([]);
    expect(installed.fake.buckets.get(BUCKET)!.versioning).toBe('Suspended');
  });

  it('applies the plan as read again once it is confirmed in turn', async () => {
    await runCli([...INIT, '--yes'], { cwd });
    installed.fake.buckets.get(BUCKET)!.versioning = 'Suspended';
    answers.confirm
      .mockImplementationOnce(async () => {
        delete installed.fake.buckets.get(BUCKET)!.cors;
        return true;
      })
      .mockResolvedValueOnce(true);
    const from = installed.fake.calls.length;
    // WHEN
    const run = await runCli(INIT, { cwd, interactive: true });
    // THEN
    expect(run.code, run.stderr).toBe(0);
    expect(answers.confirm).toHaveBeenCalledTimes(2);
    expect(
      installed.fake.calls
        .slice(from)
        .filter(isWrite)
        .map((c) => c.command)
        .sort(),
    ).toEqual(['PutBucketCors', 'PutBucketVersioning']);
    expect(installed.fake.buckets.get(BUCKET)!.cors).toBeDefined();
    // read for the plan shown, after the first yes, and after the second: not while applying
    expect(readCounts(from).get('GetBucketCors {"Bucket":"healthmetrics-uploads-dev"}')).toBe(3);
  });
});
