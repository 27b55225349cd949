/**
 * A stateful fake AWS account: what each API call does to it follows AWS's documented
 * behaviour and error codes. Installed through aws-sdk-client-mock (see install.ts), so the
 * production code runs unchanged. Every call is logged; faults can be injected by position.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { sdkStreamMixin } from '@smithy/core/serde';
import { type Principal, deniedMessage, deniedRequest, requestsFor } from './authorize.js';
import { FakeCloudFront } from './cloudfront.js';
import { FakeCloudWatch } from './cloudwatch.js';
import { FakeEventBridge } from './eventbridge.js';
import { FakeHttp } from './http.js';
import { FakeIam } from './iam.js';
import { FakeLogs } from './logs.js';
import { FakeRoute53 } from './route53.js';
import { FakeSes } from './ses.js';
import { FakeSns } from './sns.js';
import { FakeSqs } from './sqs.js';
import { type Caller, type FakeService, type Handler, type WireCode, awsError } from './errors.js';

export { awsError } from './errors.js';

export interface Call {
  n: number;
  service: string;
  command: string;
  input: Record<string, unknown>;
  /** The step that made the call, when `stepOf` is set (the benchmark). */
  step?: string | undefined;
  /** Who signed the call, when not the run's own credentials (an app user's key). */
  signedBy?: string | undefined;
  /** When the call reached the fake and when it answered (performance.now(), ms). */
  startedAt: number;
  endedAt?: number;
}

interface Fault {
  /** 1-based index of the call (counted over all services) that fails. */
  at: number;
  error: (service: string) => Error;
  /** 'before': AWS never saw the call; 'after': it took effect but the answer was lost. */
  when: 'before' | 'after';
}

export interface FakeBucket {
  name: string;
  region: string;
  versioning?: string;
  encryption?: unknown;
  publicAccessBlock?: Record<string, boolean>;
  cors?: unknown[];
  lifecycle?: unknown[];
  tags?: Array<{ Key: string; Value: string }>;
  policy?: string;
  objects: Map<string, FakeObjectVersion[]>;
}

export interface FakeObjectVersion {
  versionId: string;
  isDeleteMarker: boolean;
  body: string;
  contentType?: string | undefined;
  /**
   * The ETag, quoted as S3 sends it ('' for a delete marker): the MD5 hex of the body, as S3's
   * for a single-part upload with SSE-S3 (or none). With SSE-KMS AWS's ETag is not the body's
   * MD5 (and differs per upload); the fake's is the MD5 of the algorithm, the key and the body:
   * stable, unlike the MD5, and new whenever the body is.
   */
  etag: string;
  /** 'AES256' (SSE-S3, every bucket's default since 2023) or 'aws:kms' / 'aws:kms:dsse' with its key. */
  serverSideEncryption?: string | undefined;
  sseKmsKeyId?: string | undefined;
  /** When it was written, on the account's clock (ms). Left out of snapshot(), which runs compare. */
  lastModified: number;
}

/** S3's ETag of a body as the fake computes it (see FakeObjectVersion.etag). */
export function etagOf(body: string, encryption: { algorithm?: string; keyId?: string | undefined } = {}): string {
  const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');
  return encryption.algorithm?.startsWith('aws:kms')
    ? `"${md5(`${encryption.algorithm}\0${encryption.keyId ?? ''}\0${body}`)}"`
    : `"${md5(body)}"`;
}

/** An If-Match / If-None-Match value against an ETag: `*` matches any; quotes are optional, as S3 takes them. */
const etagMatches = (condition: string, etag: string) =>
  condition.trim() === '*' || condition.trim().replace(/^"|"$/g, '') === etag.replace(/^"|"$/g, '');

const PRECONDITION = 'At least one of the pre-conditions you specified did not hold';
const preconditionFailed = () => awsError('s3', 'PreconditionFailed', PRECONDITION);
const noSuchKey = () => awsError('s3', 'NoSuchKey', 'The specified key does not exist.');
const noSuchVersion = () => awsError('s3', 'NoSuchVersion', 'The specified version does not exist.');

/** A PutObject body as the fake stores it: text (a string, or bytes read as UTF-8). */
function bodyText(body: unknown): string {
  if (body === undefined || body === null) return '';
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return Buffer.from(body).toString('utf8');
  throw new Error('the fake account stores PutObject bodies given as a string or bytes only');
}

/** GetObject's Body as the SDK returns it: a stream with transformToString / transformToByteArray. */
const bodyStream = (body: string) => sdkStreamMixin(Readable.from([Buffer.from(body, 'utf8')]));

/** A call's answer, a fresh copy each time; a streamed Body (GetObject's) is passed as it is. */
function cloneAnswer(value: unknown): unknown {
  if (value !== null && typeof value === 'object' && (value as { Body?: unknown }).Body instanceof Readable) {
    const { Body, ...rest } = value as { Body: Readable };
    return { ...clone(rest), Body };
  }
  return clone(value);
}

/** CopyObject's CopySource: `bucket/key` (URL-encoded, a leading slash allowed), `?versionId=` optional. */
function parseCopySource(source: string): { bucket: string; key: string; versionId?: string } {
  const [path = '', query = ''] = source.replace(/^\//, '').split('?');
  const slash = path.indexOf('/');
  const versionId = new URLSearchParams(query).get('versionId') ?? undefined;
  return {
    bucket: decodeURIComponent(path.slice(0, slash)),
    key: decodeURIComponent(path.slice(slash + 1)),
    ...(versionId !== undefined ? { versionId } : {}),
  };
}

/**
 * The answers every service gives alike, each in its own codes (per API reference): to an access
 * key it does not know (or one made inactive), to a caller its policies refuse, to throttling,
 * and to a failure on its side (what failCall injects by default).
 */
interface CommonErrors<S extends FakeService> {
  invalidKey: readonly [WireCode<S>, string];
  denied: WireCode<S>;
  throttled: readonly [WireCode<S>, string];
  internal: readonly [WireCode<S>, string];
}
const BAD_TOKEN = 'The security token included in the request is invalid.';
const RATE = 'Rate exceeded';
const INTERNAL = 'An internal error occurred.';
const QUERY_STYLE = {
  invalidKey: ['InvalidClientTokenId', BAD_TOKEN],
  denied: 'AccessDenied',
  throttled: ['Throttling', RATE],
  internal: ['InternalFailure', INTERNAL],
} as const;
const JSON_STYLE = {
  invalidKey: ['UnrecognizedClientException', BAD_TOKEN],
  denied: 'AccessDeniedException',
  throttled: ['ThrottlingException', RATE],
} as const;
const COMMON_ERRORS: { [S in FakeService]: CommonErrors<S> } = {
  s3: {
    invalidKey: ['InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.'],
    denied: 'AccessDenied',
    throttled: ['SlowDown', 'Please reduce your request rate.'],
    internal: ['InternalError', 'We encountered an internal error. Please try again.'],
  },
  sesv2: { ...JSON_STYLE, throttled: ['TooManyRequestsException', RATE], internal: ['InternalFailure', INTERNAL] },
  cloudfront: QUERY_STYLE,
  route53: QUERY_STYLE,
  sts: QUERY_STYLE,
  iam: { ...QUERY_STYLE, internal: ['ServiceFailure', 'Service failure'] },
  // SQS and CloudWatch answer these in their awsQuery codes (x-amzn-query-error).
  sqs: { ...QUERY_STYLE, throttled: ['RequestThrottled', RATE] },
  cloudwatch: { ...QUERY_STYLE, internal: ['InternalServiceFault', 'Internal service failure'] },
  sns: {
    ...QUERY_STYLE,
    denied: 'AuthorizationError',
    throttled: ['Throttled', RATE],
    internal: ['InternalError', INTERNAL],
  },
  eventbridge: { ...JSON_STYLE, internal: ['InternalException', INTERNAL] },
  logs: { ...JSON_STYLE, internal: ['ServiceUnavailableException', 'The service cannot complete the request.'] },
};

function common(service: string): { service: FakeService; codes: CommonErrors<FakeService> } {
  if (!(service in COMMON_ERRORS)) throw new Error(`no common error codes for ${service}`);
  return { service: service as FakeService, codes: COMMON_ERRORS[service as FakeService] as CommonErrors<FakeService> };
}
const answer = (service: FakeService, code: string, message: string) =>
  awsError(service, code as WireCode<FakeService>, message);

function invalidKey(name: string): Error {
  const { service, codes } = common(name);
  return answer(service, ...codes.invalidKey);
}
function accessDenied(name: string, message: string): Error {
  const { service, codes } = common(name);
  return answer(service, codes.denied, message);
}
const throttled = (name: string) => {
  const { service, codes } = common(name);
  return answer(service, ...codes.throttled);
};
const internalError = (name: string) => {
  const { service, codes } = common(name);
  return answer(service, ...codes.internal);
};

const READ_PREFIXES = ['Get', 'Head', 'List', 'Describe'];

const clone = <T>(v: T): T => (v === undefined ? v : structuredClone(v));

export class FakeAccount {
  accountId = '123456789012';
  callerArn = 'arn:aws:iam::123456789012:user/admin';
  readonly calls: Call[] = [];
  readonly buckets = new Map<string, FakeBucket>();
  /** Bucket names that exist in some other account. */
  readonly foreignBuckets = new Set<string>();
  readonly cloudfront = new FakeCloudFront(() => this.accountId);
  readonly ses = new FakeSes(() => this.accountId);
  readonly route53 = new FakeRoute53();
  readonly iam = new FakeIam(() => this.accountId);
  readonly sqs = new FakeSqs(
    () => this.accountId,
    () => this.now(),
  );
  readonly eventbridge = new FakeEventBridge(
    () => this.accountId,
    () => this.now(),
  );
  readonly cloudwatch = new FakeCloudWatch(
    () => this.accountId,
    () => this.now(),
  );
  readonly sns = new FakeSns(
    () => this.accountId,
    () => this.now(),
  );
  readonly logs = new FakeLogs(
    () => this.accountId,
    () => this.now(),
  );
  /** What is reached over plain HTTP (presigned URLs, the CDN), as `fetch`. */
  readonly http: FakeHttp = new FakeHttp(this);
  /** Delay added to every call, in ms (for concurrency and benchmark runs). */
  delayMs = 0;
  /**
   * A call signed with an IAM user's key of this account is evaluated against that user's
   * policies, and a deleted or inactive key is refused. Any other key is the run's own
   * (administrator) credentials, whatever a test configured, unless `rejectUnknownKeys`: then
   * only `operatorKeyIds` are, and any other key is refused as AWS refuses one it never issued.
   */
  rejectUnknownKeys = false;
  readonly operatorKeyIds = new Set([process.env['AWS_ACCESS_KEY_ID'] ?? '']);
  /** Like an emulator without IAM: any key is accepted and nothing is ever refused. */
  acceptsAnyCredentials = false;
  /** The account's clock (ms), for presigned URL expiry; tests move it. */
  now: () => number = () => Date.now();
  /** Names the step a call is made for (the runner's `currentStepId`), logged with the call. */
  stepOf: (() => string | undefined) | undefined;
  private faults: Fault[] = [];
  private readonly commandFaults = new Map<string, () => Error>();
  private throttled = 0;

  constructor() {
    // SES publishes its events to the region's default bus; a rule's SQS target is sent to by
    // EventBridge (events.amazonaws.com, the rule as aws:SourceArn), as the queue policy allows.
    this.ses.now = () => this.now();
    this.ses.callerName = (caller) => this.whoSigned(caller)?.name ?? this.callerArn.split('/').pop() ?? 'admin';
    this.ses.onEvent = (region, event) => this.eventbridge.emit(region, event);
    this.sqs.senderOf = (caller) => this.whoSigned(caller)?.userId ?? 'AIDAFAKE';
    this.eventbridge.deliver = (target, body, rule) =>
      target.Arn.startsWith('arn:aws:sqs:')
        ? this.sqs.sendFromService(target.Arn, body, {
            service: 'events.amazonaws.com',
            sourceArn: rule.arn,
            sourceAccount: this.accountId,
          })
        : `targets in ${target.Arn.split(':')[2] ?? '?'} are not modeled`;
  }

  /** The IAM user whose key signed a call (undefined: the run's own credentials). */
  private whoSigned(caller: Caller): { name: string; userId: string } | undefined {
    return caller.accessKeyId === undefined ? undefined : this.iam.findKey(caller.accessKeyId)?.user;
  }

  /** The k-th call from now (1-based, all services) fails. */
  failCall(k: number, options: { when?: 'before' | 'after'; error?: (service: string) => Error } = {}): void {
    this.faults.push({
      at: this.calls.length + k,
      when: options.when ?? 'before',
      error: options.error ?? internalError,
    });
  }

  /** The next call of `service:command` fails with `error`, whenever it comes. */
  failNext(service: string, command: string, error: () => Error): void {
    this.commandFaults.set(`${service}:${command}`, error);
  }

  /** The next `count` calls are throttled. */
  throttle(count: number): void {
    this.throttled = count;
  }

  /** Calls that change something (not Get/Head/List/Describe). */
  get writes(): Call[] {
    return this.calls.filter(
      (c) => !READ_PREFIXES.some((p) => c.command.startsWith(p)) && c.command !== 'GetCallerIdentity',
    );
  }

  /** Everything the account holds, in a form tests can compare. */
  snapshot(): unknown {
    const buckets = [...this.buckets.values()]
      .map((b) => ({
        ...b,
        objects: [...b.objects.entries()].map(([key, versions]) => [
          key,
          versions.map(({ lastModified: _lastModified, ...version }) => version),
        ]),
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
    return clone({
      buckets,
      cloudfront: this.cloudfront.snapshot(),
      ses: this.ses.snapshot(),
      route53: this.route53.snapshot(),
      iam: this.iam.snapshot(),
      sqs: this.sqs.snapshot(),
      eventbridge: this.eventbridge.snapshot(),
      cloudwatch: this.cloudwatch.snapshot(),
      sns: this.sns.snapshot(),
      logs: this.logs.snapshot(),
    });
  }

  async call(
    service: string,
    command: string,
    input: Record<string, unknown>,
    region: string,
    caller: Caller = {},
  ): Promise<unknown> {
    const key = caller.accessKeyId;
    const signedBy =
      key !== undefined && (this.iam.findKey(key) !== undefined || this.iam.deletedKeyIds.has(key)) ? key : undefined;
    const call: Call = {
      n: this.calls.length + 1,
      service,
      command,
      input: clone(input),
      step: this.stepOf?.(),
      signedBy,
      startedAt: performance.now(),
    };
    this.calls.push(call);
    try {
      return await this.answer(call, service, command, input, region, caller);
    } finally {
      call.endedAt = performance.now();
    }
  }

  private async answer(
    call: Call,
    service: string,
    command: string,
    input: Record<string, unknown>,
    region: string,
    caller: Caller,
  ): Promise<unknown> {
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.throttled > 0) {
      this.throttled -= 1;
      throw throttled(service);
    }
    const commandFault = this.commandFaults.get(`${service}:${command}`);
    if (commandFault) {
      this.commandFaults.delete(`${service}:${command}`);
      throw commandFault();
    }
    const fault = this.faults.find((f) => f.at === call.n);
    if (fault?.when === 'before') throw fault.error(service);
    this.authorize(service, command, input, region, caller);
    const handler = this.handlers[`${service}:${command}`];
    if (!handler) throw new Error(`the fake account does not implement ${service}:${command}`);
    // An 'after' fault lets the call take effect (or fail by itself), then loses the answer.
    const outcome = await Promise.resolve()
      .then(() => handler(clone(input), region, caller))
      .then(
        (value) => ({ value: cloneAnswer(value) }),
        (error: unknown) => ({ error }),
      );
    if (fault?.when === 'after') throw fault.error(service);
    if ('error' in outcome) throw outcome.error;
    return outcome.value;
  }

  /**
   * Who signed a call: the operator (nothing is checked), or an app user, whose key must be
   * active and whose policies must allow the call. STS answers any valid key (its own handler
   * models key propagation).
   */
  principalOf(service: string, accessKeyId: string | undefined): Principal | 'operator' {
    if (accessKeyId === undefined || this.acceptsAnyCredentials) return 'operator';
    const found = this.iam.findKey(accessKeyId);
    if (!found) {
      if (this.iam.deletedKeyIds.has(accessKeyId) || (this.rejectUnknownKeys && !this.operatorKeyIds.has(accessKeyId)))
        throw invalidKey(service);
      return 'operator';
    }
    if (found.key.status !== 'Active') throw invalidKey(service);
    return { arn: found.user.arn, policies: [...found.user.policies.values()] };
  }

  private authorize(
    service: string,
    command: string,
    input: Record<string, unknown>,
    region: string,
    caller: Caller,
  ): void {
    if (service === 'sts' || this.acceptsAnyCredentials) return;
    const principal = this.principalOf(service, caller.accessKeyId);
    if (principal === 'operator') return;
    const denied = deniedRequest(
      principal,
      requestsFor(service, command, input, region, this.accountId, principal.arn),
    );
    if (denied) throw accessDenied(service, deniedMessage(principal, denied));
  }

  /** Puts an object as an upload would (a new version when versioning is on); its version id. */
  putObject(bucketName: string, key: string, body = '', contentType?: string): string {
    const bucket = this.buckets.get(bucketName);
    if (!bucket) throw new Error(`no bucket ${bucketName}`);
    return this.writeObject(bucket, key, body, { contentType, ...this.encryptionOf(bucket, {}) }).versionId;
  }

  /** Every version of an object, newest first, delete markers included (empty: S3 never had it). */
  objectVersions(bucketName: string, key: string): FakeObjectVersion[] {
    return [...(this.buckets.get(bucketName)?.objects.get(key) ?? [])];
  }

  /**
   * The next `times` conditional writes (PutObject or CopyObject with If-Match / If-None-Match)
   * to `key`, in any bucket, answer 409 ConditionalRequestConflict, as S3 does when another
   * operation on the key raced them; nothing is written.
   */
  conflictNextConditionalPut(key: string, times = 1): void {
    this.conflicts.set(key, (this.conflicts.get(key) ?? 0) + times);
  }

  private readonly conflicts = new Map<string, number>();

  private writeObject(
    bucket: FakeBucket,
    key: string,
    body: string,
    options: { contentType?: string | undefined; algorithm: string; keyId?: string | undefined },
  ): FakeObjectVersion {
    const versions = bucket.objects.get(key) ?? [];
    const versionId = bucket.versioning === 'Enabled' ? `v${++this.versionSeq}` : 'null';
    const version: FakeObjectVersion = {
      versionId,
      isDeleteMarker: false,
      body,
      ...(options.contentType !== undefined ? { contentType: options.contentType } : {}),
      etag: etagOf(body, options),
      serverSideEncryption: options.algorithm,
      ...(options.keyId !== undefined ? { sseKmsKeyId: options.keyId } : {}),
      lastModified: this.now(),
    };
    if (bucket.versioning === 'Enabled') versions.unshift(version);
    else versions.splice(0, versions.length, ...versions.filter((v) => v.versionId !== 'null'), version);
    bucket.objects.set(key, versions);
    return version;
  }

  /**
   * How a write is encrypted: as it asks (ServerSideEncryption, SSEKMSKeyId), else as the
   * bucket's default encryption says. SSE-KMS without a key is the AWS managed key aws/s3.
   */
  private encryptionOf(bucket: FakeBucket, input: Record<string, unknown>): { algorithm: string; keyId?: string } {
    const byDefault = (
      bucket.encryption as
        | { Rules?: Array<{ ApplyServerSideEncryptionByDefault?: { SSEAlgorithm?: string; KMSMasterKeyID?: string } }> }
        | undefined
    )?.Rules?.[0]?.ApplyServerSideEncryptionByDefault;
    const asked = input['ServerSideEncryption'] as string | undefined;
    const algorithm = asked ?? byDefault?.SSEAlgorithm ?? 'AES256';
    if (!algorithm.startsWith('aws:kms')) return { algorithm };
    const keyId =
      (input['SSEKMSKeyId'] as string | undefined) ??
      (asked === undefined ? byDefault?.KMSMasterKeyID : undefined) ??
      `arn:aws:kms:${bucket.region}:${this.accountId}:alias/aws/s3`;
    return { algorithm, keyId };
  }

  /**
   * A conditional write's preconditions, checked against the key's current version at the
   * moment of the write (AWS: the first conditional write to complete wins, the others fail).
   * If-None-Match: * fails with 412 if there is a current version (a delete marker is none);
   * If-Match fails with 404 NoSuchKey if there is none, 412 if its ETag is another.
   */
  private checkConditionalWrite(bucket: FakeBucket, key: string, input: Record<string, unknown>): void {
    const ifMatch = input['IfMatch'] as string | undefined;
    const ifNoneMatch = input['IfNoneMatch'] as string | undefined;
    if (ifMatch === undefined && ifNoneMatch === undefined) return;
    if (ifMatch !== undefined && ifNoneMatch !== undefined)
      throw new Error('the fake account does not model a write with both If-Match and If-None-Match');
    if (ifNoneMatch !== undefined && ifNoneMatch !== '*')
      throw new Error(`the fake account models If-None-Match: * only on a write, not ${ifNoneMatch}`);
    const conflicts = this.conflicts.get(key) ?? 0;
    if (conflicts > 0) {
      if (conflicts === 1) this.conflicts.delete(key);
      else this.conflicts.set(key, conflicts - 1);
      throw awsError(
        's3',
        'ConditionalRequestConflict',
        'The conditional request cannot succeed due to a conflicting operation against this resource.',
      );
    }
    const current = this.currentObject(bucket.name, key);
    if (ifNoneMatch !== undefined) {
      if (current) throw preconditionFailed();
      return;
    }
    if (!current) throw noSuchKey();
    if (!etagMatches(String(ifMatch), current.etag)) throw preconditionFailed();
  }

  /**
   * The version GetObject / HeadObject answers (VersionId, else the current one) once its
   * If-Match / If-None-Match hold: If-Match not met is 412, If-None-Match met is 304.
   */
  private readObject(bucket: FakeBucket, input: Record<string, unknown>, head: boolean): FakeObjectVersion {
    const versions = bucket.objects.get(String(input['Key'])) ?? [];
    const versionId = input['VersionId'] as string | undefined;
    const version = versionId === undefined ? versions[0] : versions.find((v) => v.versionId === versionId);
    if (version?.isDeleteMarker && versionId !== undefined)
      throw new Error('the fake account does not model reading a delete marker by its version id (405)');
    if (!version || version.isDeleteMarker) {
      if (head) throw awsError('s3', 'NotFound');
      throw versionId === undefined ? noSuchKey() : noSuchVersion();
    }
    const ifMatch = input['IfMatch'] as string | undefined;
    const ifNoneMatch = input['IfNoneMatch'] as string | undefined;
    if (ifMatch !== undefined && !etagMatches(ifMatch, version.etag))
      throw head ? awsError('s3', 'HeadPreconditionFailed') : preconditionFailed();
    if (ifNoneMatch !== undefined && etagMatches(ifNoneMatch, version.etag)) throw awsError('s3', 'NotModified');
    return version;
  }

  /** What GetObject and HeadObject answer about a version, besides its body. */
  private objectHeaders(version: FakeObjectVersion): Record<string, unknown> {
    return {
      AcceptRanges: 'bytes',
      ContentLength: Buffer.byteLength(version.body),
      ContentType: version.contentType ?? 'binary/octet-stream',
      ETag: version.etag,
      LastModified: new Date(version.lastModified),
      ...(version.versionId !== 'null' ? { VersionId: version.versionId } : {}),
      ...this.encryptionHeaders(version),
    };
  }

  private encryptionHeaders(version: FakeObjectVersion): Record<string, unknown> {
    return {
      ServerSideEncryption: version.serverSideEncryption,
      ...(version.sseKmsKeyId !== undefined ? { SSEKMSKeyId: version.sseKmsKeyId } : {}),
    };
  }

  /** The current version of an object, unless there is none or it is a delete marker. */
  currentObject(bucketName: string, key: string): FakeObjectVersion | undefined {
    const latest = this.buckets.get(bucketName)?.objects.get(key)?.[0];
    return latest && !latest.isDeleteMarker ? latest : undefined;
  }

  /** Object versions and delete markers in a bucket, counted together. */
  versionCount(bucketName: string): number {
    return [...(this.buckets.get(bucketName)?.objects.values() ?? [])].reduce((n, versions) => n + versions.length, 0);
  }

  private versionSeq = 0;

  /**
   * Removes one version, or (no version id) adds a delete marker / removes the unversioned
   * object; DeleteObject's answer.
   */
  private deleteObject(bucket: FakeBucket, key: string, versionId: string | undefined): Record<string, unknown> {
    const versions = bucket.objects.get(key) ?? [];
    if (versionId !== undefined) {
      const removed = versions.find((v) => v.versionId === versionId);
      const rest = versions.filter((v) => v.versionId !== versionId);
      if (rest.length > 0) bucket.objects.set(key, rest);
      else bucket.objects.delete(key);
      return { VersionId: versionId, ...(removed?.isDeleteMarker ? { DeleteMarker: true } : {}) };
    }
    if (bucket.versioning === 'Enabled') {
      const marker = {
        versionId: `v${++this.versionSeq}`,
        isDeleteMarker: true,
        body: '',
        etag: '',
        lastModified: this.now(),
      };
      bucket.objects.set(key, [marker, ...versions]);
      return { DeleteMarker: true, VersionId: marker.versionId };
    }
    bucket.objects.delete(key);
    return {};
  }

  // ── S3 ────────────────────────────────────────────────────────────────────────────────
  private bucket(input: Record<string, unknown>): FakeBucket {
    const bucket = this.buckets.get(String(input['Bucket']));
    if (!bucket) throw awsError('s3', 'NoSuchBucket', 'The specified bucket does not exist');
    return bucket;
  }

  private readonly handlers: Record<string, Handler> = {
    ...this.cloudfront.handlers(),
    ...this.ses.handlers(),
    ...this.route53.handlers(),
    ...this.iam.handlers(),
    ...this.sqs.handlers(),
    ...this.eventbridge.handlers(),
    ...this.cloudwatch.handlers(),
    ...this.sns.handlers(),
    ...this.logs.handlers(),
    // Signed with an app user's key, STS answers as that user (once the key has propagated).
    'sts:GetCallerIdentity': (_input, _region, caller) => {
      if (caller.accessKeyId === undefined || this.iam.findKey(caller.accessKeyId) === undefined) {
        this.principalOf('sts', caller.accessKeyId);
        return { Account: this.accountId, Arn: this.callerArn, UserId: 'AIDAFAKE' };
      }
      return this.iam.callerIdentity(caller.accessKeyId);
    },

    's3:CreateBucket': (input, region) => {
      const name = String(input['Bucket']);
      const location = (input['CreateBucketConfiguration'] as { LocationConstraint?: string } | undefined)
        ?.LocationConstraint;
      if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name))
        throw awsError('s3', 'InvalidBucketName', 'The specified bucket is not valid.');
      if (region === 'us-east-1' && location !== undefined)
        throw awsError('s3', 'InvalidLocationConstraint', 'The specified location-constraint is not valid');
      if (region !== 'us-east-1' && location !== region)
        throw awsError(
          's3',
          'IllegalLocationConstraintException',
          `The ${location ?? 'unspecified'} location constraint is incompatible for the region specific endpoint this request was sent to.`,
        );
      if (this.foreignBuckets.has(name))
        throw awsError('s3', 'BucketAlreadyExists', 'The requested bucket name is not available.');
      const existing = this.buckets.get(name);
      // us-east-1 answers 200 to re-creating a bucket you own (legacy behaviour); other regions 409.
      if (existing) {
        if (region === 'us-east-1') return { Location: `/${name}` };
        throw awsError(
          's3',
          'BucketAlreadyOwnedByYou',
          'Your previous request to create the named bucket succeeded and you already own it.',
        );
      }
      this.buckets.set(name, {
        name,
        region,
        // Since 2023 new buckets have SSE-S3 and all four public access block flags by default.
        encryption: {
          Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: false }],
        },
        publicAccessBlock: {
          BlockPublicAcls: true,
          IgnorePublicAcls: true,
          BlockPublicPolicy: true,
          RestrictPublicBuckets: true,
        },
        objects: new Map(),
      });
      return { Location: `/${name}` };
    },
    's3:HeadBucket': (input, region) => {
      const name = String(input['Bucket']);
      if (this.foreignBuckets.has(name)) throw awsError('s3', 'Forbidden', 'Forbidden');
      const bucket = this.buckets.get(name);
      if (!bucket) throw awsError('s3', 'NotFound', 'Not Found');
      if (bucket.region !== region) throw awsError('s3', 'MovedPermanently', 'Moved Permanently');
      return { BucketRegion: bucket.region };
    },
    's3:DeleteBucket': (input) => {
      const bucket = this.bucket(input);
      if (bucket.objects.size > 0)
        throw awsError('s3', 'BucketNotEmpty', 'The bucket you tried to delete is not empty');
      this.buckets.delete(bucket.name);
      return {};
    },
    // Conditional writes (If-None-Match: *, If-Match: <etag>) are checked and done in one step,
    // so of concurrent ones exactly one wins, as on S3.
    's3:PutObject': (input) => {
      const bucket = this.bucket(input);
      const key = String(input['Key']);
      this.checkConditionalWrite(bucket, key, input);
      const version = this.writeObject(bucket, key, bodyText(input['Body']), {
        contentType: input['ContentType'] as string | undefined,
        ...this.encryptionOf(bucket, input),
      });
      return {
        ETag: version.etag,
        ...(version.versionId !== 'null' ? { VersionId: version.versionId } : {}),
        ...this.encryptionHeaders(version),
      };
    },
    's3:GetObject': (input) => {
      const version = this.readObject(this.bucket(input), input, false);
      return { ...this.objectHeaders(version), Body: bodyStream(version.body) };
    },
    's3:HeadObject': (input) => this.objectHeaders(this.readObject(this.bucket(input), input, true)),
    // The copy is a write to the destination (its If-Match / If-None-Match checked as PutObject's);
    // CopySourceIfMatch / CopySourceIfNoneMatch are checked on the source (412 when not met).
    's3:CopyObject': (input) => {
      const bucket = this.bucket(input);
      const key = String(input['Key']);
      const from = parseCopySource(String(input['CopySource'] ?? ''));
      const sourceBucket = this.buckets.get(from.bucket);
      if (!sourceBucket) throw awsError('s3', 'NoSuchBucket', 'The specified bucket does not exist');
      const versions = sourceBucket.objects.get(from.key) ?? [];
      const source = from.versionId === undefined ? versions[0] : versions.find((v) => v.versionId === from.versionId);
      if (!source || source.isDeleteMarker) throw from.versionId === undefined ? noSuchKey() : noSuchVersion();
      const sourceIfMatch = input['CopySourceIfMatch'] as string | undefined;
      const sourceIfNoneMatch = input['CopySourceIfNoneMatch'] as string | undefined;
      if (
        (sourceIfMatch !== undefined && !etagMatches(sourceIfMatch, source.etag)) ||
        (sourceIfNoneMatch !== undefined && etagMatches(sourceIfNoneMatch, source.etag))
      )
        throw preconditionFailed();
      const replace = input['MetadataDirective'] === 'REPLACE';
      if (
        sourceBucket === bucket &&
        from.key === key &&
        !replace &&
        input['ServerSideEncryption'] === undefined &&
        input['StorageClass'] === undefined
      )
        throw awsError(
          's3',
          'InvalidRequest',
          "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
        );
      this.checkConditionalWrite(bucket, key, input);
      const version = this.writeObject(bucket, key, source.body, {
        contentType: replace ? (input['ContentType'] as string | undefined) : source.contentType,
        ...this.encryptionOf(bucket, input),
      });
      return {
        CopyObjectResult: { ETag: version.etag, LastModified: new Date(version.lastModified) },
        ...(version.versionId !== 'null' ? { VersionId: version.versionId } : {}),
        ...(source.versionId !== 'null' ? { CopySourceVersionId: source.versionId } : {}),
        ...this.encryptionHeaders(version),
      };
    },
    // Keys in order, after ContinuationToken (or StartAfter); with a Delimiter the keys below it
    // under Prefix are rolled up into CommonPrefixes. MaxKeys counts keys and prefixes together.
    's3:ListObjectsV2': (input) => {
      const bucket = this.bucket(input);
      const prefix = String(input['Prefix'] ?? '');
      const delimiter = input['Delimiter'] === undefined ? undefined : String(input['Delimiter']);
      const max = Number(input['MaxKeys'] ?? 1000);
      const token = input['ContinuationToken'] as string | undefined;
      const after =
        token !== undefined ? Buffer.from(token, 'base64url').toString('utf8') : String(input['StartAfter'] ?? '');
      const rolledUp = (key: string) => delimiter !== undefined && after.endsWith(delimiter) && key.startsWith(after);
      const entries: Array<{ key: string; version?: FakeObjectVersion }> = [];
      for (const key of [...bucket.objects.keys()].sort()) {
        const version = this.currentObject(bucket.name, key);
        if (!version || !key.startsWith(prefix) || key <= after || rolledUp(key)) continue;
        const cut = delimiter === undefined ? -1 : key.indexOf(delimiter, prefix.length);
        if (cut < 0) entries.push({ key, version });
        else {
          const common = key.slice(0, cut + (delimiter ?? '').length);
          if (entries[entries.length - 1]?.key !== common) entries.push({ key: common });
        }
      }
      const page = entries.slice(0, max);
      const truncated = entries.length > max;
      const last = page[page.length - 1];
      const contents = page.flatMap((e) =>
        e.version
          ? [
              {
                Key: e.key,
                ETag: e.version.etag,
                Size: Buffer.byteLength(e.version.body),
                LastModified: new Date(e.version.lastModified),
                StorageClass: 'STANDARD',
              },
            ]
          : [],
      );
      const prefixes = page.filter((e) => !e.version).map((e) => ({ Prefix: e.key }));
      return {
        Name: bucket.name,
        Prefix: prefix,
        MaxKeys: max,
        KeyCount: page.length,
        IsTruncated: truncated,
        ...(contents.length > 0 ? { Contents: contents } : {}),
        ...(prefixes.length > 0 ? { CommonPrefixes: prefixes } : {}),
        ...(delimiter !== undefined ? { Delimiter: delimiter } : {}),
        ...(token !== undefined ? { ContinuationToken: token } : {}),
        ...(input['StartAfter'] !== undefined ? { StartAfter: input['StartAfter'] } : {}),
        ...(truncated && last ? { NextContinuationToken: Buffer.from(last.key, 'utf8').toString('base64url') } : {}),
      };
    },
    's3:ListBuckets': () => ({
      Buckets: [...this.buckets.values()].map((b) => ({ Name: b.name, BucketRegion: b.region })),
      Owner: { ID: 'fake-owner' },
    }),
    // Keys in order, each key's versions newest first; MaxKeys counts versions and markers together.
    's3:ListObjectVersions': (input) => {
      const bucket = this.bucket(input);
      const max = Number(input['MaxKeys'] ?? 1000);
      const prefix = String(input['Prefix'] ?? '');
      const all = [...bucket.objects.keys()]
        .filter((key) => key.startsWith(prefix))
        .sort()
        .flatMap((key) => (bucket.objects.get(key) ?? []).map((v, i) => ({ key, v, latest: i === 0 })));
      const page = all.slice(0, max);
      const truncated = all.length > max;
      const last = page[page.length - 1];
      return {
        Versions: page
          .filter((e) => !e.v.isDeleteMarker)
          .map((e) => ({
            Key: e.key,
            VersionId: e.v.versionId,
            IsLatest: e.latest,
            Size: e.v.body.length,
            ETag: e.v.etag,
            LastModified: new Date(e.v.lastModified),
          })),
        DeleteMarkers: page
          .filter((e) => e.v.isDeleteMarker)
          .map((e) => ({
            Key: e.key,
            VersionId: e.v.versionId,
            IsLatest: e.latest,
            LastModified: new Date(e.v.lastModified),
          })),
        IsTruncated: truncated,
        ...(truncated && last ? { NextKeyMarker: last.key, NextVersionIdMarker: last.v.versionId } : {}),
      };
    },
    's3:DeleteObjects': (input) => {
      const bucket = this.bucket(input);
      const del = input['Delete'] as { Objects?: Array<{ Key: string; VersionId?: string }>; Quiet?: boolean };
      const objects = del.Objects ?? [];
      if (objects.length === 0 || objects.length > 1000)
        throw awsError(
          's3',
          'MalformedXML',
          'The XML you provided was not well-formed or did not validate against our published schema',
        );
      for (const o of objects) this.deleteObject(bucket, o.Key, o.VersionId);
      return del.Quiet ? { Errors: [] } : { Deleted: objects.map((o) => ({ Key: o.Key, VersionId: o.VersionId })) };
    },
    // A conditional delete (If-Match: <etag> or *, general purpose buckets since 2025) is checked
    // against the current version: none (or a delete marker) is 404 NoSuchKey, another ETag 412.
    's3:DeleteObject': (input) => {
      const bucket = this.bucket(input);
      const key = String(input['Key']);
      const ifMatch = input['IfMatch'] as string | undefined;
      if (ifMatch !== undefined) {
        const current = this.currentObject(bucket.name, key);
        if (!current) throw noSuchKey();
        if (!etagMatches(ifMatch, current.etag)) throw preconditionFailed();
      }
      return this.deleteObject(bucket, key, input['VersionId'] === undefined ? undefined : String(input['VersionId']));
    },
    's3:GetBucketVersioning': (input) => {
      const bucket = this.bucket(input);
      return bucket.versioning ? { Status: bucket.versioning } : {};
    },
    's3:PutBucketVersioning': (input) => {
      this.bucket(input).versioning = (input['VersioningConfiguration'] as { Status: string }).Status;
      return {};
    },
    's3:GetBucketEncryption': (input) => {
      const bucket = this.bucket(input);
      if (!bucket.encryption)
        throw awsError(
          's3',
          'ServerSideEncryptionConfigurationNotFoundError',
          'The server side encryption configuration was not found',
        );
      return { ServerSideEncryptionConfiguration: bucket.encryption };
    },
    's3:PutBucketEncryption': (input) => {
      this.bucket(input).encryption = input['ServerSideEncryptionConfiguration'];
      return {};
    },
    's3:GetPublicAccessBlock': (input) => {
      const bucket = this.bucket(input);
      if (!bucket.publicAccessBlock)
        throw awsError(
          's3',
          'NoSuchPublicAccessBlockConfiguration',
          'The public access block configuration was not found',
        );
      return { PublicAccessBlockConfiguration: bucket.publicAccessBlock };
    },
    's3:PutPublicAccessBlock': (input) => {
      this.bucket(input).publicAccessBlock = input['PublicAccessBlockConfiguration'] as Record<string, boolean>;
      return {};
    },
    's3:GetBucketCors': (input) => {
      const bucket = this.bucket(input);
      if (!bucket.cors) throw awsError('s3', 'NoSuchCORSConfiguration', 'The CORS configuration does not exist');
      return { CORSRules: bucket.cors };
    },
    's3:PutBucketCors': (input) => {
      const rules = (input['CORSConfiguration'] as { CORSRules?: unknown[] }).CORSRules ?? [];
      if (rules.length === 0 || rules.length > 100)
        throw awsError('s3', 'MalformedXML', 'The XML you provided was not well-formed');
      this.bucket(input).cors = rules;
      return {};
    },
    's3:GetBucketLifecycleConfiguration': (input) => {
      const bucket = this.bucket(input);
      if (!bucket.lifecycle)
        throw awsError('s3', 'NoSuchLifecycleConfiguration', 'The lifecycle configuration does not exist');
      return { Rules: bucket.lifecycle };
    },
    's3:PutBucketLifecycleConfiguration': (input) => {
      const rules = (input['LifecycleConfiguration'] as { Rules?: Array<Record<string, unknown>> }).Rules ?? [];
      const ids = rules.map((r) => r['ID']);
      if (
        rules.some((r) => r['Filter'] === undefined && r['Prefix'] === undefined) ||
        new Set(ids).size !== ids.length
      ) {
        throw awsError(
          's3',
          'MalformedXML',
          'The XML you provided was not well-formed or did not validate against our published schema',
        );
      }
      this.bucket(input).lifecycle = rules;
      return {};
    },
    's3:GetBucketPolicy': (input) => {
      const bucket = this.bucket(input);
      if (!bucket.policy) throw awsError('s3', 'NoSuchBucketPolicy', 'The bucket policy does not exist');
      return { Policy: bucket.policy };
    },
    's3:PutBucketPolicy': (input) => {
      const bucket = this.bucket(input);
      let doc: { Statement?: Array<{ Effect?: string; Principal?: unknown; Condition?: unknown }> };
      try {
        doc = JSON.parse(String(input['Policy']));
      } catch {
        throw awsError('s3', 'MalformedPolicy', "Policies must be valid JSON and the first byte must be '{'");
      }
      if (!Array.isArray(doc.Statement) || doc.Statement.length === 0)
        throw awsError('s3', 'MalformedPolicy', 'Missing required field Statement');
      // With BlockPublicPolicy, an Allow to everyone without a condition is refused.
      const isPublic = doc.Statement.some(
        (s) =>
          s.Effect === 'Allow' &&
          (s.Principal === '*' || JSON.stringify(s.Principal) === '{"AWS":"*"}') &&
          s.Condition === undefined,
      );
      if (isPublic && bucket.publicAccessBlock?.['BlockPublicPolicy'])
        throw awsError('s3', 'AccessDenied', 'Access Denied');
      bucket.policy = String(input['Policy']);
      return {};
    },
    's3:DeleteBucketPolicy': (input) => {
      delete this.bucket(input).policy;
      return {};
    },
    's3:GetBucketTagging': (input) => {
      const bucket = this.bucket(input);
      if (!bucket.tags) throw awsError('s3', 'NoSuchTagSet', 'The TagSet does not exist');
      return { TagSet: bucket.tags };
    },
    's3:PutBucketTagging': (input) => {
      const tags = (input['Tagging'] as { TagSet: Array<{ Key: string; Value: string }> }).TagSet;
      if (new Set(tags.map((t) => t.Key)).size !== tags.length)
        throw awsError('s3', 'InvalidTag', 'Cannot provide multiple Tags with the same key');
      this.bucket(input).tags = tags;
      return {};
    },
  };
}
