/**
 * The Cloudflare fake against the real `cloudflare` SDK (v7), over loopback: what the SDK sends is
 * what the fake reads, and what the fake answers is what the SDK parses, pages through and throws.
 */
import Cloudflare, { type APIError } from 'cloudflare';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type FakeCloudflare, startCloudflareApi } from './cloudflare-api.js';

let fake: FakeCloudflare;
let zoneId: string;

const client = (apiToken = fake.token, extra: { maxRetries?: number } = {}) =>
  new Cloudflare({ apiToken, baseURL: fake.url, apiKey: null, apiEmail: null, ...extra });

/** The error a call throws, for its class and Cloudflare's codes. */
async function refusal(call: () => Promise<unknown>): Promise<APIError> {
  try {
    await call();
  } catch (error) {
    if (error instanceof Cloudflare.APIError) return error;
    throw error;
  }
  throw new Error('expected the call to be refused');
}
const codes = (error: APIError) => error.errors.map((e) => e.code);

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

beforeAll(async () => {
  fake = await startCloudflareApi();
});
afterAll(async () => {
  await fake.close();
});
afterEach(() => {
  fake.reset();
});

function givenZone() {
  zoneId = fake.addZone('example.com');
  return zoneId;
}

describe('zones', () => {
  it('finds a zone by its exact name, with the envelope and result_info the SDK reads', async () => {
    const id = givenZone();
    fake.addZone('notexample.com');
    fake.addZone('other.org', { status: 'pending' });

    const page = await client().zones.list({ name: 'example.com' });
    expect(page.result.map((z) => z.name)).toEqual(['example.com']);
    expect(page.result[0]).toMatchObject({ id, status: 'active', name_servers: expect.any(Array) });
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(page.result_info).toEqual({ page: 1, per_page: 20, count: 1, total_count: 1, total_pages: 1 });
    expect(fake.requests[0]).toMatchObject({ method: 'GET', path: '/zones', query: { name: 'example.com' } });

    const pending = await all(client().zones.list({ status: 'pending' }));
    expect(pending.map((z) => z.name)).toEqual(['other.org']);
    const zone = await client().zones.get({ zone_id: id });
    expect(zone.name).toBe('example.com');
  });

  it('is reached through CLOUDFLARE_BASE_URL as well as baseURL', async () => {
    givenZone();
    vi.stubEnv('CLOUDFLARE_BASE_URL', fake.url);
    try {
      const cf = new Cloudflare({ apiToken: fake.token, apiKey: null, apiEmail: null });
      expect((await cf.zones.list({ name: 'example.com' })).result).toHaveLength(1);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('pages zones 20 at a time by default and never more than 50', async () => {
    for (let i = 0; i < 60; i += 1) fake.addZone(`zone${i}.test`);
    const first = await client().zones.list();
    expect(first.result).toHaveLength(20);
    expect(first.result_info).toMatchObject({ per_page: 20, total_count: 60, total_pages: 3 });
    const capped = await client().zones.list({ per_page: 100 });
    expect(capped.result_info).toMatchObject({ per_page: 50, count: 50 });
    expect(await all(client().zones.list())).toHaveLength(60);
  });
});

describe('dns records: list', () => {
  it('pages a name with more records than a page, and the SDK stops at the first empty page', async () => {
    givenZone();
    for (let i = 0; i < 250; i += 1)
      fake.addRecord('example.com', { name: 'lots', type: 'TXT', content: `"value-${i}"` });
    fake.addRecord('example.com', { name: 'other', type: 'TXT', content: '"not this one"' });
    fake.addRecord('example.com', { name: 'lots', type: 'A', content: '192.0.2.1' });

    const found = await all(
      client().dns.records.list({ zone_id: zoneId, name: { exact: 'lots.example.com' }, type: 'TXT' }),
    );
    expect(found).toHaveLength(250);
    expect(new Set(found.map((r) => r.content)).size).toBe(250);
    // per_page 100 by default: pages 1..3, then page 4 answers [] and the SDK stops.
    const pages = fake.requests.map((r) => [r.query['page'] ?? '1', r.query['per_page'] ?? '-']);
    expect(pages).toEqual([
      ['1', '-'],
      ['2', '-'],
      ['3', '-'],
      ['4', '-'],
    ]);
    expect(fake.requests[0]?.query).toEqual({ 'name.exact': 'lots.example.com', type: 'TXT' });

    const small = await client().dns.records.list({ zone_id: zoneId, type: 'TXT', per_page: 40 });
    expect(small.result_info).toEqual({ page: 1, per_page: 40, count: 40, total_count: 251, total_pages: 7 });
  });

  it('filters by name, content, type and match as the SDK serializes them, case-insensitively', async () => {
    givenZone();
    fake.addRecord('example.com', { name: '_dmarc', type: 'TXT', content: '"v=DMARC1; p=none"' });
    fake.addRecord('example.com', { name: 'mail', type: 'TXT', content: '"v=spf1 include:amazonses.com ~all"' });
    fake.addRecord('example.com', {
      name: 'mail',
      type: 'MX',
      content: 'feedback-smtp.eu-west-1.amazonses.com',
      priority: 10,
    });
    const list = async (params: Omit<Cloudflare.DNS.RecordListParams, 'zone_id'>) =>
      (await all(client().dns.records.list({ zone_id: zoneId, ...params }))).map((r) => `${r.type} ${r.name}`);

    expect(await list({ name: { exact: 'MAIL.example.com' } })).toEqual([
      'TXT mail.example.com',
      'MX mail.example.com',
    ]);
    expect(await list({ name: { startswith: '_dmarc.' } })).toEqual(['TXT _dmarc.example.com']);
    expect(await list({ content: { contains: 'AMAZONSES' }, type: 'MX' })).toEqual(['MX mail.example.com']);
    expect(await list({ content: { exact: '"v=dmarc1; p=none"' } })).toEqual(['TXT _dmarc.example.com']);
    expect(await list({ type: 'MX', name: { exact: '_dmarc.example.com' }, match: 'any' })).toHaveLength(2);
    expect(await list({ order: 'type', direction: 'desc' })).toEqual([
      'TXT _dmarc.example.com',
      'TXT mail.example.com',
      'MX mail.example.com',
    ]);
    // The older bare `name=` is an exact match too.
    const raw = await fetch(`${fake.url}/zones/${zoneId}/dns_records?name=mail.example.com&type=MX`, {
      headers: { authorization: `Bearer ${fake.token}` },
    });
    expect(((await raw.json()) as { result: unknown[] }).result).toHaveLength(1);
  });

  it('answers records without zone_id or zone_name, as Cloudflare has since 2025', async () => {
    givenZone();
    fake.addRecord('example.com', { name: 'abc._domainkey', type: 'CNAME', content: 'abc.dkim.amazonses.com' });
    const raw = await fetch(`${fake.url}/zones/${zoneId}/dns_records`, {
      headers: { authorization: `Bearer ${fake.token}` },
    });
    const body = (await raw.json()) as { success: boolean; errors: unknown[]; messages: unknown[]; result: object[] };
    expect(body).toMatchObject({ success: true, errors: [], messages: [] });
    expect(Object.keys(body)).toEqual(['result', 'success', 'errors', 'messages', 'result_info']);
    expect(body.result[0]).not.toHaveProperty('zone_id');
    expect(body.result[0]).not.toHaveProperty('zone_name');
    expect(body.result[0]).toMatchObject({
      proxiable: true,
      proxied: false,
      ttl: 1,
      settings: { flatten_cname: false },
    });
    expect(fake.records('example.com')[0]).toMatchObject({ zone_id: zoneId, zone_name: 'example.com' });
  });
});

describe('dns records: writes', () => {
  it('creates with relative names expanded, targets without their trailing dot, proxy off by default', async () => {
    givenZone();
    const cf = client();
    const dkim = await cf.dns.records.create({
      zone_id: zoneId,
      name: 'tok1._domainkey',
      type: 'CNAME',
      content: 'tok1.dkim.amazonses.com.',
      ttl: 1,
    });
    expect(dkim).toMatchObject({
      name: 'tok1._domainkey.example.com',
      content: 'tok1.dkim.amazonses.com',
      proxied: false,
    });
    const apex = await cf.dns.records.create({ zone_id: zoneId, name: '@', type: 'TXT', content: 'x', ttl: 300 });
    expect(apex.name).toBe('example.com');
    const full = await cf.dns.records.create({
      zone_id: zoneId,
      name: 'Mail.Example.com',
      type: 'MX',
      content: 'feedback-smtp.eu-west-1.amazonses.com.',
      priority: 10,
      ttl: 1,
    });
    expect(full).toMatchObject({
      name: 'mail.example.com',
      content: 'feedback-smtp.eu-west-1.amazonses.com',
      priority: 10,
    });
    // A name in another domain is taken as relative, as Cloudflare does: the zone is appended.
    const doubled = await cf.dns.records.create({
      zone_id: zoneId,
      name: 'x.other.org',
      type: 'TXT',
      content: 'y',
      ttl: 1,
    });
    expect(doubled.name).toBe('x.other.org.example.com');
    expect(fake.writes().map((w) => w.method)).toEqual(['POST', 'POST', 'POST', 'POST']);
    expect(fake.writes()[0]?.body).toEqual({
      name: 'tok1._domainkey',
      type: 'CNAME',
      content: 'tok1.dkim.amazonses.com.',
      ttl: 1,
    });
  });

  it('stores and returns TXT content exactly as sent, quoted or not', async () => {
    givenZone();
    const cf = client();
    const unquoted = await cf.dns.records.create({
      zone_id: zoneId,
      name: '_dmarc',
      type: 'TXT',
      content: 'v=DMARC1; p=none;',
      ttl: 1,
    });
    const quoted = await cf.dns.records.create({
      zone_id: zoneId,
      name: 'mail',
      type: 'TXT',
      content: '"v=spf1 include:amazonses.com ~all"',
      ttl: 1,
    });
    expect(unquoted.content).toBe('v=DMARC1; p=none;');
    expect(quoted.content).toBe('"v=spf1 include:amazonses.com ~all"');
    const listed = await all(cf.dns.records.list({ zone_id: zoneId, type: 'TXT' }));
    expect(listed.map((r) => r.content)).toEqual(['v=DMARC1; p=none;', '"v=spf1 include:amazonses.com ~all"']);
  });

  it('edits part of a record, overwrites a whole one, gets and deletes by id', async () => {
    givenZone();
    const cf = client();
    const record = await cf.dns.records.create({
      zone_id: zoneId,
      name: '_dmarc',
      type: 'TXT',
      content: '"v=DMARC1; p=none"',
      ttl: 3600,
      comment: 'hm-infra',
    });
    const edited = await cf.dns.records.edit(record.id, {
      zone_id: zoneId,
      content: '"v=DMARC1; p=quarantine"',
    } as Cloudflare.DNS.RecordEditParams);
    expect(edited).toMatchObject({
      id: record.id,
      content: '"v=DMARC1; p=quarantine"',
      ttl: 3600,
      comment: 'hm-infra',
    });
    expect(fake.writes()[1]).toMatchObject({ method: 'PATCH', body: { content: '"v=DMARC1; p=quarantine"' } });

    const overwritten = await cf.dns.records.update(record.id, {
      zone_id: zoneId,
      name: '_dmarc.example.com',
      type: 'TXT',
      content: '"v=DMARC1; p=reject"',
      ttl: 1,
    });
    expect(overwritten).toMatchObject({ content: '"v=DMARC1; p=reject"', ttl: 1, comment: null });
    expect(await cf.dns.records.get(record.id, { zone_id: zoneId })).toMatchObject({ content: '"v=DMARC1; p=reject"' });

    expect(await cf.dns.records.delete(record.id, { zone_id: zoneId })).toEqual({ id: record.id });
    expect(fake.records()).toEqual([]);
    const gone = await refusal(() => cf.dns.records.get(record.id, { zone_id: zoneId }));
    expect(gone).toBeInstanceOf(Cloudflare.NotFoundError);
    expect(codes(gone)).toEqual([81044]);
    expect(codes(await refusal(() => cf.dns.records.delete(record.id, { zone_id: zoneId })))).toEqual([81044]);
  });
});

describe('dns records: refusals', () => {
  const create = (params: Record<string, unknown>) =>
    refusal(() =>
      client().dns.records.create({ zone_id: zoneId, ttl: 1, ...params } as Cloudflare.DNS.RecordCreateParams),
    );

  it('refuses an identical record (81058) but takes a second value at the same name', async () => {
    givenZone();
    fake.addRecord('example.com', { name: 'mail', type: 'TXT', content: '"one"' });
    const error = await create({ name: 'mail', type: 'TXT', content: '"one"' });
    expect(error).toBeInstanceOf(Cloudflare.BadRequestError);
    expect(codes(error)).toEqual([81058]);
    expect(error.errors[0]?.message).toBe('An identical record already exists.');
    await client().dns.records.create({ zone_id: zoneId, name: 'mail', type: 'TXT', content: '"two"', ttl: 1 });
    expect(fake.records()).toHaveLength(2);
  });

  it('refuses a CNAME beside an A/AAAA/CNAME (81053) and an A beside a CNAME (81054); TXT beside a CNAME is taken', async () => {
    givenZone();
    fake.addRecord('example.com', { name: 'www', type: 'A', content: '192.0.2.1' });
    fake.addRecord('example.com', { name: 'tok._domainkey', type: 'CNAME', content: 'tok.dkim.amazonses.com' });
    expect(codes(await create({ name: 'www', type: 'CNAME', content: 'example.net' }))).toEqual([81053]);
    expect(codes(await create({ name: 'tok._domainkey', type: 'CNAME', content: 'other.example.net' }))).toEqual([
      81053,
    ]);
    const a = await create({ name: 'tok._domainkey', type: 'AAAA', content: '2001:db8::1' });
    expect(a).toBeInstanceOf(Cloudflare.BadRequestError);
    expect(codes(a)).toEqual([81054]);
    await client().dns.records.create({ zone_id: zoneId, name: 'tok._domainkey', type: 'TXT', content: 'x', ttl: 1 });
  });

  it('refuses invalid TTLs (9021), content (9007), MX without priority (9100) or to an IP (9009), proxied TXT (9004)', async () => {
    givenZone();
    expect(codes(await create({ name: 'a', type: 'TXT', content: 'x', ttl: 30 }))).toEqual([9021]);
    expect(codes(await create({ name: 'a', type: 'TXT', content: 'x', ttl: 86401 }))).toEqual([9021]);
    expect(codes(await create({ name: 'a', type: 'A', content: 'not-an-ip' }))).toEqual([9007]);
    expect(codes(await create({ name: 'mail', type: 'MX', content: 'mx.example.net' }))).toEqual([9100]);
    expect(codes(await create({ name: 'mail', type: 'MX', content: '192.0.2.1' }))).toEqual([9100, 9009]);
    expect(codes(await create({ name: 'mail', type: 'TXT', content: 'x', proxied: true }))).toEqual([9004]);
    expect(codes(await create({ name: 'x.other.org.', type: 'TXT', content: 'x' }))).toEqual([9000]);
    expect(fake.records()).toEqual([]);
    // A proxied record's TTL is automatic whatever is sent.
    const proxied = await client().dns.records.create({
      zone_id: zoneId,
      name: 'www',
      type: 'A',
      content: '192.0.2.1',
      proxied: true,
      ttl: 300,
    });
    expect(proxied).toMatchObject({ proxied: true, ttl: 1 });
  });

  it("refuses a changed type on edit, an unknown zone (7003/7000) and a record that isn't there (81044)", async () => {
    givenZone();
    const record = fake.addRecord('example.com', { name: 'mail', type: 'TXT', content: 'x' });
    const cf = client();
    const retyped = await refusal(() =>
      cf.dns.records.edit(record.id, { zone_id: zoneId, type: 'CNAME' } as Cloudflare.DNS.RecordEditParams),
    );
    expect(retyped).toBeInstanceOf(Cloudflare.BadRequestError);
    const unknownZone = await refusal(() => cf.dns.records.list({ zone_id: 'f'.repeat(32) }));
    expect(unknownZone).toBeInstanceOf(Cloudflare.BadRequestError);
    expect(codes(unknownZone)).toEqual([7003, 7000]);
    const missing = await refusal(() => cf.dns.records.get('0'.repeat(32), { zone_id: zoneId }));
    expect(missing).toBeInstanceOf(Cloudflare.NotFoundError);
  });
});

describe('the token', () => {
  it('refuses an unknown token: 403/9109 on /zones, 401/10000 on zone-scoped paths', async () => {
    givenZone();
    const wrong = client('W'.repeat(40));
    const listed = await refusal(() => wrong.zones.list({ name: 'example.com' }));
    expect(listed).toBeInstanceOf(Cloudflare.PermissionDeniedError);
    expect(codes(listed)).toEqual([9109]);
    const records = await refusal(() => wrong.dns.records.list({ zone_id: zoneId }));
    expect(records).toBeInstanceOf(Cloudflare.AuthenticationError);
    expect(codes(records)).toEqual([10000]);
  });

  it('refuses a malformed token: 400/6003 (6111 in its error_chain) on /zones, 400/9106 below', async () => {
    givenZone();
    const malformed = client('abc-def');
    const listed = await refusal(() => malformed.zones.list());
    expect(listed).toBeInstanceOf(Cloudflare.BadRequestError);
    expect(listed.errors).toEqual([
      {
        code: 6003,
        message: 'Invalid request headers',
        error_chain: [{ code: 6111, message: 'Invalid format for Authorization header' }],
      },
    ]);
    expect(codes(await refusal(() => malformed.dns.records.list({ zone_id: zoneId })))).toEqual([9106]);
    const none = await fetch(`${fake.url}/zones`);
    expect(none.status).toBe(400);
    expect(((await none.json()) as { errors: Array<{ code: number }> }).errors[0]?.code).toBe(9106);
  });

  it('sees only the zones it is scoped to, and reads but may not write DNS without DNS edit', async () => {
    givenZone();
    const hidden = fake.addZone('hidden.org');
    fake.restrictToken({ zones: ['example.com'], dnsEdit: false });
    const cf = client();
    expect((await all(cf.zones.list())).map((z) => z.name)).toEqual(['example.com']);
    const other = await refusal(() => cf.dns.records.list({ zone_id: hidden }));
    expect(other).toBeInstanceOf(Cloudflare.PermissionDeniedError);
    expect(codes(other)).toEqual([10000]);
    expect(await all(cf.dns.records.list({ zone_id: zoneId }))).toEqual([]);
    const write = await refusal(() =>
      cf.dns.records.create({ zone_id: zoneId, name: 'x', type: 'TXT', content: 'y', ttl: 1 }),
    );
    expect(write).toBeInstanceOf(Cloudflare.PermissionDeniedError);
    expect(codes(write)).toEqual([10000]);
    expect(fake.records()).toEqual([]);
    expect(fake.writes()).toHaveLength(1);
  });

  it('never appears in the request log', async () => {
    givenZone();
    await client().zones.list({ name: 'example.com' });
    await client().dns.records.create({ zone_id: zoneId, name: 'x', type: 'TXT', content: 'y', ttl: 1 });
    expect(JSON.stringify(fake.requests)).not.toContain(fake.token);
  });
});

describe('failures', () => {
  it('a 429 is retried by the SDK (maxRetries 2 by default), and surfaces as RateLimitError when it persists', async () => {
    givenZone();
    fake.failNext(1, { status: 429, code: 971, message: 'Please wait and consider throttling your request speed' });
    const page = await client().zones.list({ name: 'example.com' });
    expect(page.result).toHaveLength(1);
    expect(fake.requests.map((r) => r.status)).toEqual([429, 200]);

    fake.requests.length = 0;
    fake.failNext(3, { status: 429, code: 971, message: 'Please wait and consider throttling your request speed' });
    const limited = await refusal(() => client().zones.list({ name: 'example.com' }));
    expect(limited).toBeInstanceOf(Cloudflare.RateLimitError);
    expect(codes(limited)).toEqual([971]);
    expect(limited.headers?.get('retry-after')).toBe('0');
    expect(fake.requests.map((r) => r.status)).toEqual([429, 429, 429]);
  });

  it('fails only the requests that match, with any status and code (a 5xx is retried too)', async () => {
    givenZone();
    fake.failNext(1, {
      status: 503,
      code: 10001,
      message: 'Service unavailable',
      match: { method: 'POST' },
      retryAfter: 0,
    });
    fake.failNext(1, {
      status: 400,
      code: 1004,
      message: 'DNS Validation Error',
      match: { path: /\/dns_records$/, method: 'GET' },
    });
    const cf = client();
    await cf.zones.list();
    await cf.dns.records.create({ zone_id: zoneId, name: 'x', type: 'TXT', content: 'y', ttl: 1 });
    const error = await refusal(() => cf.dns.records.list({ zone_id: zoneId }));
    expect(error).toBeInstanceOf(Cloudflare.BadRequestError);
    expect(codes(error)).toEqual([1004]);
    expect(fake.requests.map((r) => `${r.method} ${r.status}`)).toEqual(['GET 200', 'POST 503', 'POST 200', 'GET 400']);
    expect(fake.records()).toHaveLength(1);
  });
});
