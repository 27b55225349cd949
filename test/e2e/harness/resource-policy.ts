/**
 * A resource-based policy (an SQS queue's `Policy`) evaluated for a request of an AWS service
 * principal, as IAM evaluates one when a service acts on a resource of the same account and no
 * identity-based policy can apply (EventBridge delivering a rule's event to a queue): an
 * explicit Deny that applies wins; otherwise an Allow that applies allows; otherwise the request
 * is denied (no policy at all denies too).
 *
 * A statement applies when its principal, action, resource and every condition match:
 *
 * - `Principal`: `"*"`, `{"AWS": "*"}`, or `{"Service": …}` naming the service; `NotPrincipal`
 *   applies to every principal it does not name;
 * - `Action` / `NotAction`, `Resource` / `NotResource`: IAM wildcards (`*`, `?`), actions
 *   case-insensitively; a statement without `Resource` is taken to mean the policy's resource;
 * - `Condition`: the String…, Arn…, Bool and Null operators (with `…IfExists`, and the
 *   `ForAnyValue:`/`ForAllValues:` qualifiers on the single-valued keys given), keys
 *   case-insensitively. A key the request does not carry fails its condition (unless
 *   `…IfExists`, or `Null`). An operator this does not know makes the statement not apply, so
 *   an Allow with one grants nothing and a Deny with one denies nothing.
 */

export interface ServiceRequest {
  /** The service principal, `events.amazonaws.com`. */
  service: string;
  /** The IAM action, `sqs:SendMessage`. */
  action: string;
  /** The resource's ARN. */
  resource: string;
  /** Condition keys in lower case (`aws:sourcearn`) and their values. */
  context: Record<string, string>;
}

export type Decision = { allowed: true; statement: string } | { allowed: false; reason: string };

interface Statement {
  Sid?: string;
  Effect?: string;
  Principal?: unknown;
  NotPrincipal?: unknown;
  Action?: unknown;
  NotAction?: unknown;
  Resource?: unknown;
  NotResource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

const strings = (value: unknown): string[] =>
  value === undefined || value === null ? [] : (Array.isArray(value) ? value : [value]).map((v) => String(v));

/** IAM wildcards: `*` any run of characters, `?` one character. */
function wildcard(pattern: string, value: string, ignoreCase: boolean): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, ignoreCase ? 'is' : 's').test(value);
}

function principalNamed(principal: unknown, service: string): boolean {
  if (principal === '*') return true;
  if (typeof principal !== 'object' || principal === null) return false;
  const { AWS: aws, Service: services } = principal as { AWS?: unknown; Service?: unknown };
  return strings(aws).includes('*') || strings(services).some((s) => s.toLowerCase() === service.toLowerCase());
}

/** An ARN pattern against an ARN, field by field (ArnLike: each of the six fields a wildcard). */
function arnLike(pattern: string, arn: string): boolean {
  const want = pattern.split(':');
  const have = arn.split(':');
  if (want.length < 6 || have.length < 6) return false;
  const head = (parts: string[]) => [...parts.slice(0, 5), parts.slice(5).join(':')];
  const [w, h] = [head(want), head(have)];
  return w.every((field, i) => wildcard(field, h[i] ?? '', false));
}

type Operator = (want: string, have: string) => boolean;

const OPERATORS: Record<string, Operator> = {
  StringEquals: (w, h) => w === h,
  StringNotEquals: (w, h) => w !== h,
  StringEqualsIgnoreCase: (w, h) => w.toLowerCase() === h.toLowerCase(),
  StringNotEqualsIgnoreCase: (w, h) => w.toLowerCase() !== h.toLowerCase(),
  StringLike: (w, h) => wildcard(w, h, false),
  StringNotLike: (w, h) => !wildcard(w, h, false),
  ArnEquals: (w, h) => arnLike(w, h),
  ArnLike: (w, h) => arnLike(w, h),
  ArnNotEquals: (w, h) => !arnLike(w, h),
  ArnNotLike: (w, h) => !arnLike(w, h),
  Bool: (w, h) => w.toLowerCase() === h.toLowerCase(),
};

/** Negated operators hold only when no value matches (each test above is already negated). */
const NEGATED = new Set([
  'StringNotEquals',
  'StringNotEqualsIgnoreCase',
  'StringNotLike',
  'ArnNotEquals',
  'ArnNotLike',
]);

/** True when every condition of the block holds; undefined when it uses an operator this does not evaluate. */
function conditionsHold(block: Statement['Condition'], context: Record<string, string>): boolean | undefined {
  for (const [rawOperator, keys] of Object.entries(block ?? {})) {
    const operator = rawOperator.replace(/^(ForAnyValue|ForAllValues):/, '');
    const ifExists = operator.endsWith('IfExists');
    const name = ifExists ? operator.slice(0, -'IfExists'.length) : operator;
    for (const [key, value] of Object.entries(keys ?? {})) {
      const have = context[key.toLowerCase()];
      const wants = strings(value);
      if (name === 'Null') {
        if (!wants.every((w) => (w.toLowerCase() === 'true') === (have === undefined))) return false;
        continue;
      }
      const test = OPERATORS[name];
      if (!test) return undefined;
      if (have === undefined) {
        if (ifExists) continue;
        return false;
      }
      const holds = NEGATED.has(name) ? wants.every((w) => test(w, have)) : wants.some((w) => test(w, have));
      if (!holds) return false;
    }
  }
  return true;
}

function applies(statement: Statement, request: ServiceRequest): boolean | undefined {
  const principal =
    statement.NotPrincipal !== undefined
      ? !principalNamed(statement.NotPrincipal, request.service)
      : principalNamed(statement.Principal, request.service);
  const action =
    statement.NotAction !== undefined
      ? !strings(statement.NotAction).some((a) => wildcard(a, request.action, true))
      : strings(statement.Action).some((a) => wildcard(a, request.action, true));
  const resource =
    statement.NotResource !== undefined
      ? !strings(statement.NotResource).some((r) => wildcard(r, request.resource, false))
      : statement.Resource === undefined ||
        strings(statement.Resource).some((r) => wildcard(r, request.resource, false));
  if (!principal || !action || !resource) return false;
  return conditionsHold(statement.Condition, request.context);
}

/** Whether the policy (its JSON text, undefined or '' for none) lets the service principal do the request. */
export function evaluateResourcePolicy(policyText: string | undefined, request: ServiceRequest): Decision {
  if (policyText === undefined || policyText.trim() === '')
    return { allowed: false, reason: 'the resource has no policy' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(policyText);
  } catch {
    return { allowed: false, reason: 'the policy is not JSON' };
  }
  const raw = (parsed as { Statement?: unknown } | null)?.Statement;
  const statements = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]) as Statement[];
  let allowedBy: string | undefined;
  for (const [index, statement] of statements.entries()) {
    if (typeof statement !== 'object' || statement === null) continue;
    const label = statement.Sid ?? `#${index}`;
    if (applies(statement, request) !== true) continue;
    if (statement.Effect === 'Deny') return { allowed: false, reason: `statement ${label} denies it` };
    if (statement.Effect === 'Allow') allowedBy ??= label;
  }
  return allowedBy !== undefined
    ? { allowed: true, statement: allowedBy }
    : { allowed: false, reason: 'no statement of the policy allows it' };
}
