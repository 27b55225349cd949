import dns from 'node:dns';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeAccount } from '../fakes/account.js';
import { type InstalledFake, installFakeAccount } from '../fakes/install.js';
import { runCli } from '../support/cli.js';
import { type TestDnsServer, startTestDns } from '../support/dns-server.js';

const INIT = ['init', '--yes', '--app', 'healthmetrics', '--domain', 'example.com', '--no-cdn', '--dns', 'external'];

let cwd: string;
let installed: InstalledFake;
let resolver: TestDnsServer;
let systemServers: string[];

describe("init's summary with the records to add at the user's DNS host", () => {
  beforeEach(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'hm-dns-host-'));
    installed = installFakeAccount(new FakeAccount());
    // This machine's resolver, as node:dns reads it, is a DNS server on loopback.
    systemServers = dns.getServers();
    resolver = await startTestDns([{ name: 'example.com', type: 'NS', value: 'ns51.domaincontrol.com' }], {
      zone: 'example.com',
    });
    dns.setServers([resolver.address]);
  });
  afterEach(async () => {
    installed.restore();
    dns.setServers(systemServers);
    await resolver.close();
  });

  it("tells the DNS host from the domain's nameservers and prints the records as its form wants them", async () => {
    // WHEN
    const run = await runCli(INIT, { cwd });
    // THEN
    expect(run.code, run.stderr).toBe(0);
    expect(resolver.questions).toContain('NS example.com');
    expect(run.stdout).toContain('DNS records to add at GoDaddy');
    expect(run.stdout).toMatch(/TXT\s+_dmarc\s+v=DMARC1; p=quarantine/);
    expect(run.stdout).toContain('The Name field adds .example.com itself');
    // The zone-file form stays for any other tool.
    expect(run.stdout).toContain('As a zone-file snippet (BIND):');
  });

  it('falls back on the plain table when the nameservers cannot be found', async () => {
    resolver.records = [];
    // WHEN
    const run = await runCli(INIT, { cwd });
    // THEN
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).not.toContain('DNS records to add at');
    expect(run.stdout).toMatch(/Type\s+Host \(in example\.com\)\s+Value\s+TTL/);
  });
});
