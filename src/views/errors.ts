import { ExitCode, HmError } from '../errors.js';
import type { Style } from './style.js';

/** An error as the user sees it: what went wrong, then what to do; details only with --verbose. */
export function renderError(err: unknown, style: Style, verbose: boolean): string {
  const lines: string[] = [];
  if (err instanceof HmError) {
    // Ctrl-C is the user's choice, not an error.
    if (err.exitCode === ExitCode.aborted)
      lines.push(style.yellow(err.message.charAt(0).toUpperCase() + err.message.slice(1)));
    else lines.push(`${style.red('Error:')} ${err.message}`);
    if (err.hint) lines.push(`  ${err.hint}`);
    if (verbose) {
      lines.push(style.dim(`  [${err.code}, ${err.source}]`));
      const cause = err.cause as
        { name?: string; message?: string; stack?: string; $metadata?: { requestId?: string } } | undefined;
      if (cause?.$metadata?.requestId) lines.push(style.dim(`  AWS request id: ${cause.$metadata.requestId}`));
      if (cause?.stack) lines.push(style.dim(cause.stack));
      else if (err.stack) lines.push(style.dim(err.stack));
    }
  } else {
    const e = err as Error | undefined;
    lines.push(`${style.red('Internal error:')} ${e?.message ?? String(err)}`);
    lines.push('  This is a bug in hm-infra; please report it with the output of --verbose.');
    if (verbose && e?.stack) lines.push(style.dim(e.stack));
  }
  return lines.join('\n');
}

/** An error as one JSON document (`--json`). */
export function errorJson(err: unknown) {
  if (err instanceof HmError)
    return { ok: false, error: { code: err.code, source: err.source, message: err.message, hint: err.hint ?? null } };
  return {
    ok: false,
    error: {
      code: 'INTERNAL',
      source: 'internal',
      message: (err as Error | undefined)?.message ?? String(err),
      hint: null,
    },
  };
}
