/**
 * A small IAM policy evaluator for tests: Allow/Deny statements with Action and Resource
 * (wildcards `*` and `?`) and the condition operators StringEquals / StringLike / StringNotEquals
 * and ArnEquals / ArnLike / ArnNotEquals / ArnNotLike (`…IfExists` too) — enough to ask "may the
 * app user do this?" of the policies init wrote (identity policies, `isAllowed`), and "may this
 * AWS service send to this queue?" of a resource policy, whose statements name a Principal
 * (`resourcePolicyAllows`).
 */

export interface Request {
  action: string;
  resource: string;
  context?: Record<string, string>;
}

type Principal = '*' | { AWS?: string | string[]; Service?: string | string[] };

type Statement = {
  Effect: string;
  Principal?: Principal;
  Action?: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
};

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const glob = (pattern: string, value: string, caseless = false) => {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    caseless ? 'i' : '',
  );
  return re.test(value);
};

/**
 * ArnEquals and ArnLike are the same test: each of the six colon-separated parts of the ARN
 * is matched on its own, with `*` and `?` (IAM's condition operators reference).
 */
function arnMatches(pattern: string, value: string): boolean {
  const p = pattern.split(':');
  const v = value.split(':');
  if (p.length < 6 || v.length < 6) return false;
  const parts = (a: string[]) => [...a.slice(0, 5), a.slice(5).join(':')];
  const pp = parts(p);
  const vp = parts(v);
  return pp.every((part, i) => glob(part, vp[i] ?? ''));
}

const OPERATORS: Record<string, (wanted: string[], actual: string) => boolean> = {
  StringEquals: (wanted, actual) => wanted.includes(actual),
  StringNotEquals: (wanted, actual) => !wanted.includes(actual),
  StringLike: (wanted, actual) => wanted.some((w) => glob(w, actual)),
  StringNotLike: (wanted, actual) => !wanted.some((w) => glob(w, actual)),
  ArnEquals: (wanted, actual) => wanted.some((w) => arnMatches(w, actual)),
  ArnLike: (wanted, actual) => wanted.some((w) => arnMatches(w, actual)),
  ArnNotEquals: (wanted, actual) => !wanted.some((w) => arnMatches(w, actual)),
  ArnNotLike: (wanted, actual) => !wanted.some((w) => arnMatches(w, actual)),
};

function conditionsHold(condition: Statement['Condition'], context: Record<string, string>): boolean {
  for (const [name, keys] of Object.entries(condition ?? {})) {
    const ifExists = name.endsWith('IfExists');
    const operator = OPERATORS[ifExists ? name.slice(0, -'IfExists'.length) : name];
    for (const [key, wanted] of Object.entries(keys)) {
      // Condition keys are case-insensitive (aws:SourceArn, aws:sourcearn).
      const found = Object.entries(context).find(([k]) => k.toLowerCase() === key.toLowerCase());
      if (found === undefined) {
        if (ifExists) continue;
        return false;
      }
      if (!operator || !operator(list(wanted), found[1])) return false;
    }
  }
  return true;
}

const matches = (s: Statement, r: Request) =>
  list(s.Action).some((a) => glob(a, r.action, true)) &&
  list(s.Resource).some((p) => glob(p, r.resource)) &&
  conditionsHold(s.Condition, r.context ?? {});

const statementsOf = (documents: unknown[]): Statement[] =>
  documents.flatMap((d) => {
    const s = (d as { Statement?: Statement | Statement[] }).Statement;
    return s === undefined ? [] : Array.isArray(s) ? s : [s];
  });

/** Allowed when some statement allows it and none denies it (the default is deny). */
export function isAllowed(documents: unknown[], request: Request): boolean {
  const statements = statementsOf(documents);
  if (statements.some((s) => s.Effect === 'Deny' && matches(s, request))) return false;
  return statements.some((s) => s.Effect === 'Allow' && matches(s, request));
}

/** Who makes a request a resource policy is asked about: an AWS service, or an IAM identity (ARN) of an account. */
export type Caller = { service: string } | { aws: string };

function principalMatches(principal: Principal | undefined, caller: Caller): boolean {
  if (principal === undefined) return false;
  if (principal === '*') return true;
  if ('service' in caller) return list(principal.Service).includes(caller.service);
  const account = caller.aws.split(':')[4];
  return list(principal.AWS).some(
    (p) => p === '*' || p === caller.aws || p === account || p === `arn:aws:iam::${account}:root`,
  );
}

/**
 * Whether a resource policy (an SQS queue's `Policy`) lets `caller` make the request: some
 * statement naming the caller as Principal allows it and none denies it.
 */
export function resourcePolicyAllows(document: unknown, caller: Caller, request: Request): boolean {
  const statements = statementsOf([document]).filter((s) => principalMatches(s.Principal, caller));
  if (statements.some((s) => s.Effect === 'Deny' && matches(s, request))) return false;
  return statements.some((s) => s.Effect === 'Allow' && matches(s, request));
}
