/**
 * CloudFront as its API reference documents it, in front of moto's (see README.md here for
 * what moto does instead). The harness keeps, per distribution, the configuration as the
 * client sent it, its own ETag and when it last changed, and answers from those:
 *
 * - reads (GetDistribution, GetDistributionConfig, ListDistributions) return the configuration
 *   as sent (moto drops `OriginAccessControlId`, `S3OriginConfig`, and lists summaries without
 *   comment, origins or behaviours), the ARN in AWS's form (`arn:aws:cloudfront::ACCOUNT:…`),
 *   `Status` InProgress for `deployMs` after each change (then Deployed), and a new ETag
 *   after each update;
 * - `If-Match` is checked on update and delete of distributions and origin access controls
 *   (missing → InvalidIfMatchVersion 400, stale → PreconditionFailed 412);
 * - a changed CallerReference is IllegalUpdate; deleting an enabled (or still deploying)
 *   distribution is DistributionNotDisabled 409, an origin access control that a distribution
 *   uses OriginAccessControlInUse 409; a second origin access control of the same name is
 *   OriginAccessControlAlreadyExists 409; GetOriginAccessControlConfig is answered;
 * - tagging takes AWS's ARNs, and an unknown resource is NoSuchResource; invalidations are
 *   InProgress when created and Completed after (moto: COMPLETED).
 *
 * What the harness has not seen (a distribution made before it started) it adopts on first
 * sight with moto's configuration and ETag.
 */
import { randomBytes } from 'node:crypto';
import type { Exchange, ServiceLayer, Upstream } from './upstream.js';
import { bodyText, withBody } from './upstream.js';
import { xmlServiceError } from './errors.js';
import { KeyedLock } from './lock.js';
import type { WireResponse } from './wire.js';
import {
  type XmlElement,
  child,
  children,
  cloneXml,
  el,
  find,
  leaf,
  parseXml,
  serializeXml,
  setChild,
  setText,
  textAt,
} from './xml.js';

const NS = 'http://cloudfront.amazonaws.com/doc/2020-05-31/';
const API = '/2020-05-31';

interface DistributionState {
  /** The DistributionConfig as the client last sent it. */
  config: XmlElement;
  etag: string;
  changedAt: number;
}

/** An ETag as CloudFront makes them (`E2QWRUHAPOMQZL`). */
const newEtag = () =>
  `E${randomBytes(16)
    .toString('base64')
    .replace(/[^A-Z0-9]/gi, '')
    .toUpperCase()
    .slice(0, 13)}`;

/** moto writes `arn:aws:cloudfront:ACCOUNT:…`; CloudFront's ARNs have an empty region field. */
export const awsArn = (arn: string) => arn.replace(/^arn:(aws[\w-]*):cloudfront:(\d{12}):/, 'arn:$1:cloudfront::$2:');
const motoArn = (arn: string) => arn.replace(/^arn:(aws[\w-]*):cloudfront::(\d{12}):/, 'arn:$1:cloudfront:$2:');

const error = (status: number, code: string, message: string) => xmlServiceError('cloudfront', status, code, message);
const missingIfMatch = () =>
  error(400, 'InvalidIfMatchVersion', 'The If-Match version is missing or not valid for the resource.');
const staleIfMatch = () =>
  error(
    412,
    'PreconditionFailed',
    'The precondition given in one or more of the request-header fields evaluated to false.',
  );

function xmlAnswer(res: WireResponse, root: XmlElement, etag?: string): WireResponse {
  return withBody(res, serializeXml(root, true), { 'content-type': 'text/xml', ...(etag ? { etag } : {}) });
}

function parseOrUndefined(body: Buffer | string): XmlElement | undefined {
  try {
    return parseXml(body);
  } catch {
    return undefined;
  }
}

/** The DistributionConfig of a create or update body, without its namespace attribute. */
function sentConfig(body: Buffer): XmlElement | undefined {
  const root = parseOrUndefined(body);
  const config = root?.name === 'DistributionConfigWithTags' ? child(root, 'DistributionConfig') : root;
  return config?.name === 'DistributionConfig' ? { ...cloneXml(config), attributes: {} } : undefined;
}

const idFromPath = (x: Exchange) => x.url.pathname.split('/')[3] ?? '';

/** The OAC ids the origins of a configuration use. */
const oacIdsOf = (config: XmlElement) =>
  children(find(config, 'Origins', 'Items'), 'Origin')
    .map((o) => textAt(o, 'OriginAccessControlId') ?? '')
    .filter((id) => id !== '');

/** DistributionSummary members taken from the configuration, in the API's order, with the defaults CloudFront reports. */
const SUMMARY_FIELDS: Array<[name: string, fallback: () => XmlElement]> = [
  ['Aliases', () => el('Aliases', [leaf('Quantity', 0)])],
  ['Origins', () => el('Origins', [leaf('Quantity', 0)])],
  ['OriginGroups', () => el('OriginGroups', [leaf('Quantity', 0)])],
  ['DefaultCacheBehavior', () => el('DefaultCacheBehavior')],
  ['CacheBehaviors', () => el('CacheBehaviors', [leaf('Quantity', 0)])],
  ['CustomErrorResponses', () => el('CustomErrorResponses', [leaf('Quantity', 0)])],
  ['Comment', () => leaf('Comment', '')],
  ['PriceClass', () => leaf('PriceClass', 'PriceClass_All')],
  ['Enabled', () => leaf('Enabled', false)],
  ['ViewerCertificate', () => el('ViewerCertificate', [leaf('CloudFrontDefaultCertificate', true)])],
  [
    'Restrictions',
    () => el('Restrictions', [el('GeoRestriction', [leaf('RestrictionType', 'none'), leaf('Quantity', 0)])]),
  ],
  ['WebACLId', () => leaf('WebACLId', '')],
  ['HttpVersion', () => leaf('HttpVersion', 'http2')],
  ['IsIPV6Enabled', () => leaf('IsIPV6Enabled', false)],
];

export class CloudFrontLayer implements ServiceLayer {
  /** How long a distribution reports InProgress after a change (AWS: minutes; 0 = Deployed on the next read). */
  deployMs = 0;
  private readonly distributions = new Map<string, DistributionState>();
  private readonly oacEtags = new Map<string, string>();
  private readonly lock = new KeyedLock();

  reset(): void {
    this.distributions.clear();
    this.oacEtags.clear();
  }

  /** The configuration the harness holds for a distribution (as sent), for tests. */
  configOf(id: string): string | undefined {
    const state = this.distributions.get(id);
    return state ? serializeXml(state.config) : undefined;
  }

  handle(x: Exchange, moto: Upstream): Promise<WireResponse> {
    switch (x.operation) {
      case 'CreateDistribution':
      case 'CreateDistributionWithTags':
        return this.createDistribution(x, moto);
      case 'GetDistribution':
      case 'GetDistributionConfig':
        return this.readDistribution(x, moto);
      case 'UpdateDistribution':
        return this.lock.run(idFromPath(x), () => this.updateDistribution(x, moto));
      case 'DeleteDistribution':
        return this.lock.run(idFromPath(x), () => this.deleteDistribution(x, moto));
      case 'ListDistributions':
        return this.listDistributions(x, moto);
      case 'ListTagsForResource':
      case 'TagResource':
      case 'UntagResource':
        return this.tagging(x, moto);
      case 'CreateOriginAccessControl':
        return this.lock.run('oac-names', () => this.createOac(x, moto));
      case 'GetOriginAccessControl':
        return this.getOac(x, moto);
      case 'GetOriginAccessControlConfig':
        return this.getOacConfig(x, moto);
      case 'UpdateOriginAccessControl':
        return this.lock.run(idFromPath(x), () => this.updateOac(x, moto));
      case 'DeleteOriginAccessControl':
        return this.lock.run(idFromPath(x), () => this.deleteOac(x, moto));
      case 'CreateInvalidation':
      case 'GetInvalidation':
      case 'ListInvalidations':
        return this.invalidation(x, moto);
      default:
        return moto.forward(x.req);
    }
  }

  // ── distributions ─────────────────────────────────────────────────────────────────────

  private status(state: DistributionState): string {
    return Date.now() - state.changedAt < this.deployMs ? 'InProgress' : 'Deployed';
  }

  /** A Distribution element of moto's, made what CloudFront would answer. */
  private present(distribution: XmlElement, state: DistributionState, status = this.status(state)): XmlElement {
    const out = cloneXml(distribution);
    setText(out, 'ARN', awsArn(textAt(out, 'ARN') ?? ''));
    setText(out, 'Status', status);
    setText(out, 'LastModifiedTime', new Date(state.changedAt).toISOString());
    setChild(out, cloneXml(state.config));
    return out;
  }

  /** The state of a distribution, adopting moto's view of one the harness has not seen. */
  private adopt(
    id: string,
    distribution: XmlElement | undefined,
    etag: string | undefined,
  ): DistributionState | undefined {
    const known = this.distributions.get(id);
    if (known) return known;
    const config = child(distribution, 'DistributionConfig');
    if (!config) return undefined;
    const state = { config: { ...cloneXml(config), attributes: {} }, etag: etag ?? newEtag(), changedAt: Date.now() };
    this.distributions.set(id, state);
    return state;
  }

  /** Reads a distribution from moto (adopting it); the error answer when moto has none. */
  private async current(x: Exchange, moto: Upstream, id: string): Promise<DistributionState | WireResponse> {
    const res = await moto.call(x, 'cloudfront', 'GET', `${API}/distribution/${encodeURIComponent(id)}`);
    if (res.status !== 200) {
      this.distributions.delete(id);
      return res;
    }
    const root = parseOrUndefined(res.body);
    return this.adopt(id, root, res.headers['etag']) ?? res;
  }

  private checkIfMatch(x: Exchange, etag: string): WireResponse | undefined {
    const ifMatch = x.req.headers['if-match'];
    if (ifMatch === undefined || ifMatch === '') return missingIfMatch();
    return ifMatch === etag ? undefined : staleIfMatch();
  }

  private async createDistribution(x: Exchange, moto: Upstream): Promise<WireResponse> {
    const config = sentConfig(x.req.body);
    const res = await moto.forward(x.req);
    const root = res.status === 201 && config ? parseOrUndefined(res.body) : undefined;
    const id = textAt(root, 'Id');
    if (!root || !config || !id) return res;
    const state = { config, etag: newEtag(), changedAt: Date.now() };
    this.distributions.set(id, state);
    return xmlAnswer(res, this.present(root, state, 'InProgress'), state.etag);
  }

  private async readDistribution(x: Exchange, moto: Upstream): Promise<WireResponse> {
    const id = idFromPath(x);
    if (x.operation === 'GetDistributionConfig') {
      const state = await this.current(x, moto, id);
      if (!('config' in state)) return state;
      return xmlAnswer(
        { status: 200, headers: {}, body: '' },
        { ...cloneXml(state.config), attributes: { xmlns: NS } },
        state.etag,
      );
    }
    const res = await moto.forward(x.req);
    if (res.status !== 200) {
      if (res.status === 404) this.distributions.delete(id);
      return res;
    }
    const root = parseOrUndefined(res.body);
    const state = root && this.adopt(id, root, res.headers['etag']);
    if (!root || !state) return res;
    return xmlAnswer(res, this.present(root, state), state.etag);
  }

  private async updateDistribution(x: Exchange, moto: Upstream): Promise<WireResponse> {
    const id = idFromPath(x);
    const state = await this.current(x, moto, id);
    if (!('config' in state)) return state;
    const refused = this.checkIfMatch(x, state.etag);
    if (refused) return refused;
    const config = sentConfig(x.req.body);
    if (!config) return moto.forward(x.req);
    const reference = textAt(config, 'CallerReference');
    if (reference !== textAt(state.config, 'CallerReference')) {
      return error(
        400,
        'IllegalUpdate',
        `The CallerReference of a distribution cannot be changed (it is ${textAt(state.config, 'CallerReference') ?? ''}, the request has ${reference ?? 'none'}).`,
      );
    }
    const res = await moto.forward(x.req);
    const root = res.status === 200 ? parseOrUndefined(res.body) : undefined;
    if (!root) return res;
    Object.assign(state, { config, etag: newEtag(), changedAt: Date.now() });
    return xmlAnswer(res, this.present(root, state, 'InProgress'), state.etag);
  }

  private async deleteDistribution(x: Exchange, moto: Upstream): Promise<WireResponse> {
    const id = idFromPath(x);
    const state = await this.current(x, moto, id);
    if (!('config' in state)) return state;
    const refused = this.checkIfMatch(x, state.etag);
    if (refused) return refused;
    if (textAt(state.config, 'Enabled') !== 'false' || this.status(state) !== 'Deployed') {
      return error(
        409,
        'DistributionNotDisabled',
        'The distribution you are trying to delete has not been disabled (or its disabling has not finished deploying).',
      );
    }
    const res = await moto.forward(x.req);
    if (res.status === 204) this.distributions.delete(id);
    return res;
  }

  private summary(item: XmlElement, state: DistributionState): XmlElement {
    const value = (name: string) => child(item, name);
    const fromConfig = SUMMARY_FIELDS.map(([name, fallback]) => cloneXml(child(state.config, name) ?? fallback()));
    return el('DistributionSummary', [
      leaf('Id', textAt(item, 'Id') ?? ''),
      leaf('ARN', awsArn(textAt(item, 'ARN') ?? '')),
      leaf('ETag', state.etag),
      leaf('Status', this.status(state)),
      leaf('LastModifiedTime', new Date(state.changedAt).toISOString()),
      leaf('DomainName', textAt(item, 'DomainName') ?? ''),
      ...fromConfig,
      value('AliasICPRecordals') ?? el('AliasICPRecordals'),
      leaf('Staging', false),
    ]);
  }

  private async listDistributions(x: Exchange, moto: Upstream): Promise<WireResponse> {
    const res = await moto.forward(x.req);
    const root = res.status === 200 ? parseOrUndefined(res.body) : undefined;
    const items = find(root, 'Items');
    if (!root || !items) return res;
    const summaries: XmlElement[] = [];
    for (const item of children(items, 'DistributionSummary')) {
      const id = textAt(item, 'Id') ?? '';
      const state = this.distributions.get(id) ?? (await this.current(x, moto, id));
      summaries.push('config' in state ? this.summary(item, state) : item);
    }
    items.children = summaries;
    return xmlAnswer(res, root);
  }

  /** Tagging takes AWS's ARN (moto stores tags under its own form) and knows unknown resources. */
  private async tagging(x: Exchange, moto: Upstream): Promise<WireResponse> {
    const resource = x.url.searchParams.get('Resource') ?? '';
    const id = /:distribution\/([^/]+)$/.exec(resource)?.[1];
    if (id !== undefined) {
      const state = await this.current(x, moto, id);
      if (!('config' in state))
        return error(404, 'NoSuchResource', `The specified resource does not exist: ${resource}`);
    }
    const url = new URL(x.url.href);
    url.searchParams.set('Resource', motoArn(resource));
    return moto.forward({ ...x.req, url: `${url.pathname}${url.search}` });
  }

  /**
   * moto reports invalidations `COMPLETED` at once; CloudFront's statuses are `InProgress`
   * (what CreateInvalidation answers) and `Completed` (what the SDK waiters wait for).
   */
  private async invalidation(x: Exchange, moto: Upstream): Promise<WireResponse> {
    const res = await moto.forward(x.req);
    if (res.status >= 300) return res;
    const status = x.operation === 'CreateInvalidation' ? 'InProgress' : 'Completed';
    return withBody(res, bodyText(res).replace(/<Status>COMPLETED<\/Status>/g, `<Status>${status}</Status>`));
  }

  // ── origin access controls ────────────────────────────────────────────────────────────

  private async oacNames(x: Exchange, moto: Upstream): Promise<string[]> {
    const names: string[] = [];
    let marker: string | undefined;
    do {
      const res = await moto.call(
        x,
        'cloudfront',
        'GET',
        `${API}/origin-access-control${marker ? `?Marker=${encodeURIComponent(marker)}` : ''}`,
      );
      const root = res.status === 200 ? parseOrUndefined(res.body) : undefined;
      for (const summary of children(find(root, 'Items'), 'OriginAccessControlSummary'))
        names.push(textAt(summary, 'Name') ?? '');
      marker = textAt(root, 'IsTruncated') === 'true' ? textAt(root, 'NextMarker') : undefined;
    } while (marker);
    return names;
  }

  /** moto's answer for an OAC, with the harness's ETag (adopting moto's for one not seen yet). */
  private async currentOac(x: Exchange, moto: Upstream, id: string): Promise<{ res: WireResponse; etag: string }> {
    const res = await moto.call(x, 'cloudfront', 'GET', `${API}/origin-access-control/${encodeURIComponent(id)}`);
    if (res.status !== 200) this.oacEtags.delete(id);
    return { res, etag: this.oacEtag(id, res) };
  }

  private oacEtag(id: string, res: WireResponse): string {
    let etag = this.oacEtags.get(id);
    if (etag === undefined && res.status === 200) {
      etag = res.headers['etag'] ?? newEtag();
      this.oacEtags.set(id, etag);
    }
    return etag ?? '';
  }

  private async createOac(x: Exchange, moto: Upstream): Promise<WireResponse> {
    const name = textAt(parseOrUndefined(x.req.body), 'Name');
    if (name !== undefined && (await this.oacNames(x, moto)).includes(name)) {
      return error(
        409,
        'OriginAccessControlAlreadyExists',
        `An origin access control with the name ${name} already exists.`,
      );
    }
    const res = await moto.forward(x.req);
    const id = res.status === 201 ? textAt(parseOrUndefined(res.body), 'Id') : undefined;
    if (id === undefined) return res;
    const etag = newEtag();
    this.oacEtags.set(id, etag);
    return withBody(res, bodyText(res), { etag });
  }

  private async getOac(x: Exchange, moto: Upstream): Promise<WireResponse> {
    const res = await moto.forward(x.req);
    if (res.status !== 200) return res;
    return withBody(res, bodyText(res), { etag: this.oacEtag(idFromPath(x), res) });
  }

  /** moto answers 500: the configuration is the one GetOriginAccessControl holds. */
  private async getOacConfig(x: Exchange, moto: Upstream): Promise<WireResponse> {
    const { res, etag } = await this.currentOac(x, moto, idFromPath(x));
    const config = child(res.status === 200 ? parseOrUndefined(res.body) : undefined, 'OriginAccessControlConfig');
    if (!config) return res;
    return xmlAnswer(res, { ...cloneXml(config), attributes: { xmlns: NS } }, etag);
  }

  private async updateOac(x: Exchange, moto: Upstream): Promise<WireResponse> {
    const id = idFromPath(x);
    const current = await this.currentOac(x, moto, id);
    if (current.res.status !== 200) return current.res;
    const refused = this.checkIfMatch(x, current.etag);
    if (refused) return refused;
    const res = await moto.forward(x.req);
    if (res.status !== 200) return res;
    const etag = newEtag();
    this.oacEtags.set(id, etag);
    return withBody(res, bodyText(res), { etag });
  }

  private async deleteOac(x: Exchange, moto: Upstream): Promise<WireResponse> {
    const id = idFromPath(x);
    const current = await this.currentOac(x, moto, id);
    if (current.res.status !== 200) return current.res;
    const refused = this.checkIfMatch(x, current.etag);
    if (refused) return refused;
    const users = [...this.distributions.entries()]
      .filter(([, state]) => oacIdsOf(state.config).includes(id))
      .map(([distributionId]) => distributionId);
    if (users.length > 0)
      return error(
        409,
        'OriginAccessControlInUse',
        `The origin access control ${id} is in use by distribution ${users.join(', ')}.`,
      );
    const res = await moto.forward(x.req);
    if (res.status === 204) this.oacEtags.delete(id);
    return res;
  }
}
