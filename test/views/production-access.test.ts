/**
 * How the account's sending status and a production-access request read: the sandbox advice
 * of init and verify-dns for each review status, and the request as request-production-access
 * shows it, for people and as JSON.
 */
import { describe, expect, it } from 'vitest';
import type { Fact, ProductionAccessDraft } from '../../src/checks/production-access.js';
import type { AccountStatus } from '../../src/checks/ses-account.js';
import { productionAccessViewFor, renderDraft, wrap } from '../../src/views/production-access.js';
import { sandboxAdvice } from '../../src/views/ses.js';
import { makeStyle } from '../../src/views/style.js';
import type { Output } from '../../src/views/view.js';

const SANDBOX: AccountStatus = {
  productionAccess: false,
  sendingEnabled: true,
  enforcementStatus: 'HEALTHY',
  max24HourSend: 200,
  maxSendRate: 1,
  sentLast24Hours: 0,
};
const inReview = (status: NonNullable<AccountStatus['review']>['status']): AccountStatus => ({
  ...SANDBOX,
  review: { status, caseId: '17700000001' },
});
const META = { app: 'healthmetrics', environment: 'prod', region: 'eu-west-1', accountId: '123456789012' };
const style = makeStyle(false);

function givenOutput(): Output & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    out: (t) => stdout.push(t),
    err: (t) => stderr.push(t),
    interactive: false,
    color: false,
    env: {},
    stdout,
    stderr,
  };
}

const facts: Fact[] = [
  {
    id: 'domain-verified',
    ok: false,
    required: true,
    text: 'example.com is not verified for sending yet (SES: PENDING)',
    fix: 'Publish the DNS records.',
  },
  { id: 'dkim', ok: false, required: false, text: 'DKIM is not verified yet (SES: PENDING)', fix: 'Wait.' },
  { id: 'suppression', ok: true, required: false, text: 'addresses that bounce or complain are suppressed' },
];

const DRAFT: ProductionAccessDraft = {
  region: 'eu-west-1',
  input: {
    MailType: 'TRANSACTIONAL',
    WebsiteURL: 'https://example.com',
    ContactLanguage: 'EN',
    UseCaseDescription: 'Healthmetrics is a web application.\n\nAll email is sent through the SES configuration set.',
    AdditionalContactEmailAddresses: ['ops@example.com'],
    ProductionAccessEnabled: true,
  },
  facts,
  blockers: [facts[0] as Fact],
  useCaseDrafted: true,
};

describe('sandboxAdvice', () => {
  it('in the sandbox with no request: the quota, and the command that requests production access', () => {
    expect(sandboxAdvice(SANDBOX, 'eu-west-1', 'prod')).toEqual([
      'SES in eu-west-1 is in the sandbox: it sends only to verified addresses, at most 200 emails per 24 hours, 1 per second.',
      '  Request production access: run `hm-infra request-production-access --env prod` (it drafts the request from this environment, shows it and asks before sending it).',
    ]);
  });

  it('a request pending: requested, its case id, and when AWS usually answers', () => {
    expect(sandboxAdvice(inReview('PENDING'), 'eu-west-1', 'prod')[1]).toBe(
      '  Production access was requested (AWS Support case 17700000001); the review is pending. AWS usually answers within 24 hours, by email and in the case.',
    );
  });

  it('denied: what it means, where AWS says why, and how to ask again', () => {
    const lines = sandboxAdvice(inReview('DENIED'), 'eu-west-1', 'prod');
    expect(lines.slice(1)).toEqual([
      '  AWS denied production access (AWS Support case 17700000001): SES in eu-west-1 stays in the sandbox.',
      "    Read AWS's reasons in the AWS Support Center: https://console.aws.amazon.com/support/home#/case/?displayId=17700000001 and answer there with what they ask,",
      '    or, once that is in place, send a new request with `hm-infra request-production-access --env prod`.',
    ]);
  });

  it('failed: the request did not reach the review; send it again', () => {
    expect(sandboxAdvice(inReview('FAILED'), 'eu-west-1', 'prod').slice(1)).toEqual([
      "  The production-access request did not reach AWS's review (FAILED: an error at AWS; AWS Support case 17700000001).",
      '    Send it again with `hm-infra request-production-access --env prod`.',
    ]);
  });

  it('granted but not yet in effect: says so', () => {
    expect(sandboxAdvice(inReview('GRANTED'), 'eu-west-1', 'prod')[1]).toBe(
      '  AWS granted production access (AWS Support case 17700000001), but SES in eu-west-1 does not show it yet; it takes effect shortly. Re-run `hm-infra verify-dns --env prod` to see it.',
    );
  });

  it('in production: the quota line, and nothing about requests', () => {
    const production = { ...inReview('GRANTED'), productionAccess: true, max24HourSend: 50000, maxSendRate: 14 };
    expect(sandboxAdvice(production, 'eu-west-1', 'prod')).toEqual([
      'SES in eu-west-1 has production access: 50000 emails per 24 hours (0 sent), 14 per second.',
    ]);
  });
});

describe('the production-access request, shown', () => {
  it('shows every field that is sent, the use case whole, and each fact marked', () => {
    // WHEN
    const text = renderDraft(DRAFT, SANDBOX, META, style).join('\n');
    // THEN
    expect(text).toContain(
      'Request for SES production access: healthmetrics (prod), account 123456789012 in eu-west-1',
    );
    expect(text).toMatch(/Mail type\s+TRANSACTIONAL/);
    expect(text).toMatch(/Website\s+https:\/\/example\.com/);
    expect(text).toMatch(/Contact language\s+EN/);
    expect(text).toMatch(/Contact emails\s+ops@example\.com/);
    expect(text).toContain(
      '    Healthmetrics is a web application.\n\n    All email is sent through the SES configuration set.',
    );
    expect(text).toContain(
      '  ✖ example.com is not verified for sending yet (SES: PENDING)\n      → Publish the DNS records.',
    );
    expect(text).toContain('  ! DKIM is not verified yet (SES: PENDING)');
    expect(text).toContain('  ✔ addresses that bounce or complain are suppressed');
  });

  it('says a new request follows a denied one, with the case to read first', () => {
    const text = renderDraft(DRAFT, inReview('DENIED'), META, style).join('\n');
    expect(text).toContain(
      "The last request was DENIED (AWS Support case 17700000001); this sends a new one. AWS's reasons are in the case: https://console.aws.amazon.com/support/home#/case/?displayId=17700000001",
    );
  });

  it('wraps the use case at the width, keeping paragraphs', () => {
    expect(wrap('one two three four\n\nfive', 14, '  ')).toEqual(['  one two', '  three four', '', '  five']);
  });

  it('off --json: a refusal names what AWS denies requests without and how to go on', () => {
    const output = givenOutput();
    productionAccessViewFor({}, output).refused(DRAFT, SANDBOX, META);
    expect(output.stderr.join('\n')).toBe(
      'Not submitted: AWS denies production access while example.com is not verified for sending yet (SES: PENDING).\n' +
        '  Fix what is marked ✖ above, then re-run `hm-infra request-production-access --env prod` (--force submits it anyway).',
    );
    expect(output.stdout).toEqual([]);
  });

  it('with --json: one document on stdout with the outcome, the request and the facts; the draft for people on stderr', () => {
    const output = givenOutput();
    const view = productionAccessViewFor({ json: true }, output);
    // WHEN
    view.draft(DRAFT, SANDBOX, META);
    view.submitted(DRAFT, inReview('PENDING'), META, { raced: false });
    // THEN
    expect(output.stdout).toHaveLength(1);
    expect(JSON.parse(output.stdout[0] ?? '')).toEqual({
      kind: 'request-production-access',
      outcome: 'submitted',
      submitted: true,
      environment: 'prod',
      region: 'eu-west-1',
      account: inReview('PENDING'),
      request: DRAFT.input,
      facts,
    });
    expect(output.stderr.join('\n')).toContain('Request for SES production access');
  });

  it('with --json: a request already under review is "pending", nothing submitted', () => {
    const output = givenOutput();
    productionAccessViewFor({ json: true }, output).alreadyPending(inReview('PENDING'), META);
    expect(JSON.parse(output.stdout[0] ?? '')).toMatchObject({
      outcome: 'pending',
      submitted: false,
      request: null,
      account: { review: { status: 'PENDING', caseId: '17700000001' } },
    });
  });
});
