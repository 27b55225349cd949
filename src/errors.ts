/**
 * Where an error comes from decides how it is shown and which exit code it gets:
 * `user` errors are fixable by the person typing (exit 2), `aws` errors come back from
 * an AWS API (exit 1), `internal` errors are bugs or broken invariants (exit 1).
 */
export type ErrorSource = 'user' | 'aws' | 'internal';

/** Exit codes of every command (see README "Exit codes"). */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  pending: 3,
  drift: 4,
  aborted: 130,
} as const;

/**
 * Every error code, with what it means. An HmError's code must be one of these (the type
 * checks it), so a script reading the `code` of `--json` output can rely on the list. The
 * message and the hint of each error say the specifics where it is raised.
 */
export const ERROR_CODES = {
  // Input and usage (exit 2, ABORTED 130)
  INVALID_INPUT: 'a flag, config file value or answer is not valid',
  MISSING_INPUT: 'a required value (--app, --domain) was given nowhere',
  ABORTED: 'stopped at your request (Ctrl-C, or "no" at a question)',
  ACCOUNT_MISMATCH: "the state file belongs to another AWS account than the credentials'",
  ENV_INCOMPLETE: 'the state lacks a value the env block needs (run init)',
  ENV_FILE: 'print-env --write could not read or write the env file',
  // Credentials and AWS answers
  NO_CREDENTIALS: 'no usable AWS credentials were found',
  CREDENTIALS_INVALID: 'AWS does not know the access key, or the signature does not match',
  CREDENTIALS_EXPIRED: 'the AWS session expired',
  ACCESS_DENIED: 'the credentials may not make a call the tool needs',
  ACCESS_DENIED_PLAIN_HTTP: "S3 refused a call over plain HTTP (the bucket's TLS-only policy)",
  THROTTLED: 'AWS kept throttling after the retries ran out',
  NETWORK: 'AWS (or the endpoint) could not be reached',
  NOT_IMPLEMENTED: 'the endpoint does not implement a call the tool needs (an emulator)',
  AWS_ERROR: 'any other AWS answer, with its name and message',
  NO_ACCOUNT: 'sts:GetCallerIdentity answered without an account id',
  // S3
  BUCKET_NAME_TAKEN: 'the bucket name belongs to another AWS account',
  BUCKET_OTHER_REGION: 'the bucket exists in another region',
  TOO_MANY_BUCKETS: 'the account reached its S3 bucket quota',
  BUCKET_NOT_EMPTY: 'the bucket still holds objects (teardown without --force)',
  BUCKET_EMPTY_FAILED: 'some object versions could not be deleted',
  BUCKET_POLICY_UNREADABLE: "the bucket's policy is not valid JSON",
  // CloudFront
  NO_OAC_ID: 'CloudFront created an origin access control but returned no id',
  TOO_MANY_OACS: 'the account reached its origin access control quota',
  OAC_IN_USE: 'the origin access control is still used by a distribution',
  TOO_MANY_DISTRIBUTIONS: 'the account reached its CloudFront distribution quota',
  CDN_DOMAIN_IN_USE: 'the custom CDN domain is an alias of another distribution',
  CERTIFICATE_REJECTED: 'CloudFront refused the ACM certificate for the custom domain',
  CLOUDFRONT_INCOMPLETE: 'CloudFront answered without a field the tool needs',
  DISTRIBUTION_AMBIGUOUS: 'more than one distribution carries this environment’s tags',
  DEPLOY_PENDING: 'CloudFront is still deploying (exit 3; it goes on by itself)',
  WAIT_ABORTED: 'a wait for CloudFront was stopped',
  // SES and DNS
  SES_IDENTITY_IN_USE: 'the SES identity belongs to another app or environment',
  SES_IDENTITY_TYPE: 'the SES identity of the domain is not a domain identity',
  SES_LIMIT: 'the account reached an SES quota',
  SES_NO_IDENTITY: 'SES has no identity for the domain (run init)',
  SES_VERIFICATION_FAILED: 'SES could not verify the domain, DKIM or MAIL FROM',
  DNS_CONFLICT: 'DNS records stand in the way of the ones SES needs (--overwrite-dns)',
  DNS_CHANGE_REJECTED: 'Route 53 refused the change of records',
  ROUTE53_NO_SUCH_ZONE: 'the --hosted-zone-id names no zone of this account',
  ROUTE53_ZONE_MISMATCH: "the --hosted-zone-id zone is not the domain's",
  ROUTE53_PRIVATE_ZONE: 'the --hosted-zone-id zone is private (SES needs public records)',
  ROUTE53_AMBIGUOUS: "several public zones have the domain's name (--hosted-zone-id)",
  ROUTE53_NO_ZONE: 'no Route 53 zone has the domain (--dns route53)',
  CLOUDFLARE_NO_TOKEN: '--dns cloudflare without CLOUDFLARE_API_TOKEN',
  CLOUDFLARE_AUTH: 'Cloudflare refused the API token',
  CLOUDFLARE_FORBIDDEN: "the Cloudflare API token may not edit the zone's DNS",
  CLOUDFLARE_RATE_LIMITED: 'Cloudflare is limiting the requests of the token',
  CLOUDFLARE_UNREACHABLE: "Cloudflare's API could not be reached",
  CLOUDFLARE_ERROR: 'Cloudflare refused a DNS change',
  CLOUDFLARE_NO_ZONE: 'no Cloudflare zone visible to the token holds the domain',
  // IAM
  IAM_USER_NOT_OURS: 'an IAM user of that name exists and was not made by hm-infra',
  IAM_USER_IN_USE: 'the IAM user belongs to another app or environment, or still has attachments',
  IAM_USER_ANSWER: 'IAM created the user but returned no ARN',
  IAM_LIMIT: 'the account reached its IAM user quota',
  IAM_POLICY_REJECTED: 'IAM refused a policy document',
  IAM_KEY_LIMIT: 'the user already has the two access keys IAM allows',
  IAM_KEY_UNKNOWN: 'the user has access keys the state does not know (--rotate-key)',
  IAM_KEY_ANSWER: 'IAM returned no new access key',
  IAM_KEY_STATE: 'the access key step left no key in state',
  IAM_ROLE_NOT_OURS: 'an IAM role of that name exists and was not made by hm-infra',
  IAM_ROLE_IN_USE: 'the IAM role still has policies hm-infra did not add',
  // Email and app events
  SQS_QUEUE_DELETED_RECENTLY: 'SQS refuses a queue name for 60 seconds after its queue was deleted',
  EVENTS_TARGET_REFUSED: 'EventBridge refused to add the queue as a rule target',
  EVENTS_RULE_IN_USE: 'the EventBridge rule still has targets hm-infra did not add',
  LIMIT_REACHED: 'the account reached a quota of SQS, EventBridge, CloudWatch, SNS or CloudWatch Logs',
  // State
  STATE_LOCKED: 'another run holds the state lock',
  STATE_LOCK_LOST: 'the state lock was lost during the run',
  STATE_CONFLICT: 'the state on S3 was written by another run since this one read it (nothing overwritten)',
  STATE_CORRUPT: 'the state file is damaged',
  STATE_UNREADABLE: 'the state file cannot be read',
  STATE_TOO_NEW: 'the state file was written by a newer hm-infra',
  STATE_SAVE_FAILED: 'the state file could not be saved',
  STATE_RECORD_INVALID: "a resource's record in the state file is not valid",
  // Internal (bugs; please report)
  RUNNER_MISUSE: 'a step used the runner against its contract',
  STEP_NO_PLAN: 'a step found nothing and planned nothing',
  MISSING_OUTPUT: 'a step needed the outputs of one that had not run',
  OFFLINE: 'a step called AWS in plan --offline',
  GRAPH_CYCLE: 'steps depend on each other in a cycle',
  GRAPH_DUPLICATE: 'two steps share an id',
  GRAPH_UNKNOWN_DEP: 'a step depends on an unknown step',
  SDK_NOT_LOADED: 'the AWS SDK was used before any client existed',
  INTERNAL: 'an unexpected error (a bug)',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface HmErrorOptions {
  /** What to do next, shown under the message. */
  hint?: string;
  /** Overrides the exit code implied by `source`. */
  exitCode?: number;
  cause?: unknown;
}

/**
 * The one error type that crosses layers. Its message says what went wrong in the user's
 * terms; `hint` says what to do. It never carries a secret.
 */
export class HmError extends Error {
  readonly code: ErrorCode;
  readonly source: ErrorSource;
  readonly hint: string | undefined;
  readonly exitCode: number;

  constructor(code: ErrorCode, message: string, source: ErrorSource, options: HmErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HmError';
    this.code = code;
    this.source = source;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? (source === 'user' ? ExitCode.usage : ExitCode.failure);
  }
}

export function isHmError(err: unknown): err is HmError {
  return err instanceof HmError;
}

/** Bad input: always detected before the first AWS call. */
export function inputError(message: string, hint?: string): HmError {
  return new HmError('INVALID_INPUT', message, 'user', hint === undefined ? {} : { hint });
}
