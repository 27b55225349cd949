import { Route53 } from '../../aws/sdk.js';
import { toHmError } from '../../aws/errors.js';
import { HmError } from '../../errors.js';
import type { Step, StepContext } from '../../engine/types.js';

export type DnsZoneOutputs =
  { mode: 'route53'; zoneId: string; zoneName: string } | { mode: 'external'; reason: string };

declare module '../../engine/types.js' {
  interface StepOutputs {
    'dns-zone': DnsZoneOutputs;
  }
}

const bareId = (id: string) => id.replace(/^\/hostedzone\//, '');
const fqdn = (name: string) => `${name.toLowerCase().replace(/\.$/, '')}.`;

async function zoneById(ctx: StepContext, id: string): Promise<DnsZoneOutputs> {
  const domain = ctx.config.domain;
  let zone;
  try {
    zone = (await ctx.aws.route53().send(new Route53.GetHostedZoneCommand({ Id: id }))).HostedZone;
  } catch (err) {
    if (err instanceof Route53.NoSuchHostedZone) {
      throw new HmError('ROUTE53_NO_SUCH_ZONE', `Route 53 has no hosted zone ${id} in this account`, 'user', {
        hint: 'Check --hosted-zone-id (`aws route53 list-hosted-zones-by-name`), or leave it out to find the zone by name.',
      });
    }
    throw toHmError(err, `read Route 53 hosted zone ${id}`);
  }
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

/**
 * Where the email DNS records go: the public Route 53 zone named exactly like the domain, or,
 * when there is none (or with --dns external), printed for the user's DNS host.
 */
export const dnsZoneStep: Step<DnsZoneOutputs, DnsZoneOutputs> = {
  id: 'dns-zone',
  title: 'DNS zone',
  service: 'DNS',
  dependsOn: ['account'],
  readOnly: true,

  async read(ctx) {
    const { domain, dns, hostedZoneId } = ctx.config;
    if (dns === 'external') return { mode: 'external', reason: '--dns external' };
    if (hostedZoneId !== undefined) return zoneById(ctx, hostedZoneId);
    let zones;
    try {
      zones =
        (await ctx.aws.route53().send(new Route53.ListHostedZonesByNameCommand({ DNSName: domain, MaxItems: 20 })))
          .HostedZones ?? [];
    } catch (err) {
      const error = toHmError(err, `look up the Route 53 hosted zone of ${domain}`);
      throw new HmError(error.code, error.message, error.source, {
        hint: `${error.hint ?? ''} To add the DNS records at another DNS host, re-run with --dns external.`.trim(),
        exitCode: error.exitCode,
        cause: err,
      });
    }
    const matches = zones.filter(
      (z) => z.Name !== undefined && fqdn(z.Name) === fqdn(domain) && z.Config?.PrivateZone !== true,
    );
    if (matches.length > 1) {
      throw new HmError(
        'ROUTE53_AMBIGUOUS',
        `${matches.length} public Route 53 zones are named ${domain}: ${matches.map((z) => bareId(z.Id ?? '')).join(', ')}`,
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
