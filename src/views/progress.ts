import type { RunEvent, StepOutcome } from '../engine/outcome.js';
import { type Style, pad } from './style.js';

/** Wide enough for the longest step title ("EventBridge target: email events queue"). */
const TITLE_WIDTH = 40;
const PAST: Record<string, string> = {
  create: 'created',
  update: 'updated',
  unchanged: 'unchanged',
  read: 'checked',
  delete: 'removed',
  keep: 'kept (not created by hm-infra)',
  pending: 'disabled; AWS is still removing it',
};

/** What a finished step did, in words: "created", "updated (cors, tags)", "unchanged". */
export function doneText(outcome: StepOutcome, style: Style): string {
  const action = outcome.action ?? 'done';
  const word = PAST[action] ?? action;
  const paint =
    action === 'create' || action === 'delete'
      ? style.green
      : action === 'update' || action === 'pending'
        ? style.yellow
        : style.dim;
  const fields = action === 'update' ? ` (${outcome.changes.map((c) => c.field).join(', ')})` : '';
  return `${paint(word)}${fields}`;
}

/**
 * A plain line-per-event progress display: works on any terminal, in CI logs and in files.
 * `write` receives whole lines.
 */
export function lineRenderer(write: (line: string) => void, style: Style, verbose: boolean): (event: RunEvent) => void {
  return (event) => {
    switch (event.type) {
      case 'start':
        if (verbose) write(style.dim(`… ${event.title}`));
        break;
      case 'report':
        write(style.dim(`  ${event.id}: ${event.message}`));
        break;
      case 'debug':
        if (verbose) write(style.dim(`  · ${event.id}: ${event.message}`));
        break;
      case 'done':
        write(`${style.green('✔')} ${pad(event.outcome.title, TITLE_WIDTH)}${doneText(event.outcome, style)}`);
        break;
      case 'failed':
        // The error itself is rendered once, in full, when the run ends.
        write(
          `${style.red('✖')} ${pad(event.outcome.title, TITLE_WIDTH)}${style.red('failed')} (${event.outcome.error?.code ?? 'error'})`,
        );
        break;
      case 'skipped':
        write(style.dim(`- ${pad(event.outcome.title, TITLE_WIDTH)}skipped: ${event.outcome.skippedBecause ?? ''}`));
        break;
    }
  };
}
