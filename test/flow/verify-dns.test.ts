import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Io } from '../../src/commands/io.js';
import type { Clock } from '../../src/clock.js';
import { givenVirtualClock } from '../support/clock.js';
import { runVerifyDns } from '../../src/commands/verify-dns.js';
import { emailDnsRecords } from '../../src/resources/dns/values.js';
import { type ServedRecord, type TestDnsServer, startTestDns } from '../support/dns-server.js';
import { givenConfig } from '../support/context.js';
import { FakeAccount } from '../fakes/account.js';
import { type InstalledFake, installFakeAccount } from '../fakes/install.js';
import { runCli } from '../support/cli.js';

let cwd: string;
let installed: InstalledFake;
const servers: TestDnsServer[] = [];
const REGION = 'us-east-1';
const DOMAIN = 'example.com';

/** The records the account's identity needs, as DNS serves them. */
function publishedRecords(): ServedRecord[] {
  const identity = installed.fake.ses.identity(REGION, DOMAIN);
  return emailDnsRecords(givenConfig(), {
    tokens: identity?.tokens ?? [],
    signingHostedZone: 'dkim.amazonses.com',
  }).map((r) => ({ name: r.name, type: r.type, value: r.value, ttl: r.ttl }));
}

const DELEGATION: ServedRecord[] = [
  { name: DOMAIN, type: 'NS', value: `ns1.${DOMAIN}` },
  { name: `ns1.${DOMAIN}`, type: 'A', value: '127.0.0.1' },
];

/** The zone's nameserver and a resolver on loopback, both answering with the records once `publish()` is called. */
async function givenDns(published = false) {
  const nameserver = await startTestDns(DELEGATION, { zone: DOMAIN, authoritative: true });
  const resolver = await startTestDns(DELEGATION, { zone: DOMAIN, negativeTtl: 60 });
  servers.push(nameserver, resolver);
  const publish = () => {
    nameserver.records = [...DELEGATION, ...publishedRecords()];
    resolver.records = nameserver.records;
  };
  if (published) publish();
  return { nameserver, resolver, publish, flags: { resolver: resolver.address } };
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

type Dns = Awaited<ReturnType<typeof givenDns>>;

const verify = (io: Io, flags: Record<string, unknown>, dns: Dns, clock: Clock = givenVirtualClock()) =>
  runVerifyDns({ env: 'dev' }, { ...dns.flags, ...flags }, io, { nameserverPort: dns.nameserver.port, clock });

describe('verify-dns', () => {
  beforeEach(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'hm-verify-'));
    installed = installFakeAccount(new FakeAccount());
    const run = await runCli(['init', '--yes', '--app', 'healthmetrics', '--domain', DOMAIN, '--dns', 'external'], {
      cwd,
    });
    expect(run.code, run.stderr).toBe(0);
  });
  afterEach(async () => {
    installed.restore();
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  it('polls until SES reports domain, DKIM and MAIL FROM verified, then exits 0 and records it', async () => {
    const io = givenIo();
    const dns = await givenDns();
    // SES and DNS catch up while the first check is pending.
    const clock = givenVirtualClock(() => {
      dns.publish();
      installed.fake.ses.setStatus(REGION, DOMAIN, { dkim: 'SUCCESS', mailFrom: 'SUCCESS' });
    });
    // WHEN
    const code = await verify(io, {}, dns, clock);
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
    const dns = await givenDns();
    const code = await verify(io, { once: true }, dns);
    // THEN
    expect(code).toBe(3);
    const err = io.stderr.join('\n');
    expect(err).toContain("DNS at example.com's nameservers (ns1.example.com) and your resolver");
    expect(err).toMatch(
      /MX\s+mail\.example\.com\s+missing: not found\n\s+fix: Add MX mail → 10 feedback-smtp\.us-east-1\.amazonses\.com at your DNS host\./,
    );
    // The nameserver was asked directly, without recursion, on the address its NS record names.
    expect(dns.nameserver.questions).toContain('MX mail.example.com');
    expect(dns.resolver.questions).toEqual(expect.arrayContaining(['NS example.com', 'A ns1.example.com']));
    expect(err).toContain('is pending: 6 records need fixing first (see above).');
  });

  it("names the DNS host from its nameservers and says each fault in that host's words", async () => {
    const cloudflare: ServedRecord[] = [
      { name: DOMAIN, type: 'NS', value: 'ada.ns.cloudflare.com' },
      { name: 'ada.ns.cloudflare.com', type: 'A', value: '127.0.0.1' },
    ];
    const [dkim, ...rest] = publishedRecords();
    const zone = [
      ...cloudflare,
      { name: dkim?.name ?? '', type: 'A' as const, value: '104.16.0.1' },
      ...rest.slice(0, 2),
    ];
    const nameserver = await startTestDns(zone, { zone: DOMAIN, authoritative: true });
    const resolver = await startTestDns(zone, { zone: DOMAIN });
    servers.push(nameserver, resolver);
    const io = givenIo();
    // WHEN
    const code = await runVerifyDns({ env: 'dev' }, { once: true, resolver: resolver.address }, io, {
      nameserverPort: nameserver.port,
    });
    // THEN
    expect(code).toBe(3);
    const err = io.stderr.join('\n');
    expect(err).toContain("DNS at example.com's nameservers (ada.ns.cloudflare.com, Cloudflare) and your resolver");
    expect(err).toMatch(/CNAME\s+\S+\._domainkey\.example\.com\s+proxied: answered with addresses \(104\.16\.0\.1\)/);
    expect(err).toContain('Turn the proxy off for this record, so that it answers as a CNAME to ');
    expect(err).toContain('.dkim.amazonses.com: Proxy status → DNS only (click the orange cloud until it turns grey).');
    expect(err).toMatch(/TXT\s+_dmarc\.example\.com\s+missing: not found\n\s+fix: Add TXT _dmarc → v=DMARC1/);
    expect(err).toContain('DNS records to add at Cloudflare');
  });

  it('says when the records went to a Route 53 zone the domain is not delegated to', async () => {
    installed.fake.route53.addZone(DOMAIN);
    const rerun = await runCli(['init', '--yes', '--app', 'healthmetrics', '--domain', DOMAIN, '--dns', 'route53'], {
      cwd,
    });
    expect(rerun.code, rerun.stderr).toBe(0);
    const godaddy: ServedRecord[] = [
      { name: DOMAIN, type: 'NS', value: 'ns51.domaincontrol.com' },
      { name: 'ns51.domaincontrol.com', type: 'A', value: '127.0.0.1' },
    ];
    const nameserver = await startTestDns(godaddy, { zone: DOMAIN, authoritative: true });
    const resolver = await startTestDns(godaddy, { zone: DOMAIN });
    servers.push(nameserver, resolver);
    const io = givenIo();
    // WHEN
    const code = await runVerifyDns({ env: 'dev' }, { once: true, resolver: resolver.address }, io, {
      nameserverPort: nameserver.port,
    });
    // THEN
    expect(code).toBe(3);
    expect(io.stderr.join('\n')).toMatch(
      /The records are in Route 53 zone \S+, but example\.com's nameservers are GoDaddy's \(ns51\.domaincontrol\.com\): nobody sees that zone\./,
    );
  });

  it('gives up at the timeout with exit 3, backing off between checks', async () => {
    const io = givenIo();
    const before = installed.fake.calls.length;
    const clock = givenVirtualClock();
    // WHEN
    const code = await verify(io, { timeout: '2', interval: '10' }, await givenDns(true), clock);
    // THEN
    expect(code).toBe(3);
    expect(clock.sleeps).toEqual([10_000, 15_000, 22_500, 33_750, 38_750]);
    expect(io.stderr.join('\n')).toMatch(
      /still, after [23] min, pending: every record is in place; SES has yet to look again/,
    );
    const gets = installed.fake.calls.slice(before).filter((c) => c.command === 'GetEmailIdentity').length;
    // Checks at 0, 10, 25, 47.5, 81.25 s and at the deadline: 6, not the 13 a fixed 10 s interval would make.
    expect(gets).toBe(6);
  });

  it('exits 1 when SES reports FAILED, naming the records to fix', async () => {
    installed.fake.ses.setStatus(REGION, DOMAIN, { dkim: 'FAILED' });
    const io = givenIo();
    // WHEN
    const code = await verify(io, {}, await givenDns());
    // THEN
    expect(code).toBe(1);
    const err = io.stderr.join('\n');
    expect(err).toContain('SES could not verify Domain, DKIM of example.com');
    expect(err).toMatch(
      /Fix these records at your DNS host:\n\s+CNAME \S+\._domainkey\.example\.com: missing\. Add CNAME \S+\._domainkey → \S+\.dkim\.amazonses\.com at your DNS host\./,
    );
    expect(err).toContain(
      'restart: aws sesv2 put-email-identity-dkim-signing-attributes --region us-east-1 --email-identity example.com --signing-attributes-origin AWS_SES',
    );
  });

  it('explains how to leave the SES sandbox, and prints one JSON document with --json', async () => {
    installed.fake.ses.setStatus(REGION, DOMAIN, { dkim: 'SUCCESS', mailFrom: 'SUCCESS' });
    const io = givenIo();
    // WHEN
    const dns = await givenDns(true);
    const code = await runVerifyDns({ env: 'dev', json: true }, dns.flags, io, { nameserverPort: dns.nameserver.port });
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
    expect(doc.records.map((r: { fault: string }) => r.fault)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok']);
    expect(doc.dns).toMatchObject({ zone: 'example.com', nameservers: ['ns1.example.com'] });
  });

  it('rejects a bad --timeout before any AWS call', async () => {
    const calls = installed.fake.calls.length;
    // WHEN
    const error = await verify(givenIo(), { timeout: 'soon', nameserver: 'ns1' }, await givenDns(true)).catch(
      (e: unknown) => e,
    );
    // THEN
    expect(error).toMatchObject({ code: 'INVALID_INPUT', exitCode: 2 });
    expect((error as Error).message).toContain('--timeout "soon" is not valid');
    expect((error as Error).message).toContain('--nameserver "ns1" is not valid');
    expect(installed.fake.calls.length).toBe(calls);
  });

  it('says to run init first in an environment that has no state', async () => {
    // WHEN
    const error = await runVerifyDns({ env: 'prod' }, {}, givenIo()).catch((e: unknown) => e);
    // THEN
    expect(error).toMatchObject({ exitCode: 2 });
    expect((error as { hint: string }).hint).toContain('hm-infra init --env prod');
  });
});
