/**
 * CloudFront of the fake account, to AWS's documented behaviour: ETags change on every write
 * and IfMatch is enforced (InvalidIfMatchVersion / PreconditionFailed), a CallerReference makes
 * a create idempotent, a change deploys (InProgress → Deployed after a few polls), and a
 * distribution is deleted only once disabled and deployed.
 */
import { type Handler, awsError } from './errors.js';

type Json = Record<string, unknown>;
type Tag = { Key?: string | undefined; Value?: string | undefined };

export interface FakeOac {
  id: string;
  config: Json;
  etag: string;
}

export interface FakeDistribution {
  id: string;
  arn: string;
  domainName: string;
  config: Json;
  etag: string;
  status: 'InProgress' | 'Deployed';
  /** GetDistribution calls since the last change. */
  polls: number;
  /** It has been Deployed once: its host name serves from then on (also while a later change deploys). */
  serving?: boolean;
  tags: Tag[];
}

const PRICE_CLASSES = ['PriceClass_100', 'PriceClass_200', 'PriceClass_All', 'None'];
const clone = <T>(v: T): T => structuredClone(v);

interface QuantityList {
  Quantity?: number;
  Items?: unknown[];
}

function checkQuantity(what: string, value: QuantityList | undefined): void {
  if (value === undefined) return;
  if (value.Quantity !== (value.Items ?? []).length) {
    throw awsError(
      'cloudfront',
      'InconsistentQuantities',
      `The value of Quantity and the size of Items don't match (${what}).`,
    );
  }
}

export class FakeCloudFront {
  readonly oacs = new Map<string, FakeOac>();
  readonly distributions = new Map<string, FakeDistribution>();
  /** GetDistribution calls after a change until the distribution reports Deployed. */
  deployAfterPolls = 2;
  /** Items per page of the List calls (AWS: MaxItems, at most 100). */
  pageSize = 100;
  private counter = 0;
  private readonly accountId: () => string;

  constructor(accountId: () => string) {
    this.accountId = accountId;
  }

  private nextId(prefix: string): string {
    this.counter += 1;
    return `${prefix}${String(this.counter).padStart(12, '0')}`;
  }

  /** The distribution a host name belongs to: its cloudfront.net name or one of its aliases. */
  byHost(host: string): FakeDistribution | undefined {
    return [...this.distributions.values()].find(
      (d) => d.domainName === host || ((d.config['Aliases'] as QuantityList | undefined)?.Items ?? []).includes(host),
    );
  }

  private etag(): string {
    return this.nextId('ETAG');
  }

  snapshot(): unknown {
    const oacs = [...this.oacs.values()]
      .map((o) => ({ id: o.id, config: o.config }))
      .sort((a, b) => String(a.config['Name']).localeCompare(String(b.config['Name'])));
    const distributions = [...this.distributions.values()]
      .map((d) => {
        const { CallerReference: _ref, ...config } = d.config;
        return {
          id: d.id,
          domainName: d.domainName,
          config,
          tags: [...d.tags].sort((a, b) => String(a.Key).localeCompare(String(b.Key))),
        };
      })
      .sort((a, b) => a.id.localeCompare(b.id));
    return clone({ oacs, distributions });
  }

  private oac(id: unknown): FakeOac {
    const oac = this.oacs.get(String(id));
    if (!oac) throw awsError('cloudfront', 'NoSuchOriginAccessControl', 'The origin access control does not exist.');
    return oac;
  }

  private distribution(id: unknown): FakeDistribution {
    const d = this.distributions.get(String(id));
    if (!d) throw awsError('cloudfront', 'NoSuchDistribution', 'The specified distribution does not exist.');
    return d;
  }

  private checkIfMatch(ifMatch: unknown, current: string): void {
    if (ifMatch === undefined || ifMatch === '')
      throw awsError(
        'cloudfront',
        'InvalidIfMatchVersion',
        'The If-Match version is missing or not valid for the resource.',
      );
    if (ifMatch !== current)
      throw awsError(
        'cloudfront',
        'PreconditionFailed',
        'The precondition given in one or more of the request-header fields evaluated to false.',
      );
  }

  /** What CloudFront checks in a DistributionConfig (the parts this tool uses). */
  private validate(config: Json, selfId?: string): void {
    for (const key of ['CallerReference', 'Origins', 'DefaultCacheBehavior', 'Comment', 'Enabled']) {
      if (config[key] === undefined)
        throw awsError('cloudfront', 'InvalidArgument', `DistributionConfig is missing ${key}.`);
    }
    if (String(config['Comment']).length > 128)
      throw awsError('cloudfront', 'InvalidArgument', 'The comment is longer than 128 characters.');
    if (config['PriceClass'] !== undefined && !PRICE_CLASSES.includes(String(config['PriceClass'])))
      throw awsError('cloudfront', 'InvalidArgument', 'Invalid PriceClass.');
    const origins = config['Origins'] as { Quantity?: number; Items?: Json[] };
    checkQuantity('Origins', origins);
    const originIds = new Set((origins.Items ?? []).map((o) => o['Id']));
    for (const origin of origins.Items ?? []) {
      const oacId = origin['OriginAccessControlId'];
      if (oacId) {
        this.oac(oacId);
        const oai = (origin['S3OriginConfig'] as Json | undefined)?.['OriginAccessIdentity'];
        if (oai)
          throw awsError(
            'cloudfront',
            'IllegalOriginAccessConfiguration',
            'An origin cannot use both an OAC and an OAI.',
          );
      }
    }
    const behaviours = [
      config['DefaultCacheBehavior'] as Json,
      ...(((config['CacheBehaviors'] as QuantityList | undefined)?.Items ?? []) as Json[]),
    ];
    checkQuantity('CacheBehaviors', config['CacheBehaviors'] as QuantityList | undefined);
    for (const b of behaviours) {
      if (!originIds.has(b['TargetOriginId']))
        throw awsError('cloudfront', 'NoSuchOrigin', `No origin has the id ${String(b['TargetOriginId'])}.`);
      const methods = b['AllowedMethods'] as (QuantityList & { CachedMethods?: QuantityList }) | undefined;
      checkQuantity('AllowedMethods', methods);
      checkQuantity('CachedMethods', methods?.CachedMethods);
      if (b['CachePolicyId']) {
        if (b['ForwardedValues'] !== undefined)
          throw awsError('cloudfront', 'InvalidArgument', 'ForwardedValues cannot be combined with a cache policy.');
      } else {
        if (b['ForwardedValues'] === undefined || b['MinTTL'] === undefined)
          throw awsError(
            'cloudfront',
            'InvalidArgument',
            'The parameter ForwardedValues is required (or a CachePolicyId).',
          );
        const [min, def, max] = [b['MinTTL'], b['DefaultTTL'] ?? 86400, b['MaxTTL'] ?? 31536000] as number[];
        if (!(min! <= def! && def! <= max!))
          throw awsError('cloudfront', 'InvalidTTLOrder', 'The TTL order specified is not valid.');
      }
    }
    checkQuantity(
      'GeoRestriction',
      (config['Restrictions'] as Json | undefined)?.['GeoRestriction'] as QuantityList | undefined,
    );
    const aliases = config['Aliases'] as QuantityList | undefined;
    checkQuantity('Aliases', aliases);
    if ((aliases?.Items ?? []).length > 0) {
      const cert = config['ViewerCertificate'] as Json | undefined;
      const arn = String(cert?.['ACMCertificateArn'] ?? '');
      if (!/^arn:aws:acm:us-east-1:/.test(arn)) {
        throw awsError(
          'cloudfront',
          'InvalidViewerCertificate',
          'To add an alternate domain name (CNAME) you must attach a trusted certificate in us-east-1 that validates it.',
        );
      }
      for (const alias of aliases?.Items ?? []) {
        const owner = [...this.distributions.values()].find(
          (d) => d.id !== selfId && ((d.config['Aliases'] as QuantityList | undefined)?.Items ?? []).includes(alias),
        );
        if (owner)
          throw awsError(
            'cloudfront',
            'CNAMEAlreadyExists',
            `One or more of the CNAMEs you provided are already associated with a different resource.`,
          );
      }
    }
  }

  /** Creates a distribution directly (tests seed an account with it); no call is logged. */
  createDistribution(config: Json, tags: Tag[]): FakeDistribution {
    const existing = [...this.distributions.values()].find(
      (d) => d.config['CallerReference'] === config['CallerReference'],
    );
    if (existing) {
      // Same reference: same answer if the config is identical, an error otherwise.
      if (JSON.stringify(existing.config) === JSON.stringify(config)) return existing;
      throw awsError(
        'cloudfront',
        'DistributionAlreadyExists',
        `The caller reference that you are using to create a distribution is associated with another distribution. Already exists: ${existing.id}`,
      );
    }
    this.validate(config);
    const id = this.nextId('E');
    const d: FakeDistribution = {
      id,
      arn: `arn:aws:cloudfront::${this.accountId()}:distribution/${id}`,
      domainName: `d${id.slice(-8).toLowerCase()}.cloudfront.net`,
      config: clone(config),
      etag: this.etag(),
      status: 'InProgress',
      polls: 0,
      tags: clone(tags),
    };
    this.distributions.set(id, d);
    return d;
  }

  private view(d: FakeDistribution) {
    return {
      Id: d.id,
      ARN: d.arn,
      Status: d.status,
      DomainName: d.domainName,
      LastModifiedTime: new Date(0),
      DistributionConfig: clone(d.config),
    };
  }

  private page<T>(items: T[], input: Json) {
    const size = Math.min(Number(input['MaxItems'] ?? 100), this.pageSize);
    const start = input['Marker'] ? Number(input['Marker']) : 0;
    const slice = items.slice(start, start + size);
    const truncated = start + size < items.length;
    return {
      Marker: String(input['Marker'] ?? ''),
      MaxItems: size,
      IsTruncated: truncated,
      ...(truncated ? { NextMarker: String(start + size) } : {}),
      Quantity: slice.length,
      Items: slice,
    };
  }

  private resource(arn: unknown): FakeDistribution {
    const d = [...this.distributions.values()].find((x) => x.arn === arn);
    if (!d) throw awsError('cloudfront', 'NoSuchResource', 'The specified resource does not exist.');
    return d;
  }

  handlers(): Record<string, Handler> {
    return {
      'cloudfront:CreateOriginAccessControl': (input) => {
        const config = input['OriginAccessControlConfig'] as Json;
        if ([...this.oacs.values()].some((o) => o.config['Name'] === config['Name'])) {
          throw awsError(
            'cloudfront',
            'OriginAccessControlAlreadyExists',
            'An origin access control with the same name already exists.',
          );
        }
        const oac: FakeOac = { id: this.nextId('EOAC'), config: clone(config), etag: this.etag() };
        this.oacs.set(oac.id, oac);
        return { OriginAccessControl: { Id: oac.id, OriginAccessControlConfig: clone(oac.config) }, ETag: oac.etag };
      },
      'cloudfront:GetOriginAccessControl': (input) => {
        const oac = this.oac(input['Id']);
        return { OriginAccessControl: { Id: oac.id, OriginAccessControlConfig: clone(oac.config) }, ETag: oac.etag };
      },
      'cloudfront:ListOriginAccessControls': (input) => ({
        OriginAccessControlList: this.page(
          [...this.oacs.values()].map((o) => ({ Id: o.id, ...o.config })),
          input,
        ),
      }),
      'cloudfront:UpdateOriginAccessControl': (input) => {
        const oac = this.oac(input['Id']);
        this.checkIfMatch(input['IfMatch'], oac.etag);
        oac.config = clone(input['OriginAccessControlConfig'] as Json);
        oac.etag = this.etag();
        return { OriginAccessControl: { Id: oac.id, OriginAccessControlConfig: clone(oac.config) }, ETag: oac.etag };
      },
      'cloudfront:DeleteOriginAccessControl': (input) => {
        const oac = this.oac(input['Id']);
        this.checkIfMatch(input['IfMatch'], oac.etag);
        const used = [...this.distributions.values()].some((d) =>
          ((d.config['Origins'] as { Items?: Json[] }).Items ?? []).some((o) => o['OriginAccessControlId'] === oac.id),
        );
        if (used)
          throw awsError(
            'cloudfront',
            'OriginAccessControlInUse',
            'Cannot delete the origin access control because it is in use.',
          );
        this.oacs.delete(oac.id);
        return {};
      },
      'cloudfront:CreateDistribution': (input) => {
        const d = this.createDistribution(input['DistributionConfig'] as Json, []);
        return {
          Distribution: this.view(d),
          ETag: d.etag,
          Location: `https://cloudfront.amazonaws.com/2020-05-31/distribution/${d.id}`,
        };
      },
      'cloudfront:CreateDistributionWithTags': (input) => {
        const withTags = input['DistributionConfigWithTags'] as { DistributionConfig: Json; Tags?: { Items?: Tag[] } };
        const d = this.createDistribution(withTags.DistributionConfig, withTags.Tags?.Items ?? []);
        return {
          Distribution: this.view(d),
          ETag: d.etag,
          Location: `https://cloudfront.amazonaws.com/2020-05-31/distribution/${d.id}`,
        };
      },
      'cloudfront:GetDistribution': (input) => {
        const d = this.distribution(input['Id']);
        if (d.status === 'InProgress') {
          d.polls += 1;
          if (d.polls >= this.deployAfterPolls) {
            d.status = 'Deployed';
            d.serving = true;
          }
        }
        return { Distribution: this.view(d), ETag: d.etag };
      },
      'cloudfront:GetDistributionConfig': (input) => {
        const d = this.distribution(input['Id']);
        return { DistributionConfig: clone(d.config), ETag: d.etag };
      },
      'cloudfront:UpdateDistribution': (input) => {
        const d = this.distribution(input['Id']);
        this.checkIfMatch(input['IfMatch'], d.etag);
        const config = input['DistributionConfig'] as Json;
        if (config['CallerReference'] !== d.config['CallerReference'])
          throw awsError('cloudfront', 'IllegalUpdate', 'The CallerReference of a distribution cannot be changed.');
        this.validate(config, d.id);
        d.config = clone(config);
        d.etag = this.etag();
        d.status = 'InProgress';
        d.polls = 0;
        return { Distribution: this.view(d), ETag: d.etag };
      },
      'cloudfront:DeleteDistribution': (input) => {
        const d = this.distribution(input['Id']);
        this.checkIfMatch(input['IfMatch'], d.etag);
        if (d.config['Enabled'] === true || d.status !== 'Deployed') {
          throw awsError(
            'cloudfront',
            'DistributionNotDisabled',
            'The distribution you are trying to delete has not been disabled.',
          );
        }
        this.distributions.delete(d.id);
        return {};
      },
      'cloudfront:ListDistributions': (input) => {
        const summaries = [...this.distributions.values()].map((d) => {
          const c = d.config;
          return {
            Id: d.id,
            ARN: d.arn,
            Status: d.status,
            DomainName: d.domainName,
            Comment: c['Comment'],
            Enabled: c['Enabled'],
            Origins: clone(c['Origins']),
            Aliases: clone(c['Aliases'] ?? { Quantity: 0 }),
          };
        });
        return { DistributionList: this.page(summaries, input) };
      },
      'cloudfront:ListTagsForResource': (input) => ({ Tags: { Items: clone(this.resource(input['Resource']).tags) } }),
      'cloudfront:TagResource': (input) => {
        const d = this.resource(input['Resource']);
        for (const tag of (input['Tags'] as { Items?: Tag[] }).Items ?? []) {
          d.tags = [...d.tags.filter((t) => t.Key !== tag.Key), tag];
        }
        return {};
      },
    };
  }
}
