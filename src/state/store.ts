import { hostname } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { chmod, mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { HmError } from '../errors.js';
import { type StateBackend, parseState, stateText, withoutSecrets } from './backend.js';
import type { State } from './schema.js';

export const STATE_DIR = '.hm-infra';

/** `.hm-infra/<env>.json` under the working directory, unless `--state` names another file. */
export function statePathFor(env: string, override?: string, cwd: string = process.cwd()): string {
  return override !== undefined ? resolve(cwd, override) : join(cwd, STATE_DIR, `${env}.json`);
}

/** Who holds the lock, written beside it so a refused run can name the holder. */
interface LockHolder {
  pid: number;
  host: string;
  command: string;
  startedAt: string;
}

/** A lock whose holder has not refreshed it for this long is stale (the holder died). */
const STALE_MS = 15_000;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * Loads, saves and locks one state file. Saves are atomic (temp file, fsync, rename) and
 * serialised, so the file on disk is always one whole snapshot; a file that fails to parse
 * is reported and never overwritten.
 */
export class StateStore implements StateBackend {
  readonly path: string;
  private queue: Promise<void> = Promise.resolve();
  private lostLock: Error | undefined;
  private release: (() => Promise<void>) | undefined;

  /** The directory paths in messages are relative to (the command's working directory). */
  private readonly cwd: string;

  constructor(path: string, cwd: string = process.cwd()) {
    this.path = path;
    this.cwd = cwd;
  }

  /** The path as the user would type it, for messages. */
  get displayPath(): string {
    return this.display(this.path);
  }

  private get lockPath(): string {
    return `${this.path}.lock`;
  }

  private get holderPath(): string {
    return `${this.path}.lock-holder`;
  }

  /** The recorded state, or undefined when there is no state file yet. */
  async load(): Promise<State | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if (errno(err) === 'ENOENT') return undefined;
      throw new HmError(
        'STATE_UNREADABLE',
        `cannot read the state file ${this.displayPath}: ${(err as Error).message}`,
        'user',
        {
          hint: 'Check the file permissions, or pass another file with --state.',
        },
      );
    }
    return parseState(text, `the state file ${this.displayPath}`);
  }

  /** Writes a snapshot of `state` atomically; concurrent calls are applied in order. */
  save(state: State): Promise<void> {
    const text = stateText(state);
    const next = this.queue.then(() => this.write(text));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async write(text: string): Promise<void> {
    if (this.lostLock) {
      throw new HmError(
        'STATE_LOCK_LOST',
        `the lock on ${this.displayPath} was lost (${this.lostLock.message}); nothing more is written`,
        'internal',
        {
          hint: 'Make sure no other hm-infra run uses this environment, then re-run.',
        },
      );
    }
    await this.ensureDir();
    // Loaded on first save: commands that only read state (print-env) start faster without it.
    const { default: writeFileAtomic } = await import('write-file-atomic');
    await writeFileAtomic(this.path, text, { mode: 0o600, fsync: true });
  }

  /** Creates the state folder 0700 with a `.gitignore`, the state holds a secret key. */
  private async ensureDir(): Promise<void> {
    const dir = dirname(this.path);
    let created = false;
    try {
      await stat(dir);
    } catch (err) {
      if (errno(err) !== 'ENOENT') throw err;
      await mkdir(dir, { recursive: true, mode: 0o700 });
      created = true;
    }
    // Only a folder this tool owns is tightened; a user's own folder (--state ./x.json) is not touched.
    if (created || basename(dir) === STATE_DIR) {
      await chmod(dir, 0o700);
      const gitignore = join(dir, '.gitignore');
      try {
        await writeFile(gitignore, '# hm-infra state: holds an AWS secret key, never commit it\n*\n', {
          flag: 'wx',
          mode: 0o600,
        });
      } catch (err) {
        if (errno(err) !== 'EEXIST') throw err;
      }
    }
  }

  /**
   * Takes the lock for a run that writes. A second run is refused with the holder's pid,
   * host and command; a lock left by a process that died on this host is taken over.
   */
  async lock(command: string): Promise<void> {
    await this.ensureDir();
    const { default: lockfile } = await import('proper-lockfile');
    const acquire = () =>
      lockfile.lock(this.path, {
        realpath: false,
        lockfilePath: this.lockPath,
        stale: STALE_MS,
        update: STALE_MS / 3,
        retries: 0,
        onCompromised: (err) => {
          this.lostLock = err;
        },
      });
    try {
      this.release = await acquire();
    } catch (err) {
      if (errno(err) !== 'ELOCKED') throw err;
      const holder = await this.holderOfLock();
      if (holder && holder.host === hostname() && !isAlive(holder.pid)) {
        await rm(this.lockPath, { recursive: true, force: true });
        this.release = await acquire().catch(() => {
          throw this.locked(holder);
        });
      } else {
        throw this.locked(holder);
      }
    }
    const holder: LockHolder = { pid: process.pid, host: hostname(), command, startedAt: new Date().toISOString() };
    await writeFile(this.holderPath, JSON.stringify(holder), { mode: 0o600 });
  }

  /** Releases the lock taken by `lock`; safe to call when none is held. */
  async unlock(): Promise<void> {
    const release = this.release;
    if (!release) return;
    this.release = undefined;
    await this.queue;
    await rm(this.holderPath, { force: true });
    await release().catch(() => undefined);
  }

  /**
   * Who holds the lock. Its holder writes that a moment after taking the lock, so a run refused
   * in between waits briefly for it (up to half a second) rather than naming no one.
   */
  private async holderOfLock(): Promise<LockHolder | undefined> {
    for (let attempt = 0; ; attempt += 1) {
      const holder = await this.readHolder();
      if (holder !== undefined || attempt >= 10) return holder;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  private async readHolder(): Promise<LockHolder | undefined> {
    try {
      return JSON.parse(await readFile(this.holderPath, 'utf8')) as LockHolder;
    } catch {
      return undefined;
    }
  }

  /** The name an environment's state gets once it is torn down: `<env>.destroyed-<time>.json`. */
  archivePath(now: Date = new Date(), attempt = 0): string {
    const stamp = now.toISOString().replace(/[:.]/g, '-');
    return join(
      dirname(this.path),
      `${basename(this.path, '.json')}.destroyed-${stamp}${attempt > 0 ? `-${attempt}` : ''}.json`,
    );
  }

  /**
   * After a teardown: saves `state` one last time without any secret, then moves the file
   * aside (same folder, so the rename is atomic). Returns the new path.
   */
  async archive(state: State, now: Date = new Date()): Promise<string> {
    await this.save(withoutSecrets(state));
    await this.queue;
    // Never over an earlier archive: two teardowns in one millisecond get distinct names.
    for (let attempt = 0; ; attempt += 1) {
      const target = this.archivePath(now, attempt);
      const taken = await stat(target).then(
        () => true,
        () => false,
      );
      if (taken) continue;
      await rename(this.path, target);
      return target;
    }
  }

  /** Earlier teardowns of this state file, newest first (their archived names). */
  async archives(): Promise<string[]> {
    const prefix = `${basename(this.path, '.json')}.destroyed-`;
    try {
      const names = (await readdir(dirname(this.path))).filter((n) => n.startsWith(prefix) && n.endsWith('.json'));
      return names
        .sort()
        .reverse()
        .map((n) => join(dirname(this.path), n));
    } catch (err) {
      if (errno(err) === 'ENOENT') return [];
      throw err;
    }
  }

  /** A path as the user would type it, for messages. */
  display(path: string): string {
    const rel = relative(this.cwd, path);
    return rel.startsWith('..') ? path : rel;
  }

  private locked(holder: LockHolder | undefined): HmError {
    const who = holder
      ? `\`hm-infra ${holder.command}\` (pid ${holder.pid} on ${holder.host}, started ${holder.startedAt})`
      : 'another process';
    return new HmError('STATE_LOCKED', `${this.displayPath} is locked by ${who}`, 'user', {
      exitCode: 1,
      hint: `Wait for that run to finish and re-run. A lock whose process has died expires after ${STALE_MS / 1000} s.`,
    });
  }
}
