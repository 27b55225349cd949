import { access, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type * as PromptsModule from '../../src/commands/prompts.js';
import type { Prompter } from '../../src/commands/prompts.js';
import { FakeAccount, awsError } from '../fakes/account.js';
import { type InstalledFake, installFakeAccount } from '../fakes/install.js';
import { runCli } from '../support/cli.js';
import { startCloudflareApi } from '../fakes/cloudflare-api.js';
import { type Answer, ENTER, ExitPromptError, scriptedPrompter } from '../support/prompts.js';

const current = vi.hoisted(() => ({ prompter: undefined as unknown }));
vi.mock('../../src/commands/prompts.js', async (importOriginal) => ({
  ...(await importOriginal<typeof PromptsModule>()),
  terminalPrompter: () => current.prompter as Prompter,
}));

let cwd: string;
let installed: InstalledFake;

/** Scripts the answers of the next run and returns what it was asked. */
function givenAnswers(script: Record<string, Answer[]>) {
  const prompter = scriptedPrompter(script);
  current.prompter = prompter;
  return prompter;
}

/** Profiles in the shared config file the SDK reads (AWS_CONFIG_FILE). */
async function givenProfiles(text: string): Promise<void> {
  const file = join(cwd, 'aws-config');
  await writeFile(file, text);
  vi.stubEnv('AWS_CONFIG_FILE', file);
}

const stateFile = async (env = 'dev') => JSON.parse(await readFile(join(cwd, '.hm-infra', `${env}.json`), 'utf8'));
const wizard = (args: string[] = []) => runCli(['init', ...args], { cwd, interactive: true });

/** The answers of a newcomer who takes the suggestions. */
const NEWCOMER: Record<string, Answer[]> = {
  env: [ENTER],
  app: ['healthmetrics'],
  profile: ['work'],
  region: [ENTER],
  'domain-zone': ['example.com'],
  cors: [ENTER],
  'from-email': ['hello@example.com'],
  'cdn-custom': [false],
  apply: [true],
};

describe('init as a wizard', () => {
  beforeEach(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'hm-wizard-'));
    installed = installFakeAccount(new FakeAccount());
    installed.fake.route53.addZone('example.com');
    installed.fake.route53.addZone('other.org');
    vi.stubEnv('AWS_REGION', undefined);
    await givenProfiles(
      '[default]\nregion = us-west-2\n\n[profile work]\nregion = eu-west-1\naws_access_key_id = AKIAWORKWORKWORKWORK\naws_secret_access_key = work-secret\n\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n',
    );
  });
  afterEach(() => {
    installed.restore();
    vi.unstubAllEnvs();
  });

  it('asks a newcomer everything, offers profiles and Route 53 zones, and provisions what was answered', async () => {
    const prompter = givenAnswers(NEWCOMER);
    // WHEN
    const run = await wizard();
    // THEN
    expect(run.code, run.stderr).toBe(0);
    expect(prompter.asked.map((q) => q.id)).toEqual([
      'env',
      'app',
      'profile',
      'region',
      'domain-zone',
      'cors',
      'from-email',
      'cdn-custom',
      'apply',
    ]);
    const ask = (id: string) => prompter.asked.find((q) => q.id === id);
    expect(ask('profile')?.choices).toEqual(['Credentials from the environment', 'default', 'work']);
    expect(ask('region')?.default).toBe('eu-west-1');
    expect(ask('domain-zone')?.choices).toEqual(['example.com', 'other.org', 'Another domain']);
    expect(ask('cors')?.default).toBe('https://example.com, https://www.example.com');
    expect(ask('from-email')?.default).toBe('noreply@example.com');
    const state = await stateFile();
    expect(state).toMatchObject({ app: 'healthmetrics', environment: 'dev', region: 'eu-west-1' });
    expect(state.config).toMatchObject({
      domain: 'example.com',
      dns: 'route53',
      fromEmail: 'hello@example.com',
      corsOrigins: ['https://example.com', 'https://www.example.com'],
    });
    expect(installed.fake.buckets.get('healthmetrics-uploads-dev')?.region).toBe('eu-west-1');
    expect(
      [...installed.fake.route53.zones.values()].find((z) => z.name === 'example.com.')?.sets.length,
    ).toBeGreaterThan(2);
    expect(run.stdout).toContain('Done in');
  });

  it('on a re-run, defaults every answer to what the state holds and does not ask for the app or region again', async () => {
    givenAnswers({
      ...NEWCOMER,
      cors: ['https://app.example.com'],
      'cdn-custom': [true],
      'cdn-domain': ['cdn.example.com'],
      'certificate-arn': ['arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789'],
    });
    expect((await wizard()).code).toBe(0);
    const prompter = givenAnswers({
      env: [ENTER],
      profile: ['work'],
      'domain-zone': [ENTER],
      cors: [ENTER],
      'from-email': [ENTER],
      'cdn-custom': [ENTER],
      'cdn-domain': [ENTER],
      'certificate-arn': [ENTER],
      apply: [true],
    });
    // WHEN
    const run = await wizard();
    // THEN
    expect(run.code, run.stderr).toBe(0);
    const ask = (id: string) => prompter.asked.find((q) => q.id === id);
    expect(prompter.asked.map((q) => q.id)).not.toContain('app');
    expect(prompter.asked.map((q) => q.id)).not.toContain('region');
    expect(ask('domain-zone')?.answer).toBe('example.com');
    expect(ask('cors')?.default).toBe('https://app.example.com');
    expect(ask('from-email')?.default).toBe('hello@example.com');
    expect(ask('cdn-custom')?.default).toBe(true);
    expect(ask('cdn-domain')?.default).toBe('cdn.example.com');
    expect(ask('certificate-arn')?.default).toBe(
      'arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789',
    );
    expect(run.stderr).toContain('answers default to what it holds');
    // Nothing changed, so there was no question to apply.
    expect(prompter.asked.map((q) => q.id)).not.toContain('apply');
    expect(run.stdout).toContain('0 created, 0 updated');
  });

  it("asks again, with the validator's message, until an answer is valid", async () => {
    const prompter = givenAnswers({
      ...NEWCOMER,
      app: ['My App', 'x', 'healthmetrics'],
      cors: ['http://example.com', 'https://example.com/', 'https://example.com'],
      'from-email': ['noreply@elsewhere.com', ENTER],
    });
    // WHEN
    const run = await wizard();
    // THEN
    expect(run.code, run.stderr).toBe(0);
    const ask = (id: string) => prompter.asked.find((q) => q.id === id);
    expect(ask('app')?.rejected).toEqual([
      expect.stringContaining('app name "My App" is not valid'),
      expect.stringContaining('app name "x" is not valid'),
    ]);
    expect(ask('app')?.rejected[0]).toContain('(try "my-app")');
    expect(ask('cors')?.rejected).toEqual([
      expect.stringContaining('plain http is allowed only for http://localhost'),
      expect.stringContaining('no trailing slash'),
    ]);
    expect(ask('from-email')?.rejected).toEqual([expect.stringContaining('is not at example.com')]);
    expect((await stateFile()).config.corsOrigins).toEqual(['https://example.com']);
  });

  it.each(['env', 'app', 'domain-zone', 'cors', 'apply'])(
    'exits 130 and writes nothing when Ctrl-C is pressed at "%s"',
    async (question) => {
      givenAnswers({ ...NEWCOMER, [question]: [new ExitPromptError()] });
      // WHEN
      const run = await wizard();
      // THEN
      expect(run.code).toBe(130);
      expect(installed.fake.writes).toEqual([]);
      await expect(access(join(cwd, '.hm-infra', 'dev.json'))).rejects.toThrow();
      if (question !== 'apply') await expect(access(join(cwd, '.hm-infra'))).rejects.toThrow();
    },
  );

  it('takes a typed domain that is not one of the zones, and prints its records for another DNS host', async () => {
    givenAnswers({
      ...NEWCOMER,
      'domain-zone': ['Another domain'],
      domain: ['https://shop.example.net', 'Shop.Example.NET'],
      cors: [ENTER],
      'from-email': [ENTER],
    });
    // WHEN
    const run = await wizard();
    // THEN
    expect(run.code, run.stderr).toBe(0);
    expect((await stateFile()).config).toMatchObject({ domain: 'shop.example.net', dns: 'external' });
    expect(run.stdout).toContain('add these records at your DNS host');
    expect(installed.fake.writes.filter((w) => w.service === 'route53')).toEqual([]);
  });

  it('offers Cloudflare for a typed domain when CLOUDFLARE_API_TOKEN is set, and writes the records there', async () => {
    const cf = await startCloudflareApi();
    try {
      cf.addZone('shop.example.net');
      const prompter = givenAnswers({
        ...NEWCOMER,
        'domain-zone': ['Another domain'],
        domain: ['shop.example.net'],
        'dns-host': ['Cloudflare'],
        cors: [ENTER],
        'from-email': [ENTER],
      });
      // WHEN
      const run = await runCli(['init'], {
        cwd,
        interactive: true,
        env: { CLOUDFLARE_API_TOKEN: cf.token, CLOUDFLARE_BASE_URL: cf.url },
      });
      // THEN
      expect(run.code, run.stderr).toBe(0);
      expect(prompter.asked.find((q) => q.id === 'dns-host')?.choices).toEqual(['Cloudflare', 'Another DNS host']);
      expect((await stateFile()).config).toMatchObject({ domain: 'shop.example.net', dns: 'cloudflare' });
      expect(cf.records('shop.example.net')).toHaveLength(6);
    } finally {
      await cf.close();
    }
  });

  it('lets the domain be typed when the zones cannot be listed', async () => {
    installed.fake.failNext('route53', 'ListHostedZonesByName', () =>
      awsError('route53', 'AccessDenied', 'User is not authorized to perform: route53:ListHostedZonesByName'),
    );
    const prompter = givenAnswers({ ...NEWCOMER, 'domain-zone': [], domain: ['example.com'] });
    // WHEN
    const run = await wizard();
    // THEN
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('Could not list your Route 53 zones');
    expect(prompter.asked.map((q) => q.id)).toContain('domain');
  });

  it('asks only for what is missing when some flags were typed', async () => {
    const prompter = givenAnswers({ app: ['healthmetrics'], apply: [true] });
    // WHEN
    const run = await wizard(['--domain', 'example.com', '--region', 'us-east-1']);
    // THEN
    expect(run.code, run.stderr).toBe(0);
    expect(prompter.asked.map((q) => q.id)).toEqual(['app', 'apply']);
  });

  it('does not ask with --yes: a missing value is an error listing the flags', async () => {
    const prompter = givenAnswers({});
    // WHEN
    const run = await wizard(['--yes']);
    // THEN
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('missing required values: --app <name>, --domain <domain>');
    expect(prompter.asked).toEqual([]);
    expect(installed.fake.calls).toEqual([]);
  });

  it('with --json, asks on stderr and prints only the plan as JSON on stdout when the answer is no', async () => {
    givenAnswers({ ...NEWCOMER, apply: [false] });
    // WHEN
    const run = await wizard(['--json']);
    // THEN
    expect(run.code).toBe(130);
    const doc = JSON.parse(run.stdout);
    expect(doc).toMatchObject({ kind: 'plan', applied: false, summary: { create: 27, update: 0, unchanged: 0 } });
    expect(run.stderr).toContain('S3 bucket');
    expect(installed.fake.writes).toEqual([]);
  });
});
