/**
 * "AWS" on a loopback port, for contract tests: real SDK clients (an AwsContext pointed here)
 * send real requests, and get back canned answers written as AWS documents them, so the SDK's
 * own deserializers and error mapping run. A test registers answers by service and operation;
 * every request is recorded; anything unregistered is answered 500, in the service's own
 * error format, naming what is missing.
 *
 * The service comes from the SigV4 credential scope of the `Authorization` header; the
 * operation from `Action=` in the form body (query protocol: IAM, STS) or from method and
 * path (+ the sub-resource in the query, for S3) of the REST APIs, by the table below.
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { AwsContext } from '../../src/aws/context.js';

/** Signing names of the services, as in the credential scope (`…/us-east-1/ses/aws4_request`). */
export type WireService = 'iam' | 'sts' | 's3' | 'cloudfront' | 'route53' | 'ses';

export interface WireRequest {
  service: string;
  /** The region the request was signed for. */
  region: string;
  operation: string;
  method: string;
  /** Path and query string, as received. */
  url: string;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: string;
}

export interface WireAnswer {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
}

export type Answer = WireAnswer | ((request: WireRequest) => WireAnswer);

// ── operations of the REST APIs (the paths of each API reference; S3 path-style) ──────────

const REST_ROUTES: Record<string, Record<string, string>> = {
  s3: {
    'HEAD /{Bucket}': 'HeadBucket',
    'PUT /{Bucket}': 'CreateBucket',
    'DELETE /{Bucket}': 'DeleteBucket',
    'GET /{Bucket}?versions': 'ListObjectVersions',
    'POST /{Bucket}?delete': 'DeleteObjects',
    'GET /{Bucket}?policy': 'GetBucketPolicy',
    'PUT /{Bucket}?policy': 'PutBucketPolicy',
    'DELETE /{Bucket}?policy': 'DeleteBucketPolicy',
    'GET /{Bucket}?versioning': 'GetBucketVersioning',
    'PUT /{Bucket}?versioning': 'PutBucketVersioning',
    'GET /{Bucket}?encryption': 'GetBucketEncryption',
    'PUT /{Bucket}?encryption': 'PutBucketEncryption',
    'GET /{Bucket}?publicAccessBlock': 'GetPublicAccessBlock',
    'PUT /{Bucket}?publicAccessBlock': 'PutPublicAccessBlock',
    'GET /{Bucket}?cors': 'GetBucketCors',
    'PUT /{Bucket}?cors': 'PutBucketCors',
    'GET /{Bucket}?lifecycle': 'GetBucketLifecycleConfiguration',
    'PUT /{Bucket}?lifecycle': 'PutBucketLifecycleConfiguration',
    'GET /{Bucket}?tagging': 'GetBucketTagging',
    'PUT /{Bucket}?tagging': 'PutBucketTagging',
  },
  cloudfront: {
    'GET /2020-05-31/distribution': 'ListDistributions',
    'POST /2020-05-31/distribution?WithTags': 'CreateDistributionWithTags',
    'GET /2020-05-31/distribution/{Id}': 'GetDistribution',
    'DELETE /2020-05-31/distribution/{Id}': 'DeleteDistribution',
    'GET /2020-05-31/distribution/{Id}/config': 'GetDistributionConfig',
    'PUT /2020-05-31/distribution/{Id}/config': 'UpdateDistribution',
    'GET /2020-05-31/origin-access-control': 'ListOriginAccessControls',
    'POST /2020-05-31/origin-access-control': 'CreateOriginAccessControl',
    'GET /2020-05-31/origin-access-control/{Id}': 'GetOriginAccessControl',
    'DELETE /2020-05-31/origin-access-control/{Id}': 'DeleteOriginAccessControl',
    'PUT /2020-05-31/origin-access-control/{Id}/config': 'UpdateOriginAccessControl',
    'GET /2020-05-31/tagging': 'ListTagsForResource',
    'POST /2020-05-31/tagging?Operation=Tag': 'TagResource',
  },
  route53: {
    'GET /2013-04-01/hostedzonesbyname': 'ListHostedZonesByName',
    'GET /2013-04-01/hostedzone/{Id}': 'GetHostedZone',
    'GET /2013-04-01/hostedzone/{Id}/rrset': 'ListResourceRecordSets',
    'POST /2013-04-01/hostedzone/{Id}/rrset': 'ChangeResourceRecordSets',
    'GET /2013-04-01/change/{Id}': 'GetChange',
  },
  ses: {
    'GET /v2/email/identities/{EmailIdentity}': 'GetEmailIdentity',
    'POST /v2/email/identities': 'CreateEmailIdentity',
    'DELETE /v2/email/identities/{EmailIdentity}': 'DeleteEmailIdentity',
    'PUT /v2/email/identities/{EmailIdentity}/configuration-set': 'PutEmailIdentityConfigurationSetAttributes',
    'PUT /v2/email/identities/{EmailIdentity}/dkim': 'PutEmailIdentityDkimAttributes',
    'PUT /v2/email/identities/{EmailIdentity}/dkim/signing': 'PutEmailIdentityDkimSigningAttributes',
    'PUT /v2/email/identities/{EmailIdentity}/mail-from': 'PutEmailIdentityMailFromAttributes',
    'GET /v2/email/configuration-sets/{ConfigurationSetName}': 'GetConfigurationSet',
    'POST /v2/email/configuration-sets': 'CreateConfigurationSet',
    'DELETE /v2/email/configuration-sets/{ConfigurationSetName}': 'DeleteConfigurationSet',
    'PUT /v2/email/configuration-sets/{ConfigurationSetName}/delivery-options': 'PutConfigurationSetDeliveryOptions',
    'PUT /v2/email/configuration-sets/{ConfigurationSetName}/reputation-options':
      'PutConfigurationSetReputationOptions',
    'GET /v2/email/templates/{TemplateName}': 'GetEmailTemplate',
    'POST /v2/email/templates': 'CreateEmailTemplate',
    'PUT /v2/email/templates/{TemplateName}': 'UpdateEmailTemplate',
    'DELETE /v2/email/templates/{TemplateName}': 'DeleteEmailTemplate',
    'POST /v2/email/tags': 'TagResource',
  },
};

interface Route {
  method: string;
  path: RegExp;
  /** Query keys (or key=value) the route needs: S3 sub-resources, CloudFront's `?WithTags`. */
  query: string[];
  operation: string;
}

const routes: Record<string, Route[]> = Object.fromEntries(
  Object.entries(REST_ROUTES).map(([service, table]) => [
    service,
    Object.entries(table).map(([template, operation]): Route => {
      const [method = '', target = ''] = template.split(' ');
      const [path = '', query = ''] = target.split('?');
      const pattern = path.replace(/\{\w+\}/g, '[^/]+');
      return { method, path: new RegExp(`^${pattern}/?$`), query: query ? query.split('&') : [], operation };
    }),
  ]),
);

/** The operation of a request the table does not know (add its route above). */
const NO_ROUTE = '(operation not in wire-aws routes)';

const hasQuery = (params: URLSearchParams, wanted: string) => {
  const [key = '', value] = wanted.split('=');
  return value === undefined ? params.has(key) : params.get(key) === value;
};

function operationOf(
  service: string,
  method: string,
  url: string,
  headers: Record<string, string>,
  body: string,
): string {
  if (headers['content-type']?.startsWith('application/x-www-form-urlencoded'))
    return new URLSearchParams(body).get('Action') ?? NO_ROUTE;
  const { pathname, searchParams } = new URL(url, 'http://wire');
  const matches = (routes[service] ?? []).filter(
    (r) => r.method === method && r.path.test(pathname) && r.query.every((q) => hasQuery(searchParams, q)),
  );
  // The route naming the most of the query wins: `GET /{Bucket}?policy` over `GET /{Bucket}`.
  return matches.sort((a, b) => b.query.length - a.query.length)[0]?.operation ?? NO_ROUTE;
}

/** Key, region and service of a SigV4 `Authorization` header's credential scope. */
function scopeOf(authorization: string | undefined): { accessKeyId: string; region: string; service: string } {
  const scope = /Credential=([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(authorization ?? '');
  return { accessKeyId: scope?.[1] ?? '?', region: scope?.[2] ?? '?', service: scope?.[3] ?? '?' };
}

// ── answers as AWS writes them ────────────────────────────────────────────────────────────

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const XML = { 'content-type': 'text/xml' };
let requestCounter = 0;
/** A request id in AWS's form (a UUID). */
export const requestId = () => `c0ffee00-0000-4000-8000-${String(++requestCounter).padStart(12, '0')}`;

/** An XML document, 200 unless told. */
export function xml(body: string, options: { status?: number; headers?: Record<string, string> } = {}): WireAnswer {
  return {
    status: options.status ?? 200,
    headers: { ...XML, 'x-amzn-requestid': requestId(), ...options.headers },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n${body}`,
  };
}

/** A JSON document (restJson1: SES v2), 200 unless told. */
export function json(body: unknown, options: { status?: number; headers?: Record<string, string> } = {}): WireAnswer {
  return {
    status: options.status ?? 200,
    headers: { 'content-type': 'application/json', 'x-amzn-requestid': requestId(), ...options.headers },
    body: JSON.stringify(body),
  };
}

/** An empty answer (S3 PUTs, SES v2 PUTs answer 200 with nothing, some DELETEs 204). */
export const empty = (status = 200, headers: Record<string, string> = {}): WireAnswer => ({
  status,
  headers,
  body: '',
});

/**
 * A query-protocol answer: `<{Action}Response><{Action}Result>…</…Result><ResponseMetadata>…`;
 * actions that return nothing (IAM's PutUserPolicy, DeleteAccessKey) have no Result element.
 */
export function queryResult(namespace: string, action: string, result: string): WireAnswer {
  const id = requestId();
  const body = `<${action}Response xmlns="${namespace}">\n  ${result ? `<${action}Result>${result}</${action}Result>\n  ` : ''}<ResponseMetadata><RequestId>${id}</RequestId></ResponseMetadata>\n</${action}Response>`;
  return { status: 200, headers: { ...XML, 'x-amzn-requestid': id }, body };
}
export const IAM_NS = 'https://iam.amazonaws.com/doc/2010-05-08/';
export const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/';

/** awsQuery error (IAM, STS): `<ErrorResponse><Error><Type>Sender</Type><Code>…`. */
export function awsQueryError(
  status: number,
  code: string,
  message: string,
  options: { type?: 'Sender' | 'Receiver'; namespace?: string } = {},
): WireAnswer {
  const { type = 'Sender', namespace = IAM_NS } = options;
  const id = requestId();
  const body = `<ErrorResponse xmlns="${namespace}">\n  <Error>\n    <Type>${type}</Type>\n    <Code>${code}</Code>\n    <Message>${escapeXml(message)}</Message>\n  </Error>\n  <RequestId>${id}</RequestId>\n</ErrorResponse>\n`;
  return { status, headers: { ...XML, 'x-amzn-requestid': id }, body };
}

/** S3's request ids are 16 hex digits (`x-amz-request-id`), its host ids base64 (`x-amz-id-2`). */
const s3RequestId = () => requestId().replace(/-/g, '').slice(-16).toUpperCase();
const S3_HOST_ID = 'f4ke+H0st1d/8a9bYxXq2vN0y3Kd5mPz7Yb6wQ1rT8uV4sE2cA3nL9oJ0kG5hF7iD6=';

/** S3's error document: `<Error><Code>…</Code><Message>…</Message><RequestId>…</RequestId><HostId>…`. */
export function s3Error(status: number, code: string, message: string, extra: Record<string, string> = {}): WireAnswer {
  const id = s3RequestId();
  const fields = Object.entries(extra)
    .map(([k, v]) => `<${k}>${escapeXml(v)}</${k}>`)
    .join('');
  const body = `<Error><Code>${code}</Code><Message>${escapeXml(message)}</Message>${fields}<RequestId>${id}</RequestId><HostId>${S3_HOST_ID}</HostId></Error>`;
  return {
    status,
    headers: { 'content-type': 'application/xml', 'x-amz-request-id': id, 'x-amz-id-2': S3_HOST_ID },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n${body}`,
  };
}

/** A HEAD answer of S3: status and headers only, no error document. */
export function s3HeadError(status: number, headers: Record<string, string> = {}): WireAnswer {
  const id = s3RequestId();
  return {
    status,
    headers: { 'content-type': 'application/xml', 'x-amz-request-id': id, 'x-amz-id-2': S3_HOST_ID, ...headers },
  };
}

const REST_XML_NS = {
  cloudfront: 'http://cloudfront.amazonaws.com/doc/2020-05-31/',
  route53: 'https://route53.amazonaws.com/doc/2013-04-01/',
} as const;

/**
 * CloudFront's and Route 53's `<ErrorResponse>` (restXml, wrapped). Route 53 answers a refused
 * change batch with it too (`InvalidChangeBatch`, its problems in one bracketed Message); the
 * `<InvalidChangeBatch><Messages>` document of older references it no longer sends.
 */
export function restXmlError(
  service: 'cloudfront' | 'route53',
  status: number,
  code: string,
  message: string,
): WireAnswer {
  const id = requestId();
  const body = `<ErrorResponse xmlns="${REST_XML_NS[service]}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error><RequestId>${id}</RequestId></ErrorResponse>`;
  return { status, headers: { ...XML, 'x-amzn-requestid': id }, body: `<?xml version="1.0"?>\n${body}` };
}

/** restJson1 error (SES v2): the type in `x-amzn-ErrorType`, `{"message": …}` in the body. */
export function restJsonError(status: number, type: string, message: string): WireAnswer {
  return {
    status,
    headers: { 'content-type': 'application/json', 'x-amzn-errortype': type, 'x-amzn-requestid': requestId() },
    body: JSON.stringify({ message }),
  };
}

/** What a service answers to a call no test registered: a server error in its own format. */
function unregistered(request: WireRequest): WireAnswer {
  const { service, operation, method, url } = request;
  const message = `wire-aws has no answer for ${service} ${operation} (${method} ${url}); register one with wire.on('${service}', '${operation}', …)`;
  if (service === 's3') return s3Error(500, 'WireAwsNoAnswer', message);
  if (service === 'cloudfront' || service === 'route53') return restXmlError(service, 500, 'WireAwsNoAnswer', message);
  if (service === 'ses') return restJsonError(500, 'WireAwsNoAnswer', message);
  return awsQueryError(500, 'WireAwsNoAnswer', message, {
    type: 'Receiver',
    namespace: service === 'sts' ? STS_NS : IAM_NS,
  });
}

// ── the server ───────────────────────────────────────────────────────────────────────────

export class WireAws {
  /** Every request, in order of arrival. */
  readonly requests: WireRequest[] = [];
  /** Requests that found no registered answer (each was answered 500). */
  readonly unanswered: WireRequest[] = [];
  private readonly answers = new Map<string, Answer[]>();
  private readonly contexts: AwsContext[] = [];
  /** Keys of the contexts of finished tests: their late calls (reads still in flight) are ignored. */
  private readonly retired = new Set<string>();
  private readonly server: Server = createServer((req, res) => void this.handle(req, res));

  /** Listens on 127.0.0.1, on a port of the system's choosing. */
  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  get endpoint(): string {
    const address = this.server.address() as AddressInfo | null;
    if (!address) throw new Error('wire-aws is not listening yet (start() it first)');
    return `http://127.0.0.1:${address.port}`;
  }

  /**
   * Answers for one operation, used in order; the last one keeps answering. An answer may be
   * a function of the request (a listing that pages by the request's query).
   */
  on(service: WireService, operation: string, ...answers: Answer[]): this {
    this.answers.set(`${service} ${operation}`, answers);
    return this;
  }

  /** The recorded requests of one operation. */
  sent(service: WireService, operation: string): WireRequest[] {
    return this.requests.filter((r) => r.service === service && r.operation === operation);
  }

  /**
   * An AwsContext whose clients all talk to this server: one attempt per call, so an
   * unregistered call fails at once instead of being retried with back-off; a key of its own,
   * so that its calls still in flight when the test ends are not taken for the next test's.
   */
  aws(region = 'us-east-1'): AwsContext {
    const accessKeyId = `AKIAWIREAWS${String(this.contexts.length + this.retired.size + 1).padStart(9, '0')}`;
    const aws = new AwsContext({
      region,
      endpointUrl: this.endpoint,
      maxAttempts: 1,
      credentials: { accessKeyId, secretAccessKey: 'wire-aws-secret' },
    });
    this.contexts.push(aws);
    return aws;
  }

  /** Forgets answers and recorded requests, and closes the contexts handed out. */
  reset(): void {
    this.answers.clear();
    this.requests.length = 0;
    this.unanswered.length = 0;
    for (const aws of this.contexts.splice(0)) {
      this.retired.add(aws.settings.credentials?.accessKeyId ?? '');
      aws.destroy();
    }
  }

  async stop(): Promise<void> {
    this.reset();
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.server.close((err) => (err ? reject(err) : resolve())));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const headers = Object.fromEntries(
      Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]),
    );
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const { accessKeyId, service, region } = scopeOf(headers['authorization']);
    const request: WireRequest = {
      service,
      region,
      operation: operationOf(service, method, url, headers, body),
      method,
      url,
      headers,
      body,
    };
    if (this.retired.has(accessKeyId)) {
      res.writeHead(500, { 'content-length': '0' }).end();
      return;
    }
    this.requests.push(request);

    const queue = this.answers.get(`${service} ${request.operation}`);
    const next = queue && queue.length > 1 ? queue.shift() : queue?.[0];
    if (next === undefined) this.unanswered.push(request);
    let answer: WireAnswer;
    try {
      answer = next === undefined ? unregistered(request) : typeof next === 'function' ? next(request) : next;
    } catch (err) {
      // A broken answer function: fail the call, not the socket (the SDK would wait for its timeout).
      this.unanswered.push(request);
      answer = {
        status: 500,
        headers: { 'content-type': 'text/plain' },
        body: `wire-aws answer threw: ${String(err)}`,
      };
    }
    const payload = method === 'HEAD' ? '' : (answer.body ?? '');
    res.writeHead(answer.status ?? 200, { ...answer.headers, 'content-length': String(Buffer.byteLength(payload)) });
    res.end(payload);
  }
}

/**
 * The wire server of one test file: listening before its tests, reset after each (which also
 * checks that every call a test caused had an answer), stopped after the last.
 */
export function givenWireAws(): WireAws {
  const wire = new WireAws();
  beforeAll(() => wire.start());
  afterEach(() => {
    const unanswered = wire.unanswered.map((r) => `${r.service} ${r.operation} (${r.method} ${r.url})`);
    wire.reset();
    expect(unanswered, 'calls that had no registered answer').toEqual([]);
  });
  afterAll(() => wire.stop());
  return wire;
}
