import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AwsContext } from '../../src/aws/context.js';
import { findAuthority } from '../../src/checks/dns/authority.js';
import { dnsServer } from '../../src/checks/dns/query.js';
import { SES_WINDOW_MS, checkEmailSetup } from '../../src/checks/email-verification.js';
import { FakeAccount } from '../fakes/account.js';
import { type InstalledFake, installFakeAccount } from '../fakes/install.js';
import { runCli } from '../support/cli.js';
import { givenConfig } from '../support/context.js';
import { type TestDnsServer, startTestDns } from '../support/dns-server.js';

const REGION = 'us-east-1';
let installed: InstalledFake;
let dns: TestDnsServer;

async function check(options: { startedAt?: Date; now?: Date } = {}) {
  const aws = new AwsContext({ region: REGION });
  const resolver = dnsServer(dns.address, { recursive: true, timeoutMs: 300 });
  try {
    return await checkEmailSetup(
      aws,
      givenConfig(),
      { resolver, authority: await findAuthority('example.com', resolver) },
      options,
    );
  } finally {
    aws.destroy();
  }
}

const component = async (id: string, options: { startedAt?: Date; now?: Date } = {}) =>
  (await check(options)).components.find((c) => c.id === id);

describe("SES's own verification states, kept apart", () => {
  beforeEach(async () => {
    installed = installFakeAccount(new FakeAccount());
    const cwd = await mkdtemp(join(tmpdir(), 'hm-ses-states-'));
    const run = await runCli(
      ['init', '--yes', '--app', 'healthmetrics', '--domain', 'example.com', '--dns', 'external'],
      {
        cwd,
      },
    );
    expect(run.code, run.stderr).toBe(0);
    dns = await startTestDns([], { zone: 'example.com' });
  });
  afterEach(async () => {
    installed.restore();
    await dns.close();
  });

  it("PENDING: how long SES's 72-hour window still runs", async () => {
    const now = new Date('2026-12-01T12:00:00Z');
    const startedAt = new Date(now.getTime() - (2 * 3600_000 + 15 * 60_000));
    expect(await component('dkim', { startedAt, now })).toMatchObject({
      status: 'PENDING',
      detail: 'SES keeps looking for 69 h 45 min more',
    });
    const late = new Date(now.getTime() - SES_WINDOW_MS - 1000);
    expect((await component('dkim', { startedAt: late, now }))?.detail).toBe(
      "SES's 72-hour window has ended; it reports FAILED soon",
    );
  });

  it('TEMPORARY_FAILURE: SES could not check this time and tries again; no restart', async () => {
    installed.fake.ses.setStatus(REGION, 'example.com', { mailFrom: 'TEMPORARY_FAILURE' });
    const mailFrom = await component('mail-from');
    expect(mailFrom?.status).toBe('TEMPORARY_FAILURE');
    expect(mailFrom?.detail).toContain('it tries again on its own');
    expect(mailFrom?.restart).toBeUndefined();
    expect((await check()).outcome).toBe('pending');
  });

  it('FAILED: the outcome is failed, with the command that restarts each verification', async () => {
    installed.fake.ses.setStatus(REGION, 'example.com', { dkim: 'FAILED', mailFrom: 'FAILED' });
    const result = await check();
    expect(result.outcome).toBe('failed');
    expect(result.components.find((c) => c.id === 'dkim')?.restart).toBe(
      'aws sesv2 put-email-identity-dkim-signing-attributes --region us-east-1 --email-identity example.com --signing-attributes-origin AWS_SES',
    );
    expect(result.components.find((c) => c.id === 'mail-from')?.restart).toBe(
      'aws sesv2 put-email-identity-mail-from-attributes --region us-east-1 --email-identity example.com --mail-from-domain mail.example.com --behavior-on-mx-failure USE_DEFAULT_VALUE',
    );
  });

  it('SUCCESS everywhere: verified', async () => {
    installed.fake.ses.setStatus(REGION, 'example.com', { dkim: 'SUCCESS', mailFrom: 'SUCCESS' });
    expect((await check()).outcome).toBe('verified');
  });
});
