import { ExitCode } from '../errors.js';
import type { CheckId, CheckResult, CheckStatus } from '../checks/smoke-test.js';
import { type Style, pad } from './style.js';
import { BaseView, type Output, type ViewOptions, printJson } from './view.js';

const LABELS: Record<CheckId, string> = {
  'app-key': 'app key',
  upload: 'upload',
  cdn: 'CDN',
  'private-bucket': 'private bucket',
  'least-privilege': 'least privilege',
  email: 'email',
  bounce: 'bounce',
  events: 'app events',
  cleanup: 'clean-up',
};

const WIDTH = 17;

function mark(status: CheckStatus, style: Style): string {
  switch (status) {
    case 'ok':
      return style.green('✔');
    case 'pending':
      return style.yellow('…');
    case 'failed':
      return style.red('✖');
    default:
      return style.dim('-');
  }
}

/** One check: mark, name, what happened; under it, for anything not ok, what to do. */
export function renderCheckResult(result: CheckResult, style: Style): string {
  const head = `  ${mark(result.status, style)} ${pad(LABELS[result.id], WIDTH)}${result.status === 'ok' ? result.summary : `${result.status}: ${result.summary}`}`;
  if (result.fix === undefined) return head;
  return `${head}\n${' '.repeat(4 + WIDTH)}${style.dim('→')} ${result.fix}`;
}

export function smokeCounts(results: readonly CheckResult[]): Record<CheckStatus, number> {
  const counts: Record<CheckStatus, number> = { ok: 0, pending: 0, failed: 0, skipped: 0 };
  for (const r of results) counts[r.status] += 1;
  return counts;
}

/** 1 when anything failed, else 3 when anything is pending, else 0 (skipped checks do not count). */
export function smokeExitCode(results: readonly CheckResult[]): number {
  const counts = smokeCounts(results);
  return counts.failed > 0 ? ExitCode.failure : counts.pending > 0 ? ExitCode.pending : ExitCode.ok;
}

export function smokeSummary(results: readonly CheckResult[], style: Style): string {
  const counts = smokeCounts(results);
  const parts = [
    `${counts.ok} ok`,
    counts.pending > 0 ? `${counts.pending} pending` : '',
    counts.failed > 0 ? `${counts.failed} failed` : '',
    counts.skipped > 0 ? `${counts.skipped} skipped` : '',
  ]
    .filter(Boolean)
    .join(', ');
  if (counts.failed > 0) return style.red(`Smoke test failed (${parts}).`);
  if (counts.pending > 0)
    return style.yellow(`Smoke test not finished (${parts}): re-run when what is pending is done.`);
  return style.green(
    `Smoke test passed (${parts}): the stack works as the app will use it, with the app user's own key.`,
  );
}

/** Whose stack is tested, and with which key. */
export interface SmokeTestMeta {
  app: string;
  environment: string;
  region: string;
  userName: string;
  accessKeyId: string;
}

/** What `smoke-test` shows: each check as it ends, then the verdict. */
export interface SmokeTestView {
  start(meta: SmokeTestMeta): void;
  /** A check waiting (CloudFront deploying), `seconds` into the run. */
  waiting(line: string, seconds: number): void;
  check(result: CheckResult): void;
  /** Ctrl-C: the test object is removed before stopping. */
  stopping(): void;
  result(results: readonly CheckResult[], code: number, meta: SmokeTestMeta): void;
}

abstract class SmokeTestViewBase extends BaseView {
  waiting(line: string, seconds: number): void {
    this.output.err(this.style.dim(`[${seconds}s] ${line}`));
  }

  stopping(): void {
    this.output.err(this.style.yellow('Stopping: removing the test object first…'));
  }
}

class HumanSmokeTestView extends SmokeTestViewBase implements SmokeTestView {
  start(meta: SmokeTestMeta): void {
    this.output.out(
      this.style.bold(
        `Smoke test of ${meta.app} (${meta.environment}) in ${meta.region}, as the app user ${meta.userName} (key ${meta.accessKeyId})`,
      ),
    );
  }

  check(result: CheckResult): void {
    this.output.out(renderCheckResult(result, this.style));
  }

  result(results: readonly CheckResult[]): void {
    this.output.out(smokeSummary(results, this.style));
  }
}

class JsonSmokeTestView extends SmokeTestViewBase implements SmokeTestView {
  start(): void {}

  check(): void {}

  result(results: readonly CheckResult[], code: number, meta: SmokeTestMeta): void {
    const outcome =
      code === ExitCode.ok
        ? 'passed'
        : code === ExitCode.pending
          ? 'pending'
          : code === ExitCode.aborted
            ? 'aborted'
            : 'failed';
    printJson(this.output, {
      kind: 'smoke-test',
      outcome,
      environment: meta.environment,
      region: meta.region,
      accessKeyId: meta.accessKeyId,
      counts: smokeCounts(results),
      checks: results,
    });
  }
}

export function smokeTestViewFor(options: ViewOptions, output: Output): SmokeTestView {
  return options.json ? new JsonSmokeTestView(output, options) : new HumanSmokeTestView(output, options);
}
