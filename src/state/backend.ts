import { HmError } from '../errors.js';
import { STATE_VERSION, type State, StateSchema } from './schema.js';

/**
 * Where one environment's state lives, and how it is locked: a local file (`store.ts`, the
 * default) or an object on S3 (`s3-store.ts`, `--state s3://bucket/prefix`). Every command
 * works the same on either.
 */
export interface StateBackend {
  /** The state as messages name it: `.hm-infra/dev.json`, `s3://bucket/prefix/dev.json`. */
  readonly displayPath: string;
  /** Where the state is, as a machine reads it (the file path, or the s3:// URL). */
  readonly path: string;
  /** The recorded state, or undefined when there is none yet. */
  load(): Promise<State | undefined>;
  /** Writes a snapshot of `state`; concurrent calls are applied in order. */
  save(state: State): Promise<void>;
  /** Takes the lock for a run that writes; refused, naming the holder, while another run holds it. */
  lock(command: string): Promise<void>;
  /** Releases the lock taken by `lock` (after the last save); safe to call when none is held. */
  unlock(): Promise<void>;
  /** After a teardown: saves `state` without its secret, then moves it aside; returns where to. */
  archive(state: State, now?: Date): Promise<string>;
  /** Earlier teardowns of this state, newest first. */
  archives(): Promise<string[]>;
  /** A location as the user would type it, for messages. */
  display(path: string): string;
}

/**
 * The state parsed from its text, with the errors a damaged or too new state gets. `label`
 * names it in messages (`the state file .hm-infra/dev.json`), `restore` says where a good copy is.
 */
export function parseState(text: string, label: string, restore = 'Restore it from a backup or fix it by hand'): State {
  const corrupt = (why: string) =>
    new HmError('STATE_CORRUPT', `${label} is damaged: ${why}`, 'user', {
      hint: `It was left untouched. ${restore}; or move it aside and re-run \`hm-infra init\`, which adopts the resources it finds by name.`,
    });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw corrupt(`it is not valid JSON (${(err as Error).message})`);
  }
  const version = (json as { version?: unknown } | null)?.version;
  if (typeof version === 'number' && version > STATE_VERSION) {
    throw new HmError(
      'STATE_TOO_NEW',
      `${label} was written by a newer hm-infra (format ${version}; this one reads ${STATE_VERSION})`,
      'user',
      { hint: 'Upgrade hm-infra (npm install -g hm-infra@latest) and re-run.' },
    );
  }
  const parsed = StateSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw corrupt(`it does not match the expected format:\n  ${problems.join('\n  ')}`);
  }
  return parsed.data;
}

/** The state as it is written: one JSON document, stamped with the time of the write. */
export const stateText = (state: State, now: Date = new Date()) =>
  `${JSON.stringify({ ...state, updatedAt: now.toISOString() }, null, 2)}\n`;

/** The state without any secret (an archive after teardown). */
export function withoutSecrets(state: State): State {
  const resources = Object.fromEntries(
    Object.entries(state.resources).map(([id, { secret: _secret, ...record }]) => [id, record]),
  );
  return { ...state, resources };
}
