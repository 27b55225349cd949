/**
 * The production-access draft read from a fake account an `init` has set up: each fact true
 * or false as the account really is, and the use case stating only the facts that hold.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AwsContext } from '../../src/aws/context.js';
import {
  type Fact,
  type ProductionAccessOptions,
  draftProductionAccessRequest,
} from '../../src/checks/production-access.js';
import type { State } from '../../src/state/schema.js';
import { FakeAccount } from '../fakes/account.js';
import { type InstalledFake, installFakeAccount } from '../fakes/install.js';
import { runCli } from '../support/cli.js';

const REGION = 'us-east-1';
const DOMAIN = 'example.com';
const SET = 'healthmetrics-dev';

let cwd: string;
let installed: InstalledFake;
let aws: AwsContext;

const OPTIONS: ProductionAccessOptions = {
  mailType: 'TRANSACTIONAL',
  websiteUrl: 'https://example.com',
  contactLanguage: 'EN',
  additionalContactEmails: [],
};

async function givenSetUp(extra: string[] = []): Promise<State> {
  const run = await runCli(
    ['init', '--yes', '--app', 'healthmetrics', '--domain', DOMAIN, '--dns', 'external', ...extra],
    { cwd },
  );
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(await readFile(join(cwd, '.hm-infra', 'dev.json'), 'utf8')) as State;
}

const givenVerified = () => installed.fake.ses.setStatus(REGION, DOMAIN, { dkim: 'SUCCESS', mailFrom: 'SUCCESS' });
const fact = (facts: Fact[], id: Fact['id']) => facts.find((f) => f.id === id);
const set = () => installed.fake.ses.region(REGION).configSets.get(SET);

describe('draftProductionAccessRequest', () => {
  beforeEach(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'hm-pa-draft-'));
    installed = installFakeAccount(new FakeAccount());
    aws = new AwsContext({ region: REGION });
  });
  afterEach(() => {
    aws.destroy();
    installed.restore();
  });

  it('finds every fact in place in an environment init set up and SES verified, and writes them into the use case', async () => {
    const state = await givenSetUp();
    givenVerified();
    const writes = installed.fake.writes.length;
    // WHEN
    const draft = await draftProductionAccessRequest(aws, state, OPTIONS);
    // THEN
    expect(installed.fake.writes.length).toBe(writes);
    expect(draft.blockers).toEqual([]);
    expect(draft.facts.filter((f) => !f.ok).map((f) => f.id)).toEqual(['dmarc']);
    expect(draft.input).toMatchObject({
      MailType: 'TRANSACTIONAL',
      WebsiteURL: 'https://example.com',
      ContactLanguage: 'EN',
      ProductionAccessEnabled: true,
    });
    expect(draft.input.AdditionalContactEmailAddresses).toBeUndefined();
    const text = draft.input.UseCaseDescription;
    expect(text).toContain('transactional email only, from noreply@example.com');
    expect(text).toContain('account verification message when a user signs up');
    expect(text).toContain('password reset message when a user asks for one');
    expect(text).toContain(
      'The sending domain example.com is verified in Amazon SES, with DKIM signing every message and a custom MAIL FROM domain (mail.example.com).',
    );
    expect(text).toContain('delivered to an SQS queue (healthmetrics-dev-email-events)');
    expect(text).toContain('put on the SES suppression list');
    expect(text).toContain('alarms on the bounce rate (at 4%) and the complaint rate (at 0.08%)');
    // The DMARC record is the DNS host's to publish here: not claimed.
    expect(text).not.toContain('DMARC');
    expect(text.length).toBeLessThanOrEqual(5000);
  });

  it('marks the domain not verified as a blocker and leaves it out of the use case', async () => {
    const state = await givenSetUp();
    // WHEN
    const draft = await draftProductionAccessRequest(aws, state, OPTIONS);
    // THEN
    expect(draft.blockers.map((f) => f.id)).toEqual(['domain-verified']);
    expect(fact(draft.facts, 'domain-verified')).toMatchObject({
      ok: false,
      required: true,
      text: 'example.com is not verified for sending yet (SES: PENDING)',
    });
    expect(fact(draft.facts, 'dkim')).toMatchObject({ ok: false, required: false });
    expect(fact(draft.facts, 'mail-from')?.ok).toBe(false);
    expect(draft.input.UseCaseDescription).not.toContain('is verified in Amazon SES');
  });

  it('says SES has no identity when it was removed, and what to run', async () => {
    const state = await givenSetUp();
    installed.fake.ses.region(REGION).identities.delete(DOMAIN);
    // WHEN
    const draft = await draftProductionAccessRequest(aws, state, OPTIONS);
    // THEN
    expect(fact(draft.facts, 'domain-verified')).toMatchObject({
      ok: false,
      text: 'SES has no identity for example.com',
      fix: 'Run `hm-infra init --env dev` to create it.',
    });
    expect(fact(draft.facts, 'configuration-set')?.ok).toBe(false);
  });

  it('finds bounce handling, suppression and alarms missing when they are not there', async () => {
    const state = await givenSetUp(['--no-email-events']);
    givenVerified();
    // WHEN
    const draft = await draftProductionAccessRequest(aws, state, OPTIONS);
    // THEN
    for (const id of ['suppression', 'bounce-handling', 'metrics', 'alarms'] as const)
      expect(fact(draft.facts, id), id).toMatchObject({ ok: false, required: false });
    expect(draft.blockers).toEqual([]);
    expect(draft.input.UseCaseDescription).not.toMatch(/bounce|suppression|alarm/i);
  });

  it('counts the account-level suppression list when the configuration set has none of its own', async () => {
    const state = await givenSetUp();
    givenVerified();
    set()!.suppressedReasons = undefined;
    // WHEN
    const without = await draftProductionAccessRequest(aws, state, OPTIONS);
    const withAccount = await draftProductionAccessRequest(aws, state, {
      ...OPTIONS,
      account: {
        productionAccess: false,
        sendingEnabled: true,
        enforcementStatus: 'HEALTHY',
        max24HourSend: 200,
        maxSendRate: 1,
        sentLast24Hours: 0,
        suppressedReasons: ['BOUNCE', 'COMPLAINT'],
      },
    });
    // THEN
    expect(fact(without.facts, 'suppression')?.ok).toBe(false);
    expect(fact(withAccount.facts, 'suppression')).toMatchObject({
      ok: true,
      text: "addresses that bounce or complain are suppressed (the account's suppression list: BOUNCE, COMPLAINT)",
    });
  });

  it('sees an event destination someone disabled, and DKIM signing turned off', async () => {
    const state = await givenSetUp();
    givenVerified();
    for (const d of set()!.eventDestinations) d.Enabled = false;
    installed.fake.ses.identity(REGION, DOMAIN)!.signingEnabled = false;
    // WHEN
    const draft = await draftProductionAccessRequest(aws, state, OPTIONS);
    // THEN
    expect(fact(draft.facts, 'bounce-handling')?.ok).toBe(false);
    expect(fact(draft.facts, 'metrics')?.ok).toBe(false);
    expect(fact(draft.facts, 'dkim')).toMatchObject({ ok: false, text: 'DKIM signing is turned off for the identity' });
    expect(draft.input.UseCaseDescription).not.toContain('DKIM');
  });

  it('claims the DMARC policy once hm-infra wrote it to Route 53, and calls p=none monitoring only', async () => {
    installed.fake.route53.addZone(DOMAIN);
    const run = await runCli(['init', '--yes', '--app', 'healthmetrics', '--domain', DOMAIN, '--dns', 'route53'], {
      cwd,
    });
    expect(run.code, run.stderr).toBe(0);
    const state = JSON.parse(await readFile(join(cwd, '.hm-infra', 'dev.json'), 'utf8')) as State;
    givenVerified();
    // WHEN
    const draft = await draftProductionAccessRequest(aws, state, OPTIONS);
    const monitoring = await draftProductionAccessRequest(
      aws,
      { ...state, config: { ...state.config, dmarcPolicy: 'none' } },
      OPTIONS,
    );
    // THEN
    expect(fact(draft.facts, 'dmarc')).toMatchObject({
      ok: true,
      text: 'DMARC policy p=quarantine at _dmarc.example.com (written to Route 53)',
    });
    expect(draft.input.UseCaseDescription).toContain('The domain publishes a DMARC policy of p=quarantine.');
    expect(fact(monitoring.facts, 'dmarc')).toMatchObject({ ok: false });
    expect(fact(monitoring.facts, 'dmarc')?.text).toContain('p=none (monitoring only)');
  });

  it("sends the file's use case instead of the drafted one, and the contact emails", async () => {
    const state = await givenSetUp();
    givenVerified();
    // WHEN
    const draft = await draftProductionAccessRequest(aws, state, {
      ...OPTIONS,
      useCase: 'Our own words.',
      additionalContactEmails: ['ops@example.com'],
      contactLanguage: 'JA',
    });
    // THEN
    expect(draft.useCaseDrafted).toBe(false);
    expect(draft.input).toMatchObject({
      UseCaseDescription: 'Our own words.',
      AdditionalContactEmailAddresses: ['ops@example.com'],
      ContactLanguage: 'JA',
    });
  });

  it('refuses to draft marketing email from the transactional facts', async () => {
    const state = await givenSetUp();
    // WHEN
    const error = await draftProductionAccessRequest(aws, state, { ...OPTIONS, mailType: 'MARKETING' }).catch(
      (e: unknown) => e,
    );
    // THEN
    expect(error).toMatchObject({ code: 'INVALID_INPUT' });
    expect((error as { hint: string }).hint).toContain('--use-case-file');
  });
});
