import type { Choice, Prompter } from '../../src/commands/prompts.js';

/** Press Enter: take the question's default. */
export const ENTER = Symbol('enter');

/** A scripted answer: text typed, a choice (by its label), yes/no, Enter, or an error thrown (Ctrl-C). */
export type Answer = string | boolean | typeof ENTER | Error;

export interface Asked {
  id: string;
  message: string;
  default: unknown;
  /** Choice labels of a select. */
  choices?: string[];
  /** Validation messages shown before an answer was accepted (the question asked again). */
  rejected: string[];
  answer?: unknown;
}

export class ExitPromptError extends Error {
  override name = 'ExitPromptError';
  constructor() {
    super('User force closed the prompt with SIGINT');
  }
}

/**
 * A Prompter that answers from a script, question by question (keyed by id), and behaves as
 * inquirer does: Enter takes the default, an answer its validator rejects is asked again, and
 * Ctrl-C rejects. A question without a scripted answer fails the test.
 */
export function scriptedPrompter(script: Record<string, Answer[]>): Prompter & { asked: Asked[] } {
  const queues = new Map(Object.entries(script).map(([id, answers]) => [id, [...answers]]));
  const asked: Asked[] = [];
  const take = (id: string): Answer => {
    const next = queues.get(id)?.shift();
    if (next === undefined) throw new Error(`the wizard asked "${id}", which the test did not script`);
    if (next instanceof Error) throw next;
    return next;
  };
  const record = (entry: Omit<Asked, 'rejected'>): Asked => {
    const full = { ...entry, rejected: [] };
    asked.push(full);
    return full;
  };
  return {
    asked,
    async input(q) {
      const entry = record({ id: q.id, message: q.message, default: q.default });
      for (;;) {
        const next = take(q.id);
        const value = next === ENTER ? (q.default ?? '') : String(next);
        const problem = q.validate?.(value);
        if (problem === undefined) {
          entry.answer = value;
          return value;
        }
        entry.rejected.push(problem);
      }
    },
    async select<T>(q: { id: string; message: string; choices: ReadonlyArray<Choice<T>>; default?: T }) {
      const entry = record({ id: q.id, message: q.message, default: q.default, choices: q.choices.map((c) => c.name) });
      const next = take(q.id);
      const choice =
        next === ENTER
          ? (q.choices.find((c) => c.value === q.default) ?? q.choices[0])
          : q.choices.find((c) => c.name === next);
      if (!choice)
        throw new Error(
          `"${String(next)}" is not one of the choices of "${q.id}": ${q.choices.map((c) => c.name).join(', ')}`,
        );
      entry.answer = choice.name;
      return choice.value;
    },
    async confirm(q) {
      const entry = record({ id: q.id, message: q.message, default: q.default });
      const next = take(q.id);
      const value = next === ENTER ? (q.default ?? false) : Boolean(next);
      entry.answer = value;
      return value;
    },
  };
}
