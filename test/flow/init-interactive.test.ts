import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeAccount } from '../fakes/account.js';
import { type InstalledFake, installFakeAccount } from '../fakes/install.js';
import { runCli } from '../support/cli.js';

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
