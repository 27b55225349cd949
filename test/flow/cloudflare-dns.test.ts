import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeAccount } from '../fakes/account.js';
import { type FakeCloudflare, startCloudflareApi } from '../fakes/cloudflare-api.js';
import { type InstalledFake, installFakeAccount } from '../fakes/install.js';
import { runCli } from '../support/cli.js';

const DOMAIN = 'example.com';
const INIT = ['init', '--yes', '--app', 'healthmetrics', '--domain', DOMAIN, '--no-cdn', '--dns', 'cloudflare'];

let cwd: string;
let installed: InstalledFake;
let cf: FakeCloudflare;

beforeAll(async () => {
  cf = await startCloudflareApi();
});
afterAll(async () => {
  await cf.close();
});

const env = () => ({ CLOUDFLARE_API_TOKEN: cf.token, CLOUDFLARE_BASE_URL: cf.url });
const cli = (args: string[], extraEnv: Record<string, string> = env()) => runCli(args, { cwd, env: extraEnv });
const stateText = () => readFile(join(cwd, '.hm-infra', 'dev.json'), 'utf8');

describe("--dns cloudflare: the SES records written through Cloudflare's API", () => {
  beforeEach(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'hm-cloudflare-'));
    installed = installFakeAccount(new FakeAccount());
    cf.reset();
    cf.addZone(DOMAIN, { nameServers: ['ada.ns.cloudflare.com', 'bob.ns.cloudflare.com'] });
  });
  afterEach(() => installed.restore());

  it('creates the six records with the proxy off, and a re-run writes nothing', async () => {
    // WHEN
    const run = await cli(INIT);
    // THEN
    expect(run.code, run.stderr).toBe(0);
    const records = cf.records(DOMAIN);
    expect(records.map((r) => `${r.type} ${r.name}`).sort()).toEqual(
      [
        ...(installed.fake.ses.identity('us-east-1', DOMAIN)?.tokens ?? []).map(
          (t) => `CNAME ${t}._domainkey.${DOMAIN}`,
        ),
        `MX mail.${DOMAIN}`,
        `TXT mail.${DOMAIN}`,
        `TXT _dmarc.${DOMAIN}`,
      ].sort(),
    );
    expect(records.filter((r) => r.type === 'CNAME').every((r) => r.proxied === false)).toBe(true);
    expect(records.find((r) => r.type === 'MX')).toMatchObject({
      content: 'feedback-smtp.us-east-1.amazonses.com',
      priority: 10,
    });
    expect(records.find((r) => r.name === `mail.${DOMAIN}` && r.type === 'TXT')?.content).toBe(
      '"v=spf1 include:amazonses.com ~all"',
    );
    expect(run.stdout + run.stderr).toContain(`6 records in Cloudflare zone ${DOMAIN} (proxy off, DNS only)`);
    const state = JSON.parse(await stateText());
    expect(state.resources['dns-records'].outputs).toMatchObject({
      mode: 'cloudflare',
      zoneId: cf.records(DOMAIN)[0]?.zone_id,
    });
    expect(state.resources['dns-records'].outputs.added).toHaveLength(6);
    // WHEN: the same again
    const writes = cf.writes().length;
    const again = await cli(INIT);
    // THEN
    expect(again.code, again.stderr).toBe(0);
    expect(cf.writes().length).toBe(writes);
  });

  it("adds SPF next to the user's other TXT records at the name, and teardown takes out only its own", async () => {
    cf.addRecord(DOMAIN, { name: `mail.${DOMAIN}`, type: 'TXT', content: '"google-site-verification=abc"' });
    cf.addRecord(DOMAIN, { name: 'www', type: 'CNAME', content: 'app.example.net', proxied: true });
    // WHEN
    const run = await cli(INIT);
    // THEN
    expect(run.code, run.stderr).toBe(0);
    const txt = cf.records(DOMAIN).filter((r) => r.name === `mail.${DOMAIN}` && r.type === 'TXT');
    expect(txt.map((r) => r.content).sort()).toEqual([
      '"google-site-verification=abc"',
      '"v=spf1 include:amazonses.com ~all"',
    ]);
    // WHEN
    const down = await cli(['teardown', '--yes', '--force']);
    // THEN
    expect(down.code, down.stderr).toBe(0);
    expect(
      cf
        .records(DOMAIN)
        .map((r) => `${r.type} ${r.name} ${r.content}`)
        .sort(),
    ).toEqual(['CNAME www.example.com app.example.net', 'TXT mail.example.com "google-site-verification=abc"']);
  });

  it('refuses another DMARC policy with both values, replaces it with --overwrite-dns, and puts it back on teardown', async () => {
    cf.addRecord(DOMAIN, { name: '_dmarc', type: 'TXT', content: 'v=DMARC1; p=reject' });
    // WHEN
    const refused = await cli(INIT);
    // THEN
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('_dmarc.example.com TXT has another DMARC policy');
    expect(refused.stderr).toContain('found:  v=DMARC1; p=reject');
    expect(refused.stderr).toContain('needed: v=DMARC1; p=quarantine; rua=mailto:dmarc@example.com');
    expect(
      cf
        .records(DOMAIN)
        .filter((r) => r.type === 'TXT')
        .map((r) => r.content),
    ).toEqual(['v=DMARC1; p=reject']);
    // WHEN
    const replaced = await cli([...INIT, '--overwrite-dns']);
    // THEN
    expect(replaced.code, replaced.stderr).toBe(0);
    const dmarc = () =>
      cf
        .records(DOMAIN)
        .filter((r) => r.name === `_dmarc.${DOMAIN}`)
        .map((r) => r.content);
    expect(dmarc()).toEqual(['"v=DMARC1; p=quarantine; rua=mailto:dmarc@example.com"']);
    // WHEN
    const down = await cli(['teardown', '--yes', '--force']);
    // THEN
    expect(down.code, down.stderr).toBe(0);
    expect(cf.records(DOMAIN).map((r) => r.content)).toEqual(['"v=DMARC1; p=reject"']);
  });

  it('turns the proxy off on a DKIM CNAME that is there but proxied', async () => {
    expect((await cli(INIT)).code).toBe(0);
    const dkim = cf.records(DOMAIN).find((r) => r.type === 'CNAME');
    if (!dkim) throw new Error('no DKIM record');
    // The user turns the proxy on in the dashboard.
    const turnedOn = await fetch(`${cf.url}/zones/${dkim.zone_id}/dns_records/${dkim.id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${cf.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ proxied: true }),
    });
    expect(turnedOn.status).toBe(200);
    const before = cf.writes().length;
    // WHEN
    const plan = await cli(['plan', '--app', 'healthmetrics', '--domain', DOMAIN, '--no-cdn', '--dns', 'cloudflare']);
    const run = await cli(INIT);
    // THEN
    expect(plan.stdout + plan.stderr).toMatch(/CNAME \S+\._domainkey\.example\.com.*proxied.*DNS only/);
    expect(run.code, run.stderr).toBe(0);
    expect(
      cf
        .records(DOMAIN)
        .filter((r) => r.type === 'CNAME')
        .every((r) => !r.proxied),
    ).toBe(true);
    expect(
      cf
        .writes()
        .slice(before)
        .map((w) => w.method),
    ).toEqual(['PATCH']);
  });

  it('teardown after the Cloudflare zone itself was deleted: the records went with it', async () => {
    expect((await cli(INIT)).code).toBe(0);
    cf.reset();
    // WHEN
    const down = await cli(['teardown', '--yes', '--force']);
    // THEN
    expect(down.code, down.stderr).toBe(0);
    expect(cf.writes()).toEqual([]);
  });

  it('refuses to start without CLOUDFLARE_API_TOKEN, before any AWS call', async () => {
    const calls = installed.fake.calls.length;
    // WHEN
    const run = await cli(INIT, { CLOUDFLARE_API_TOKEN: '' });
    // THEN
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('CLOUDFLARE_API_TOKEN is not set');
    expect(installed.fake.calls.length).toBe(calls);
    expect(cf.requests).toHaveLength(0);
  });

  it('names a refused token without showing it, and keeps it out of the state file', async () => {
    const wrong = 'Zx'.repeat(20);
    // WHEN
    const run = await cli(INIT, { CLOUDFLARE_API_TOKEN: wrong, CLOUDFLARE_BASE_URL: cf.url });
    // THEN
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('CLOUDFLARE_API_TOKEN is not a valid API token');
    expect(run.stdout + run.stderr).not.toContain(wrong);
    expect(await stateText()).not.toContain(wrong);
    // And after a good run, the good token is nowhere either.
    const good = await cli(INIT);
    expect(good.code, good.stderr).toBe(0);
    expect(good.stdout + good.stderr + (await stateText())).not.toContain(cf.token);
  });

  it('says so when the token cannot see a zone holding the domain', async () => {
    cf.restrictToken({ zones: [] });
    // WHEN
    const run = await cli(INIT);
    // THEN
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no Cloudflare zone holds example.com, as far as the API token can see');
  });
});
