/**
 * The checks of `hm-infra smoke-test`: the stack used as the app uses it, with the app user's
 * key — a presigned upload, the CDN serving it, the bucket closed to everyone else, the key
 * refused what the app does not need, an email through the template and configuration set —
 * then the test object removed. Each check ends in one result; none throws.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { AwsContext } from '../aws/context.js';
import { awsErrorName, httpStatus, isDenied, isInvalidKey, isThrottled } from '../aws/errors.js';
import { CloudFront, IAM, S3, SES, STS } from '../aws/sdk.js';
import { type Clock, nextDelay } from '../clock.js';

export type CheckStatus = 'ok' | 'pending' | 'failed' | 'skipped';
export type CheckId = 'app-key' | 'upload' | 'cdn' | 'private-bucket' | 'least-privilege' | 'email' | 'cleanup';

/** The checks in the order they are reported. */
export const CHECK_IDS: readonly CheckId[] = [
  'app-key',
  'upload',
  'cdn',
  'private-bucket',
  'least-privilege',
  'email',
  'cleanup',
];

export interface CheckResult {
  id: CheckId;
  status: CheckStatus;
  /** One line: what was shown to work, or what went wrong. */
  summary: string;
  /** What to do about it. */
  fix?: string;
  details?: Record<string, unknown>;
}

/** What the checks need from the state file. */
export interface SmokeTarget {
  environment: string;
  region: string;
  bucket: string;
  userName: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  cdn?: { url: string; distributionId: string; customDomain: boolean };
  email?: {
    from: string;
    domain: string;
    configurationSet: string;
    template: string;
    /** The template's variables, filled with sample values. */
    variables: string[];
    to: string;
    /** `to` is SES's mailbox simulator. */
    simulator: boolean;
  };
  /** An AWS-compatible endpoint (emulator), when one is used. */
  endpointUrl?: string;
}

export interface SmokeDeps {
  fetch: typeof fetch;
  clock: Clock;
  /** Aborts the waits (Ctrl-C); the test object is still removed. */
  signal: AbortSignal;
  /** How long to keep trying the CDN while CloudFront deploys. */
  cdnTimeoutMs: number;
  /** A line about a wait in progress. */
  onWait?: (text: string) => void;
  /** Each result as soon as it is known. */
  onResult?: (result: CheckResult) => void;
}

/** The upload URL's lifetime, as the app's (PRD: 5 minutes). */
export const UPLOAD_EXPIRY_SECONDS = 300;
export const TEST_CONTENT_TYPE = 'text/plain; charset=utf-8';
/** The first wait between CDN tries; later ones grow by half. */
const CDN_RETRY_MS = 2000;
/** Tries once CloudFront reports Deployed (edges and DNS caches catch up within seconds). */
const DEPLOYED_TRIES = 4;
const HTTP_TIMEOUT_MS = 30_000;

/** Refused for lack of permission (S3's HeadObject, a HEAD answer without a body, says only 403). */
const isRefused = (err: unknown) => isDenied(err) || httpStatus(err) === 403;

const ok = (id: CheckId, summary: string, details?: Record<string, unknown>): CheckResult => ({
  id,
  status: 'ok',
  summary,
  ...(details ? { details } : {}),
});
const failed = (id: CheckId, summary: string, fix: string, details?: Record<string, unknown>): CheckResult => ({
  id,
  status: 'failed',
  summary,
  fix,
  ...(details ? { details } : {}),
});
const skipped = (id: CheckId, summary: string, fix?: string): CheckResult => ({
  id,
  status: 'skipped',
  summary,
  ...(fix !== undefined ? { fix } : {}),
});

/** `Name: message` of an SDK error, or the system code of a network failure. */
export function describeError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  if (err instanceof TypeError && cause?.code !== undefined)
    return cause.message?.includes(cause.code)
      ? cause.message
      : `${cause.code}${cause.message ? ` (${cause.message})` : ''}`;
  const name = awsErrorName(err);
  const message = err instanceof Error ? err.message : String(err);
  return name !== undefined && name !== 'Error' && !message.startsWith(name) ? `${name}: ${message}` : message;
}

const isNetworkError = (err: unknown) =>
  err instanceof TypeError ||
  (err as { name?: string } | undefined)?.name === 'TimeoutError' ||
  (err as { name?: string } | undefined)?.name === 'AbortError';

/** Code and message of an S3 error document (CloudFront passes S3's on); undefined code when the body is not one. */
async function s3ErrorOf(response: Response): Promise<{ code: string | undefined; message: string }> {
  const text = await response.text().catch(() => '');
  return {
    code: /<Code>([^<]+)<\/Code>/.exec(text)?.[1],
    message: /<Message>([^<]*)<\/Message>/.exec(text)?.[1] ?? response.statusText,
  };
}

function commands(target: SmokeTarget) {
  const env = `--env ${target.environment}`;
  return {
    env,
    repair: `Run \`hm-infra status ${env}\` to see what differs from what init set up, and \`hm-infra init ${env}\` to restore it.`,
    rotate: `Run \`hm-infra init ${env} --rotate-key\` to give the app user a new key, then give the app the new block (\`hm-infra print-env ${env}\`).`,
    network: 'Check your network connection (and --endpoint-url / AWS_ENDPOINT_URL), then re-run.',
  };
}

// --- the app key ------------------------------------------------------------------------------

async function checkAppKey(app: AwsContext, target: SmokeTarget): Promise<CheckResult> {
  const { accessKeyId } = target.credentials;
  try {
    const who = await app.sts().send(new STS.GetCallerIdentityCommand({}));
    return ok('app-key', `AWS accepts the app user's key ${accessKeyId} (${who.Arn ?? 'no ARN given'})`, {
      accessKeyId,
      arn: who.Arn ?? null,
    });
  } catch (err) {
    if (isInvalidKey(err)) {
      return failed(
        'app-key',
        `AWS does not accept the app user's key ${accessKeyId} (${awsErrorName(err)}): it has been deleted or made inactive`,
        commands(target).rotate,
        { accessKeyId },
      );
    }
    return failed(
      'app-key',
      `could not check the app user's key ${accessKeyId}: ${describeError(err)}`,
      commands(target).network,
      { accessKeyId },
    );
  }
}

// --- upload -----------------------------------------------------------------------------------

interface Upload {
  result: CheckResult;
  /** The PUT was sent: something may need removing. */
  sent: boolean;
  /** The object is in the bucket, as uploaded. */
  stored: boolean;
}

/** What an S3 refusal of the upload means and what to do. */
function uploadRefusal(target: SmokeTarget, status: number, code: string, message: string): CheckResult {
  const c = commands(target);
  const details = { httpStatus: status, code, message };
  switch (code) {
    case 'AccessDenied':
      if (target.endpointUrl !== undefined && /^http:/i.test(target.endpointUrl)) {
        return failed(
          'upload',
          `S3 refused the upload (403 AccessDenied) sent over plain HTTP to ${target.endpointUrl}`,
          `The bucket policy hm-infra sets refuses every request that is not made over TLS (aws:SecureTransport); use an https:// endpoint (--endpoint-url / AWS_ENDPOINT_URL).`,
          details,
        );
      }
      return failed(
        'upload',
        `S3 refused the upload (403 AccessDenied): the app user may not put objects in ${target.bucket}`,
        `Its S3 policy should allow s3:PutObject on ${target.bucket}/*. ${c.repair}`,
        details,
      );
    case 'InvalidAccessKeyId':
      return failed(
        'upload',
        `S3 does not know the app user's key ${target.credentials.accessKeyId} (InvalidAccessKeyId)`,
        c.rotate,
        details,
      );
    case 'SignatureDoesNotMatch':
      return failed(
        'upload',
        'S3 did not accept the signature of the presigned URL (SignatureDoesNotMatch): the secret in the state file does not belong to its key',
        c.rotate,
        details,
      );
    case 'NoSuchBucket':
      return failed('upload', `bucket ${target.bucket} does not exist`, c.repair, details);
    case 'BadDigest':
    case 'XAmzContentChecksumMismatch':
      return failed(
        'upload',
        `S3 refused the upload's checksum (${code}): the URL was signed with the checksum of another body`,
        'Presign PUT URLs with `requestChecksumCalculation: "WHEN_REQUIRED"` on the S3 client (see README, "Application integration").',
        details,
      );
    default:
      return failed(
        'upload',
        `S3 refused the upload (${status} ${code}: ${message})`,
        status >= 500 ? 'S3 had a problem; re-run in a minute.' : c.repair,
        details,
      );
  }
}

async function checkUpload(
  app: AwsContext,
  target: SmokeTarget,
  key: string,
  body: string,
  deps: SmokeDeps,
): Promise<Upload> {
  const details = {
    key,
    contentType: TEST_CONTENT_TYPE,
    expiresInSeconds: UPLOAD_EXPIRY_SECONDS,
    bytes: Buffer.byteLength(body),
  };
  let url: string;
  try {
    // The content type is signed: S3 then takes the upload only with that Content-Type, as the app's own URLs should.
    url = await getSignedUrl(
      app.s3(),
      new S3.PutObjectCommand({ Bucket: target.bucket, Key: key, ContentType: TEST_CONTENT_TYPE }),
      {
        expiresIn: UPLOAD_EXPIRY_SECONDS,
        signableHeaders: new Set(['content-type']),
      },
    );
  } catch (err) {
    return {
      result: failed(
        'upload',
        `could not make a presigned upload URL: ${describeError(err)}`,
        commands(target).rotate,
        details,
      ),
      sent: false,
      stored: false,
    };
  }
  let response: Response;
  try {
    response = await deps.fetch(url, {
      method: 'PUT',
      headers: { 'content-type': TEST_CONTENT_TYPE },
      body,
      signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
    });
  } catch (err) {
    return {
      result: failed(
        'upload',
        `could not reach S3 at ${new URL(url).host}: ${describeError(err)}`,
        commands(target).network,
        details,
      ),
      sent: true,
      stored: false,
    };
  }
  if (!response.ok) {
    const { code, message } = await s3ErrorOf(response);
    return {
      result: uploadRefusal(target, response.status, code ?? `HTTP ${response.status}`, message),
      sent: true,
      stored: false,
    };
  }
  // Read back as the app would before handing out the CDN link.
  try {
    const head = await app.s3().send(new S3.HeadObjectCommand({ Bucket: target.bucket, Key: key }));
    if (head.ContentLength !== details.bytes || head.ContentType !== TEST_CONTENT_TYPE) {
      const found = `${head.ContentLength ?? '?'} bytes of ${head.ContentType ?? 'no type'}`;
      return {
        result: failed(
          'upload',
          `S3 took the upload but holds ${found}, not ${details.bytes} bytes of ${TEST_CONTENT_TYPE}`,
          'Something rewrites uploads in this bucket (an S3 event or Object Lambda?); check the bucket in the S3 console.',
          details,
        ),
        sent: true,
        stored: false,
      };
    }
  } catch (err) {
    const why = isRefused(err) ? 'the app user may not read it back (s3:GetObject)' : describeError(err);
    return {
      result: failed(
        'upload',
        `S3 took the upload, but ${key} cannot be read back: ${why}`,
        commands(target).repair,
        details,
      ),
      sent: true,
      stored: false,
    };
  }
  return {
    result: ok(
      'upload',
      `presigned PUT (${TEST_CONTENT_TYPE}, valid ${UPLOAD_EXPIRY_SECONDS / 60} min) stored ${details.bytes} bytes at ${key}`,
      details,
    ),
    sent: true,
    stored: true,
  };
}

// --- the CDN ----------------------------------------------------------------------------------

type CdnTry = { status: number; code?: string; body?: Buffer } | { error: string };

const tryText = (t: CdnTry) => ('error' in t ? t.error : `HTTP ${t.status}${t.code ? ` ${t.code}` : ''}`);

async function fetchCdn(url: string, deps: SmokeDeps): Promise<CdnTry> {
  try {
    const response = await deps.fetch(url, {
      method: 'GET',
      signal: AbortSignal.any([deps.signal, AbortSignal.timeout(HTTP_TIMEOUT_MS)]),
    });
    if (response.status === 200) return { status: 200, body: Buffer.from(await response.arrayBuffer()) };
    const { code } = await s3ErrorOf(response);
    return { status: response.status, ...(code !== undefined ? { code } : {}) };
  } catch (err) {
    return { error: describeError(err) };
  }
}

/** InProgress / Deployed, read with the operator's credentials; undefined when it cannot be read. */
async function distributionStatus(aws: AwsContext, id: string): Promise<{ status?: string; error?: string }> {
  try {
    const { Distribution } = await aws.cloudfront().send(new CloudFront.GetDistributionCommand({ Id: id }));
    return { status: Distribution?.Status ?? 'unknown' };
  } catch (err) {
    return { error: describeError(err) };
  }
}

const keyPath = (key: string) => key.split('/').map(encodeURIComponent).join('/');

async function checkCdn(
  aws: AwsContext,
  target: SmokeTarget,
  key: string,
  body: string,
  deps: SmokeDeps,
): Promise<CheckResult> {
  const cdn = target.cdn;
  if (!cdn) return skipped('cdn', 'this environment has no CDN (set up with --no-cdn)');
  const url = `${cdn.url.replace(/\/+$/, '')}/${keyPath(key)}`;
  const host = new URL(url).host;
  const c = commands(target);
  const started = deps.clock.now();
  const deadline = started + deps.cdnTimeoutMs;
  let attempt = 0;
  let triesSinceDeployed = 0;
  let last: CdnTry;
  let deploy: { status?: string; error?: string };
  for (;;) {
    last = await fetchCdn(url, deps);
    if (!('error' in last) && last.status === 200) {
      const expected = Buffer.from(body, 'utf8');
      if (last.body?.equals(expected))
        return ok('cdn', `${url} serves the uploaded ${expected.length} bytes`, { url, tries: attempt + 1 });
      return failed(
        'cdn',
        `${host} answers with ${last.body?.length ?? 0} bytes that are not the ones uploaded`,
        `Something between CloudFront and the bucket changes objects; check the distribution's origin and functions. ${c.repair}`,
        { url },
      );
    }
    if ('error' in last && target.endpointUrl !== undefined) {
      // An emulator records distributions but does not serve them on their cloudfront.net names.
      return skipped(
        'cdn',
        `${host} cannot be reached (${last.error}): the endpoint ${target.endpointUrl} does not serve its CloudFront distributions`,
        'The CDN is checked against AWS itself.',
      );
    }
    deploy = await distributionStatus(aws, cdn.distributionId);
    if (deploy.status !== 'InProgress') triesSinceDeployed += 1;
    const left = deadline - deps.clock.now();
    if (triesSinceDeployed >= DEPLOYED_TRIES || left <= 0 || deps.signal.aborted) break;
    const delay = Math.min(nextDelay(CDN_RETRY_MS, attempt), left);
    const state =
      deploy.status === 'InProgress' ? 'CloudFront is still deploying' : `${host} does not serve the object yet`;
    deps.onWait?.(`${state} (${tryText(last)}); trying again in ${Math.ceil(delay / 1000)} s`);
    await deps.clock.sleep(delay, deps.signal);
    attempt += 1;
    if (deps.signal.aborted) break;
  }
  const details = { url, tries: attempt + 1, last: tryText(last), distributionStatus: deploy.status ?? null };
  const waited = Math.round((deps.clock.now() - started) / 1000);
  if (deploy.status === 'InProgress') {
    return {
      id: 'cdn',
      status: 'pending',
      summary: `CloudFront is still deploying distribution ${cdn.distributionId}: ${host} did not serve the object within ${waited} s (last try: ${tryText(last)})`,
      fix: `A new or changed distribution deploys in 5–15 minutes on its own. Re-run \`hm-infra smoke-test ${c.env}\` then, or wait here longer with --cdn-timeout <minutes>.`,
      details,
    };
  }
  const statusNote = deploy.error !== undefined ? ` (its deployment status could not be read: ${deploy.error})` : '';
  if ('error' in last) {
    const fix = cdn.customDomain
      ? `Check that ${host} has a CNAME to the distribution's cloudfront.net name (\`hm-infra status ${c.env}\` shows it), and that the certificate covers it.`
      : c.network;
    return failed('cdn', `could not reach ${host}: ${last.error}${statusNote}`, fix, details);
  }
  if (last.status === 403) {
    return failed(
      'cdn',
      `CloudFront is refused the object by the bucket (403${last.code ? ` ${last.code}` : ''})${statusNote}`,
      `CloudFront reads the bucket through its origin access control, which the bucket policy must allow for this distribution. ${c.repair}`,
      details,
    );
  }
  return failed(
    'cdn',
    `${host} answers HTTP ${last.status}${last.code ? ` ${last.code}` : ''} for the uploaded object${statusNote}`,
    last.status >= 500 ? `CloudFront or its origin had a problem; re-run in a minute. ${c.repair}` : c.repair,
    details,
  );
}

// --- the bucket refuses anonymous reads ----------------------------------------------------

/**
 * Signs with credentials no account has: an endpoint that accepts such a call checks no
 * credentials at all (an emulator without IAM), so nothing can be refused there. Asked once
 * per run, by whichever check needs it first.
 */
function acceptsAnyKey(aws: AwsContext): () => Promise<boolean> {
  let answer: Promise<boolean> | undefined;
  return () => {
    answer ??= aws
      .as(
        {
          accessKeyId: `AKIA${randomBytes(8).toString('hex').toUpperCase()}`,
          secretAccessKey: randomBytes(30).toString('base64'),
        },
        { maxAttempts: 1 },
      )
      .s3()
      .send(new S3.ListBucketsCommand({}))
      .then(
        () => true,
        () => false,
      );
    return answer;
  };
}

const NO_IAM_FIX =
  'LocalStack checks credentials and IAM policies with ENFORCE_IAM=1; moto does not check them. On AWS itself this check runs as it should.';

async function checkPrivate(
  app: AwsContext,
  target: SmokeTarget,
  key: string,
  deps: SmokeDeps,
  anyKey: () => Promise<boolean>,
): Promise<CheckResult> {
  // The object's plain address, as the SDK builds it for this region or endpoint, without a signature.
  const url = new URL(
    await getSignedUrl(app.s3(), new S3.GetObjectCommand({ Bucket: target.bucket, Key: key }), { expiresIn: 60 }),
  );
  url.search = '';
  const plain = url.toString();
  let response: Response;
  try {
    response = await deps.fetch(plain, { method: 'GET', signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
  } catch (err) {
    return failed(
      'private-bucket',
      `could not reach S3 at ${url.host} to check: ${describeError(err)}`,
      commands(target).network,
      { url: plain },
    );
  }
  if (response.status === 403) {
    const { code } = await s3ErrorOf(response);
    return ok('private-bucket', `a direct, unsigned GET of the object is refused (403${code ? ` ${code}` : ''})`, {
      url: plain,
    });
  }
  await response.body?.cancel();
  if (response.ok && target.endpointUrl !== undefined && (await anyKey())) {
    return skipped(
      'private-bucket',
      `the endpoint ${target.endpointUrl} answers unsigned requests, as it does not check credentials at all`,
      NO_IAM_FIX,
    );
  }
  if (response.ok || response.status === 404) {
    return failed(
      'private-bucket',
      `anyone can read objects straight from the bucket: an unsigned GET of ${plain} answers HTTP ${response.status}`,
      `Block Public Access or the bucket policy of ${target.bucket} was changed. ${commands(target).repair}`,
      { url: plain, httpStatus: response.status },
    );
  }
  return failed(
    'private-bucket',
    `an unsigned GET of the object answers HTTP ${response.status}, so it is unclear whether the bucket is private`,
    'Re-run in a minute.',
    {
      url: plain,
      httpStatus: response.status,
    },
  );
}

// --- least privilege -------------------------------------------------------------------------

interface Probe {
  action: string;
  run(): Promise<unknown>;
}

/** Read-only calls the app must not be allowed: an over-broad policy shows without harm done. */
function probesFor(app: AwsContext, target: SmokeTarget): Probe[] {
  return [
    {
      action: 's3:GetBucketPolicy',
      run: () => app.s3().send(new S3.GetBucketPolicyCommand({ Bucket: target.bucket })),
    },
    { action: 's3:ListAllMyBuckets', run: () => app.s3().send(new S3.ListBucketsCommand({})) },
    {
      action: 'iam:ListAccessKeys',
      run: () => app.iam().send(new IAM.ListAccessKeysCommand({ UserName: target.userName })),
    },
    ...(target.email ? [{ action: 'ses:GetAccount', run: () => app.sesv2().send(new SES.GetAccountCommand({})) }] : []),
  ];
}

type ProbeOutcome = 'refused' | 'allowed' | { error: string };

async function probe(p: Probe): Promise<ProbeOutcome> {
  try {
    await p.run();
    return 'allowed';
  } catch (err) {
    if (isRefused(err)) return 'refused';
    const status = httpStatus(err);
    // Authorised, then not found (NoSuchBucketPolicy …): the action was allowed.
    if (status !== undefined && status >= 400 && status < 500 && !isInvalidKey(err) && !isThrottled(err))
      return 'allowed';
    return { error: describeError(err) };
  }
}

async function checkLeastPrivilege(
  app: AwsContext,
  target: SmokeTarget,
  anyKey: () => Promise<boolean>,
): Promise<CheckResult> {
  const probes = probesFor(app, target);
  const outcomes = await Promise.all(probes.map(probe));
  const actions = (wanted: (o: ProbeOutcome) => boolean) =>
    probes.filter((_, i) => wanted(outcomes[i] as ProbeOutcome)).map((p) => p.action);
  const refused = actions((o) => o === 'refused');
  const allowed = actions((o) => o === 'allowed');
  const errors = outcomes.flatMap((o, i) => (typeof o === 'object' ? [`${probes[i]?.action}: ${o.error}`] : []));
  const details = { refused, allowed, errors };
  if (allowed.length > 0) {
    if (target.endpointUrl !== undefined && (await anyKey())) {
      return skipped(
        'least-privilege',
        `the endpoint ${target.endpointUrl} accepts any credentials and refuses nothing, so least privilege cannot be checked there (it allowed ${allowed.join(', ')})`,
        NO_IAM_FIX,
      );
    }
    return failed(
      'least-privilege',
      `the app key may ${allowed.join(', ')}: its permissions go beyond what the app needs`,
      `Someone widened the app user's policies or attached another one. ${commands(target).repair} Also remove any policy or group attached to IAM user ${target.userName} by hand (IAM console).`,
      details,
    );
  }
  if (errors.length > 0)
    return failed(
      'least-privilege',
      `could not check every action: ${errors.join('; ')}`,
      commands(target).network,
      details,
    );
  return ok('least-privilege', `the app key is refused ${refused.join(', ')}`, details);
}

// --- email ------------------------------------------------------------------------------------

function emailRefusal(target: SmokeTarget, err: unknown): CheckResult {
  const email = target.email as NonNullable<SmokeTarget['email']>;
  const c = commands(target);
  const message = err instanceof Error ? err.message : String(err);
  const name = awsErrorName(err);
  const details = { error: name ?? null, message };
  if (err instanceof SES.MessageRejected && /not verified/i.test(message)) {
    const failing = message.split(':').pop() ?? '';
    if (
      failing.toLowerCase().includes(email.from.toLowerCase()) ||
      failing.toLowerCase().includes(email.domain.toLowerCase())
    ) {
      return failed(
        'email',
        `SES refused to send from ${email.from}: ${email.domain} is not verified yet (MessageRejected)`,
        `Publish the DNS records and let SES verify the domain: \`hm-infra verify-dns ${c.env}\` shows which record is missing and waits.`,
        details,
      );
    }
    return failed(
      'email',
      `SES refused the recipient ${email.to}: the account is in the SES sandbox in ${target.region}, where mail goes only to verified addresses`,
      `Leave out --to (SES's mailbox simulator works in the sandbox), verify ${email.to} in the SES console, or request production access (\`hm-infra verify-dns ${c.env}\` says how).`,
      details,
    );
  }
  if (err instanceof SES.MailFromDomainNotVerifiedException) {
    return failed(
      'email',
      `SES refused to send: the MAIL FROM domain of ${email.domain} is not verified`,
      `\`hm-infra verify-dns ${c.env}\` shows the MX and SPF records it needs.`,
      details,
    );
  }
  if (isDenied(err)) {
    return failed(
      'email',
      `the app user may not send from ${email.from} through ${email.configurationSet} with template ${email.template} (${name})`,
      `Its SES policy should allow ses:SendEmail on the identity, configuration set and templates. ${c.repair}`,
      details,
    );
  }
  if (isInvalidKey(err)) return failed('email', `SES does not accept the app user's key (${name})`, c.rotate, details);
  if (err instanceof SES.NotFoundException) return failed('email', `SES: ${message}`, c.repair, details);
  if (err instanceof SES.SendingPausedException || err instanceof SES.AccountSuspendedException) {
    return failed(
      'email',
      `SES does not send for this account or configuration set (${name}: ${message})`,
      `Look at the account's reputation in the SES console (Account dashboard); \`hm-infra status ${c.env}\` shows whether the configuration set's sending is on.`,
      details,
    );
  }
  if (err instanceof SES.LimitExceededException || err instanceof SES.TooManyRequestsException)
    return failed(
      'email',
      `SES's sending quota or rate is used up (${name})`,
      'Re-run later; `hm-infra verify-dns` shows the quota.',
      details,
    );
  if (httpStatus(err) === 501 || /not (yet |been )?implemented/i.test(message)) {
    return failed(
      'email',
      `the endpoint does not implement SES v2 SendEmail (${message})`,
      'Check email against AWS itself, or set the environment up with --no-email for this emulator.',
      details,
    );
  }
  return failed(
    'email',
    `SES did not send: ${describeError(err)}`,
    isNetworkError(err) ? c.network : 'Re-run in a minute.',
    details,
  );
}

async function checkEmail(app: AwsContext, target: SmokeTarget): Promise<CheckResult> {
  const email = target.email;
  if (!email) return skipped('email', 'this environment has no email (set up with --no-email)');
  const data = Object.fromEntries(email.variables.map((v) => [v, `https://${email.domain}/?hm-infra-smoke-test=${v}`]));
  try {
    const sent = await app.sesv2().send(
      new SES.SendEmailCommand({
        FromEmailAddress: email.from,
        Destination: { ToAddresses: [email.to] },
        Content: { Template: { TemplateName: email.template, TemplateData: JSON.stringify(data) } },
        ConfigurationSetName: email.configurationSet,
        EmailTags: [{ Name: 'hm-infra', Value: 'smoke-test' }],
      }),
    );
    const where = email.simulator
      ? " (SES's mailbox simulator: delivery is simulated)"
      : `; look for it in ${email.to}'s inbox`;
    return ok(
      'email',
      `sent template ${email.template} from ${email.from} through ${email.configurationSet} to ${email.to}${where}`,
      {
        messageId: sent.MessageId ?? null,
        to: email.to,
        template: email.template,
      },
    );
  } catch (err) {
    return emailRefusal(target, err);
  }
}

// --- clean-up ---------------------------------------------------------------------------------

/** Removes every version and delete marker of the test object, with the operator's credentials. */
async function cleanUp(aws: AwsContext, target: SmokeTarget, key: string): Promise<CheckResult> {
  try {
    // One key written once has a version or two: one page holds them all.
    const page = await aws
      .s3()
      .send(new S3.ListObjectVersionsCommand({ Bucket: target.bucket, Prefix: key, MaxKeys: 1000 }));
    const found = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])]
      .filter((v) => v.Key === key)
      .map((v) => ({ Key: key, ...(v.VersionId !== undefined ? { VersionId: v.VersionId } : {}) }));
    if (found.length === 0) return ok('cleanup', `nothing to remove: ${key} was not stored`);
    const { Errors } = await aws
      .s3()
      .send(new S3.DeleteObjectsCommand({ Bucket: target.bucket, Delete: { Objects: found, Quiet: true } }));
    if (Errors && Errors.length > 0)
      throw new Error(Errors.map((e) => `${e.VersionId ?? ''} ${e.Code ?? ''} ${e.Message ?? ''}`.trim()).join('; '));
    return ok('cleanup', `removed ${key} (${found.length} version${found.length === 1 ? '' : 's'})`, {
      key,
      versions: found.length,
    });
  } catch (err) {
    return failed(
      'cleanup',
      `could not remove the test object ${key}: ${describeError(err)}`,
      `Delete every version of s3://${target.bucket}/${key} (S3 console, "Show versions"), with credentials that may; \`hm-infra teardown --force\` also removes it with the bucket.`,
      { key },
    );
  }
}

// --- all of it ------------------------------------------------------------------------------

/** Runs every check (independent ones at the same time); the results in report order. */
export async function runSmokeChecks(aws: AwsContext, target: SmokeTarget, deps: SmokeDeps): Promise<CheckResult[]> {
  const results = new Map<CheckId, CheckResult>();
  const record = (result: CheckResult) => {
    results.set(result.id, result);
    deps.onResult?.(result);
  };
  const guarded = async (id: CheckId, check: () => Promise<CheckResult>) => {
    try {
      record(await check());
    } catch (err) {
      record(
        failed(
          id,
          `the check itself failed: ${describeError(err)}`,
          'Re-run with --verbose; if it happens again, report it with that output.',
        ),
      );
    }
  };
  const app = aws.as(target.credentials);
  const anyKey = acceptsAnyKey(aws);
  await guarded('app-key', () => checkAppKey(app, target));
  if (results.get('app-key')?.status !== 'ok') {
    for (const id of CHECK_IDS.slice(1)) record(skipped(id, "not run: the app user's key does not work"));
    return CHECK_IDS.flatMap((id) => results.get(id) ?? []);
  }
  const key = `avatars/smoke-test/${deps.clock.now()}.txt`;
  const body = `hm-infra smoke test of ${target.environment}, ${new Date(deps.clock.now()).toISOString()}, ${randomUUID()}\n`;
  const uploadAndServe = async () => {
    let upload: Upload;
    try {
      upload = await checkUpload(app, target, key, body, deps);
    } catch (err) {
      upload = {
        result: failed(
          'upload',
          `the check itself failed: ${describeError(err)}`,
          'Re-run with --verbose; if it happens again, report it with that output.',
        ),
        sent: true,
        stored: false,
      };
    }
    record(upload.result);
    try {
      if (upload.stored) {
        await Promise.all([
          guarded('cdn', () => checkCdn(aws, target, key, body, deps)),
          guarded('private-bucket', () => checkPrivate(app, target, key, deps, anyKey)),
        ]);
      } else {
        record(skipped('cdn', 'not run: no test object to fetch'));
        record(skipped('private-bucket', 'not run: no test object to fetch'));
      }
    } finally {
      // Even after a failure or Ctrl-C: nothing of the test is left in the bucket.
      if (upload.sent) await guarded('cleanup', () => cleanUp(aws, target, key));
      else record(skipped('cleanup', 'nothing was uploaded'));
    }
  };
  await Promise.all([
    uploadAndServe(),
    guarded('least-privilege', () => checkLeastPrivilege(app, target, anyKey)),
    guarded('email', () => checkEmail(app, target)),
  ]);
  return CHECK_IDS.flatMap((id) => results.get(id) ?? []);
}
