/**
 * The fake account's HTTP side, as `fetch`: what the app's users and browsers reach without
 * the SDK. S3 object URLs (virtual-hosted `<bucket>.s3.<region>.amazonaws.com`, or path-style
 * on an emulator endpoint) take presigned requests, checked as S3 checks them, and anonymous
 * ones, refused unless the bucket is public. CloudFront host names serve objects through the
 * origin access control once deployed, as the bucket policy allows. No socket is opened.
 */
import { crc32 } from 'node:zlib';
import type { FakeAccount, FakeBucket } from './account.js';
import { deniedRequest } from './authorize.js';
import type { FakeDistribution } from './cloudfront.js';
import { isAllowed } from '../support/policy.js';
import { checkPresigned } from './sigv4.js';

export interface HttpExchange {
  method: string;
  url: string;
  headers: Record<string, string>;
  status: number | 'network error';
  /** The S3 error code of a refused request. */
  code?: string;
}

type Json = Record<string, unknown>;

const xmlError = (status: number, code: string, message: string) =>
  new Response(
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</Message><RequestId>FAKE</RequestId></Error>`,
    {
      status,
      headers: { 'content-type': 'application/xml' },
    },
  );

/** What `fetch` throws when a host name does not resolve. */
function dnsFailure(host: string): TypeError {
  return new TypeError('fetch failed', {
    cause: Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND', hostname: host }),
  });
}

const S3_HOST = /^(?:(.+)\.)?s3[.-](?:[a-z0-9-]+\.)?amazonaws\.com$/;

/** Bucket and key of an S3 object URL, virtual-hosted or path-style. */
function s3Target(url: URL): { bucket: string; key: string } | undefined {
  const path = url.pathname.split('/').slice(1).map(decodeURIComponent);
  const virtual = S3_HOST.exec(url.hostname)?.[1];
  if (virtual !== undefined) return { bucket: virtual, key: path.join('/') };
  const [bucket, ...key] = path;
  return bucket ? { bucket, key: key.join('/') } : undefined;
}

/** Statements of a bucket policy that apply to a principal (`*`, or a service). */
function policyFor(bucket: FakeBucket, principal: (p: unknown) => boolean): Json[] {
  if (!bucket.policy) return [];
  const doc = JSON.parse(bucket.policy) as { Statement: Json[] };
  return doc.Statement.filter((s) => principal(s['Principal']));
}

const isEveryone = (p: unknown) => p === '*' || JSON.stringify(p) === '{"AWS":"*"}';
const isCloudFront = (p: unknown) =>
  typeof p === 'object' && p !== null && (p as Json)['Service'] === 'cloudfront.amazonaws.com';

export class FakeHttp {
  readonly exchanges: HttpExchange[] = [];

  constructor(private readonly fake: FakeAccount) {}

  /** A `fetch` that answers from the fake account. */
  readonly fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => {
      headers[name] = value;
    });
    const body = request.method === 'GET' || request.method === 'HEAD' ? '' : await request.text();
    const exchange: HttpExchange = { method: request.method, url: request.url, headers, status: 'network error' };
    this.exchanges.push(exchange);
    const response = this.answer(request.method, url, headers, body);
    exchange.status = response.status;
    if (response.status >= 400) exchange.code = /<Code>([^<]+)<\/Code>/.exec(await response.clone().text())?.[1];
    return response;
  };

  private answer(method: string, url: URL, headers: Record<string, string>, body: string): Response {
    const distribution = this.fake.cloudfront.byHost(url.hostname);
    if (url.hostname.endsWith('.cloudfront.net') || distribution) return this.cdn(distribution, method, url);
    const target = s3Target(url);
    const bucket = target && this.fake.buckets.get(target.bucket);
    if (!target || !bucket) return xmlError(404, 'NoSuchBucket', 'The specified bucket does not exist');
    if (url.searchParams.has('X-Amz-Signature')) return this.presigned(bucket, target.key, method, url, headers, body);
    if (headers['authorization'] !== undefined)
      return xmlError(400, 'NotImplemented', 'the fake account takes SDK calls through the SDK, not over HTTP');
    return this.anonymous(bucket, target.key, method);
  }

  private presigned(
    bucket: FakeBucket,
    key: string,
    method: string,
    url: URL,
    headers: Record<string, string>,
    body: string,
  ): Response {
    if (!this.fake.acceptsAnyCredentials) {
      const check = checkPresigned(
        { method, url, headers },
        (id) => {
          const found = this.fake.iam.findKey(id);
          return found?.key.status === 'Active' ? found.key.secret : undefined;
        },
        this.fake.now(),
      );
      if (!check.ok) return xmlError(check.status, check.code, check.message);
      if (check.region !== bucket.region)
        return xmlError(
          400,
          'AuthorizationQueryParametersError',
          `Error parsing the X-Amz-Credential parameter; the region '${check.region}' is wrong; expecting '${bucket.region}'`,
        );
      const principal = this.fake.principalOf('s3', check.accessKeyId);
      if (principal !== 'operator') {
        const action = method === 'PUT' ? 's3:PutObject' : 's3:GetObject';
        if (deniedRequest(principal, [{ action, resource: `arn:aws:s3:::${bucket.name}/${key}` }]))
          return xmlError(403, 'AccessDenied', 'Access Denied');
      }
    }
    if (method === 'PUT') {
      const sent = url.searchParams.get('x-amz-checksum-crc32') ?? headers['x-amz-checksum-crc32'];
      if (sent !== undefined) {
        const actual = Buffer.alloc(4);
        actual.writeUInt32BE(crc32(Buffer.from(body, 'utf8')));
        if (actual.toString('base64') !== sent)
          return xmlError(400, 'BadDigest', 'The CRC32 you specified did not match the calculated checksum.');
      }
      const versionId = this.fake.putObject(bucket.name, key, body, headers['content-type']);
      const etag = this.fake.currentObject(bucket.name, key)?.etag ?? '';
      return new Response(null, {
        status: 200,
        headers: { etag, ...(versionId !== 'null' ? { 'x-amz-version-id': versionId } : {}) },
      });
    }
    return this.object(bucket, key, method, true);
  }

  /** No credentials: only a public bucket answers, and Block Public Access overrides its policy. */
  private anonymous(bucket: FakeBucket, key: string, method: string): Response {
    const request = {
      action: method === 'PUT' ? 's3:PutObject' : 's3:GetObject',
      resource: `arn:aws:s3:::${bucket.name}/${key}`,
    };
    const publicPolicy = isAllowed([{ Statement: policyFor(bucket, isEveryone) }], request);
    const open =
      this.fake.acceptsAnyCredentials || (publicPolicy && bucket.publicAccessBlock?.['RestrictPublicBuckets'] !== true);
    if (!open) return xmlError(403, 'AccessDenied', 'Access Denied');
    return this.object(bucket, key, method, false);
  }

  /** An object as GET answers it; a missing one is 403 to a caller without s3:ListBucket, 404 otherwise. */
  private object(bucket: FakeBucket, key: string, method: string, mayList: boolean): Response {
    if (method !== 'GET' && method !== 'HEAD')
      return xmlError(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
    const object = this.fake.currentObject(bucket.name, key);
    if (!object)
      return mayList
        ? xmlError(404, 'NoSuchKey', 'The specified key does not exist.')
        : xmlError(403, 'AccessDenied', 'Access Denied');
    return new Response(method === 'HEAD' ? null : object.body, {
      status: 200,
      headers: { 'content-type': object.contentType ?? 'binary/octet-stream', etag: object.etag },
    });
  }

  /**
   * CloudFront: its host name resolves once the distribution has deployed. It fetches from the
   * S3 origin signed by its origin access control; the bucket allows that when its policy
   * grants s3:GetObject to cloudfront.amazonaws.com for this distribution's ARN.
   */
  private cdn(distribution: FakeDistribution | undefined, method: string, url: URL): Response {
    if (!distribution || !(distribution.serving || distribution.status === 'Deployed')) throw dnsFailure(url.hostname);
    const origin = ((distribution.config['Origins'] as { Items?: Json[] }).Items ?? [])[0];
    const bucketName = S3_HOST.exec(String(origin?.['DomainName'] ?? ''))?.[1];
    const bucket = bucketName !== undefined ? this.fake.buckets.get(bucketName) : undefined;
    if (!origin || !bucket)
      return new Response('<html><body>502 Bad Gateway: CloudFront cannot reach the origin</body></html>', {
        status: 502,
      });
    const key = url.pathname.split('/').slice(1).map(decodeURIComponent).join('/');
    const oac = this.fake.cloudfront.oacs.get(String(origin['OriginAccessControlId'] ?? ''));
    const signed =
      oac !== undefined &&
      oac.config['SigningBehavior'] !== 'never' &&
      oac.config['OriginAccessControlOriginType'] === 's3';
    const allowed =
      signed &&
      isAllowed([{ Statement: policyFor(bucket, isCloudFront) }], {
        action: 's3:GetObject',
        resource: `arn:aws:s3:::${bucket.name}/${key}`,
        context: { 'AWS:SourceArn': distribution.arn },
      });
    if (!allowed) return this.anonymous(bucket, key, method);
    return this.object(bucket, key, method, false);
  }
}
