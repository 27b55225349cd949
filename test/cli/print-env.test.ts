import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dotenvValue, shellValue } from '../../src/views/env.js';
import { FakeAccount } from '../fakes/account.js';
import { type InstalledFake, installFakeAccount } from '../fakes/install.js';
import { runCli } from '../support/cli.js';

let cwd: string;
let installed: InstalledFake;
let secret: { accessKeyId: string; secretAccessKey: string };
let cdnUrl: string;

const printEnv = (args: string[] = [], dir = cwd) => runCli(['print-env', ...args], { cwd: dir });
const statePath = () => join(cwd, '.hm-infra', 'dev.json');

describe('print-env', () => {
  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'hm-env-'));
    installed = installFakeAccount(new FakeAccount());
    const run = await runCli(['init', '--yes', '--app', 'healthmetrics', '--domain', 'example.com'], { cwd });
    expect(run.code, run.stderr).toBe(0);
    const state = JSON.parse(await readFile(statePath(), 'utf8'));
    secret = state.resources['access-key'].secret;
    cdnUrl = state.resources.distribution.outputs.url;
  });
  afterAll(() => installed.restore());

  it('prints the env block as dotenv with the secret masked, from the state file alone', async () => {
    const calls = installed.fake.calls.length;
    // WHEN
    const run = await printEnv();
    // THEN
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.split('\n').filter((l) => !l.startsWith('#'));
    expect(lines).toEqual([
      `AWS_ACCESS_KEY_ID=${secret.accessKeyId}`,
      'AWS_SECRET_ACCESS_KEY=********',
      'AWS_REGION=us-east-1',
      'S3_BUCKET_NAME=healthmetrics-uploads-dev',
      `CLOUDFRONT_URL=${cdnUrl}`,
      'SES_FROM_EMAIL=noreply@example.com',
      'SES_REGION=us-east-1',
      'SES_CONFIGURATION_SET=healthmetrics-dev',
      expect.stringMatching(
        /^EMAIL_EVENTS_QUEUE_URL=https:\/\/sqs\.us-east-1\.amazonaws\.com\/\d{12}\/healthmetrics-dev-email-events$/,
      ),
    ]);
    // Without --events the app-event variables are named, as absent, in comments.
    expect(run.stdout).toContain(
      '# EVENT_BUS_NAME: none, this environment has no app events (add them with `hm-infra init --events`)',
    );
    expect(run.stdout).not.toContain(secret.secretAccessKey);
    expect(run.stdout).toContain('--show-secret');
    expect(installed.fake.calls.length).toBe(calls);
  });

  it('prints the secret with --show-secret', async () => {
    // WHEN
    const run = await printEnv(['--show-secret']);
    // THEN
    expect(run.stdout).toContain(`AWS_SECRET_ACCESS_KEY=${dotenvValue(secret.secretAccessKey)}`);
  });

  it('prints export lines a POSIX shell reads back exactly (--format shell)', async () => {
    // WHEN
    const run = await printEnv(['--format', 'shell', '--show-secret']);
    // THEN
    expect(run.stdout).toMatch(/^export AWS_ACCESS_KEY_ID='AKIA/m);
    const echoed = execFileSync(
      'sh',
      ['-c', `${run.stdout}\nprintf '%s|%s' "$AWS_SECRET_ACCESS_KEY" "$CLOUDFRONT_URL"`],
      { encoding: 'utf8' },
    );
    expect(echoed).toBe(`${secret.secretAccessKey}|${cdnUrl}`);
  });

  it('quotes values a shell or dotenv parser would otherwise change', () => {
    const tricky = `it's $HOME "x" \`id\``;
    // THEN
    expect(execFileSync('sh', ['-c', `printf '%s' ${shellValue(tricky)}`], { encoding: 'utf8' })).toBe(tricky);
    expect(dotenvValue('abc/DEF+123=')).toBe('abc/DEF+123=');
    expect(dotenvValue('a b')).toBe("'a b'");
    expect(dotenvValue("it's")).toBe(`"it's"`);
  });

  it('prints one JSON document with --format json (and --json), masked unless asked', async () => {
    // WHEN
    const masked = JSON.parse((await printEnv(['--format', 'json'])).stdout);
    const viaGlobal = JSON.parse((await printEnv(['--json'])).stdout);
    const shown = JSON.parse((await printEnv(['--format', 'json', '--show-secret'])).stdout);
    // THEN
    expect(masked).toMatchObject({ kind: 'env', masked: ['AWS_SECRET_ACCESS_KEY'], missing: [] });
    expect(masked.none.map((n: { name: string }) => n.name)).toEqual([
      'EVENT_BUS_NAME',
      'EVENTS_QUEUE_URL',
      'EMAIL_HANDLER_ROLE_ARN',
    ]);
    expect(masked.env).toMatchObject({
      AWS_ACCESS_KEY_ID: secret.accessKeyId,
      AWS_SECRET_ACCESS_KEY: '********',
      SES_CONFIGURATION_SET: 'healthmetrics-dev',
    });
    expect(Object.keys(masked.env)).toHaveLength(9);
    expect(masked.env.EMAIL_EVENTS_QUEUE_URL).toMatch(/\/healthmetrics-dev-email-events$/);
    expect(viaGlobal).toEqual(masked);
    expect(shown.env.AWS_SECRET_ACCESS_KEY).toBe(secret.secretAccessKey);
    expect(shown.masked).toEqual([]);
  });

  it('writes the whole block to a 0600 file with --write, and says so without the secret', async () => {
    const file = join(cwd, 'app.env');
    // WHEN
    const run = await printEnv(['--write', 'app.env']);
    // THEN
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Wrote 9 variables to app.env');
    expect(run.stdout).not.toContain(secret.secretAccessKey);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readFile(file, 'utf8')).toContain(`AWS_SECRET_ACCESS_KEY=${dotenvValue(secret.secretAccessKey)}`);
  });

  it('keeps a different existing file unless --force, and tightens a same one to 0600', async () => {
    const file = join(cwd, 'other.env');
    await writeFile(file, 'DATABASE_URL=postgres://x\n', { mode: 0o644 });
    // WHEN
    const refused = await printEnv(['--write', 'other.env']);
    // THEN
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('other.env already exists with other content; it was left untouched');
    expect(refused.stderr).toContain('--force');
    expect(await readFile(file, 'utf8')).toBe('DATABASE_URL=postgres://x\n');
    // WHEN
    const forced = await printEnv(['--write', 'other.env', '--force']);
    await chmod(file, 0o644);
    const again = await printEnv(['--write', 'other.env']);
    // THEN
    expect(forced.code).toBe(0);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Already up to date');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('names what is missing and the command that makes it, and writes no incomplete file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hm-env-part-'));
    const state = JSON.parse(await readFile(statePath(), 'utf8'));
    delete state.resources['access-key'];
    delete state.resources.distribution;
    await writeFile(join(dir, 'partial.json'), JSON.stringify(state), { mode: 0o600 });
    // WHEN
    const run = await printEnv(['--state', 'partial.json'], dir);
    const write = await printEnv(['--state', 'partial.json', '--write', '.env'], dir);
    // THEN
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      '# AWS_ACCESS_KEY_ID= (missing: the access key is not set up yet: run `hm-infra init --env dev`)',
    );
    expect(run.stdout).toContain('# CLOUDFRONT_URL= (missing: the CDN is not set up yet');
    expect(run.stdout).toContain('S3_BUCKET_NAME=healthmetrics-uploads-dev');
    expect(run.stderr).toContain(
      '3 of 9 variables are missing: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, CLOUDFRONT_URL',
    );
    expect(write.code).toBe(1);
    expect(write.stderr).toContain('nothing was written');
    await expect(stat(join(dir, '.env'))).rejects.toThrow();
  });

  it('explains an environment that has not been set up, and a bad format, with exit 2', async () => {
    // WHEN
    const none = await printEnv(['--env', 'prod']);
    const format = await printEnv(['--format', 'yaml']);
    // THEN
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('environment "prod" has not been set up');
    expect(none.stderr).toContain('hm-infra init --env prod');
    expect(format.code).toBe(2);
    expect(format.stderr).toContain('--format "yaml" is not valid: use dotenv, shell, json');
  });
});
