/**
 * A small IAM policy evaluator for tests: identity policies only, Allow/Deny statements with
 * Action and Resource (wildcards `*` and `?`) and StringEquals / StringLike conditions —
 * enough to ask "may the app user do this?" of the policies init wrote.
 */

export interface Request {
  action: string;
  resource: string;
  context?: Record<string, string>;
}

type Statement = {
  Effect: string;
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

function conditionsHold(condition: Statement['Condition'], context: Record<string, string>): boolean {
  for (const [op, keys] of Object.entries(condition ?? {})) {
    for (const [key, wanted] of Object.entries(keys)) {
      const actual = context[key];
      if (actual === undefined) return false;
      const ok =
        op === 'StringEquals'
          ? list(wanted).includes(actual)
          : op === 'StringLike'
            ? list(wanted).some((w) => glob(w, actual))
            : false;
      if (!ok) return false;
    }
  }
  return true;
}

const matches = (s: Statement, r: Request) =>
  list(s.Action).some((a) => glob(a, r.action, true)) &&
  list(s.Resource).some((p) => glob(p, r.resource)) &&
  conditionsHold(s.Condition, r.context ?? {});

/** Allowed when some statement allows it and none denies it (the default is deny). */
export function isAllowed(documents: unknown[], request: Request): boolean {
  const statements = documents.flatMap((d) => {
    const s = (d as { Statement: Statement | Statement[] }).Statement;
    return Array.isArray(s) ? s : [s];
  });
  if (statements.some((s) => s.Effect === 'Deny' && matches(s, request))) return false;
  return statements.some((s) => s.Effect === 'Allow' && matches(s, request));
}
