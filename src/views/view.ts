/**
 * What every command's view shares. Each command has a view (src/views/<command>.ts): an
 * interface with what the command shows (its plan, progress, result, failure), one
 * implementation for people and one for `--json`, and a function that picks one from the
 * global options. Commands only call their view; which output it is, is the view's business.
 */
import type { HmError } from '../errors.js';
import type { RunEvent, StepOutcome } from '../engine/outcome.js';
import { renderError } from './errors.js';
import { lineRenderer } from './progress.js';
import { type Style, makeStyle } from './style.js';

/** Where a view writes, and what it may assume about the terminal. */
export interface Output {
  /** Writes one line (or block) to stdout: results, plans, JSON. */
  out(text: string): void;
  /** Writes one line (or block) to stderr: progress, warnings, errors. */
  err(text: string): void;
  /** stdin and stdout are a terminal: prompts are allowed. */
  readonly interactive: boolean;
  readonly color: boolean;
  readonly env: NodeJS.ProcessEnv;
  /** stderr, when it is a terminal: live progress may redraw there. Absent: plain lines. */
  readonly progressStream?: NodeJS.WriteStream;
}

/** The global options a view is chosen by. */
export interface ViewOptions {
  /** --json: one JSON document on stdout; everything for people goes to stderr. */
  json?: boolean;
  verbose?: boolean;
}

/** What both kinds of view of a command start from: where to write, and how. */
export abstract class BaseView {
  readonly style: Style;
  readonly verbose: boolean;

  constructor(
    readonly output: Output,
    options: ViewOptions,
  ) {
    this.style = makeStyle(output.color);
    this.verbose = options.verbose === true;
  }

  /** The steps' progress while a plan is read: lines with --verbose, else nothing. */
  planProgress(): ((event: RunEvent) => void) | undefined {
    return this.verbose ? lineRenderer(this.output.err, this.style, true) : undefined;
  }

  /** An error in full on stderr (its hint; with --verbose, its details). */
  error(err: unknown): void {
    this.output.err(renderError(err, this.style, this.verbose));
  }

  /** Each failed step's error, in full, on stderr. */
  failedSteps(outcomes: readonly StepOutcome[]): void {
    for (const o of outcomes) if (o.status === 'failed') this.error(o.error as HmError);
  }
}

/** Writes one JSON document on stdout. */
export function printJson(output: Output, document: unknown): void {
  output.out(JSON.stringify(document, null, 2));
}
