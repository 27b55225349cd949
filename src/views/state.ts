import type { ListedState, LockRecord } from '../state/s3-store.js';
import { pad } from './style.js';
import { BaseView, type Output, type ViewOptions, printJson } from './view.js';

/** What `hm-infra state unlock | push | pull | list` show. */
export interface StateView {
  readonly promptOutput: NodeJS.WritableStream;
  noLock(url: string): void;
  unlocked(url: string, removed: LockRecord | undefined): void;
  declined(): void;
  pushed(from: string, to: string, unchanged: boolean): void;
  pulled(from: string, to: string, outcome: 'written' | 'unchanged'): void;
  /** The state on stdout (its secret masked unless asked for). */
  state(text: string, masked: boolean): void;
  list(prefix: string, states: readonly ListedState[]): void;
}

class HumanStateView extends BaseView implements StateView {
  get promptOutput(): NodeJS.WritableStream {
    return process.stderr;
  }

  noLock(url: string): void {
    this.output.out(`No lock is held on ${url}: nothing to remove.`);
  }

  unlocked(url: string, removed: LockRecord | undefined): void {
    this.output.out(
      removed
        ? `${this.style.green('✔')} Removed the lock on ${url} (\`hm-infra ${removed.command}\` of ${removed.who}, started ${removed.startedAt}).`
        : `The lock on ${url} was already gone.`,
    );
  }

  declined(): void {
    this.output.err('The id did not match. The lock was left in place.');
  }

  pushed(from: string, to: string, unchanged: boolean): void {
    this.output.out(
      unchanged
        ? `${to} already holds the state of ${from}.`
        : `${this.style.green('✔')} Pushed ${from} to ${to}. From now on pass --state with it (or set HM_INFRA_STATE); the local file can go once your team uses it.`,
    );
  }

  pulled(from: string, to: string, outcome: 'written' | 'unchanged'): void {
    this.output.out(
      `${this.style.green('✔')} ${outcome === 'written' ? 'Wrote' : 'Already up to date:'} ${from} to ${to} (mode 0600, secret included). Keep it out of version control.`,
    );
  }

  state(text: string, masked: boolean): void {
    if (masked)
      this.output.err(
        'The access key secret is masked: `--show-secret` prints it, `--write <file>` writes it to a file only you can read.',
      );
    this.output.out(text);
  }

  list(prefix: string, states: readonly ListedState[]): void {
    if (states.length === 0) {
      this.output.out(`No environment has its state under ${prefix}.`);
      return;
    }
    const width = Math.max(...states.map((s) => s.environment.length), 11) + 2;
    this.output.out(`Environments under ${prefix}:`);
    this.output.out(
      `  ${pad('environment', width)}${pad('app', 16)}${pad('account', 14)}${pad('region', 16)}last write`,
    );
    for (const s of states)
      this.output.out(
        `  ${pad(s.environment, width)}${pad(s.app ?? '?', 16)}${pad(s.accountId ?? '—', 14)}${pad(s.region ?? '?', 16)}${s.lastWrite ?? '?'}${s.locked ? this.style.yellow('  (locked: a run is in progress)') : ''}`,
      );
  }
}

class JsonStateView extends BaseView implements StateView {
  get promptOutput(): NodeJS.WritableStream {
    return process.stderr;
  }

  noLock(url: string): void {
    printJson(this.output, { kind: 'state-unlock', state: url, removed: null });
  }

  unlocked(url: string, removed: LockRecord | undefined): void {
    printJson(this.output, { kind: 'state-unlock', state: url, removed: removed ?? null });
  }

  declined(): void {
    printJson(this.output, { kind: 'state-unlock', removed: null, declined: true });
  }

  pushed(from: string, to: string, unchanged: boolean): void {
    printJson(this.output, { kind: 'state-push', from, to, outcome: unchanged ? 'unchanged' : 'pushed' });
  }

  pulled(from: string, to: string, outcome: 'written' | 'unchanged'): void {
    printJson(this.output, { kind: 'state-pull', from, to, outcome });
  }

  state(text: string): void {
    this.output.out(text);
  }

  list(prefix: string, states: readonly ListedState[]): void {
    printJson(this.output, { kind: 'state-list', prefix, environments: states });
  }
}

export function stateViewFor(options: ViewOptions, output: Output): StateView {
  return options.json ? new JsonStateView(output, options) : new HumanStateView(output, options);
}
