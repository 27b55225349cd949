import * as z from 'zod/mini';
import { toHmError } from '../../aws/errors.js';
import { Route53 } from '../../aws/sdk.js';
import { attempt } from '../../engine/resource.js';
import type { Step, StepContext } from '../../engine/types.js';
import { HmError } from '../../errors.js';

const outputsSchema = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('route53'), zoneId: z.string(), zoneName: z.string() }),
  z.object({
    mode: z.literal('cloudflare'),
    zoneId: z.string(),
    zoneName: z.string(),
    nameServers: z.optional(z.array(z.string())),
  }),
  z.object({ mode: z.literal('external'), reason: z.string() }),
]);
export type DnsZoneOutputs = z.infer<typeof outputsSchema>;

declare module '../../engine/types.js' {
  interface StepOutputs {
    'dns-zone': DnsZoneOutputs;
  }
}

const bareId = (id: string) => id.replace(/^\/hostedzone\//, '');
const fqdn = (name: string) => `${name.toLowerCase().replace(/\.$/, '')}.`;

/** The zone --hosted-zone-id names: it must exist, be public and be named like the domain. */
async function zoneById(ctx: StepContext, id: string): Promise<DnsZoneOutputs> {
  const domain = ctx.config.domain;
  const { HostedZone: zone } = await attempt(
    () => ctx.aws.route53().send(new Route53.GetHostedZoneCommand({ Id: id })),
    `read Route 53 hosted zone ${id}`,
    (err) =>
      err instanceof Route53.NoSuchHostedZone
        ? new HmError('ROUTE53_NO_SUCH_ZONE', `Route 53 has no hosted zone ${id} in this account`, 'user', {
            hint: 'Check --hosted-zone-id (`aws route53 list-hosted-zones-by-name`), or leave it out to find the zone by name.',
          })
        : undefined,
  );
  if (!zone?.Name || fqdn(zone.Name) !== fqdn(domain)) {
    throw new HmError(
      'ROUTE53_ZONE_MISMATCH',
      `hosted zone ${id} is for ${zone?.Name ?? 'an unknown name'}, not ${domain}`,
      'user',
      {
        hint: `Pass the id of the public zone named ${domain}, or leave out --hosted-zone-id.`,
      },
    );
  }
  if (zone.Config?.PrivateZone) {
    throw new HmError(
      'ROUTE53_PRIVATE_ZONE',
      `hosted zone ${id} is private: SES and mail servers cannot see its records`,
      'user',
      {
        hint: `Use the public zone for ${domain}, or --dns external to add the records at your DNS host.`,
      },
    );
  }
  return { mode: 'route53', zoneId: bareId(id), zoneName: domain };
}

/** Any failure to list the zones also says how to go on without Route 53. */
function withExternalHint(err: unknown, doing: string): HmError {
  const error = toHmError(err, doing);
  return new HmError(error.code, error.message, error.source, {
    hint: `${error.hint ?? ''} To add the DNS records at another DNS host, re-run with --dns external.`.trim(),
    exitCode: error.exitCode,
    cause: err,
  });
}

/** The public zones named exactly like the domain (ListHostedZonesByName also returns the names after it). */
async function zonesNamed(ctx: StepContext, domain: string) {
  const doing = `look up the Route 53 hosted zone of ${domain}`;
  const { HostedZones } = await attempt(
    () => ctx.aws.route53().send(new Route53.ListHostedZonesByNameCommand({ DNSName: domain, MaxItems: 20 })),
    doing,
    (err) => withExternalHint(err, doing),
  );
  return (HostedZones ?? []).filter(
    (found) => found.Name !== undefined && fqdn(found.Name) === fqdn(domain) && found.Config?.PrivateZone !== true,
  );
}

/** The Cloudflare zone that holds the domain (its own, or a parent's), as the API token sees it. */
async function cloudflareZone(ctx: StepContext): Promise<DnsZoneOutputs> {
  const domain = ctx.config.domain;
  const api = await ctx.aws.cloudflare();
  const zone = await ctx.reads.once(`cloudflare:zone:${domain}`, () => api.zoneFor(domain));
  if (!zone) {
    throw new HmError(
      'CLOUDFLARE_NO_ZONE',
      `no Cloudflare zone holds ${domain}, as far as the API token can see`,
      'user',
      {
        hint: `Add ${domain} to Cloudflare first, or give the token access to its zone (Zone → DNS → Edit, on that zone); or use --dns external to add the records at your DNS host.`,
      },
    );
  }
  if (zone.status !== 'active')
    ctx.report(
      `the Cloudflare zone ${zone.name} is ${zone.status}: its records are served once the domain's nameservers are ${zone.nameServers.join(', ') || "Cloudflare's"}`,
    );
  ctx.debug(`records go to Cloudflare zone ${zone.name} (${zone.id})`);
  return { mode: 'cloudflare', zoneId: zone.id, zoneName: zone.name, nameServers: zone.nameServers };
}

/**
 * Where the email DNS records go: the public Route 53 zone named exactly like the domain, or,
 * when there is none (or with --dns external), printed for the user's DNS host. It only reads:
 * it decides where the records go and never creates a zone.
 */
export const dnsZoneStep: Step<DnsZoneOutputs, DnsZoneOutputs> = {
  id: 'dns-zone',
  title: 'DNS zone',
  service: 'DNS',
  dependsOn: ['account'],
  readOnly: true,
  outputsSchema,

  async read(ctx) {
    const { domain, dns, hostedZoneId } = ctx.config;
    if (dns === 'external') return { mode: 'external', reason: '--dns external' };
    if (dns === 'cloudflare') return cloudflareZone(ctx);
    if (hostedZoneId !== undefined) return zoneById(ctx, hostedZoneId);
    const matches = await zonesNamed(ctx, domain);
    if (matches.length > 1) {
      throw new HmError(
        'ROUTE53_AMBIGUOUS',
        `${matches.length} public Route 53 zones are named ${domain}: ${matches.map((found) => bareId(found.Id ?? '')).join(', ')}`,
        'user',
        {
          hint:
            'Pass --hosted-zone-id with the one your domain is delegated to (compare its name servers with `dig NS ' +
            domain +
            '`).',
        },
      );
    }
    const zone = matches[0];
    if (zone?.Id) {
      ctx.debug(`records go to Route 53 zone ${bareId(zone.Id)}`);
      return { mode: 'route53', zoneId: bareId(zone.Id), zoneName: domain };
    }
    if (dns === 'route53') {
      throw new HmError(
        'ROUTE53_NO_ZONE',
        `this AWS account has no public Route 53 hosted zone named ${domain}`,
        'user',
        {
          hint: `Create the zone first (and delegate the domain to it), or use --dns external to add the records at your DNS host.`,
        },
      );
    }
    const reason = `no public Route 53 hosted zone named ${domain}`;
    ctx.debug(`${reason}: the records will be printed for your DNS host`);
    return { mode: 'external', reason };
  },

  plan: () => [],
  apply: async (_ctx, observed) => ({ type: 'unchanged', outputs: observed as DnsZoneOutputs }),
  outputs: (_ctx, observed) => observed,
  destroy: async () => undefined,
};
