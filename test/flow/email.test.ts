import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import zonefile from 'dns-zonefile';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeAccount } from '../fakes/account.js';
import { type InstalledFake, installFakeAccount } from '../fakes/install.js';
import { runCli } from '../support/cli.js';

const INIT = ['init', '--yes', '--app', 'healthmetrics', '--domain', 'example.com', '--no-cdn'];
const REGION = 'us-east-1';

let cwd: string;
let installed: InstalledFake;

function givenAccount(options: { zone?: boolean } = {}): FakeAccount {
  installed?.restore();
  installed = installFakeAccount(new FakeAccount());
  if (options.zone) installed.fake.route53.addZone('example.com');
  return installed.fake;
}

const zoneOf = (fake: FakeAccount) => [...fake.route53.zones.values()][0] ?? { sets: [] };
const init = (extra: string[] = []) => runCli([...INIT, ...extra], { cwd });
const stateFile = async () => JSON.parse(await readFile(join(cwd, '.hm-infra', 'dev.json'), 'utf8'));

describe('email on a fake account', () => {
  beforeEach(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'hm-email-'));
  });
  afterEach(() => installed.restore());

  it('creates identity, MAIL FROM, configuration set, templates and the six records in the Route 53 zone', async () => {
    const fake = givenAccount({ zone: true });
    // WHEN
    const run = await init();
    // THEN
    expect(run.code, run.stderr).toBe(0);
    const identity = fake.ses.identity(REGION, 'example.com');
    expect(identity).toMatchObject({
      nextKeyLength: 'RSA_2048_BIT',
      configurationSetName: 'healthmetrics-dev',
      mailFrom: { domain: 'mail.example.com', behavior: 'USE_DEFAULT_VALUE' },
    });
    expect(fake.ses.region(REGION).configSets.get('healthmetrics-dev')).toMatchObject({
      tlsPolicy: 'REQUIRE',
      reputationMetrics: true,
    });
    expect([...fake.ses.region(REGION).templates.keys()].sort()).toEqual(['email-verification', 'password-reset']);
    const sets = zoneOf(fake).sets.filter((s) => s.Type !== 'NS' && s.Type !== 'SOA');
    expect(sets.map((s) => `${s.Type} ${s.Name} ${s.ResourceRecords?.map((r) => r.Value).join(',')}`).sort()).toEqual(
      [
        ...(identity?.tokens ?? []).map((t) => `CNAME ${t}._domainkey.example.com. ${t}.dkim.amazonses.com`),
        'MX mail.example.com. 10 feedback-smtp.us-east-1.amazonses.com',
        'TXT mail.example.com. "v=spf1 include:amazonses.com ~all"',
        'TXT _dmarc.example.com. "v=DMARC1; p=quarantine; rua=mailto:dmarc@example.com"',
      ].sort(),
    );
    const state = await stateFile();
    expect(state.resources['dns-records']).toMatchObject({
      owned: true,
      outputs: { mode: 'route53', changeStatus: 'INSYNC' },
    });
    expect(state.resources['dns-records'].outputs.added).toHaveLength(6);
    expect(state.resources['email-identity'].outputs.dkim.tokens).toEqual(identity?.tokens);
    expect(run.stdout).toMatch(/DNS\s+6 records in Route 53 zone Z0FAKE/);
    expect(run.stdout).toContain('hm-infra verify-dns');
  });

  it('changes nothing on a second run', async () => {
    const fake = givenAccount({ zone: true });
    await init();
    const writes = fake.writes.length;
    // WHEN
    const second = await init(['--json']);
    // THEN
    expect(second.code, second.stderr).toBe(0);
    expect(fake.writes.slice(writes).map((c) => c.command)).toEqual([]);
    expect(JSON.parse(second.stdout).summary).toEqual({ create: 0, update: 0, unchanged: 25 });
  });

  it('merges SPF into the TXT record a user already has, and keeps it there on re-runs', async () => {
    const fake = givenAccount();
    fake.route53.addZone('example.com', {
      sets: [
        {
          Name: 'mail.example.com',
          Type: 'TXT',
          TTL: 300,
          ResourceRecords: [{ Value: '"google-site-verification=abc123"' }],
        },
      ],
    });
    // WHEN
    const first = await init();
    const second = await init();
    // THEN
    expect(first.code, first.stderr).toBe(0);
    expect(second.code, second.stderr).toBe(0);
    const txt = fake.route53.find(zoneOf(fake) as never, 'mail.example.com', 'TXT');
    expect(txt?.ResourceRecords).toEqual([
      { Value: '"google-site-verification=abc123"' },
      { Value: '"v=spf1 include:amazonses.com ~all"' },
    ]);
    expect(txt?.TTL).toBe(300);
  });

  it('stops with exit 2 on another DMARC policy, changing no DNS record, and replaces it with --overwrite-dns', async () => {
    const fake = givenAccount();
    fake.route53.addZone('example.com', {
      sets: [
        { Name: '_dmarc.example.com', Type: 'TXT', TTL: 600, ResourceRecords: [{ Value: '"v=DMARC1; p=reject"' }] },
      ],
    });
    // WHEN
    const refused = await init();
    // THEN
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('another DMARC policy');
    expect(refused.stderr).toContain('found:  v=DMARC1; p=reject');
    expect(fake.writes.filter((c) => c.service === 'route53')).toEqual([]);
    // WHEN
    const forced = await init(['--overwrite-dns']);
    // THEN
    expect(forced.code, forced.stderr).toBe(0);
    expect(fake.route53.find(zoneOf(fake) as never, '_dmarc.example.com', 'TXT')?.ResourceRecords).toEqual([
      { Value: '"v=DMARC1; p=quarantine; rua=mailto:dmarc@example.com"' },
    ]);
    expect((await stateFile()).resources['dns-records'].outputs.replaced).toEqual([
      { name: '_dmarc.example.com', type: 'TXT', values: ['"v=DMARC1; p=reject"'] },
    ]);
  });

  it('prints the records as a table and a zone-file snippet when no Route 53 zone matches, and puts them in --json', async () => {
    const fake = givenAccount();
    // WHEN
    const run = await init();
    const json = await init(['--json']);
    // THEN
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(
      'add these records at your DNS host (no public Route 53 hosted zone named example.com)',
    );
    expect(run.stdout).toMatch(/ {2}MX\s+mail\s+10 feedback-smtp\.us-east-1\.amazonses\.com\s+600/);
    const snippet = run.stdout.slice(run.stdout.indexOf('; Email (SES) records'));
    const parsed = zonefile.parse(
      snippet
        .split('\n')
        .filter((l) => l.startsWith(';') || l.includes(' IN '))
        .join('\n'),
    );
    expect((parsed.cname ?? []).length + (parsed.mx ?? []).length + (parsed.txt ?? []).length).toBe(6);
    expect(fake.writes.filter((c) => c.service === 'route53')).toEqual([]);
    const doc = JSON.parse(json.stdout);
    expect(doc.dns).toMatchObject({ mode: 'external' });
    expect(doc.dns.records).toHaveLength(6);
    expect(doc.dns.zoneFile).toContain('IN  CNAME');
  });

  it('refuses a second environment on the same domain, leaving identity and templates of the first as they are', async () => {
    const fake = givenAccount();
    await init(['--product-name', 'HealthMetrics']);
    const before = fake.ses.snapshot();
    // WHEN
    const prod = await init(['--env', 'prod']);
    // THEN
    expect(prod.code).toBe(2);
    expect(prod.stderr).toContain('belongs to app "healthmetrics", environment "dev"');
    expect(prod.stderr).toContain('--domain <sub-domain> (for example prod.example.com)');
    const after = fake.ses.snapshot() as Array<{ configSets: unknown[] }>;
    expect({ ...after[0], configSets: [] }).toEqual({
      ...(before as Array<{ configSets: unknown[] }>)[0],
      configSets: [],
    });
  });

  it('converges to the same zone when any Route 53 call fails before or after it takes effect', async () => {
    const reference = givenAccount({ zone: true });
    expect((await init()).code).toBe(0);
    const clean = { zone: zoneOf(reference).sets };
    const dnsCalls = reference.calls.filter((c) => c.service === 'route53').map((c) => c.n);
    expect(dnsCalls.length).toBeGreaterThanOrEqual(8);
    for (const when of ['before', 'after'] as const) {
      for (const k of dnsCalls) {
        cwd = await mkdtemp(join(tmpdir(), 'hm-email-crash-'));
        const fake = givenAccount({ zone: true });
        fake.failCall(k, { when });
        // WHEN
        const first = await init();
        const second = await init();
        // THEN
        // A failed GetChange is retried by the INSYNC waiter: the run then succeeds at once.
        const failed = fake.calls[k - 1]?.command;
        expect(first.code, `${when} k=${k} ${failed}`).toBe(failed === 'GetChange' ? 0 : 1);
        expect(second.code, `${when} k=${k}: ${second.stderr}`).toBe(0);
        expect(zoneOf(fake).sets, `${when} k=${k}`).toEqual(clean.zone);
        expect((await stateFile()).resources['dns-records'].outputs.added, `${when} k=${k}`).toHaveLength(6);
      }
    }
  }, 60_000);
});
