import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Io } from '../../src/commands/io.js';
import type { Clock } from '../../src/clock.js';
import { givenVirtualClock } from '../support/clock.js';
import { runVerifyDns } from '../../src/commands/verify-dns.js';
import { emailDnsRecords } from '../../src/resources/dns/values.js';
import type { DnsResolver } from '../../src/checks/email-verification.js';
import { givenConfig } from '../support/context.js';
import { FakeAccount } from '../fakes/account.js';
import { type InstalledFake, installFakeAccount } from '../fakes/install.js';
import { runCli } from '../support/cli.js';

let cwd: string;
let installed: InstalledFake;
const REGION = 'us-east-1';
const DOMAIN = 'example.com';

/** A resolver that answers with the records the account's identity needs (or nothing, when `published` is false). */
function givenResolver(published: { value: boolean }, onLookup: () => void = () => undefined): DnsResolver {
  const records = () => {
    const identity = installed.fake.ses.identity(REGION, DOMAIN);
    return emailDnsRecords(givenConfig(), { tokens: identity?.tokens ?? [], signingHostedZone: 'dkim.amazonses.com' });
  };
  const lookup = (name: string, type: string) => {
    onLookup();
    const hits = published.value ? records().filter((r) => r.name === name && r.type === type) : [];
    if (hits.length === 0)
      return Promise.reject(Object.assign(new Error(`queryX ENODATA ${name}`), { code: 'ENODATA' }));
    return Promise.resolve(hits);
  };
  return {
    resolveCname: (async (name: string) =>
      (await lookup(name, 'CNAME')).map((r) => r.value)) as DnsResolver['resolveCname'],
    resolveMx: (async (name: string) =>
      (await lookup(name, 'MX')).map((r) => ({
        priority: Number(r.value.split(' ')[0]),
        exchange: r.value.split(' ')[1] ?? '',
      }))) as DnsResolver['resolveMx'],
    resolveTxt: (async (name: string) =>
      (await lookup(name, 'TXT')).map((r) => [r.value])) as DnsResolver['resolveTxt'],
  };
}

function givenIo(): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    out: (t) => stdout.push(t),
    err: (t) => stderr.push(t),
    interactive: false,
    color: false,
    env: process.env,
    cwd,
    stdout,
    stderr,
  };
}

const verify = (io: Io, flags: Record<string, unknown>, resolver: DnsResolver, clock: Clock = givenVirtualClock()) =>
  runVerifyDns({ env: 'dev' }, flags, io, { resolver, clock });

describe('verify-dns', () => {
  beforeEach(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'hm-verify-'));
    installed = installFakeAccount(new FakeAccount());
    const run = await runCli(['init', '--yes', '--app', 'healthmetrics', '--domain', DOMAIN, '--dns', 'external'], {
      cwd,
    });
    expect(run.code, run.stderr).toBe(0);
  });
  afterEach(() => installed.restore());

  it('polls until SES reports domain, DKIM and MAIL FROM verified, then exits 0 and records it', async () => {
    const io = givenIo();
    const published = { value: false };
    let lookups = 0;
    // SES and DNS catch up once the first check (six lookups) has seen them pending.
    const resolver = givenResolver(published, () => {
      lookups += 1;
      if (lookups === 6) {
        published.value = true;
        installed.fake.ses.setStatus(REGION, DOMAIN, { dkim: 'SUCCESS', mailFrom: 'SUCCESS' });
      }
    });
    const clock = givenVirtualClock();
    // WHEN
    const code = await verify(io, {}, resolver, clock);
    // THEN
    expect(code).toBe(0);
    expect(clock.sleeps).toEqual([15_000]);
    const err = io.stderr.join('\n');
    expect(err).toMatch(/DKIM\s+pending/);
    expect(err).toContain('DKIM: pending → verified');
    expect(err).toMatch(/CNAME \S+\._domainkey\.example\.com: found as expected/);
    expect(err).toContain('example.com is verified for sending');
    const state = JSON.parse(await readFile(join(cwd, '.hm-infra', 'dev.json'), 'utf8'));
    expect(state.resources['email-identity'].outputs).toMatchObject({
      verifiedForSending: true,
      verificationStatus: 'SUCCESS',
      dkim: { status: 'SUCCESS' },
    });
    expect(state.resources['email-mail-from'].outputs.status).toBe('SUCCESS');
  });

  it('shows each record expected against found while DNS is not there yet', async () => {
    const io = givenIo();
    // WHEN
    const code = await verify(io, { once: true }, givenResolver({ value: false }));
    // THEN
    expect(code).toBe(3);
    const err = io.stderr.join('\n');
    expect(err).toMatch(
      /MX\s+mail\.example\.com\s+expected 10 feedback-smtp\.us-east-1\.amazonses\.com\n\s+found\s+nothing/,
    );
    expect(err).toContain('is pending');
  });

  it('gives up at the timeout with exit 3, backing off between checks', async () => {
    const io = givenIo();
    const before = installed.fake.calls.length;
    const clock = givenVirtualClock();
    // WHEN
    const code = await verify(io, { timeout: '2', interval: '10' }, givenResolver({ value: true }), clock);
    // THEN
    expect(code).toBe(3);
    expect(clock.sleeps).toEqual([10_000, 15_000, 22_500, 33_750, 38_750]);
    expect(io.stderr.join('\n')).toMatch(/still, after [23] min, pending/);
    const gets = installed.fake.calls.slice(before).filter((c) => c.command === 'GetEmailIdentity').length;
    // Checks at 0, 10, 25, 47.5, 81.25 s and at the deadline: 6, not the 13 a fixed 10 s interval would make.
    expect(gets).toBe(6);
  });

  it('exits 1 when SES reports FAILED, naming the records to fix', async () => {
    installed.fake.ses.setStatus(REGION, DOMAIN, { dkim: 'FAILED' });
    const io = givenIo();
    // WHEN
    const code = await verify(io, {}, givenResolver({ value: false }));
    // THEN
    expect(code).toBe(1);
    const err = io.stderr.join('\n');
    expect(err).toContain('SES could not verify Domain, DKIM of example.com');
    expect(err).toMatch(
      /Fix these records at your DNS host:\n\s+CNAME \S+\._domainkey\.example\.com → \S+\.dkim\.amazonses\.com \(found nothing\)/,
    );
  });

  it('explains how to leave the SES sandbox, and prints one JSON document with --json', async () => {
    installed.fake.ses.setStatus(REGION, DOMAIN, { dkim: 'SUCCESS', mailFrom: 'SUCCESS' });
    const io = givenIo();
    // WHEN
    const code = await runVerifyDns({ env: 'dev', json: true }, {}, io, { resolver: givenResolver({ value: true }) });
    // THEN
    expect(code).toBe(0);
    const err = io.stderr.join('\n');
    expect(err).toContain(
      'SES in us-east-1 is in the sandbox: it sends only to verified addresses, at most 200 emails per 24 hours, 1 per second.',
    );
    expect(err).toContain('Request production access: run `hm-infra request-production-access --env dev`');
    const doc = JSON.parse(io.stdout.join('\n'));
    expect(doc).toMatchObject({
      kind: 'verify-dns',
      outcome: 'verified',
      account: { productionAccess: false, max24HourSend: 200 },
    });
    expect(doc.records).toHaveLength(6);
  });

  it('rejects a bad --timeout before any AWS call', async () => {
    const calls = installed.fake.calls.length;
    // WHEN
    const error = await verify(givenIo(), { timeout: 'soon' }, givenResolver({ value: true })).catch((e: unknown) => e);
    // THEN
    expect(error).toMatchObject({ code: 'INVALID_INPUT', exitCode: 2 });
    expect((error as Error).message).toContain('--timeout "soon" is not valid');
    expect(installed.fake.calls.length).toBe(calls);
  });

  it('says to run init first in an environment that has no state', async () => {
    // WHEN
    const error = await runVerifyDns({ env: 'prod' }, {}, givenIo(), {
      resolver: givenResolver({ value: true }),
    }).catch((e: unknown) => e);
    // THEN
    expect(error).toMatchObject({ exitCode: 2 });
    expect((error as { hint: string }).hint).toContain('hm-infra init --env prod');
  });
});
