/**
 * Every question the CLI asks goes through this module: it is the only one that imports
 * @inquirer/prompts, so tests replace it with scripted answers and nothing else prompts.
 */
import { ExitCode, HmError } from '../errors.js';

export interface Choice<T> {
  value: T;
  name: string;
  description?: string;
}

/** One question; `id` names it for scripted answers and for --verbose. */
interface Question {
  id: string;
  message: string;
}

export interface Prompter {
  /** Free text; `validate` returns a message to show (and ask again) or undefined when fine. */
  input(q: Question & { default?: string; validate?: (value: string) => string | undefined }): Promise<string>;
  select<T>(q: Question & { choices: ReadonlyArray<Choice<T>>; default?: T }): Promise<T>;
  confirm(q: Question & { default?: boolean }): Promise<boolean>;
}

/** Ctrl-C (or Ctrl-D) at a prompt: inquirer rejects with ExitPromptError. */
export function isPromptAbort(err: unknown): boolean {
  return err instanceof Error && (err.name === 'ExitPromptError' || err.name === 'AbortPromptError');
}

/** The error a prompt abort becomes: exit 130, with what was (not) written. */
export function abortedAtPrompt(written: string): HmError {
  return new HmError('ABORTED', `stopped at your request; ${written}`, 'user', { exitCode: ExitCode.aborted });
}

/**
 * Prompts on a terminal. `output` is stdout, or stderr when stdout carries JSON (--json):
 * then nothing but the JSON document reaches stdout.
 */
export function terminalPrompter(output: NodeJS.WritableStream): Prompter {
  const context = { output, clearPromptOnDone: false };
  const load = () => import('@inquirer/prompts');
  return {
    async input(q) {
      const { input } = await load();
      return input(
        {
          message: q.message,
          ...(q.default !== undefined ? { default: q.default } : {}),
          ...(q.validate ? { validate: (value: string) => q.validate?.(value) ?? true } : {}),
        },
        context,
      );
    },
    async select<T>(q: Question & { choices: ReadonlyArray<Choice<T>>; default?: T }) {
      const { select } = await load();
      return select<T>(
        {
          message: q.message,
          choices: q.choices.map((c) => ({ ...c })),
          ...(q.default !== undefined ? { default: q.default } : {}),
          loop: false,
        },
        context,
      );
    },
    async confirm(q) {
      const { confirm } = await load();
      return confirm({ message: q.message, ...(q.default !== undefined ? { default: q.default } : {}) }, context);
    },
  };
}
