/**
 * The harness's side of moto: forwarding a client's request, and the harness's own calls to
 * moto (reading what is there before a change, applying a rewritten change). moto does not
 * check SigV4 signatures (unless its IAM enforcement is switched on), but it routes a request
 * to a service by the credential scope of its `Authorization` header and picks the account
 * by its access key, so the harness's own calls carry a scope of the same key and region.
 */
import { request } from 'node:http';
import type { WireRequest, WireResponse } from './wire.js';

/** One request as the harness handles it: the exchange plus what the harness read off it. */
export interface Exchange {
  req: WireRequest;
  /** `req.url` parsed (against a dummy origin). */
  url: URL;
  service: string;
  operation: string;
  /** True when it came in over TLS (`aws:SecureTransport`). */
  secure: boolean;
}

/** What a service layer may do with moto. */
export interface Upstream {
  /** Sends a request to moto as it is (or as the layer rewrote it). */
  forward(req: WireRequest): Promise<WireResponse>;
  /** The harness's own call to moto (path-style for S3), signed (in scope only) like `x`'s request. */
  call(
    x: Exchange,
    service: string,
    method: string,
    path: string,
    options?: { body?: string; headers?: Record<string, string> },
  ): Promise<WireResponse>;
}

/** A harness layer for one service: answers AWS's way where moto does not. */
export interface ServiceLayer {
  handle(x: Exchange, moto: Upstream): Promise<WireResponse>;
  /** Forgets what it knows (moto was reset). */
  reset(): void;
}

/** Request headers that belong to one hop, or that the harness's re-framing makes wrong. */
const HOP_HEADERS = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'expect',
  'content-length',
  'te',
  'trailer',
]);

/** Sends requests to the moto server at `baseUrl`. */
export class MotoUpstream implements Upstream {
  private readonly target: URL;

  constructor(baseUrl: string) {
    this.target = new URL(baseUrl);
  }

  forward(req: WireRequest): Promise<WireResponse> {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) if (!HOP_HEADERS.has(name)) headers[name] = value;
    if (req.body.length > 0 || !['GET', 'HEAD', 'DELETE'].includes(req.method))
      headers['content-length'] = String(req.body.length);
    return new Promise((resolve, reject) => {
      const out = request(
        {
          host: this.target.hostname,
          port: this.target.port,
          method: req.method,
          path: req.url,
          headers,
          agent: false,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const responseHeaders: Record<string, string> = {};
            for (const [name, value] of Object.entries(res.headers)) {
              if (value !== undefined) responseHeaders[name] = Array.isArray(value) ? value.join(', ') : value;
            }
            resolve({ status: res.statusCode ?? 502, headers: responseHeaders, body: Buffer.concat(chunks) });
          });
        },
      );
      out.on('error', reject);
      out.end(req.body);
    });
  }

  call(
    x: Exchange,
    service: string,
    method: string,
    path: string,
    options: { body?: string; headers?: Record<string, string> } = {},
  ): Promise<WireResponse> {
    const accessKeyId = x.req.accessKeyId ?? 'AKIAHARNESS000000000';
    const now = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
    const body = Buffer.from(options.body ?? '', 'utf8');
    return this.forward({
      method,
      url: path,
      region: x.req.region,
      accessKeyId,
      body,
      headers: {
        host: this.target.host,
        'x-amz-date': now,
        authorization: `AWS4-HMAC-SHA256 Credential=${accessKeyId}/${now.slice(0, 8)}/${x.req.region}/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=0`,
        ...(options.body !== undefined
          ? {
              'content-type':
                service === 'iam' || service === 'sts'
                  ? 'application/x-www-form-urlencoded; charset=utf-8'
                  : 'application/xml',
            }
          : {}),
        ...options.headers,
      },
    });
  }
}

/** The body of an answer as text. */
export const bodyText = (res: WireResponse): string =>
  typeof res.body === 'string' ? res.body : res.body.toString('utf8');

/** The same answer with another body (and its headers, minus a stale length and checksum). */
export function withBody(res: WireResponse, body: string, headers: Record<string, string> = {}): WireResponse {
  const kept = Object.fromEntries(
    Object.entries(res.headers).filter(([name]) => !['content-length', 'content-md5'].includes(name)),
  );
  return { status: res.status, headers: { ...kept, ...headers }, body };
}
