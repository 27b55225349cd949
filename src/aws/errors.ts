import { HmError } from '../errors.js';

/** The shape AWS SDK v3 service errors share (name = the error code AWS returned). */
interface AwsLikeError {
  name?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number; requestId?: string };
}

function asAws(err: unknown): AwsLikeError | undefined {
  return typeof err === 'object' && err !== null ? (err as AwsLikeError) : undefined;
}

/** The AWS error code of an SDK error (`NoSuchBucket`, `EntityAlreadyExists` …). */
export function awsErrorName(err: unknown): string | undefined {
  const e = asAws(err);
  return e?.name ?? e?.Code;
}

export function httpStatus(err: unknown): number | undefined {
  return asAws(err)?.$metadata?.httpStatusCode;
}

/** True when `err` is an AWS error with one of the given codes; everything else is rethrown by callers. */
export function isAwsError(err: unknown, ...names: string[]): boolean {
  const name = awsErrorName(err);
  return name !== undefined && names.includes(name);
}

const CREDENTIAL_ERRORS = ['CredentialsProviderError', 'ProviderError'];
const EXPIRED = ['ExpiredToken', 'ExpiredTokenException', 'TokenRefreshRequired'];
/** What each service answers to a key it does not know, or to a signature made with the wrong secret. */
export const INVALID_KEYS = ['InvalidClientTokenId', 'SignatureDoesNotMatch', 'InvalidAccessKeyId', 'UnrecognizedClientException'];
/** What each service answers when the caller's policies do not allow the call. */
export const DENIED = ['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation'];
const THROTTLED = ['Throttling', 'ThrottlingException', 'TooManyRequestsException', 'SlowDown', 'RequestLimitExceeded'];
const NETWORK = ['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'ECONNRESET', 'EAI_AGAIN', 'TimeoutError'];

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
    return new HmError('CREDENTIALS_INVALID', `AWS rejected your credentials while trying to ${action} (${name})`, 'user', {
      ...base,
      hint: 'Check the access key and secret of the profile you use (--profile), or that the key is still active.',
    });
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
    return new HmError('NETWORK', `could not reach AWS while trying to ${action} (${code ?? name}: ${message})`, 'aws', {
      ...base,
      hint: 'Check your network connection and --endpoint-url / AWS_ENDPOINT_URL, then re-run.',
    });
  }
  if (httpStatus(err) === 501 || /not (yet |been )?implemented|pro feature/i.test(message)) {
    return new HmError('NOT_IMPLEMENTED', `the AWS endpoint does not implement what is needed to ${action} (${message})`, 'aws', {
      ...base,
      hint:
        'An emulator may lack this API (LocalStack offers CloudFront only in its paid edition and few SES v2 calls; moto implements CloudFront). Use an emulator that does, or real AWS.' +
        (/cloudfront|distribution|origin access/i.test(action) ? ' To set up everything but the CDN, re-run with --no-cdn.' : '') +
        (/\bSES\b|email|configuration set|MAIL FROM/i.test(action) ? ' To set up everything but email, re-run with --no-email.' : ''),
    });
  }
  return new HmError('AWS_ERROR', `could not ${action}: ${name}: ${message}`, 'aws', base);
}
