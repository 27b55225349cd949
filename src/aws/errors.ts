import { HmError } from '../errors.js';
import { EventBridge, S3 } from './sdk.js';

/**
 * How AWS errors are matched. Where the SDK models an error it raises its own class for it,
 * and the code matches that class: `err instanceof IAM.NoSuchEntityException` (AWS sends the
 * code `NoSuchEntity`; the class, and the error's `name`, are `NoSuchEntityException`). A
 * string is used only where the SDK models nothing, and each such string is listed once here.
 * test/contract/fake-errors.test.ts proves every one against the SDK.
 */

/** The shape AWS SDK v3 service errors share. */
interface AwsLikeError {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number; requestId?: string };
}

function asAws(err: unknown): AwsLikeError | undefined {
  return typeof err === 'object' && err !== null ? (err as AwsLikeError) : undefined;
}

/** The error's name as the SDK raised it (`NoSuchBucket`, `NoSuchEntityException` …). */
export function awsErrorName(err: unknown): string | undefined {
  return asAws(err)?.name;
}

export function httpStatus(err: unknown): number | undefined {
  return asAws(err)?.$metadata?.httpStatusCode;
}

/**
 * S3's error codes that the SDK (3.11xx) models no class for: they arrive as an
 * `S3ServiceException` whose `name` is the code. HeadBucket's answers are not among them: a
 * HEAD answer has no body, so the SDK raises `NotFound` for a 404 and names anything else
 * `Unknown`; those are told apart by their status (`httpStatus`).
 */
export const S3_UNMODELED_CODES = [
  'BucketNotEmpty',
  'NoSuchBucketPolicy',
  'NoSuchCORSConfiguration',
  'NoSuchLifecycleConfiguration',
  'NoSuchPublicAccessBlockConfiguration',
  'NoSuchTagSet',
  'ServerSideEncryptionConfigurationNotFoundError',
  'TooManyBuckets',
] as const;
export type S3UnmodeledCode = (typeof S3_UNMODELED_CODES)[number];

/** True when S3 answered one of these codes (which the SDK models no class for). */
export function isS3Code(err: unknown, ...codes: S3UnmodeledCode[]): boolean {
  return err instanceof S3.S3ServiceException && (codes as string[]).includes(err.name);
}

/**
 * EventBridge's error codes that the SDK (3.11xx) models no class for: they arrive as an
 * `EventBridgeServiceException` named by the code. DeleteRule of a rule that still has targets
 * is answered `ValidationException` ("Rule can't be deleted since it has targets").
 */
export const EVENTBRIDGE_UNMODELED_CODES = ['ValidationException'] as const;
export type EventBridgeUnmodeledCode = (typeof EVENTBRIDGE_UNMODELED_CODES)[number];

/** True when EventBridge answered one of these codes (which the SDK models no class for). */
export function isEventBridgeCode(err: unknown, ...codes: EventBridgeUnmodeledCode[]): boolean {
  return err instanceof EventBridge.EventBridgeServiceException && (codes as string[]).includes(err.name);
}

/*
 * Answers every service gives alike, by the names the SDK raises them with: most are modeled by
 * no client (IAM's InvalidClientTokenId), some by one client only (S3's and CloudFront's
 * AccessDenied, STS's ExpiredTokenException, SES's TooManyRequestsException), always under the
 * code's name. They decide only how an error is explained (toHmError), never what a step does.
 */
/** The SDK's credential chain found nothing (not an AWS answer). */
const CREDENTIAL_ERRORS = ['CredentialsProviderError', 'ProviderError'];
const EXPIRED = ['ExpiredToken', 'ExpiredTokenException', 'TokenRefreshRequired'];
/** What each service answers to a key it does not know, or to a signature made with the wrong secret. */
const INVALID_KEYS = [
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'InvalidAccessKeyId',
  'UnrecognizedClientException',
];
/** What each service answers when the caller's policies do not allow the call. */
const DENIED = ['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'AuthorizationErrorException'];
const THROTTLED = [
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'SlowDown',
  'RequestLimitExceeded',
  // SQS's and SNS's own names for it.
  'RequestThrottled',
  'ThrottledException',
];
/** Node's socket errors (`code`) and the SDK's request timeout (`name`). */
const NETWORK = ['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'ECONNRESET', 'EPIPE', 'EAI_AGAIN', 'TimeoutError'];

/**
 * Marks an S3 refusal (403) of a request sent over plain HTTP with the endpoint it went to (see
 * AwsContext): the bucket policy refuses such requests, which an emulator endpoint such as
 * http://localhost:4566 meets. A HEAD answer (HeadBucket) has no body to say more than 403.
 */
const PLAIN_HTTP = Symbol('hm-infra.plainHttpEndpoint');

export function markPlainHttp(err: unknown, endpoint: string): void {
  if (typeof err === 'object' && err !== null && (isDenied(err) || httpStatus(err) === 403))
    Object.defineProperty(err, PLAIN_HTTP, { value: endpoint });
}

/** The plain-HTTP endpoint an S3 refusal came from, when it came from one. */
export const refusedOverPlainHttp = (err: unknown): string | undefined =>
  typeof err === 'object' && err !== null ? (err as { [PLAIN_HTTP]?: string })[PLAIN_HTTP] : undefined;

/** True when `err` is one of the answers every service gives alike to a bad, unknown or inactive key. */
export const isInvalidKey = (err: unknown): boolean => INVALID_KEYS.includes(awsErrorName(err) ?? '');
/** True when the caller's policies refused the call (any service). */
export const isDenied = (err: unknown): boolean => DENIED.includes(awsErrorName(err) ?? '');
/** True when AWS throttled the call (any service). */
export const isThrottled = (err: unknown): boolean => THROTTLED.includes(awsErrorName(err) ?? '');

/**
 * Turns any error thrown while talking to AWS into an HmError whose message says what
 * failed and what to do. `action` names the call in the user's terms ("create bucket x").
 */
export function toHmError(err: unknown, action: string): HmError {
  if (err instanceof HmError) return err;
  const name = awsErrorName(err) ?? 'Error';
  const code = (asAws(err) as { code?: string } | undefined)?.code;
  const message = asAws(err)?.message ?? String(err);
  const base = { cause: err };
  if (CREDENTIAL_ERRORS.includes(name)) {
    return new HmError('NO_CREDENTIALS', `no usable AWS credentials (${message})`, 'user', {
      ...base,
      hint: 'Run `aws configure`, or `aws sso login --profile <name>` and pass --profile <name>, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.',
    });
  }
  if (EXPIRED.includes(name)) {
    return new HmError('CREDENTIALS_EXPIRED', `your AWS session has expired while trying to ${action}`, 'user', {
      ...base,
      hint: 'Log in again (for SSO: `aws sso login --profile <name>`) and re-run; everything done so far is saved.',
    });
  }
  if (INVALID_KEYS.includes(name)) {
    return new HmError(
      'CREDENTIALS_INVALID',
      `AWS rejected your credentials while trying to ${action} (${name})`,
      'user',
      {
        ...base,
        hint: 'Check the access key and secret of the profile you use (--profile), or that the key is still active.',
      },
    );
  }
  const plainHttp = refusedOverPlainHttp(err);
  if (plainHttp !== undefined) {
    return new HmError(
      'ACCESS_DENIED_PLAIN_HTTP',
      `S3 refused to ${action} over plain HTTP (403${name === 'Unknown' ? '' : ` ${name}`})`,
      'user',
      {
        ...base,
        hint: `The bucket policy hm-infra sets refuses every request that is not made over TLS (aws:SecureTransport), and the endpoint ${plainHttp} is http://. Use an https:// endpoint (--endpoint-url / AWS_ENDPOINT_URL).`,
      },
    );
  }
  if (DENIED.includes(name)) {
    return new HmError('ACCESS_DENIED', `your AWS credentials may not ${action}: ${message}`, 'aws', {
      ...base,
      hint: 'Use credentials with permission for this action (an administrator profile for setup), then re-run.',
    });
  }
  if (THROTTLED.includes(name)) {
    return new HmError('THROTTLED', `AWS is throttling requests and retries ran out while trying to ${action}`, 'aws', {
      ...base,
      hint: 'Wait a minute and re-run: finished steps are saved and will not be repeated.',
    });
  }
  if ((code !== undefined && NETWORK.includes(code)) || NETWORK.includes(name)) {
    return new HmError(
      'NETWORK',
      `could not reach AWS while trying to ${action} (${code ?? name}: ${message})`,
      'aws',
      {
        ...base,
        hint: 'Check your network connection and --endpoint-url / AWS_ENDPOINT_URL, then re-run.',
      },
    );
  }
  if (httpStatus(err) === 501 || /not (yet |been )?implemented|pro feature/i.test(message)) {
    return new HmError(
      'NOT_IMPLEMENTED',
      `the AWS endpoint does not implement what is needed to ${action} (${message})`,
      'aws',
      {
        ...base,
        hint:
          'An emulator may lack this API (LocalStack offers CloudFront only in its paid edition and few SES v2 calls; moto implements CloudFront). Use an emulator that does, or real AWS.' +
          (/cloudfront|distribution|origin access/i.test(action)
            ? ' To set up everything but the CDN, re-run with --no-cdn.'
            : '') +
          (/\bSES\b|email|configuration set|MAIL FROM/i.test(action)
            ? ' To set up everything but email, re-run with --no-email.'
            : ''),
      },
    );
  }
  return new HmError('AWS_ERROR', `could not ${action}: ${name}: ${message}`, 'aws', base);
}
