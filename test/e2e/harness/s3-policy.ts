/**
 * The part of S3's bucket-policy evaluation the harness does itself, because moto evaluates a
 * statement as if its `Condition` always held and ignores the principal of a Deny (so a
 * conditioned Deny, or one aimed at somebody else, refuses every object request of anyone),
 * and never evaluates the policy for bucket operations:
 *
 * - Deny statements whose principal is everyone and whose conditions are all on
 *   `aws:SecureTransport` (Bool) or absent are evaluated as AWS does, for every operation;
 *   statements naming principals, NotPrincipal, or other condition keys are left alone (the
 *   harness cannot know the caller's ARN or the other context keys);
 * - moto is given only the policy's Allow statements, so it denies nothing AWS would allow
 *   (and the harness keeps, and returns, the policy as sent);
 * - whether a policy is public, for Block Public Access's BlockPublicPolicy.
 */

export interface PolicyStatement {
  Sid?: string;
  Effect?: string;
  Principal?: unknown;
  NotPrincipal?: unknown;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

export interface BucketPolicy {
  Version?: string;
  Id?: string;
  Statement: PolicyStatement[];
}

/** What a statement is evaluated against. */
export interface PolicyRequest {
  /** The IAM action (`s3:GetObject`). */
  action: string;
  /** `arn:aws:s3:::bucket` or `arn:aws:s3:::bucket/key`. */
  resource: string;
  secureTransport: boolean;
}

/** Parses a policy as S3 accepts one; the MalformedPolicy message otherwise. */
export function parsePolicy(text: string): BucketPolicy | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return "Policies must be valid JSON and the first byte must be '{'";
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    return "Policies must be valid JSON and the first byte must be '{'";
  const statement = (parsed as { Statement?: unknown }).Statement;
  if (statement === undefined) return 'Missing required field Statement';
  const statements = Array.isArray(statement) ? statement : [statement];
  if (statements.some((s) => typeof s !== 'object' || s === null)) return 'Statement is not a JSON object';
  if ((statements as PolicyStatement[]).some((s) => s.Effect !== 'Allow' && s.Effect !== 'Deny'))
    return 'Invalid effect: statements need Effect Allow or Deny';
  return { ...(parsed as object), Statement: statements as PolicyStatement[] };
}

const list = (value: string | string[] | undefined): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** IAM wildcards: `*` any run of characters, `?` one character. */
function wildcard(pattern: string, value: string, ignoreCase: boolean): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, ignoreCase ? 'i' : '').test(value);
}

const anyMatch = (patterns: string[], value: string, ignoreCase: boolean) =>
  patterns.some((p) => wildcard(p, value, ignoreCase));

/** True for `"*"` and `{"AWS": "*"}` (or a list holding `"*"`): everyone. */
export function isEveryone(principal: unknown): boolean {
  if (principal === '*') return true;
  if (typeof principal !== 'object' || principal === null) return false;
  const aws = (principal as { AWS?: unknown }).AWS;
  return aws === '*' || (Array.isArray(aws) && aws.includes('*'));
}

const SECURE_TRANSPORT = 'aws:securetransport';

/** The statement's conditions, when the harness can evaluate all of them (Bool on aws:SecureTransport). */
function secureTransportConditions(
  statement: PolicyStatement,
): Array<{ values: string[]; ifExists: boolean }> | undefined {
  const out: Array<{ values: string[]; ifExists: boolean }> = [];
  for (const [operator, keys] of Object.entries(statement.Condition ?? {})) {
    if (!/^Bool(IfExists)?$/.test(operator)) return undefined;
    for (const [key, value] of Object.entries(keys)) {
      if (key.toLowerCase() !== SECURE_TRANSPORT) return undefined;
      out.push({
        values: (Array.isArray(value) ? value : [value]).map((v) => String(v).toLowerCase()),
        ifExists: operator.endsWith('IfExists'),
      });
    }
  }
  return out;
}

function statementApplies(statement: PolicyStatement, request: PolicyRequest): boolean {
  const actionMatches =
    statement.NotAction !== undefined
      ? !anyMatch(list(statement.NotAction), request.action, true)
      : anyMatch(list(statement.Action), request.action, true);
  const resourceMatches =
    statement.NotResource !== undefined
      ? !anyMatch(list(statement.NotResource), request.resource, false)
      : anyMatch(list(statement.Resource), request.resource, false);
  return actionMatches && resourceMatches;
}

/**
 * The Sid (or index) of the statement that explicitly denies the request, among those the
 * harness evaluates; undefined when none does.
 */
export function explicitDeny(policy: BucketPolicy, request: PolicyRequest): string | undefined {
  for (const [index, statement] of policy.Statement.entries()) {
    if (statement.Effect !== 'Deny' || statement.NotPrincipal !== undefined || !isEveryone(statement.Principal))
      continue;
    const conditions = secureTransportConditions(statement);
    if (!conditions || !statementApplies(statement, request)) continue;
    const actual = String(request.secureTransport);
    if (conditions.every((c) => c.values.includes(actual))) return statement.Sid ?? `#${index}`;
  }
  return undefined;
}

/**
 * The policy moto should enforce: its Allow statements only. moto evaluates a statement as if
 * its Condition always held and ignores the principal of a Deny (a conditioned Deny, or one
 * for somebody else, refuses every object request), so the Deny statements stay with the
 * harness. An Allow changes nothing on a moto without IAM enforcement, and is harmless with it.
 */
export function policyForMoto(policy: BucketPolicy): BucketPolicy {
  return { ...policy, Statement: policy.Statement.filter((s) => s.Effect === 'Allow') };
}

/** Condition keys that make an Allow to everyone non-public (S3's "fixed values" rule). */
const RESTRICTING_KEYS = new Set([
  'aws:sourcearn',
  'aws:sourcevpc',
  'aws:sourcevpce',
  'aws:sourceowner',
  'aws:sourceaccount',
  'aws:sourceip',
  'aws:principalorgid',
  'aws:principalaccount',
  'aws:userid',
  's3:x-amz-server-side-encryption-aws-kms-key-id',
  's3:dataaccesspointaccount',
  's3:dataaccesspointarn',
]);

/** True when the policy grants access to everyone without a restricting condition (simplified from S3's rules). */
export function isPublicPolicy(policy: BucketPolicy): boolean {
  return policy.Statement.some((s) => {
    if (s.Effect !== 'Allow' || !isEveryone(s.Principal)) return false;
    const keys = Object.values(s.Condition ?? {}).flatMap((k) => Object.keys(k).map((key) => key.toLowerCase()));
    return !keys.some((key) => RESTRICTING_KEYS.has(key));
  });
}

/** IAM actions whose names differ from the S3 operation's. */
const ACTIONS: Record<string, string> = {
  HeadObject: 's3:GetObject',
  HeadBucket: 's3:ListBucket',
  ListObjects: 's3:ListBucket',
  ListObjectsV2: 's3:ListBucket',
  ListObjectVersions: 's3:ListBucketVersions',
  ListMultipartUploads: 's3:ListBucketMultipartUploads',
  ListBuckets: 's3:ListAllMyBuckets',
  DeleteObjects: 's3:DeleteObject',
  CopyObject: 's3:PutObject',
  CreateMultipartUpload: 's3:PutObject',
  UploadPart: 's3:PutObject',
  UploadPartCopy: 's3:PutObject',
  CompleteMultipartUpload: 's3:PutObject',
  AbortMultipartUpload: 's3:AbortMultipartUpload',
  ListParts: 's3:ListMultipartUploadParts',
  GetBucketCors: 's3:GetBucketCORS',
  PutBucketCors: 's3:PutBucketCORS',
  DeleteBucketCors: 's3:PutBucketCORS',
  GetBucketLifecycleConfiguration: 's3:GetLifecycleConfiguration',
  PutBucketLifecycleConfiguration: 's3:PutLifecycleConfiguration',
  DeleteBucketLifecycle: 's3:PutLifecycleConfiguration',
  GetBucketEncryption: 's3:GetEncryptionConfiguration',
  PutBucketEncryption: 's3:PutEncryptionConfiguration',
  DeleteBucketEncryption: 's3:PutEncryptionConfiguration',
  GetPublicAccessBlock: 's3:GetBucketPublicAccessBlock',
  PutPublicAccessBlock: 's3:PutBucketPublicAccessBlock',
  DeletePublicAccessBlock: 's3:PutBucketPublicAccessBlock',
  GetBucketOwnershipControls: 's3:GetBucketOwnershipControls',
  PutBucketOwnershipControls: 's3:PutBucketOwnershipControls',
  DeleteBucketTagging: 's3:PutBucketTagging',
  GetBucketNotificationConfiguration: 's3:GetBucketNotification',
  PutBucketNotificationConfiguration: 's3:PutBucketNotification',
};

/** The IAM action S3 authorises an operation as. */
export const iamAction = (operation: string): string => ACTIONS[operation] ?? `s3:${operation}`;
