/**
 * A Cloudflare-hosted domain set up end to end: the built CLI against moto (through the
 * harness) with `--dns cloudflare`, its records written through Cloudflare's official SDK to
 * the loopback fake of Cloudflare's v4 API, checked by verify-dns against a loopback DNS
 * server that serves the zone as Cloudflare's nameservers would, and removed by teardown.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeCloudflare, startCloudflareApi } from '../fakes/cloudflare-api.js';
import { type ServedRecord, type TestDnsServer, startTestDns } from '../support/dns-server.js';
import { type World, givenProjectDir, hmInfra, printed, readState, startWorld } from './support.js';

const app = `cf${Date.now().toString(36)}`;
const domain = `${app}.example.com`;
const INIT = ['init', '--yes', '--app', app, '--domain', domain, '--no-cdn', '--dns', 'cloudflare'];

let world: World;
let cf: FakeCloudflare;
let dns: TestDnsServer;
let dir: string;
const cli = (...args: string[]) =>
  hmInfra(world, dir, args, { env: { CLOUDFLARE_API_TOKEN: cf.token, CLOUDFLARE_BASE_URL: cf.url } });

/** The zone as Cloudflare's nameservers serve it: what the API holds, TXT content unquoted, and the delegation. */
function served(): ServedRecord[] {
  return [
    { name: domain, type: 'NS', value: 'ada.ns.cloudflare.com' },
    { name: 'ada.ns.cloudflare.com', type: 'A', value: '127.0.0.1' },
    ...cf.records(domain).map((r): ServedRecord => {
      const type = r.type as ServedRecord['type'];
      if (r.type === 'MX') return { name: r.name, type, value: `${r.priority ?? 0} ${r.content}`, ttl: r.ttl };
      if (r.type === 'TXT') return { name: r.name, type, value: r.content.replace(/^"|"$/g, ''), ttl: r.ttl };
      return { name: r.name, type, value: r.content, ttl: r.ttl };
    }),
  ];
}

describe('--dns cloudflare, end to end', () => {
  beforeAll(async () => {
    world = await startWorld();
    cf = await startCloudflareApi();
    cf.addZone(domain, { nameServers: ['ada.ns.cloudflare.com', 'bob.ns.cloudflare.com'] });
    cf.addRecord(domain, { name: `mail.${domain}`, type: 'TXT', content: '"google-site-verification=keep-me"' });
    dns = await startTestDns([], { zone: domain, authoritative: true });
    dir = await givenProjectDir();
  }, 120_000);
  afterAll(async () => {
    await dns?.close();
    await cf?.close();
    await world?.stop();
  });

  it('init writes the six records through the API, the proxy off, and keeps the token out of output and state', async () => {
    const run = await cli(...INIT);
    expect(run.code, printed(run)).toBe(0);
    const ours = cf.records(domain).filter((r) => r.comment?.startsWith('hm-infra'));
    expect(ours).toHaveLength(6);
    expect(ours.filter((r) => r.type === 'CNAME').every((r) => !r.proxied)).toBe(true);
    expect(run.stdout).toContain(`6 records in Cloudflare zone ${domain} (proxy off, DNS only)`);
    const state = await readState(dir);
    expect(state.resources['dns-records']?.outputs).toMatchObject({ mode: 'cloudflare' });
    expect(JSON.stringify(state) + run.stdout + run.stderr).not.toContain(cf.token);
  });

  it('a second init makes no write, at Cloudflare or at AWS', async () => {
    const cfWrites = cf.writes().length;
    world.harness.reset();
    const again = await cli(...INIT);
    expect(again.code, printed(again)).toBe(0);
    expect(cf.writes().length).toBe(cfWrites);
    expect(world.harness.writes()).toEqual([]);
  });

  it("verify-dns finds every record at the zone's Cloudflare nameservers", async () => {
    dns.records = served();
    const run = await cli('verify-dns', '--once', '--json', '--resolver', dns.address, '--nameserver', dns.address);
    expect(run.code, printed(run)).toBe(3);
    const doc = JSON.parse(run.stdout) as {
      dns: { zone: string; provider?: string };
      records: Array<{ type: string; name: string; fault: string }>;
    };
    expect(doc.dns).toMatchObject({ zone: domain, provider: 'Cloudflare' });
    expect(doc.records.map((r) => r.fault)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok']);
    expect(run.stderr).not.toContain('nobody sees that zone');
  });

  it('verify-dns names a DKIM record the user proxied since', async () => {
    const dkim = cf.records(domain).find((r) => r.type === 'CNAME');
    dns.records = [
      ...served().filter((r) => r.name !== dkim?.name),
      { name: dkim?.name ?? '', type: 'A', value: '104.16.0.1' },
    ];
    const run = await cli('verify-dns', '--once', '--resolver', dns.address, '--nameserver', dns.address);
    expect(run.code, printed(run)).toBe(3);
    expect(run.stderr).toContain(`${dkim?.name ?? ''}  proxied: answered with addresses (104.16.0.1)`);
    expect(run.stderr).toContain(
      '.dkim.amazonses.com: Proxy status → DNS only (click the orange cloud until it turns grey).',
    );
  });

  it("teardown removes exactly its six records and leaves the user's", async () => {
    const down = await cli('teardown', '--yes', '--force');
    expect(down.code, printed(down)).toBe(0);
    expect(cf.records(domain).map((r) => `${r.type} ${r.name} ${r.content}`)).toEqual([
      `TXT mail.${domain} "google-site-verification=keep-me"`,
    ]);
  });
});
