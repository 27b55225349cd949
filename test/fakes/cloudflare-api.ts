/**
 * A loopback fake of Cloudflare's v4 API (api.cloudflare.com/client/v4), for the official
 * `cloudflare` SDK: `new Cloudflare({ apiToken: fake.token, baseURL: fake.url, apiKey: null,
 * apiEmail: null })`, or `CLOUDFLARE_BASE_URL=fake.url`. A real HTTP server on 127.0.0.1 answering
 * the zone look-up and the DNS records endpoints the product uses, with Cloudflare's envelope,
 * paging and error bodies.
 *
 * What each behaviour rests on (sources read in December 2026):
 * - Envelope and record shape: `{ result, success, errors, messages, result_info? }`, records as
 *   the API reference and the DNS docs show them (developers.cloudflare.com/dns/manage-dns-records/
 *   reference/dns-record-types). Records carry no `zone_id` / `zone_name` on the wire: the DNS
 *   changelog (2025-01-27) says the API stopped returning them (EOL 2024-11-30); they stay in
 *   {@link CfRecord} only for the tests' convenience. No `locked` either (absent from a live
 *   2026 capture; the SDK's RecordResponse has neither).
 * - Paging: the SDK's V4PagePaginationArray (core/pagination.ts) asks for page+1 until a page comes
 *   back empty (it never reads total_pages), so a page past the end answers `[]`. dns_records
 *   per_page: default 100, 1..5,000,000 (Cloudflare's OpenAPI schema `dns-records_per_page`).
 *   zones per_page: default 20, max 50 (API reference); a live 2026 capture shows per_page=2
 *   accepted, so the minimum is 1. What Cloudflare does above a maximum is not documented: the
 *   fake caps the value. An empty list reports `total_pages: 1` (as a live capture does).
 * - Filters the SDK serializes (qs with allowDots): `name.exact|contains|startswith|endswith`,
 *   `content.*` likewise, `type`, `proxied`, `match=all|any`, `order`, `direction`, plus the older
 *   bare `name=` / `content=` (exact). Filters are case-insensitive (RecordListParams docs).
 *   The default order is not documented; the fake keeps creation order.
 * - Auth, from live probes recorded by favonia/cloudflare-ddns (cloudflare-auth-error-watch,
 *   snapshot 2026-06-30) and captures in public issues:
 *   GET /zones with a well-formed but unknown token: 403 `9109 Invalid access token`;
 *   with a malformed token: 400 `6003 Invalid request headers` + error_chain `6111 Invalid format
 *   for Authorization header`. On zone-scoped paths (/zones/:id/...) the probes are of a sibling
 *   resource-scoped endpoint (/accounts/:id/rules/lists): unknown token 401 `10000 Authentication
 *   error`, malformed 400 `9106 Authentication failed (status: 400)` (also seen on dns_records by
 *   another project). The fake answers zone-scoped paths that way; Cloudflare does not document
 *   it per endpoint. No Authorization header at all: `9106 Missing X-Auth-Key, X-Auth-Email or
 *   Authorization headers` (seen in public issues); its status is not recorded, the fake uses 400.
 *   A token that may not touch a zone, or may not edit DNS: 403 `10000 Authentication error`.
 *   What counts as "malformed" is not documented: tokens are 40 characters; the fake calls
 *   malformed anything shorter than 40 or outside [A-Za-z0-9._~+/-].
 * - Zone ids: 32 hex characters. A path id Cloudflare cannot route answers 400 with
 *   `7003 Could not route to <path>, perhaps your object identifier is invalid?` and
 *   `7000 No route for that URI` (cloudflare/cloudflare-go#118, for a malformed id). The same
 *   answer for a well-formed id of no zone is the fake's choice: not documented.
 * - Records: a name that is `@` becomes the zone apex; a name that does not end in the zone is
 *   taken as relative and gets the zone appended, as Cloudflare does (cisagov/manage.get.gov's
 *   Cloudflare mock; NewFuture/DDNS#21 shows `mail.example.cf` written into another zone stored as
 *   `mail.example.cf.<zone>`). Only a fully qualified name with a trailing dot outside the zone is
 *   refused (`9000 DNS name is invalid.`; what Cloudflare does with a trailing dot is not
 *   documented). Names are stored lowercase without the trailing dot; CNAME and MX targets lose
 *   their trailing dot; AAAA content is stored in canonical form (dns-record-types: "fe80::0:0:1
 *   is stored and returned as fe80::1").
 * - Refusals (400 unless said): `81058 An identical record already exists.`; a CNAME where an A,
 *   AAAA or CNAME is: `81053 An A, AAAA, or CNAME record with that host already exists.`; an A or
 *   AAAA where a CNAME is: `81054 A CNAME record with that host already exists.` (both with the
 *   troubleshooting link Cloudflare appends). Cloudflare's own rule (dns/manage-dns-records/
 *   troubleshooting/records-with-same-name, and the SDK's create() notes) names only A/AAAA/CNAME,
 *   so a TXT or MX beside a CNAME is accepted, as Cloudflare accepts it. TTL: 1 (automatic) or
 *   60..86400 (dns/manage-dns-records/reference/ttl), else `9021 TTL must be between 60 and 86400
 *   seconds, or 1 for Automatic.`; a proxied record's TTL is always automatic. Proxied only for
 *   A/AAAA/CNAME, else `9004 This record type cannot be proxied.`; default false. MX: `9100
 *   priority is a required field.`, `9009` for an IP as target, `9008` for a priority outside
 *   0..65535. Bad content: `9007 Content for <type> record is invalid.`. Record not found: 404
 *   `81044 Record does not exist.`. Current answers list validation errors flat in `errors` (older
 *   ones wrapped them in `1004 DNS Validation Error` + error_chain); the fake answers flat, all
 *   field errors of a request at once (a 2025 capture shows 9100 and 9009 together).
 *   Changing a record's type with PATCH/PUT is no longer supported since 2026-06-30 (API
 *   deprecations page); no error code is documented, the fake answers 400 `1004` naming it.
 * - TXT content is stored and returned exactly as sent, quoted or not. Since 2024-10-15 the
 *   dashboard adds the quotes and validates them (DNS changelog: "Quote validation for TXT
 *   records added via dashboard"); the API does neither: unquoted content is accepted and only
 *   the dashboard warns "The content field of TXT records must be in quotation marks"
 *   (cloudflare/terraform-provider-cloudflare#6354, 2025-10; go-acme/lego#2521, 2025-05;
 *   DNSControl/dnscontrol#3621). The TXT schema (SDK records.ts) says content "must consist of
 *   quoted character strings ... Strings exceeding 255 bytes are automatically split"; the fake
 *   does not split.
 * - Rate limit: 429 with `971 Please wait and consider throttling your request speed` and a
 *   `retry-after` header in seconds (fundamentals/api/reference/limits). The SDK retries 408,
 *   409, 429 and 5xx twice by default (maxRetries 2), honouring retry-after; `failNext` sends
 *   `retry-after: 0` unless told, to keep tests fast (Cloudflare's is at least 1).
 *
 * `requests` logs method, path (below /client/v4), query, status and the JSON body; headers are
 * never kept, so the token cannot leak through it.
 */
import { createHash } from 'node:crypto';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import { type AddressInfo, isIP, isIPv4, isIPv6 } from 'node:net';

export interface CfRecord {
  id: string;
  zone_id: string;
  zone_name: string;
  name: string;
  type: string;
  content: string;
  ttl: number;
  proxied: boolean;
  proxiable: boolean;
  priority?: number;
  comment: string | null;
  tags: string[];
  settings: object;
  meta: object;
  created_on: string;
  modified_on: string;
}

export interface CfRequest {
  method: string;
  /** Below /client/v4, e.g. `/zones/<id>/dns_records`. */
  path: string;
  query: Record<string, string>;
  status: number;
  body?: unknown;
}

export interface CfFailure {
  status: number;
  code: number;
  message: string;
  match?: { method?: string; path?: RegExp };
  /** Seconds sent in `retry-after` (always on a 429, default 0; on other statuses only when given). */
  retryAfter?: number;
}

export interface FakeCloudflare {
  /** Base URL including /client/v4, for `baseURL` / CLOUDFLARE_BASE_URL. */
  url: string;
  token: string;
  /** Adds a zone (status active unless told), returns its id (32 hex chars like Cloudflare's). */
  addZone(name: string, opts?: { id?: string; nameServers?: string[]; status?: 'active' | 'pending' }): string;
  /** Seeds a record the user already has (name relative or full). */
  addRecord(
    zone: string,
    record: { name: string; type: string; content: string; ttl?: number; proxied?: boolean; priority?: number },
  ): CfRecord;
  records(zone?: string): CfRecord[];
  requests: CfRequest[];
  /** POST/PUT/PATCH/DELETE requests (refused ones included). */
  writes(): CfRequest[];
  /** The next n requests (optionally only matching method/path regex) fail with this status and Cloudflare error body. */
  failNext(n: number, failure: CfFailure): void;
  /** Limit what the token may do: zones it can see, and whether it may edit DNS (a read-only token gets Cloudflare's permission error on writes). */
  restrictToken(opts: { zones?: string[]; dnsEdit?: boolean }): void;
  reset(): void;
  close(): Promise<void>;
}

interface Zone {
  id: string;
  name: string;
  status: 'active' | 'pending';
  nameServers: string[];
  createdOn: string;
}

interface CfError {
  code: number;
  message: string;
  error_chain?: CfError[];
}

/** A refusal: the HTTP status and Cloudflare's errors. */
class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly errors: CfError[],
    readonly headers: Record<string, string> = {},
  ) {
    super(errors.map((e) => `${e.message} (${e.code})`).join('; '));
  }
}

const bad = (code: number, message: string) => new Refusal(400, [{ code, message }]);
const AUTH_ERROR = () => new Refusal(403, [{ code: 10000, message: 'Authentication error' }]);
const noRoute = (path: string) =>
  new Refusal(400, [
    { code: 7003, message: `Could not route to ${path}, perhaps your object identifier is invalid?` },
    { code: 7000, message: 'No route for that URI' },
  ]);

const SAME_NAME_LINK =
  'For more details, refer to <https://developers.cloudflare.com/dns/manage-dns-records/troubleshooting/records-with-same-name/>.';
const MX_IP_MESSAGE =
  'Change the content of your MX record to be a hostname (and not an IP address). For more details, refer to <https://developers.cloudflare.com/dns/manage-dns-records/how-to/email-records/#add-mx-records>.';

/** Record types the API takes (the SDK's RecordListParams `type`). */
const TYPES = new Set([
  'A',
  'AAAA',
  'CAA',
  'CERT',
  'CNAME',
  'DNSKEY',
  'DS',
  'HTTPS',
  'LOC',
  'MX',
  'NAPTR',
  'NS',
  'OPENPGPKEY',
  'PTR',
  'SMIMEA',
  'SRV',
  'SSHFP',
  'SVCB',
  'TLSA',
  'TXT',
  'URI',
]);
const PROXIABLE = new Set(['A', 'AAAA', 'CNAME']);
const ADDRESS = new Set(['A', 'AAAA']);
const ID = /^[0-9a-f]{32}$/;
const WELL_FORMED_TOKEN = /^[A-Za-z0-9._~+/-]{40,}$/;
const ACCOUNT = { id: '0f1e2d3c4b5a69788796a5b4c3d2e1f0', name: 'Fake account' };

const hex32 = (seed: string) => createHash('md5').update(seed).digest('hex');
const clone = <T>(value: T): T => structuredClone(value);
const lower = (s: string) => s.toLowerCase();
const withoutDot = (s: string) => (s.endsWith('.') ? s.slice(0, -1) : s);

/** A host name of letters, digits, hyphens and underscores (a leading `*` label allowed). */
function isHostName(name: string): boolean {
  if (name.length === 0 || name.length > 253) return false;
  return name
    .split('.')
    .every((label, i) => (i === 0 && label === '*') || /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/i.test(label));
}

/** The record name Cloudflare stores for what was sent: `@` is the apex, anything not in the zone is relative. */
function recordName(zone: Zone, raw: string): string | undefined {
  const name = lower(raw.trim());
  if (name === '@') return zone.name;
  const absolute = name.endsWith('.');
  const bare = withoutDot(name);
  if (bare === zone.name || bare.endsWith(`.${zone.name}`)) return bare;
  if (absolute) return undefined;
  return `${bare}.${zone.name}`;
}

/** The canonical text of an IPv6 address (RFC 5952), as Cloudflare stores AAAA content. */
const canonicalIPv6 = (address: string) => new URL(`http://[${address}]/`).hostname.slice(1, -1);

interface RecordInput {
  name?: unknown;
  type?: unknown;
  content?: unknown;
  ttl?: unknown;
  proxied?: unknown;
  priority?: unknown;
  comment?: unknown;
  tags?: unknown;
}

interface Paging {
  page: number;
  perPage: number;
}

function paging(query: Record<string, string>, defaults: { perPage: number; max: number }): Paging {
  const int = (v: string | undefined) => (v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined);
  const page = Math.max(1, int(query['page']) ?? 1);
  const perPage = Math.min(defaults.max, Math.max(1, int(query['per_page']) ?? defaults.perPage));
  return { page, perPage };
}

function pageOf<T>(items: T[], { page, perPage }: Paging) {
  const slice = items.slice((page - 1) * perPage, page * perPage);
  return {
    result: slice,
    result_info: {
      page,
      per_page: perPage,
      count: slice.length,
      total_count: items.length,
      total_pages: Math.max(1, Math.ceil(items.length / perPage)),
    },
  };
}

/** A text filter of the list endpoints: `field=`, `field.exact=`, `.contains`, `.startswith`, `.endswith`. */
function textFilter(query: Record<string, string>, field: string): ((value: string) => boolean) | undefined {
  const tests: Array<(value: string) => boolean> = [];
  const add = (key: string, test: (value: string, wanted: string) => boolean) => {
    const wanted = query[key];
    if (wanted !== undefined) tests.push((value) => test(lower(value), lower(wanted)));
  };
  add(field, (v, w) => v === w);
  add(`${field}.exact`, (v, w) => v === w);
  add(`${field}.contains`, (v, w) => v.includes(w));
  add(`${field}.startswith`, (v, w) => v.startsWith(w));
  add(`${field}.endswith`, (v, w) => v.endsWith(w));
  return tests.length === 0 ? undefined : (value) => tests.every((t) => t(value));
}

export async function startCloudflareApi(opts: { token?: string } = {}): Promise<FakeCloudflare> {
  const token = opts.token ?? hex32('hm-infra-fake-token').slice(0, 20) + hex32('token-2').slice(0, 20);
  const zones = new Map<string, Zone>();
  let store: CfRecord[] = [];
  const requests: CfRequest[] = [];
  let failures: Array<{ remaining: number; failure: CfFailure }> = [];
  let restriction: { zones?: string[]; dnsEdit?: boolean } = {};
  let counter = 0;

  const now = () => new Date().toISOString();
  const zoneByRef = (ref: string) =>
    zones.get(ref) ?? [...zones.values()].find((z) => z.name === lower(withoutDot(ref)));
  const visible = (zone: Zone) =>
    restriction.zones === undefined ||
    restriction.zones.some((ref) => ref === zone.id || lower(withoutDot(ref)) === zone.name);

  const zoneObject = (zone: Zone) => ({
    id: zone.id,
    name: zone.name,
    status: zone.status,
    paused: false,
    type: 'full',
    development_mode: 0,
    name_servers: [...zone.nameServers],
    original_name_servers: null,
    original_registrar: null,
    original_dnshost: null,
    modified_on: zone.createdOn,
    created_on: zone.createdOn,
    activated_on: zone.status === 'active' ? zone.createdOn : null,
    vanity_name_servers: [],
    meta: { step: 2, custom_certificate_quota: 0, page_rule_quota: 3, phishing_detected: false },
    owner: { id: null, type: 'user', email: null },
    account: { ...ACCOUNT },
    tenant: { id: null, name: null },
    tenant_unit: { id: null },
    permissions: ['#zone:read', '#dns_records:read', ...(restriction.dnsEdit === false ? [] : ['#dns_records:edit'])],
    plan: {
      id: '0feeeeeeeeeeeeeeeeeeeeeeeeeeeeee',
      name: 'Free Website',
      price: 0,
      currency: 'USD',
      frequency: '',
      is_subscribed: false,
      can_subscribe: false,
      legacy_id: 'free',
      legacy_discount: false,
      externally_managed: false,
    },
  });

  /** A record as the API returns it: no zone_id / zone_name (removed 2025-01-27), priority only where it applies. */
  const wire = (record: CfRecord) => {
    const { zone_id: _zoneId, zone_name: _zoneName, priority, ...rest } = clone(record);
    return priority === undefined ? rest : { ...rest, priority };
  };

  /**
   * Checks and normalises a record for a zone (all field errors at once), then its neighbours at
   * the same name. `existing` is the record being replaced, for PUT and PATCH.
   */
  function validate(zone: Zone, input: RecordInput, existing?: CfRecord): Omit<CfRecord, 'id' | 'created_on'> {
    const errors: CfError[] = [];
    const missing = (field: string) => errors.push({ code: 9100, message: `${field} is a required field.` });
    const type = typeof input.type === 'string' ? input.type.toUpperCase() : undefined;
    if (type === undefined) missing('type');
    else if (!TYPES.has(type)) errors.push({ code: 9000, message: 'DNS record type is invalid.' });
    if (existing && type !== undefined && type !== existing.type)
      errors.push({
        code: 1004,
        message: "Changing a DNS record's type is not supported; delete the record and create a new one.",
      });

    let name: string | undefined;
    if (typeof input.name !== 'string' || input.name.trim() === '') missing('name');
    else {
      name = recordName(zone, input.name);
      if (name === undefined || !isHostName(name)) errors.push({ code: 9000, message: 'DNS name is invalid.' });
    }

    const proxied = input.proxied === undefined || input.proxied === null ? false : input.proxied === true;
    if (proxied && type !== undefined && !PROXIABLE.has(type))
      errors.push({ code: 9004, message: 'This record type cannot be proxied.' });

    let ttl = input.ttl === undefined || input.ttl === null ? 1 : input.ttl;
    if (typeof ttl !== 'number' || !Number.isInteger(ttl) || (ttl !== 1 && (ttl < 60 || ttl > 86400)))
      errors.push({ code: 9021, message: 'TTL must be between 60 and 86400 seconds, or 1 for Automatic.' });
    if (proxied) ttl = 1;

    let priority: number | undefined;
    if (type === 'MX' || type === 'SRV' || type === 'URI') {
      if (input.priority === undefined || input.priority === null) missing('priority');
      else if (
        typeof input.priority !== 'number' ||
        !Number.isInteger(input.priority) ||
        input.priority < 0 ||
        input.priority > 65535
      )
        errors.push({ code: 9008, message: 'Invalid priority, priority must be set and be between 0 and 65535' });
      else priority = input.priority;
    }

    let content = typeof input.content === 'string' ? input.content : undefined;
    const invalidContent = () => errors.push({ code: 9007, message: `Content for ${type} record is invalid.` });
    if (content === undefined || content === '') missing('content');
    else if (type === 'A' && !isIPv4(content)) invalidContent();
    else if (type === 'AAAA') {
      if (isIPv6(content)) content = canonicalIPv6(content);
      else invalidContent();
    } else if (type === 'CNAME') {
      content = lower(withoutDot(content));
      if (!isHostName(content) || content === name) invalidContent();
    } else if (type === 'MX') {
      content = lower(withoutDot(content));
      if (isIP(content) !== 0) errors.push({ code: 9009, message: MX_IP_MESSAGE });
      else if (!isHostName(content)) invalidContent();
    }

    const comment = typeof input.comment === 'string' && input.comment !== '' ? input.comment : null;
    const tags = Array.isArray(input.tags) ? input.tags.filter((t): t is string => typeof t === 'string') : [];
    if (errors.length > 0) throw new Refusal(400, errors);
    if (type === undefined || name === undefined || content === undefined || typeof ttl !== 'number')
      throw new Error('unreachable: validated above');

    const neighbours = store.filter((r) => r.zone_id === zone.id && r.name === name && r.id !== existing?.id);
    if (type === 'CNAME' && neighbours.some((r) => r.type === 'CNAME' || ADDRESS.has(r.type)))
      throw bad(81053, `An A, AAAA, or CNAME record with that host already exists. ${SAME_NAME_LINK}`);
    if (ADDRESS.has(type) && neighbours.some((r) => r.type === 'CNAME'))
      throw bad(81054, `A CNAME record with that host already exists. ${SAME_NAME_LINK}`);
    if (neighbours.some((r) => r.type === type && r.content === content && r.priority === priority))
      throw bad(81058, 'An identical record already exists.');

    return {
      zone_id: zone.id,
      zone_name: zone.name,
      name,
      type,
      content,
      ttl,
      proxied,
      proxiable: PROXIABLE.has(type),
      ...(priority === undefined ? {} : { priority }),
      comment,
      tags,
      settings: type === 'CNAME' ? { flatten_cname: false } : {},
      meta: {},
      modified_on: now(),
    };
  }

  function create(zone: Zone, input: RecordInput): CfRecord {
    const fields = validate(zone, input);
    counter += 1;
    const record: CfRecord = { id: hex32(`record:${counter}:${fields.name}`), ...fields, created_on: now() };
    store.push(record);
    return record;
  }

  /** The zone of a zone-scoped path, after the token's permission on it. */
  function zoneFor(id: string, path: string): Zone {
    const zone = ID.test(id) ? zones.get(id) : undefined;
    if (!zone) throw noRoute(path);
    if (!visible(zone)) throw AUTH_ERROR();
    return zone;
  }

  function recordIn(zone: Zone, id: string, path: string): CfRecord {
    if (!ID.test(id)) throw noRoute(path);
    const record = store.find((r) => r.zone_id === zone.id && r.id === id);
    if (!record) throw new Refusal(404, [{ code: 81044, message: 'Record does not exist.' }]);
    return record;
  }

  /** Cloudflare's answer to the credentials of a request, or nothing when they are good. */
  function authenticate(header: string | undefined, zoneScoped: boolean): Refusal | undefined {
    if (header === undefined)
      return new Refusal(400, [{ code: 9106, message: 'Missing X-Auth-Key, X-Auth-Email or Authorization headers' }]);
    const match = /^Bearer (.*)$/.exec(header);
    const sent = match?.[1];
    if (sent === token) return undefined;
    if (sent === undefined || !WELL_FORMED_TOKEN.test(sent))
      return zoneScoped
        ? new Refusal(400, [{ code: 9106, message: 'Authentication failed (status: 400)' }])
        : new Refusal(400, [
            {
              code: 6003,
              message: 'Invalid request headers',
              error_chain: [{ code: 6111, message: 'Invalid format for Authorization header' }],
            },
          ]);
    return zoneScoped
      ? new Refusal(401, [{ code: 10000, message: 'Authentication error' }])
      : new Refusal(403, [{ code: 9109, message: 'Invalid access token' }]);
  }

  function listZones(query: Record<string, string>) {
    const nameFilter = query['name'];
    const nameTest = (name: string): boolean => {
      if (nameFilter === undefined) return true;
      const op = /^(not_equal|starts_with|ends_with|contains)(_case_sensitive)?:(.*)$/.exec(nameFilter);
      if (!op) return name === lower(nameFilter);
      const [, kind, sensitive, raw = ''] = op;
      const [value, wanted] = sensitive ? [name, raw] : [name, lower(raw)];
      if (kind === 'not_equal') return value !== wanted;
      if (kind === 'starts_with') return value.startsWith(wanted);
      if (kind === 'ends_with') return value.endsWith(wanted);
      return value.includes(wanted);
    };
    const tests = [
      nameFilter === undefined ? undefined : (z: Zone) => nameTest(z.name),
      query['status'] === undefined ? undefined : (z: Zone) => z.status === query['status'],
    ].filter((t): t is (z: Zone) => boolean => t !== undefined);
    const any = query['match'] === 'any';
    let found = [...zones.values()]
      .filter(visible)
      .filter((z) => tests.length === 0 || (any ? tests.some((t) => t(z)) : tests.every((t) => t(z))));
    const order = query['order'];
    if (order === 'name' || order === 'status') {
      const sign = query['direction'] === 'desc' ? -1 : 1;
      found = found.sort((a, b) => sign * a[order].localeCompare(b[order]));
    }
    return pageOf(found.map(zoneObject), paging(query, { perPage: 20, max: 50 }));
  }

  function listRecords(zone: Zone, query: Record<string, string>) {
    const name = textFilter(query, 'name');
    const content = textFilter(query, 'content');
    const tests = [
      name && ((r: CfRecord) => name(r.name)),
      content && ((r: CfRecord) => content(r.content)),
      query['type'] !== undefined && ((r: CfRecord) => r.type === query['type']?.toUpperCase()),
      query['proxied'] !== undefined && ((r: CfRecord) => String(r.proxied) === query['proxied']),
    ].filter((t): t is (r: CfRecord) => boolean => typeof t === 'function');
    const any = query['match'] === 'any';
    let found = store
      .filter((r) => r.zone_id === zone.id)
      .filter((r) => tests.length === 0 || (any ? tests.some((t) => t(r)) : tests.every((t) => t(r))));
    const order = query['order'];
    if (order === 'type' || order === 'name' || order === 'content' || order === 'ttl' || order === 'proxied') {
      const sign = query['direction'] === 'desc' ? -1 : 1;
      found = [...found].sort(
        (a, b) => sign * String(a[order]).localeCompare(String(b[order]), 'en', { numeric: true }),
      );
    }
    return pageOf(found.map(wire), paging(query, { perPage: 100, max: 5_000_000 }));
  }

  /** Routes one authenticated request; returns the envelope's result (and result_info for lists). */
  function route(method: string, path: string, query: Record<string, string>, body: unknown): unknown {
    const parts = path.split('/').filter((p) => p !== '');
    if (parts[0] !== 'zones') throw new Refusal(400, [{ code: 7000, message: 'No route for that URI' }]);
    if (parts.length === 1 && method === 'GET') return listZones(query);
    const zone = zoneFor(parts[1] ?? '', `/client/v4${path}`);
    if (parts.length === 2 && method === 'GET') return { result: zoneObject(zone) };
    if (parts[2] !== 'dns_records' || parts.length > 4) throw noRoute(`/client/v4${path}`);
    if (method !== 'GET' && restriction.dnsEdit === false) throw AUTH_ERROR();
    const input = (typeof body === 'object' && body !== null ? body : {}) as RecordInput;
    if (parts.length === 3) {
      if (method === 'GET') return listRecords(zone, query);
      if (method === 'POST') return { result: wire(create(zone, input)) };
      throw noRoute(`/client/v4${path}`);
    }
    const record = recordIn(zone, parts[3] ?? '', `/client/v4${path}`);
    if (method === 'GET') return { result: wire(record) };
    if (method === 'DELETE') {
      store = store.filter((r) => r !== record);
      return { result: { id: record.id } };
    }
    if (method === 'PATCH' || method === 'PUT') {
      // PATCH changes the fields sent; PUT overwrites the record, so what is not sent takes its default.
      const base: RecordInput =
        method === 'PATCH'
          ? {
              name: record.name,
              type: record.type,
              content: record.content,
              ttl: record.ttl,
              proxied: record.proxied,
              priority: record.priority,
              comment: record.comment,
              tags: record.tags,
            }
          : {};
      const fields = validate(zone, { ...base, ...input }, record);
      const updated: CfRecord = { id: record.id, ...fields, created_on: record.created_on };
      store = store.map((r) => (r === record ? updated : r));
      return { result: wire(updated) };
    }
    throw noRoute(`/client/v4${path}`);
  }

  function takeFailure(method: string, path: string): CfFailure | undefined {
    const entry = failures.find(
      ({ failure: { match } }) =>
        (match?.method === undefined || match.method.toUpperCase() === method) &&
        (match?.path === undefined || match.path.test(path)),
    );
    if (!entry) return undefined;
    entry.remaining -= 1;
    if (entry.remaining <= 0) failures = failures.filter((f) => f !== entry);
    return entry.failure;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    const path = url.pathname.startsWith('/client/v4') ? url.pathname.slice('/client/v4'.length) || '/' : url.pathname;
    const query = Object.fromEntries(url.searchParams);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const entry: CfRequest = { method, path, query, status: 0 };
    requests.push(entry);

    let status = 200;
    let payload: unknown;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    try {
      let body: unknown;
      if (text !== '') {
        try {
          body = JSON.parse(text);
        } catch {
          body = text;
          throw bad(9207, 'Request body is invalid.');
        } finally {
          entry.body = body;
        }
      }
      const failure = takeFailure(method, path);
      if (failure)
        throw new Refusal(
          failure.status,
          [{ code: failure.code, message: failure.message }],
          failure.status === 429 || failure.retryAfter !== undefined
            ? { 'retry-after': String(failure.retryAfter ?? 0) }
            : {},
        );
      if (!url.pathname.startsWith('/client/v4/'))
        throw new Refusal(404, [{ code: 7000, message: 'No route for that URI' }]);
      const zoneScoped = path.split('/').filter((p) => p !== '').length > 1;
      const refused = authenticate(req.headers.authorization, zoneScoped);
      if (refused) throw refused;
      const { result, ...info } = route(method, path, query, body) as { result: unknown; result_info?: unknown };
      payload = { result, success: true, errors: [], messages: [], ...info };
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      status = error.status;
      Object.assign(headers, error.headers);
      payload = { result: null, success: false, errors: error.errors, messages: [] };
    }
    entry.status = status;
    res.writeHead(status, headers);
    res.end(JSON.stringify(payload));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ result: null, success: false, errors: [{ code: 0, message: String(error) }] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const zoneOrThrow = (ref: string) => {
    const zone = zoneByRef(ref);
    if (!zone) throw new Error(`fake Cloudflare: no zone ${ref}`);
    return zone;
  };

  return {
    url: `http://127.0.0.1:${port}/client/v4`,
    token,
    requests,
    addZone(name, options = {}) {
      const zoneName = lower(withoutDot(name));
      const id = options.id ?? hex32(`zone:${zoneName}:${zones.size}`);
      zones.set(id, {
        id,
        name: zoneName,
        status: options.status ?? 'active',
        nameServers: options.nameServers ?? ['ada.ns.cloudflare.com', 'bob.ns.cloudflare.com'],
        createdOn: now(),
      });
      return id;
    },
    addRecord(zone, record) {
      try {
        return clone(create(zoneOrThrow(zone), record));
      } catch (error) {
        if (error instanceof Refusal)
          throw new Error(`fake Cloudflare refuses the seeded record: ${error.message}`, { cause: error });
        throw error;
      }
    },
    records(zone) {
      const id = zone === undefined ? undefined : zoneOrThrow(zone).id;
      return clone(store.filter((r) => id === undefined || r.zone_id === id));
    },
    writes: () => requests.filter((r) => r.method !== 'GET' && r.method !== 'HEAD'),
    failNext(n, failure) {
      failures.push({ remaining: n, failure });
    },
    restrictToken(options) {
      restriction = { ...options };
    },
    reset() {
      zones.clear();
      store = [];
      requests.length = 0;
      failures = [];
      restriction = {};
      counter = 0;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
