/**
 * S3 as its API reference documents it, in front of moto's (see README.md here):
 *
 * - bucket policies: kept as sent (GetBucketPolicy returns them), checked as S3 checks them
 *   (MalformedPolicy; a public policy while BlockPublicPolicy is on is AccessDenied), moto
 *   given only what it evaluates right, and the Deny statements on `aws:SecureTransport`
 *   evaluated by the harness for every request to the bucket: the plain-HTTP port is
 *   `aws:SecureTransport` false, the TLS port true;
 * - a new bucket gets what AWS has given new buckets since April 2023: Block Public Access on,
 *   BucketOwnerEnforced (or the `x-amz-object-ownership` asked for), SSE-S3 default encryption;
 * - bucket names are checked against S3's naming rules (InvalidBucketName);
 * - moto's empty-bodied 403 for a denied object request gets S3's AccessDenied document.
 */
import { createHash } from 'node:crypto';
import { s3Target } from './classify.js';
import { s3Error } from './errors.js';
import { type BucketPolicy, explicitDeny, iamAction, isPublicPolicy, parsePolicy, policyForMoto } from './s3-policy.js';
import type { Exchange, ServiceLayer, Upstream } from './upstream.js';
import { bodyText, withBody } from './upstream.js';
import type { WireResponse } from './wire.js';
import { parseXml, textAt } from './xml.js';

const S3_NS = 'http://s3.amazonaws.com/doc/2006-03-01/';

/** Why S3 would refuse this name for a general purpose bucket, or undefined when it is valid. */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return 'must be 3 to 63 characters long';
  if (!/^[a-z0-9.-]+$/.test(name)) return 'may hold lowercase letters, digits, dots and hyphens only';
  if (!/^[a-z0-9].*[a-z0-9]$/.test(name)) return 'must begin and end with a letter or digit';
  if (name.includes('..')) return 'must not hold two adjacent dots';
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return 'must not be formatted as an IP address';
  if (/^(xn--|sthree-|amzn-s3-demo-)/.test(name)) return 'must not begin with xn--, sthree- or amzn-s3-demo-';
  if (/(-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$/.test(name)) return 'must not end with a reserved suffix';
  return undefined;
}

const defaultsFor = (ownership: string): Array<[sub: string, body: string]> => [
  [
    'publicAccessBlock',
    `<PublicAccessBlockConfiguration xmlns="${S3_NS}"><BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls><BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>true</RestrictPublicBuckets></PublicAccessBlockConfiguration>`,
  ],
  [
    'ownershipControls',
    `<OwnershipControls xmlns="${S3_NS}"><Rule><ObjectOwnership>${ownership}</ObjectOwnership></Rule></OwnershipControls>`,
  ],
  [
    'encryption',
    `<ServerSideEncryptionConfiguration xmlns="${S3_NS}"><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>false</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>`,
  ],
];

/** Headers that describe the body as sent, and stop being true once the harness replaces it. */
const BODY_HEADERS = new Set([
  'content-md5',
  'x-amz-sdk-checksum-algorithm',
  'x-amz-decoded-content-length',
  'x-amz-trailer',
  'content-encoding',
]);

/** A request body replaced: its length, encoding, MD5 and flexible checksums no longer hold. */
function withRequestBody(x: Exchange, body: string): Exchange['req'] {
  const headers = Object.fromEntries(
    Object.entries(x.req.headers).filter(([name]) => !name.startsWith('x-amz-checksum-') && !BODY_HEADERS.has(name)),
  );
  if (x.req.headers['content-md5'] !== undefined)
    headers['content-md5'] = createHash('md5').update(body).digest('base64');
  if (/^STREAMING-/.test(headers['x-amz-content-sha256'] ?? '')) headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
  return { ...x.req, headers, body: Buffer.from(body, 'utf8') };
}

/**
 * The payload of a request body, decoded from `aws-chunked` (SigV4 streaming: `<hex size>[;
 * chunk-signature=…]\r\n<data>\r\n`, ending with a 0-size chunk and the trailers) when the
 * SDK sent it that way.
 */
export function payloadOf(req: Exchange['req']): Buffer {
  if (!(req.headers['content-encoding'] ?? '').includes('aws-chunked')) return req.body;
  const parts: Buffer[] = [];
  let at = 0;
  while (at < req.body.length) {
    const lineEnd = req.body.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = Number.parseInt(req.body.subarray(at, lineEnd).toString('latin1').split(';')[0] ?? '', 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(req.body.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

export class S3Layer implements ServiceLayer {
  /** Bucket policies as the client sent them, by bucket. */
  private readonly policies = new Map<string, { text: string; policy: BucketPolicy }>();

  reset(): void {
    this.policies.clear();
  }

  async handle(x: Exchange, moto: Upstream): Promise<WireResponse> {
    const { bucket, key } = s3Target(x.url.pathname, x.req.headers['host'] ?? '');
    if (bucket !== undefined) {
      const denied = this.denied(x, bucket, key);
      if (denied) return denied;
    }
    let res: WireResponse;
    switch (bucket === undefined ? '' : x.operation) {
      case 'CreateBucket':
        res = await this.createBucket(x, moto, bucket ?? '');
        break;
      case 'PutBucketPolicy':
        res = await this.putPolicy(x, moto, bucket ?? '');
        break;
      case 'GetBucketPolicy':
        res = await this.getPolicy(x, moto, bucket ?? '');
        break;
      case 'DeleteBucketPolicy':
      case 'DeleteBucket':
        res = await moto.forward(x.req);
        if (res.status === 204) this.policies.delete(bucket ?? '');
        break;
      default:
        res = await moto.forward(x.req);
    }
    return this.withErrorDocument(x, res);
  }

  /** S3's 403 for a request an `aws:SecureTransport` Deny statement refuses. */
  private denied(x: Exchange, bucket: string, key: string | undefined): WireResponse | undefined {
    const held = this.policies.get(bucket);
    if (!held) return undefined;
    const resource =
      key === undefined
        ? x.operation === 'DeleteObjects'
          ? `arn:aws:s3:::${bucket}/*`
          : `arn:aws:s3:::${bucket}`
        : `arn:aws:s3:::${bucket}/${key}`;
    const statement = explicitDeny(held.policy, {
      action: iamAction(x.operation),
      resource,
      secureTransport: x.secure,
    });
    if (statement === undefined) return undefined;
    const res = s3Error(403, 'AccessDenied', 'Access Denied');
    return x.req.method === 'HEAD' ? { ...res, body: '' } : res;
  }

  /** moto answers a denied object request 403 without a body; S3 sends its error document. */
  private withErrorDocument(x: Exchange, res: WireResponse): WireResponse {
    if (res.status !== 403 || x.req.method === 'HEAD' || bodyText(res).trim() !== '') return res;
    return s3Error(403, 'AccessDenied', 'Access Denied');
  }

  private async createBucket(x: Exchange, moto: Upstream, bucket: string): Promise<WireResponse> {
    const problem = bucketNameProblem(bucket);
    if (problem)
      return s3Error(400, 'InvalidBucketName', `The specified bucket is not valid: a bucket name ${problem}.`, {
        BucketName: bucket,
      });
    const existed = (await moto.call(x, 's3', 'HEAD', `/${encodeURIComponent(bucket)}`)).status === 200;
    const res = await moto.forward(x.req);
    if (res.status !== 200 || existed) return res;
    const ownership = x.req.headers['x-amz-object-ownership'] ?? 'BucketOwnerEnforced';
    for (const [sub, body] of defaultsFor(ownership)) {
      const applied = await moto.call(x, 's3', 'PUT', `/${encodeURIComponent(bucket)}?${sub}`, { body });
      if (applied.status >= 300)
        throw new Error(
          `harness: moto refused the ${sub} default of new bucket ${bucket}: ${applied.status} ${bodyText(applied)}`,
        );
    }
    return res;
  }

  private async blocksPublicPolicy(x: Exchange, moto: Upstream, bucket: string): Promise<boolean> {
    const res = await moto.call(x, 's3', 'GET', `/${encodeURIComponent(bucket)}?publicAccessBlock`);
    if (res.status !== 200) return false;
    try {
      return textAt(parseXml(bodyText(res)), 'BlockPublicPolicy') === 'true';
    } catch {
      return false;
    }
  }

  private async putPolicy(x: Exchange, moto: Upstream, bucket: string): Promise<WireResponse> {
    const text = payloadOf(x.req).toString('utf8');
    const policy = parsePolicy(text);
    if (typeof policy === 'string') return s3Error(400, 'MalformedPolicy', policy);
    if (isPublicPolicy(policy) && (await this.blocksPublicPolicy(x, moto, bucket))) {
      return s3Error(
        403,
        'AccessDenied',
        `User is not authorized to perform: s3:PutBucketPolicy on resource: "arn:aws:s3:::${bucket}" because public policies are blocked by the BlockPublicPolicy block public access setting.`,
      );
    }
    const res = await moto.forward(withRequestBody(x, JSON.stringify(policyForMoto(policy))));
    if (res.status < 300) this.policies.set(bucket, { text, policy });
    return res;
  }

  private async getPolicy(x: Exchange, moto: Upstream, bucket: string): Promise<WireResponse> {
    const res = await moto.forward(x.req);
    const held = this.policies.get(bucket);
    if (res.status !== 200) {
      if (res.status === 404) this.policies.delete(bucket);
      return res;
    }
    return held ? withBody(res, held.text) : res;
  }
}
