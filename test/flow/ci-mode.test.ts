import { access, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { FakeAccount } from '../fakes/account.js';
import { type InstalledFake, installFakeAccount } from '../fakes/install.js';
import { runCli } from '../support/cli.js';
import { fakeTerminal } from '../support/terminal.js';

let cwd: string;
let installed: InstalledFake;

const stateFile = async (env = 'dev') => JSON.parse(await readFile(join(cwd, '.hm-infra', `${env}.json`), 'utf8'));

async function givenConfigFile(content: unknown, name = 'hm-infra.json'): Promise<string> {
  await writeFile(join(cwd, name), typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return name;
}

/** The documented shape of `--json` output (docs/commands.md "JSON output"); extra keys fail the test. */
const Change = z
  .object({
    field: z.string(),
    action: z.enum(['create', 'update', 'delete']),
    from: z.unknown().optional(),
    to: z.unknown().optional(),
    note: z.string().optional(),
  })
  .strict();
const Summary = z.object({ create: z.number().int(), update: z.number().int(), unchanged: z.number().int() }).strict();
const SERVICES = [
  'Account',
  'S3',
  'CloudFront',
  'SES',
  'DNS',
  'EventBridge',
  'SQS',
  'CloudWatch',
  'SNS',
  'IAM',
] as const;
const PlanJson = z
  .object({
    kind: z.literal('plan'),
    ok: z.boolean(),
    applied: z.literal(false).optional(),
    app: z.string(),
    environment: z.string(),
    region: z.string(),
    offline: z.boolean(),
    steps: z.array(
      z
        .object({
          id: z.string(),
          title: z.string(),
          service: z.enum(SERVICES),
          action: z.enum(['create', 'update', 'unchanged', 'read']),
          changes: z.array(Change),
        })
        .strict(),
    ),
    summary: Summary,
  })
  .strict();
const ResultJson = z
  .object({
    kind: z.literal('result'),
    ok: z.boolean(),
    aborted: z.boolean(),
    accountId: z.string().regex(/^\d{12}$/),
    statePath: z.string(),
    steps: z.array(
      z
        .object({
          id: z.string(),
          title: z.string(),
          status: z.enum(['done', 'failed', 'skipped']),
          action: z.enum(['create', 'update', 'unchanged', 'read']).nullable(),
          changes: z.array(Change),
          error: z.object({ code: z.string(), message: z.string(), hint: z.string().nullable() }).strict().nullable(),
        })
        .strict(),
    ),
    summary: Summary,
    outputs: z.record(z.string(), z.unknown()),
    dns: z
      .object({
        mode: z.enum(['route53', 'external']),
        zoneId: z.string().nullable(),
        records: z.array(
          z.object({ type: z.string(), name: z.string(), value: z.string(), ttl: z.number() }).passthrough(),
        ),
        zoneFile: z.string(),
      })
      .strict()
      .nullable(),
    env: z.record(z.string().regex(/^[A-Z][A-Z0-9_]*$/), z.string()),
    wait: z.object({ code: z.string(), message: z.string() }).strict().optional(),
  })
  .strict();

describe('init without a terminal (CI)', () => {
  beforeEach(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'hm-ci-'));
    installed = installFakeAccount(new FakeAccount());
  });
  afterEach(() => installed.restore());

  it.each([
    [['init'], '--app <name>, --domain <domain>'],
    [['init', '--yes'], '--app <name>, --domain <domain>'],
    [['init', '--yes', '--app', 'healthmetrics'], '--domain <domain>'],
  ])('%j lists the missing flags, exits 2, and calls no AWS API', async (args, missing) => {
    // WHEN
    const run = await runCli(args, { cwd });
    // THEN
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`missing required value`);
    expect(run.stderr).toContain(missing);
    expect(run.stderr).toContain('--config');
    expect(installed.fake.calls).toEqual([]);
    await expect(access(join(cwd, '.hm-infra', 'dev.json'))).rejects.toThrow();
  });

  it('asks for --yes when every value is there but no terminal can confirm', async () => {
    // WHEN
    const run = await runCli(['init', '--app', 'healthmetrics', '--domain', 'example.com'], { cwd });
    // THEN
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Re-run with --yes');
    expect(installed.fake.calls).toEqual([]);
  });

  it('takes every setting from --config, typed flags winning, and remembers them', async () => {
    const file = await givenConfigFile({
      app: 'healthmetrics',
      environment: 'staging',
      region: 'eu-west-1',
      domain: 'example.com',
      corsOrigins: ['https://app.example.com'],
      fromEmail: 'team@example.com',
      dmarcPolicy: 'reject',
      dns: 'external',
      cdn: false,
    });
    // WHEN
    const run = await runCli(['init', '--yes', '--config', file, '--dmarc-policy', 'none'], { cwd });
    // THEN
    expect(run.code, run.stderr).toBe(0);
    const state = await stateFile('staging');
    expect(state).toMatchObject({ app: 'healthmetrics', environment: 'staging', region: 'eu-west-1' });
    expect(state.config).toMatchObject({
      corsOrigins: ['https://app.example.com'],
      fromEmail: 'team@example.com',
      dmarcPolicy: 'none',
      dns: 'external',
      cdn: false,
    });
    expect(installed.fake.buckets.get('healthmetrics-uploads-staging')?.region).toBe('eu-west-1');
  });

  it("a typed --env wins over the file's environment", async () => {
    const file = await givenConfigFile({
      app: 'healthmetrics',
      environment: 'staging',
      domain: 'example.com',
      cdn: false,
      email: false,
    });
    // WHEN
    const run = await runCli(['init', '--yes', '--env', 'prod', '--config', file], { cwd });
    // THEN
    expect(run.code, run.stderr).toBe(0);
    expect((await stateFile('prod')).environment).toBe('prod');
  });

  it.each([
    [{ app: 'healthmetrics', domian: 'example.com' }, 'unknown key "domian" (did you mean "domain"?)'],
    [
      { app: 'healthmetrics', domain: 'example.com', corsOrigins: 'https://example.com' },
      'corsOrigins must be a list of strings',
    ],
    [{ app: 'healthmetrics', domain: 'example.com', cdn: 'no' }, 'cdn must be a boolean'],
    [{ app: 'Health Metrics', domain: 'example.com' }, 'app name "Health Metrics" is not valid'],
    ['{"app": "healthmetrics",', 'is not valid JSON'],
  ])('refuses a bad config file %j before any AWS call', async (content, message) => {
    const file = await givenConfigFile(content);
    // WHEN
    const run = await runCli(['init', '--yes', '--config', file], { cwd });
    // THEN
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(installed.fake.calls).toEqual([]);
  });

  it('names a config file that does not exist', async () => {
    // WHEN
    const run = await runCli(['plan', '--offline', '--config', 'missing.json'], { cwd });
    // THEN
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('cannot read the config file missing.json: it does not exist');
  });

  it('prints exactly one JSON document matching the documented schema: the result of init', async () => {
    // WHEN
    const run = await runCli(
      ['init', '--yes', '--json', '--app', 'healthmetrics', '--domain', 'example.com', '--dns', 'external'],
      { cwd },
    );
    // THEN
    expect(run.code, run.stderr).toBe(0);
    const doc = ResultJson.parse(JSON.parse(run.stdout));
    expect(doc.summary).toEqual({ create: 27, update: 0, unchanged: 0 });
    expect(doc.env['AWS_SECRET_ACCESS_KEY']).toBe('********');
    expect(doc.dns?.records).toHaveLength(6);
  });

  it('prints exactly one JSON document matching the documented schema: the plan', async () => {
    await runCli(['init', '--yes', '--app', 'healthmetrics', '--domain', 'example.com'], { cwd });
    // WHEN
    const run = await runCli(['plan', '--json'], { cwd });
    // THEN
    expect(run.code, run.stderr).toBe(0);
    const doc = PlanJson.parse(JSON.parse(run.stdout));
    expect(doc.summary).toEqual({ create: 0, update: 0, unchanged: 27 });
    expect(new Set(doc.steps.map((s) => s.service))).toEqual(new Set(SERVICES));
  });

  it('prints the error as JSON on stdout, and nothing else there, when input is bad', async () => {
    // WHEN
    const run = await runCli(['init', '--yes', '--json', '--app', 'healthmetrics'], { cwd });
    // THEN
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout)).toEqual({ ok: false, error: expect.objectContaining({ code: 'MISSING_INPUT' }) });
  });

  it.each([
    // The live case states its environment: the machine running the tests may itself be a CI
    // runner (CI set) or have a dumb terminal, either of which rightly turns the live list off.
    ['a terminal', { CI: '', TERM: 'xterm-256color' }, 'live'],
    ['a terminal in CI (CI=true)', { CI: 'true' }, 'lines'],
  ] as const)('shows progress on %s (%j) as %s', async (_where, env, mode) => {
    const terminal = fakeTerminal();
    // WHEN
    const run = await runCli(['init', '--yes', '--app', 'healthmetrics', '--domain', 'example.com'], {
      cwd,
      env,
      progressStream: terminal,
    });
    // THEN
    expect(run.code, run.stderr).toBe(0);
    if (mode === 'live') {
      expect(terminal.text()).toMatch(/✔ S3 bucket created/);
      expect(terminal.text()).toMatch(/✔ IAM access key created/);
      expect(run.stderr).not.toMatch(/S3 bucket/);
    } else {
      expect(terminal.writes).toEqual([]);
      expect(run.stderr).toMatch(/✔ S3 bucket\s+created/);
    }
    expect(run.stdout).toContain('Done in');
  });
});
