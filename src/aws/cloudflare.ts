import type * as CloudflareSdk from 'cloudflare';
import { HmError } from '../errors.js';

/**
 * The part of Cloudflare's v4 API the DNS records need, through Cloudflare's official SDK
 * (`cloudflare`, loaded only when a run uses it): the zone of a domain, the records at a
 * name, and creating, editing and deleting one record. The API token is given to the SDK and
 * to nothing else: it is in no message, error or state.
 */

export interface CfZone {
  id: string;
  name: string;
  status: string;
  nameServers: string[];
}

/** One record as Cloudflare keeps it: each value of a name and type is its own record. */
export interface CfDnsRecord {
  id: string;
  name: string;
  type: string;
  content: string;
  ttl: number;
  proxied: boolean;
  priority?: number | undefined;
}

export interface CfRecordInput {
  name: string;
  type: 'CNAME' | 'MX' | 'TXT';
  content: string;
  ttl: number;
  priority?: number;
  /** Only for the types Cloudflare can proxy (CNAME here): always off for the records SES reads. */
  proxied?: boolean;
  comment: string;
}

export interface CloudflareDns {
  /** The zone the domain is in (the domain's own, or the nearest parent's), visible to the token. */
  zoneFor(domain: string): Promise<CfZone | undefined>;
  /** Every record at a name, of every type, across all pages. */
  recordsAt(zoneId: string, name: string): Promise<CfDnsRecord[]>;
  create(zoneId: string, record: CfRecordInput): Promise<CfDnsRecord>;
  edit(zoneId: string, id: string, patch: Partial<CfRecordInput>): Promise<CfDnsRecord>;
  /** Deletes a record; one already gone counts as deleted. */
  remove(zoneId: string, id: string): Promise<void>;
}

export interface CloudflareSettings {
  token: string | undefined;
  /** Another API endpoint (CLOUDFLARE_BASE_URL, as the SDK reads it). */
  baseUrl?: string | undefined;
}

/** Cloudflare's error codes the records step tells apart (its API reference lists them). */
export const CLOUDFLARE_CODES = {
  /** An identical record already exists. */
  identicalRecord: 81058,
  /** The record does not exist. */
  recordNotFound: 81044,
  /** Could not route to the zone: it does not exist (or the token cannot see it). */
  zoneNotFound: 7003,
} as const;

type Sdk = typeof CloudflareSdk;

/** Cloudflare's error codes of a failure from the SDK. */
export function cloudflareCodes(err: unknown): number[] {
  const errors = (err as { errors?: Array<{ code?: number }> } | undefined)?.errors;
  return Array.isArray(errors) ? errors.map((e) => e.code ?? 0) : [];
}

function words(err: unknown, token: string | undefined): string {
  const errors = (err as { errors?: Array<{ code?: number; message?: string }> }).errors;
  const text =
    Array.isArray(errors) && errors.length > 0
      ? errors.map((e) => `${e.message ?? 'error'}${e.code ? ` (${e.code})` : ''}`).join('; ')
      : ((err as Error).message ?? String(err));
  return token ? text.split(token).join('***') : text;
}

/** An SDK failure as the CLI says it: what was being done, Cloudflare's words, and what to do. */
export function cloudflareError(err: unknown, doing: string, sdk: Sdk | undefined, token?: string): HmError {
  const status = (err as { status?: number }).status;
  const base = `Cloudflare refused to ${doing}: ${words(err, token)}`;
  const E = sdk?.default;
  // An unknown token is refused as 403 with code 9109 on /zones, 401 elsewhere.
  if ((E && err instanceof E.AuthenticationError) || status === 401 || cloudflareCodes(err).includes(9109))
    return new HmError('CLOUDFLARE_AUTH', base, 'user', {
      hint: 'CLOUDFLARE_API_TOKEN is not a valid API token. Create one at dash.cloudflare.com → My Profile → API Tokens ("Edit zone DNS", for this zone), then set it again.',
      cause: err,
    });
  if ((E && err instanceof E.PermissionDeniedError) || status === 403)
    return new HmError('CLOUDFLARE_FORBIDDEN', base, 'user', {
      hint: 'The API token may not do this: give it the permission Zone → DNS → Edit on this zone (and Zone → Zone → Read), or use a token that has it.',
      cause: err,
    });
  if ((E && err instanceof E.RateLimitError) || status === 429)
    return new HmError('CLOUDFLARE_RATE_LIMITED', base, 'aws', {
      hint: 'Cloudflare is limiting the requests of this token; wait a minute and re-run (what was written is recorded).',
      cause: err,
    });
  if (E && err instanceof E.APIConnectionError)
    return new HmError(
      'CLOUDFLARE_UNREACHABLE',
      `could not reach Cloudflare's API to ${doing}: ${words(err, token)}`,
      'aws',
      {
        hint: 'Check the network connection (and CLOUDFLARE_BASE_URL, if set), then re-run.',
        cause: err,
      },
    );
  return new HmError('CLOUDFLARE_ERROR', base, 'aws', {
    hint: 'Re-run: every record is read again first. If it persists, check the zone in the Cloudflare dashboard.',
    cause: err,
  });
}

interface RawRecord {
  id?: string;
  name?: string;
  type?: string;
  content?: string;
  ttl?: number;
  proxied?: boolean;
  priority?: number;
}

const toRecord = (raw: RawRecord): CfDnsRecord => ({
  id: raw.id ?? '',
  name: (raw.name ?? '').toLowerCase().replace(/\.$/, ''),
  type: raw.type ?? '',
  content: raw.content ?? '',
  ttl: raw.ttl ?? 1,
  proxied: raw.proxied === true,
  priority: raw.priority,
});

/** The Cloudflare API of a run; throws a clear error when no token is set. */
export async function cloudflareDns(settings: CloudflareSettings): Promise<CloudflareDns> {
  const token = settings.token;
  if (!token) {
    throw new HmError('CLOUDFLARE_NO_TOKEN', '--dns cloudflare needs a Cloudflare API token', 'user', {
      hint: 'Set CLOUDFLARE_API_TOKEN to a token with Zone → DNS → Edit on this zone (dash.cloudflare.com → My Profile → API Tokens → "Edit zone DNS").',
      exitCode: 2,
    });
  }
  const sdk = await import('cloudflare');
  const client = new sdk.default({
    apiToken: token,
    // Only the token: an API key or email in the environment is not mixed in.
    apiKey: null,
    apiEmail: null,
    ...(settings.baseUrl ? { baseURL: settings.baseUrl } : {}),
  });
  const call = async <T>(doing: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw cloudflareError(err, doing, sdk, token);
    }
  };
  return {
    async zoneFor(domain) {
      const labels = domain.toLowerCase().split('.');
      for (let i = 0; i < labels.length - 1; i += 1) {
        const name = labels.slice(i).join('.');
        const zones = await call(`look up the zone ${name}`, async () => {
          const found: CfZone[] = [];
          for await (const zone of client.zones.list({ name })) {
            found.push({
              id: zone.id,
              name: zone.name,
              status: zone.status ?? 'active',
              nameServers: zone.name_servers ?? [],
            });
          }
          return found;
        });
        const zone = zones.find((z) => z.name.toLowerCase() === name);
        if (zone) return zone;
      }
      return undefined;
    },
    recordsAt(zoneId, name) {
      return call(`read the DNS records at ${name}`, async () => {
        const found: CfDnsRecord[] = [];
        for await (const raw of client.dns.records.list({ zone_id: zoneId, name: { exact: name }, per_page: 100 }))
          found.push(toRecord(raw as RawRecord));
        return found.filter((r) => r.name === name.toLowerCase());
      });
    },
    create(zoneId, record) {
      return call(`create ${record.type} ${record.name}`, async () =>
        toRecord((await client.dns.records.create({ zone_id: zoneId, ...record } as never)) as RawRecord),
      );
    },
    edit(zoneId, id, patch) {
      return call(`change the DNS record ${id}`, async () =>
        toRecord((await client.dns.records.edit(id, { zone_id: zoneId, ...patch } as never)) as RawRecord),
      );
    },
    async remove(zoneId, id) {
      try {
        await client.dns.records.delete(id, { zone_id: zoneId });
      } catch (err) {
        if (
          cloudflareCodes(err).includes(CLOUDFLARE_CODES.recordNotFound) ||
          (err as { status?: number }).status === 404
        )
          return;
        throw cloudflareError(err, `delete the DNS record ${id}`, sdk, token);
      }
    },
  };
}
