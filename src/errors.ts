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
  readonly code: string;
  readonly source: ErrorSource;
  readonly hint: string | undefined;
  readonly exitCode: number;

  constructor(code: string, message: string, source: ErrorSource, options: HmErrorOptions = {}) {
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
