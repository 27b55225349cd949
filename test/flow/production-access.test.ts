/**
 * `hm-infra request-production-access` on a fake account that `init` has set up: refused while
 * the domain is not verified, drafted from what the account has, confirmed, sent once, and
 * the review's status reported by the commands that follow (verify-dns, a second run).
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConflictException } from '@aws-sdk/client-sesv2';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type * as PromptsModule from '../../src/commands/prompts.js';
import type { Prompter } from '../../src/commands/prompts.js';
import { runVerifyDns } from '../../src/commands/verify-dns.js';
import { startTestDns } from '../support/dns-server.js';
import { FakeAccount } from '../fakes/account.js';
import { type InstalledFake, installFakeAccount } from '../fakes/install.js';
import { runCli } from '../support/cli.js';
import { type Answer, ExitPromptError, scriptedPrompter } from '../support/prompts.js';

const current = vi.hoisted(() => ({ prompter: undefined as unknown }));
vi.mock('../../src/commands/prompts.js', async (importOriginal) => ({
  ...(await importOriginal<typeof PromptsModule>()),
  terminalPrompter: () => current.prompter as Prompter,
}));

const REGION = 'us-east-1';
const DOMAIN = 'example.com';
const REQUEST = 'request-production-access';

let cwd: string;
let installed: InstalledFake;

const cli = (args: string[], options: { interactive?: boolean } = {}) => runCli(args, { cwd, ...options });
const requests = () => installed.fake.calls.filter((c) => c.command === 'PutAccountDetails');
const givenVerified = () => installed.fake.ses.setStatus(REGION, DOMAIN, { dkim: 'SUCCESS', mailFrom: 'SUCCESS' });
/** verify-dns --once, as its flow tests run it; what it wrote to stderr and stdout. */
async function verifyDnsOnce(json = false): Promise<{ stdout: string; stderr: string }> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const io = {
    out: (t: string) => stdout.push(t),
    err: (t: string) => stderr.push(t),
    interactive: false,
    color: false,
    env: process.env,
    cwd,
  };
  // A resolver that finds nothing: verify-dns is run here for what it says of the account.
  const resolver = await startTestDns([], { zone: DOMAIN });
  try {
    await runVerifyDns({ env: 'dev', json }, { once: true, resolver: resolver.address }, io);
  } finally {
    await resolver.close();
  }
  return { stdout: stdout.join('\n'), stderr: stderr.join('\n') };
}

function givenAnswers(script: Record<string, Answer[]>) {
  const prompter = scriptedPrompter(script);
  current.prompter = prompter;
  return prompter;
}

describe('request-production-access', () => {
  beforeEach(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'hm-prod-access-'));
    installed = installFakeAccount(new FakeAccount());
    const run = await cli(['init', '--yes', '--app', 'healthmetrics', '--domain', DOMAIN, '--dns', 'external']);
    expect(run.code, run.stderr).toBe(0);
    current.prompter = undefined;
  });
  afterEach(() => installed.restore());

  it('refuses to submit while the domain is not verified, showing what is and is not in place (exit 2, nothing sent)', async () => {
    // WHEN
    const run = await cli([REQUEST, '--yes']);
    // THEN
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('✖ example.com is not verified for sending yet (SES: PENDING)');
    expect(run.stdout).toContain('✔ every email goes through configuration set healthmetrics-dev');
    expect(run.stderr).toContain(
      'Not submitted: AWS denies production access while example.com is not verified for sending yet (SES: PENDING).',
    );
    expect(run.stderr).toContain('(--force submits it anyway)');
    expect(requests()).toEqual([]);
  });

  it('with --json, a refusal is one document: outcome refused, the request and its facts', async () => {
    // WHEN
    const run = await cli([REQUEST, '--yes', '--json']);
    // THEN
    expect(run.code).toBe(2);
    const doc = JSON.parse(run.stdout);
    expect(doc).toMatchObject({ kind: 'request-production-access', outcome: 'refused', submitted: false });
    expect(doc.facts.find((f: { id: string }) => f.id === 'domain-verified')).toMatchObject({
      ok: false,
      required: true,
    });
    expect(requests()).toEqual([]);
  });

  it('submits anyway with --force', async () => {
    // WHEN
    const run = await cli([REQUEST, '--yes', '--force']);
    // THEN
    expect(run.code, run.stderr).toBe(0);
    expect(requests()).toHaveLength(1);
  });

  it('drafts the request from the environment, submits it once, and reports the review PENDING with its case id', async () => {
    givenVerified();
    // WHEN
    const run = await cli([REQUEST, '--yes', '--contact-email', 'ops@example.com', 'dev@example.com']);
    // THEN
    expect(run.code, run.stderr).toBe(0);
    expect(requests()).toHaveLength(1);
    const input = requests()[0]?.input as Record<string, unknown>;
    expect(input).toMatchObject({
      MailType: 'TRANSACTIONAL',
      WebsiteURL: 'https://example.com',
      ContactLanguage: 'EN',
      AdditionalContactEmailAddresses: ['ops@example.com', 'dev@example.com'],
      ProductionAccessEnabled: true,
    });
    expect(input['UseCaseDescription']).toContain('The sending domain example.com is verified in Amazon SES');
    // The whole request was shown before it was sent.
    expect(run.stdout).toContain(String(input['UseCaseDescription']).split('\n')[0]?.slice(0, 60));
    expect(run.stdout).toContain(
      '✔ Submitted: AWS opened AWS Support case 17700000001 for production access in us-east-1; the review is PENDING.',
    );
    expect(run.stdout).toContain('https://console.aws.amazon.com/support/home#/case/?displayId=17700000001');
  });

  it('does not submit a second time while the review is pending: says so with the case id (exit 0)', async () => {
    givenVerified();
    await cli([REQUEST, '--yes']);
    // WHEN
    const run = await cli([REQUEST, '--yes']);
    // THEN
    expect(run.code).toBe(0);
    expect(requests()).toHaveLength(1);
    expect(run.stdout).toBe(
      'Production access in us-east-1 was already requested (AWS Support case 17700000001): the review is pending; AWS usually answers within 24 hours. Not submitted again.',
    );
  });

  it('verify-dns reports the review: pending, then denied with what to do', async () => {
    givenVerified();
    await cli([REQUEST, '--yes']);
    // WHEN
    const pending = await verifyDnsOnce();
    installed.fake.ses.decideReview(REGION, 'DENIED');
    const denied = await verifyDnsOnce(true);
    // THEN
    expect(pending.stderr).toContain(
      'Production access was requested (AWS Support case 17700000001); the review is pending.',
    );
    expect(denied.stderr).toContain('AWS denied production access (AWS Support case 17700000001)');
    expect(denied.stderr).toContain('send a new request with `hm-infra request-production-access --env dev`');
    expect(JSON.parse(denied.stdout).account).toMatchObject({
      productionAccess: false,
      review: { status: 'DENIED', caseId: '17700000001' },
      details: { mailType: 'TRANSACTIONAL', websiteUrl: 'https://example.com' },
    });
  });

  it('after a denial or a failure, a new request is sent (a new case)', async () => {
    givenVerified();
    await cli([REQUEST, '--yes']);
    installed.fake.ses.decideReview(REGION, 'DENIED');
    // WHEN
    const again = await cli([REQUEST, '--yes']);
    installed.fake.ses.decideReview(REGION, 'FAILED');
    const third = await cli([REQUEST, '--yes']);
    // THEN
    expect(again.stdout).toContain('The last request was DENIED (AWS Support case 17700000001); this sends a new one.');
    expect(third.stdout).toContain(
      'The last request FAILED at AWS (AWS Support case 17700000002); this sends it again.',
    );
    expect(third.stdout).toContain('AWS opened AWS Support case 17700000003');
    expect(requests()).toHaveLength(3);
  });

  it('with production access already: says so with the quota, exits 0 and writes nothing', async () => {
    givenVerified();
    await cli([REQUEST, '--yes']);
    installed.fake.ses.decideReview(REGION, 'GRANTED');
    const writes = installed.fake.writes.length;
    // WHEN
    const run = await cli([REQUEST, '--yes']);
    // THEN
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      'SES in us-east-1 already has production access: 50000 emails per 24 hours (0 sent), 14 per second. Nothing to request.',
    );
    expect(installed.fake.writes.length).toBe(writes);
  });

  it('granted but not yet in effect: says so and sends nothing', async () => {
    givenVerified();
    await cli([REQUEST, '--yes']);
    installed.fake.ses.decideReview(REGION, 'GRANTED', { productionAccess: false });
    // WHEN
    const run = await cli([REQUEST, '--yes']);
    // THEN
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('AWS granted production access in us-east-1 (AWS Support case 17700000001)');
    expect(requests()).toHaveLength(1);
  });

  it('a request sent meanwhile from elsewhere (ConflictException): reports the review pending, exit 0', async () => {
    givenVerified();
    installed.fake.failNext(
      'sesv2',
      'PutAccountDetails',
      () =>
        new ConflictException({
          message: 'There is already an ongoing account details update under review.',
          $metadata: { httpStatusCode: 409 },
        }),
    );
    // WHEN
    const run = await cli([REQUEST, '--yes']);
    // THEN
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('was already requested');
    expect(run.stdout).not.toContain('Submitted');
  });

  it('off a terminal without --yes: shows the draft, then refuses with the hint to pass --yes (exit 2, nothing sent)', async () => {
    givenVerified();
    // WHEN
    const run = await cli([REQUEST]);
    // THEN
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('Request for SES production access');
    expect(run.stderr).toContain('needs a confirmation, but there is no terminal to ask in');
    expect(run.stderr).toContain('Re-run with --yes');
    expect(requests()).toEqual([]);
  });

  it.each([
    ['no', [false], 130, 0],
    ['Ctrl-C', [new ExitPromptError()], 130, 0],
    ['yes', [true], 0, 1],
  ] as Array<[string, Answer[], number, number]>)(
    'in a terminal, asks first; answered %s',
    async (_answer, answers, code, sent) => {
      givenVerified();
      const prompter = givenAnswers({ submit: answers });
      // WHEN
      const run = await cli([REQUEST], { interactive: true });
      // THEN
      expect(run.code, run.stderr).toBe(code);
      expect(prompter.asked.map((q) => q.message)).toEqual(['Submit this request to AWS?']);
      expect(requests()).toHaveLength(sent);
      if (sent === 0) expect(run.stderr).toContain('Not submitted: nothing was sent to AWS.');
    },
  );

  it('sends the use case of --use-case-file, with the mail type and language asked for', async () => {
    givenVerified();
    await writeFile(join(cwd, 'use-case.txt'), '  We send a monthly newsletter to subscribers who opted in.\n');
    // WHEN
    const run = await cli([
      REQUEST,
      '--yes',
      '--mail-type',
      'marketing',
      '--use-case-file',
      'use-case.txt',
      '--language',
      'ja',
    ]);
    // THEN
    expect(run.code, run.stderr).toBe(0);
    expect(requests()[0]?.input).toMatchObject({
      MailType: 'MARKETING',
      ContactLanguage: 'JA',
      UseCaseDescription: 'We send a monthly newsletter to subscribers who opted in.',
    });
    expect(run.stdout).toContain('Use case (from --use-case-file):');
  });

  it.each([
    [['--website', 'ftp://example.com'], '--website "ftp://example.com" is not a web address'],
    [['--mail-type', 'newsletter'], '--mail-type "newsletter" is not valid'],
    [['--language', 'fr'], '--language "fr" is not valid'],
    [['--contact-email', 'ops'], '--contact-email "ops": not an email address'],
    [['--contact-email', 'a@x.io,b@x.io,c@x.io,d@x.io,e@x.io'], '5 addresses given; SES takes at most 4'],
    [['--mail-type', 'marketing'], '--mail-type marketing needs --use-case-file <path>'],
    [['--use-case-file', 'missing.txt'], '--use-case-file missing.txt cannot be read (ENOENT)'],
  ])('refuses %j before any AWS call (exit 2)', async (flags, message) => {
    const calls = installed.fake.calls.length;
    // WHEN
    const run = await cli([REQUEST, '--yes', ...flags]);
    // THEN
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(installed.fake.calls.length).toBe(calls);
  });

  it('refuses an environment set up without email, and one of another account, before sending anything', async () => {
    const noEmail = await cli([
      'init',
      '--yes',
      '--env',
      'staging',
      '--app',
      'healthmetrics',
      '--domain',
      DOMAIN,
      '--no-email',
    ]);
    expect(noEmail.code, noEmail.stderr).toBe(0);
    const statePath = join(cwd, '.hm-infra', 'dev.json');
    const state = JSON.parse(await readFile(statePath, 'utf8')) as Record<string, unknown>;
    await writeFile(statePath, JSON.stringify({ ...state, accountId: '999999999999' }));
    // WHEN
    const staging = await cli([REQUEST, '--yes', '--env', 'staging']);
    const other = await cli([REQUEST, '--yes']);
    // THEN
    expect(staging.code).toBe(2);
    expect(staging.stderr).toContain('environment "staging" was set up without email (--no-email)');
    expect(other.code).toBe(2);
    expect(other.stderr).toContain("this environment's state belongs to AWS account 999999999999");
    expect(requests()).toEqual([]);
  });

  it('with --json: one document on stdout (the draft for people on stderr)', async () => {
    givenVerified();
    // WHEN
    const run = await cli([REQUEST, '--yes', '--json']);
    // THEN
    expect(run.code, run.stderr).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc).toMatchObject({
      kind: 'request-production-access',
      outcome: 'submitted',
      submitted: true,
      environment: 'dev',
      region: REGION,
      account: { review: { status: 'PENDING', caseId: '17700000001' } },
      request: { MailType: 'TRANSACTIONAL', ProductionAccessEnabled: true },
    });
    expect(doc.facts.find((f: { id: string }) => f.id === 'domain-verified')).toMatchObject({ ok: true });
    expect(run.stderr).toContain('Request for SES production access');
  });
});
