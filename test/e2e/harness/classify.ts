/**
 * Which AWS service and operation a request is, read from the wire as AWS's front ends do: the
 * service from the SigV4 credential scope (the `Authorization` header, or `X-Amz-Credential`
 * of a presigned URL; an unsigned request can only be S3's), the operation
 *
 * - from `X-Amz-Target: <service target>.<Operation>` for the JSON protocols (awsJson1_0: SQS
 *   `AmazonSQS`, CloudWatch `GraniteServiceVersion20100801`; awsJson1_1: EventBridge
 *   `AWSEvents`, CloudWatch Logs `Logs_20140328`), or from the path
 *   `/service/<target>/operation/<Operation>` of Smithy RPC v2 (CBOR), which newer SDKs of
 *   some of them speak;
 * - from `Action=` of the form body for the query protocols (IAM, STS, SNS, and SQS and
 *   CloudWatch from clients older than their JSON protocol);
 * - from method + path (+ S3's sub-resource keys) for the REST APIs, by the paths of each API
 *   reference.
 *
 * `write` says whether the operation changes something: what CloudTrail records as a write
 * (readOnly false) event. Everything named Get/Head/List/Describe (STS GetCallerIdentity
 * among them) or that only evaluates or reads (Simulate…, TestRender…, TestEventPattern,
 * SelectObjectContent, SQS ReceiveMessage, Logs FilterLogEvents) is a read.
 */

/** The parts of a SigV4 credential scope (`AKID/20261201/us-east-1/iam/aws4_request`). */
export interface CredentialScope {
  accessKeyId: string;
  region: string;
  service: string;
}

/** What a request is, as the harness logs it. */
export interface Classification {
  /**
   * The signing name: `s3`, `cloudfront`, `route53`, `ses`, `iam`, `sts`, `sqs`, `monitoring`
   * (CloudWatch), `events` (EventBridge), `logs` (CloudWatch Logs), `sns`, …
   */
  service: string;
  /** The API operation (`PutBucketPolicy`); `METHOD /path` for a route this table lacks. */
  operation: string;
  write: boolean;
  region: string;
  accessKeyId?: string | undefined;
}

/** The credential scope of a signed request, or undefined for an unsigned one. */
export function credentialScope(headers: Record<string, string>, query: URLSearchParams): CredentialScope | undefined {
  const fromHeader = /Credential=([^,\s]+)/.exec(headers['authorization'] ?? '')?.[1];
  const credential = fromHeader ?? query.get('X-Amz-Credential') ?? undefined;
  if (!credential) return undefined;
  const parts = credential.split('/');
  // SigV4: key/date/region/service/aws4_request; SigV4a has no region: key/date/service/aws4_request.
  if (parts.length >= 5)
    return { accessKeyId: parts[0] ?? '', region: parts[2] ?? 'us-east-1', service: parts[3] ?? 's3' };
  if (parts.length === 4) return { accessKeyId: parts[0] ?? '', region: 'us-east-1', service: parts[2] ?? 's3' };
  return undefined;
}

const READ_PREFIX = /^(Get|Head|List|Describe|Simulate|TestRender)/;
const READ_OPERATIONS = new Set(['SelectObjectContent', 'TestEventPattern', 'ReceiveMessage', 'FilterLogEvents']);

/** True for an operation that changes something (a CloudTrail write event). */
export function isWrite(operation: string, method: string): boolean {
  if (operation.includes(' ')) return !['GET', 'HEAD'].includes(method);
  return !READ_PREFIX.test(operation) && !READ_OPERATIONS.has(operation);
}

const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const verbOf = (method: string): string =>
  ({ GET: 'Get', PUT: 'Put', DELETE: 'Delete', POST: 'Post', HEAD: 'Head' })[method] ??
  capitalise(method.toLowerCase());
const fallback = (method: string, path: string) => `${method} ${path}`;

// ── S3 ───────────────────────────────────────────────────────────────────────────────────

/** Bucket sub-resources whose operations are not simply Verb + Bucket + Name. */
const BUCKET_SUBRESOURCES: Record<string, Partial<Record<string, string>>> = {
  policy: { GET: 'GetBucketPolicy', PUT: 'PutBucketPolicy', DELETE: 'DeleteBucketPolicy' },
  policyStatus: { GET: 'GetBucketPolicyStatus' },
  cors: { GET: 'GetBucketCors', PUT: 'PutBucketCors', DELETE: 'DeleteBucketCors' },
  versioning: { GET: 'GetBucketVersioning', PUT: 'PutBucketVersioning' },
  tagging: { GET: 'GetBucketTagging', PUT: 'PutBucketTagging', DELETE: 'DeleteBucketTagging' },
  lifecycle: {
    GET: 'GetBucketLifecycleConfiguration',
    PUT: 'PutBucketLifecycleConfiguration',
    DELETE: 'DeleteBucketLifecycle',
  },
  encryption: { GET: 'GetBucketEncryption', PUT: 'PutBucketEncryption', DELETE: 'DeleteBucketEncryption' },
  publicAccessBlock: { GET: 'GetPublicAccessBlock', PUT: 'PutPublicAccessBlock', DELETE: 'DeletePublicAccessBlock' },
  ownershipControls: {
    GET: 'GetBucketOwnershipControls',
    PUT: 'PutBucketOwnershipControls',
    DELETE: 'DeleteBucketOwnershipControls',
  },
  acl: { GET: 'GetBucketAcl', PUT: 'PutBucketAcl' },
  location: { GET: 'GetBucketLocation' },
  website: { GET: 'GetBucketWebsite', PUT: 'PutBucketWebsite', DELETE: 'DeleteBucketWebsite' },
  notification: { GET: 'GetBucketNotificationConfiguration', PUT: 'PutBucketNotificationConfiguration' },
  logging: { GET: 'GetBucketLogging', PUT: 'PutBucketLogging' },
  'object-lock': { GET: 'GetObjectLockConfiguration', PUT: 'PutObjectLockConfiguration' },
  versions: { GET: 'ListObjectVersions' },
  uploads: { GET: 'ListMultipartUploads' },
  delete: { POST: 'DeleteObjects' },
  replication: { GET: 'GetBucketReplication', PUT: 'PutBucketReplication', DELETE: 'DeleteBucketReplication' },
  accelerate: { GET: 'GetBucketAccelerateConfiguration', PUT: 'PutBucketAccelerateConfiguration' },
  requestPayment: { GET: 'GetBucketRequestPayment', PUT: 'PutBucketRequestPayment' },
};

const OBJECT_SUBRESOURCES: Record<string, Partial<Record<string, string>>> = {
  tagging: { GET: 'GetObjectTagging', PUT: 'PutObjectTagging', DELETE: 'DeleteObjectTagging' },
  acl: { GET: 'GetObjectAcl', PUT: 'PutObjectAcl' },
  uploads: { POST: 'CreateMultipartUpload' },
  retention: { GET: 'GetObjectRetention', PUT: 'PutObjectRetention' },
  'legal-hold': { GET: 'GetObjectLegalHold', PUT: 'PutObjectLegalHold' },
  attributes: { GET: 'GetObjectAttributes' },
  restore: { POST: 'RestoreObject' },
  select: { POST: 'SelectObjectContent' },
};

/** Bucket and key of an S3 request: virtual-hosted (`bucket.localhost:port`) or path-style. */
export function s3Target(path: string, host: string): { bucket?: string | undefined; key?: string | undefined } {
  const hostname = host.replace(/:\d+$/, '');
  const virtual = /^(.+?)\.(localhost|s3[.-].*amazonaws\.com|s3\.amazonaws\.com)$/.exec(hostname)?.[1];
  const segments = path.split('/').slice(1);
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  if (virtual) {
    const key = segments.join('/');
    return { bucket: virtual, key: key === '' ? undefined : decode(key) };
  }
  const [bucket = '', ...rest] = segments;
  const key = rest.join('/');
  return { bucket: bucket === '' ? undefined : decode(bucket), key: key === '' ? undefined : decode(key) };
}

function s3Operation(method: string, path: string, query: URLSearchParams, headers: Record<string, string>): string {
  // The SDK names most operations itself (`?x-id=GetObject`).
  const named = query.get('x-id');
  if (named) return named;
  const { bucket, key } = s3Target(path, headers['host'] ?? '');
  if (!bucket) return method === 'GET' ? 'ListBuckets' : fallback(method, path);
  const table = key === undefined ? BUCKET_SUBRESOURCES : OBJECT_SUBRESOURCES;
  for (const [sub, operations] of Object.entries(table)) {
    if (query.has(sub))
      return operations[method] ?? `${verbOf(method)}${key === undefined ? 'Bucket' : 'Object'}${capitalise(sub)}`;
  }
  if (key !== undefined && query.has('uploadId')) {
    return (
      {
        PUT: headers['x-amz-copy-source'] ? 'UploadPartCopy' : 'UploadPart',
        POST: 'CompleteMultipartUpload',
        DELETE: 'AbortMultipartUpload',
        GET: 'ListParts',
      }[method] ?? fallback(method, path)
    );
  }
  if (key === undefined) {
    if (method === 'GET') return query.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects';
    return (
      { HEAD: 'HeadBucket', PUT: 'CreateBucket', DELETE: 'DeleteBucket', POST: 'PostObject' }[method] ??
      fallback(method, path)
    );
  }
  if (method === 'PUT') return headers['x-amz-copy-source'] ? 'CopyObject' : 'PutObject';
  return { GET: 'GetObject', HEAD: 'HeadObject', DELETE: 'DeleteObject' }[method] ?? fallback(method, path);
}

// ── the other REST APIs: method + path pattern ──────────────────────────────────────────

type RouteTable = Array<[method: string, pattern: string, operation: string]>;

/** Paths as in the API references; `*` is one path segment (an id or a name). */
const CLOUDFRONT: RouteTable = [
  ['GET', '/2020-05-31/distribution', 'ListDistributions'],
  ['POST', '/2020-05-31/distribution?WithTags', 'CreateDistributionWithTags'],
  ['POST', '/2020-05-31/distribution', 'CreateDistribution'],
  ['GET', '/2020-05-31/distribution/*', 'GetDistribution'],
  ['DELETE', '/2020-05-31/distribution/*', 'DeleteDistribution'],
  ['GET', '/2020-05-31/distribution/*/config', 'GetDistributionConfig'],
  ['PUT', '/2020-05-31/distribution/*/config', 'UpdateDistribution'],
  ['POST', '/2020-05-31/distribution/*/invalidation', 'CreateInvalidation'],
  ['GET', '/2020-05-31/distribution/*/invalidation', 'ListInvalidations'],
  ['GET', '/2020-05-31/distribution/*/invalidation/*', 'GetInvalidation'],
  ['GET', '/2020-05-31/origin-access-control', 'ListOriginAccessControls'],
  ['POST', '/2020-05-31/origin-access-control', 'CreateOriginAccessControl'],
  ['GET', '/2020-05-31/origin-access-control/*', 'GetOriginAccessControl'],
  ['DELETE', '/2020-05-31/origin-access-control/*', 'DeleteOriginAccessControl'],
  ['GET', '/2020-05-31/origin-access-control/*/config', 'GetOriginAccessControlConfig'],
  ['PUT', '/2020-05-31/origin-access-control/*/config', 'UpdateOriginAccessControl'],
  ['GET', '/2020-05-31/tagging', 'ListTagsForResource'],
  ['POST', '/2020-05-31/tagging?Operation=Tag', 'TagResource'],
  ['POST', '/2020-05-31/tagging?Operation=Untag', 'UntagResource'],
];

const ROUTE53: RouteTable = [
  ['POST', '/2013-04-01/hostedzone', 'CreateHostedZone'],
  ['GET', '/2013-04-01/hostedzone', 'ListHostedZones'],
  ['GET', '/2013-04-01/hostedzonesbyname', 'ListHostedZonesByName'],
  ['GET', '/2013-04-01/hostedzonecount', 'GetHostedZoneCount'],
  ['GET', '/2013-04-01/hostedzone/*', 'GetHostedZone'],
  ['DELETE', '/2013-04-01/hostedzone/*', 'DeleteHostedZone'],
  ['POST', '/2013-04-01/hostedzone/*', 'UpdateHostedZoneComment'],
  ['POST', '/2013-04-01/hostedzone/*/rrset', 'ChangeResourceRecordSets'],
  ['GET', '/2013-04-01/hostedzone/*/rrset', 'ListResourceRecordSets'],
  ['GET', '/2013-04-01/change/*', 'GetChange'],
  ['GET', '/2013-04-01/tags/*/*', 'ListTagsForResource'],
  ['POST', '/2013-04-01/tags/*/*', 'ChangeTagsForResource'],
];

const SESV2: RouteTable = [
  ['GET', '/v2/email/account', 'GetAccount'],
  ['POST', '/v2/email/account/details', 'PutAccountDetails'],
  ['PUT', '/v2/email/account/sending', 'PutAccountSendingAttributes'],
  ['POST', '/v2/email/configuration-sets', 'CreateConfigurationSet'],
  ['GET', '/v2/email/configuration-sets', 'ListConfigurationSets'],
  ['POST', '/v2/email/list-configuration-sets', 'ListConfigurationSets'],
  ['GET', '/v2/email/configuration-sets/*', 'GetConfigurationSet'],
  ['DELETE', '/v2/email/configuration-sets/*', 'DeleteConfigurationSet'],
  ['PUT', '/v2/email/configuration-sets/*/delivery-options', 'PutConfigurationSetDeliveryOptions'],
  ['PUT', '/v2/email/configuration-sets/*/reputation-options', 'PutConfigurationSetReputationOptions'],
  ['PUT', '/v2/email/configuration-sets/*/sending', 'PutConfigurationSetSendingOptions'],
  ['PUT', '/v2/email/configuration-sets/*/suppression-options', 'PutConfigurationSetSuppressionOptions'],
  ['PUT', '/v2/email/configuration-sets/*/tracking-options', 'PutConfigurationSetTrackingOptions'],
  ['POST', '/v2/email/configuration-sets/*/event-destinations', 'CreateConfigurationSetEventDestination'],
  ['GET', '/v2/email/configuration-sets/*/event-destinations', 'GetConfigurationSetEventDestinations'],
  ['PUT', '/v2/email/configuration-sets/*/event-destinations/*', 'UpdateConfigurationSetEventDestination'],
  ['DELETE', '/v2/email/configuration-sets/*/event-destinations/*', 'DeleteConfigurationSetEventDestination'],
  ['POST', '/v2/email/identities', 'CreateEmailIdentity'],
  ['GET', '/v2/email/identities', 'ListEmailIdentities'],
  ['POST', '/v2/email/list-identities', 'ListEmailIdentities'],
  ['GET', '/v2/email/identities/*', 'GetEmailIdentity'],
  ['DELETE', '/v2/email/identities/*', 'DeleteEmailIdentity'],
  ['PUT', '/v2/email/identities/*/configuration-set', 'PutEmailIdentityConfigurationSetAttributes'],
  ['PUT', '/v2/email/identities/*/dkim', 'PutEmailIdentityDkimAttributes'],
  ['PUT', '/v2/email/identities/*/dkim/signing', 'PutEmailIdentityDkimSigningAttributes'],
  ['PUT', '/v2/email/identities/*/mail-from', 'PutEmailIdentityMailFromAttributes'],
  ['PUT', '/v2/email/identities/*/feedback', 'PutEmailIdentityFeedbackAttributes'],
  ['POST', '/v2/email/outbound-emails', 'SendEmail'],
  ['POST', '/v2/email/outbound-bulk-emails', 'SendBulkEmail'],
  ['GET', '/v2/email/tags', 'ListTagsForResource'],
  ['POST', '/v2/email/tags', 'TagResource'],
  ['DELETE', '/v2/email/tags', 'UntagResource'],
  ['POST', '/v2/email/templates', 'CreateEmailTemplate'],
  ['GET', '/v2/email/templates', 'ListEmailTemplates'],
  ['GET', '/v2/email/templates/*', 'GetEmailTemplate'],
  ['PUT', '/v2/email/templates/*', 'UpdateEmailTemplate'],
  ['DELETE', '/v2/email/templates/*', 'DeleteEmailTemplate'],
  ['POST', '/v2/email/templates/*/render', 'TestRenderEmailTemplate'],
];

const REST_TABLES: Record<string, RouteTable> = { cloudfront: CLOUDFRONT, route53: ROUTE53, ses: SESV2 };

function matches(pattern: string, method: string, routeMethod: string, path: string, query: URLSearchParams): boolean {
  if (method !== routeMethod) return false;
  const [patternPath = '', patternQuery] = pattern.split('?');
  const want = patternPath.split('/');
  const have = path.replace(/\/+$/, '').split('/');
  if (
    want.length !== have.length ||
    !want.every((segment, i) => (segment === '*' ? (have[i] ?? '') !== '' : segment === have[i]))
  )
    return false;
  if (patternQuery === undefined) return true;
  const [key = '', value] = patternQuery.split('=');
  return value === undefined ? query.has(key) : query.get(key) === value;
}

/** The operation of a REST request by its API's route table (the more specific routes first). */
function restOperation(service: string, method: string, path: string, query: URLSearchParams): string {
  const table = REST_TABLES[service] ?? [];
  // Routes with a query condition win over the same path without one.
  const ordered = [...table].sort((a, b) => Number(b[1].includes('?')) - Number(a[1].includes('?')));
  return ordered.find(([m, pattern]) => matches(pattern, method, m, path, query))?.[2] ?? fallback(method, path);
}

/** The action of a query-protocol request (IAM, STS, SNS): `Action=` of the form body or the query. */
function queryAction(body: Buffer, query: URLSearchParams): string | undefined {
  return new URLSearchParams(body.toString('utf8')).get('Action') ?? query.get('Action') ?? undefined;
}

/**
 * The operation of an RPC request: `X-Amz-Target: AmazonSQS.CreateQueue` (awsJson1_0 and 1_1,
 * the operation after the last dot), or the path `/service/<target>/operation/<Operation>` of
 * Smithy RPC v2.
 */
function rpcOperation(headers: Record<string, string>, path: string): string | undefined {
  const target = headers['x-amz-target'];
  if (target) return target.slice(target.lastIndexOf('.') + 1) || undefined;
  return /^\/service\/[^/]+\/operation\/([^/]+)$/.exec(path)?.[1];
}

/** Classifies one request (its method, path + query, lower-case headers and body). */
export function classify(method: string, url: string, headers: Record<string, string>, body: Buffer): Classification {
  const parsed = new URL(url, 'http://harness.invalid');
  const scope = credentialScope(headers, parsed.searchParams);
  const service = scope?.service ?? 's3';
  const upper = method.toUpperCase();
  let operation: string;
  if (service === 's3') operation = s3Operation(upper, parsed.pathname, parsed.searchParams, headers);
  else if (REST_TABLES[service]) operation = restOperation(service, upper, parsed.pathname, parsed.searchParams);
  else
    operation =
      rpcOperation(headers, parsed.pathname) ??
      queryAction(body, parsed.searchParams) ??
      fallback(upper, parsed.pathname);
  return {
    service,
    operation,
    write: isWrite(operation, upper),
    region: scope?.region ?? 'us-east-1',
    accessKeyId: scope?.accessKeyId,
  };
}
