import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeAccount, awsError } from '../fakes/account.js';
import { type InstalledFake, installFakeAccount } from '../fakes/install.js';
import { type CliRun, runCli } from '../support/cli.js';

const INIT = ['init', '--yes', '--app', 'healthmetrics', '--domain', 'example.com'];

let cwd: string;
let installed: InstalledFake;

const secretNow = async (): Promise<string> =>
  JSON.parse(await readFile(join(cwd, '.hm-infra', 'dev.json'), 'utf8')).resources['access-key'].secret.secretAccessKey;

/** Neither the secret nor a recognisable part of it appears anywhere the user or a log sees. */
function expectNoSecret(run: CliRun, secrets: string[], label: string): void {
  for (const secret of secrets) {
    for (const text of [run.stdout, run.stderr]) {
      expect(text, label).not.toContain(secret);
      expect(text, label).not.toContain(secret.slice(0, 12));
      expect(text, label).not.toContain(encodeURIComponent(secret));
    }
  }
}

describe('the secret access key', () => {
  beforeEach(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'hm-secret-'));
    installed = installFakeAccount(new FakeAccount());
  });
  afterEach(() => installed.restore());

  it('appears in no output of any command run with --verbose, unless asked for', async () => {
    const first = await runCli([...INIT, '--verbose'], { cwd });
    expect(first.code, first.stderr).toBe(0);
    const secret = await secretNow();
    expectNoSecret(first, [secret], 'the init that created it');
    const commands: string[][] = [
      [...INIT, '--verbose'],
      [...INIT, '--verbose', '--json'],
      ['plan', '--verbose'],
      ['plan', '--verbose', '--json'],
      ['plan', '--verbose', '--rotate-key'],
      ['plan', '--offline', '--verbose', '--app', 'healthmetrics', '--domain', 'example.com'],
      ['verify-dns', '--once', '--verbose'],
      ['verify-dns', '--once', '--verbose', '--json'],
      ['print-env', '--verbose'],
      ['print-env', '--verbose', '--json'],
      ['print-env', '--verbose', '--format', 'shell'],
      ['print-env', '--verbose', '--write', 'app.env'],
      ['print-env', '--verbose', '--format', 'yaml'],
      ['--verbose', '--help'],
    ];
    for (const args of commands) {
      // WHEN
      const run = await runCli(args, { cwd });
      // THEN
      expectNoSecret(run, [secret], args.join(' '));
    }
    // WHEN: a failing AWS call, shown with its stack under --verbose
    installed.fake.failNext('iam', 'ListAccessKeys', () =>
      awsError('iam', 'AccessDenied', 'User is not authorized to perform: iam:ListAccessKeys'),
    );
    const failed = await runCli([...INIT, '--verbose'], { cwd });
    // THEN
    expect(failed.code).not.toBe(0);
    expectNoSecret(failed, [secret], 'a failed run');
    // WHEN: a rotation, whose new secret is as private as the old one
    const rotated = await runCli([...INIT, '--verbose', '--rotate-key'], { cwd });
    const next = await secretNow();
    // THEN
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(next).not.toBe(secret);
    expectNoSecret(rotated, [secret, next], 'a rotation');
    // AND it is there when asked for
    expect((await runCli(['print-env', '--show-secret'], { cwd })).stdout).toContain(next);
    expect(await readFile(join(cwd, 'app.env'), 'utf8')).toContain(secret);
    // WHEN: status, and the teardown that deletes the key (the disabled distribution deploys at once)
    installed.fake.cloudfront.deployAfterPolls = 1;
    for (const args of [
      ['status', '--verbose'],
      ['status', '--verbose', '--json'],
      ['teardown', '--dry-run', '--verbose', '--json'],
      ['teardown', '--yes', '--verbose', '--json'],
    ]) {
      const run = await runCli(args, { cwd });
      // THEN
      expectNoSecret(run, [secret, next], args.join(' '));
    }
    // AND the key is gone, and the moved state file does not keep its secret either
    expect(installed.fake.iam.users.size).toBe(0);
    const archived = (await readdir(join(cwd, '.hm-infra'))).find((f) => f.includes('.destroyed-'));
    expect(archived).toBeDefined();
    expectNoSecret(
      { code: 0, stdout: await readFile(join(cwd, '.hm-infra', archived ?? ''), 'utf8'), stderr: '' },
      [next],
      'the moved state file',
    );
  });
});
