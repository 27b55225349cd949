/**
 * SES production access over the wire: the built CLI against moto behind the harness (which
 * holds SES v2), in an environment `init` set up with its zone in Route 53. The request is
 * refused while the domain is not verified, drafted from the environment once it is, sent
 * once (the harness's request log), not sent again, and its review reported by verify-dns.
 */
import { CreateHostedZoneCommand } from '@aws-sdk/client-route-53';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REGION, type World, givenProjectDir, hmInfra, printed, startWorld, writeConfig } from './support.js';

const app = `pa${Date.now().toString(36)}`;
const domain = `${app}.example.com`;
const REQUEST = 'request-production-access';

let world: World;
let dir: string;
const cli = (...args: string[]) => hmInfra(world, dir, args);
const writes = () => world.harness.writes().map((r) => `${r.service}:${r.operation}`);

beforeAll(async () => {
  world = await startWorld();
  dir = await givenProjectDir();
  const zone = await world.route53.send(new CreateHostedZoneCommand({ Name: domain, CallerReference: `${app}-zone` }));
  expect(zone.HostedZone?.Id).toBeDefined();
  await writeConfig(dir, { app, domain, region: REGION, cdn: false, email: true, dns: 'route53' });
  const init = await cli('init', '--yes', '--config', 'hm-infra.json');
  expect(init.code, printed(init)).toBe(0);
});

afterAll(async () => {
  await world?.stop();
});

describe('SES production access, over the wire', () => {
  it('refuses while SES has not verified the domain: the draft says so and nothing is sent (exit 2)', async () => {
    world.harness.reset();
    // WHEN
    const run = await cli(REQUEST, '--yes');
    // THEN
    expect(run.code, printed(run)).toBe(2);
    expect(run.stdout).toContain(`✖ ${domain} is not verified for sending yet (SES: PENDING)`);
    expect(run.stderr).toContain('Not submitted: AWS denies production access while');
    expect(writes()).toEqual([]);
    expect(world.harness.errors).toEqual([]);
  });

  it('once SES has verified it: drafts the request from the environment, submits it once, and reads the review back PENDING', async () => {
    world.harness.ses.setStatus(REGION, domain, { dkim: 'SUCCESS', mailFrom: 'SUCCESS' });
    world.harness.reset();
    // WHEN
    const run = await cli(REQUEST, '--yes', '--json', '--contact-email', 'ops@example.org');
    // THEN
    expect(run.code, printed(run)).toBe(0);
    expect(writes()).toEqual(['ses:PutAccountDetails']);
    const doc = JSON.parse(run.stdout) as {
      outcome: string;
      account: { review?: { status: string; caseId?: string } };
      facts: Array<{ id: string; ok: boolean }>;
    };
    expect(doc.outcome).toBe('submitted');
    expect(doc.account.review).toEqual({ status: 'PENDING', caseId: expect.stringMatching(/^\d+$/) });
    expect(doc.facts.filter((f) => !f.ok)).toEqual([]);
    const sent = world.harness.ses.region(REGION).account.details;
    expect(sent).toMatchObject({
      MailType: 'TRANSACTIONAL',
      WebsiteURL: `https://${domain}`,
      ContactLanguage: 'EN',
      AdditionalContactEmailAddresses: ['ops@example.org'],
    });
    expect(sent?.UseCaseDescription).toContain(`The sending domain ${domain} is verified in Amazon SES`);
    expect(sent?.UseCaseDescription).toContain('The domain publishes a DMARC policy of p=quarantine.');
    expect(sent?.UseCaseDescription).toContain(`delivered to an SQS queue (${app}-dev-email-events)`);
  });

  it('a second run does not submit again: the review is pending (exit 0, no write)', async () => {
    world.harness.reset();
    // WHEN
    const run = await cli(REQUEST, '--yes');
    // THEN
    expect(run.code, printed(run)).toBe(0);
    expect(run.stdout).toMatch(/was already requested \(AWS Support case \d+\): the review is pending/);
    expect(writes()).toEqual([]);
  });

  it('verify-dns --once reports the review PENDING with its case id', async () => {
    // WHEN
    const run = await cli('verify-dns', '--once', '--resolver', world.dns.address);
    // THEN
    expect(run.code, printed(run)).toBe(0);
    const caseId = world.harness.ses.region(REGION).account.details?.ReviewDetails?.CaseId ?? '';
    expect(run.stderr).toContain(
      `Production access was requested (AWS Support case ${caseId}); the review is pending. AWS usually answers within 24 hours`,
    );
  });

  it('once AWS grants it: says production access is there (no write), and verify-dns shows the production quota', async () => {
    world.harness.ses.decideReview(REGION, 'GRANTED');
    world.harness.reset();
    // WHEN
    const run = await cli(REQUEST, '--yes');
    const verify = await cli('verify-dns', '--once', '--resolver', world.dns.address);
    // THEN
    expect(run.code, printed(run)).toBe(0);
    expect(run.stdout).toContain(`SES in ${REGION} already has production access: 50000 emails per 24 hours`);
    expect(writes()).toEqual([]);
    expect(verify.stderr).toContain(`SES in ${REGION} has production access: 50000 emails per 24 hours`);
  });
});
