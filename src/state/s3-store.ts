import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { S3Client } from '@aws-sdk/client-s3';
import { awsErrorName, httpStatus, toHmError } from '../aws/errors.js';
import { S3 } from '../aws/sdk.js';
import { HmError } from '../errors.js';
import { type StateBackend, parseState, stateText, withoutSecrets } from './backend.js';
import type { State } from './schema.js';

/** `s3://bucket/prefix`: where an environment's state is kept, as `<prefix>/<env>.json`. */
export interface S3Location {
  bucket: string;
  /** Without leading or trailing slash; '' for the bucket's top. */
  prefix: string;
}

/** What the store needs of AWS, made only when it is first used (commands that stay local never load the SDK). */
export interface S3StateAccess {
  s3: S3Client;
  /** The caller's ARN, written into the lock. */
  whoAmI(): Promise<string>;
}

/** What the lock object holds: enough for a refused run to name the holder, and to unlock it by id. */
export interface LockRecord {
  lockId: string;
  who: string;
  host: string;
  pid: number;
  command: string;
  startedAt: string;
}

/** How long a conflicting conditional write (409 ConditionalRequestConflict) is waited for before trying again. */
const CONFLICT_RETRY_MS = 200;
const CONFLICT_RETRIES = 5;

const isCode = (err: unknown, code: string) => awsErrorName(err) === code;
/** S3 answers a failed precondition (If-None-Match on an existing key, a stale If-Match) with 412. */
const preconditionFailed = (err: unknown) => isCode(err, 'PreconditionFailed') || httpStatus(err) === 412;
/** Two conditional writes to one key at the same moment: S3 answers one of them 409; try it again. */
const conflicted = (err: unknown) => isCode(err, 'ConditionalRequestConflict') || httpStatus(err) === 409;
const noSuchKey = (err: unknown) => err instanceof S3.NoSuchKey || isCode(err, 'NoSuchKey');

export const stateKey = (location: S3Location, env: string) =>
  `${location.prefix ? `${location.prefix}/` : ''}${env}.json`;
export const lockKey = (location: S3Location, env: string) =>
  `${location.prefix ? `${location.prefix}/` : ''}${env}.lock`;

/** How long ago, in words: `4 min`, `2 h 5 min`. */
export function heldFor(startedAt: string, now: number): string {
  const minutes = Math.max(0, Math.round((now - Date.parse(startedAt)) / 60_000));
  if (Number.isNaN(minutes)) return 'an unknown time';
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** A conditional write, tried again while S3 answers that another conditional write to the key is in flight. */
async function conditional<T>(write: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await write();
    } catch (err) {
      if (!conflicted(err) || attempt >= CONFLICT_RETRIES) throw err;
      await new Promise((resolve) => setTimeout(resolve, CONFLICT_RETRY_MS * attempt));
    }
  }
}

/**
 * One environment's state as an object on S3 (a versioned bucket: `hm-infra state setup`).
 *
 * - **Lock:** `<prefix>/<env>.lock`, created with `If-None-Match: *`, so of two runs exactly
 *   one gets it; it holds who, where, which command and since when, and a lock id. A refused
 *   run names all of that. It is deleted at the end (failure and Ctrl-C included), only while
 *   it is still ours; a run that died leaves it, for `hm-infra state unlock <lock-id>`.
 * - **Writes:** every save is a PutObject with `If-Match` on the ETag this run last read or
 *   wrote (`If-None-Match: *` for the first), so a second writer (after a forced unlock) can
 *   never overwrite the first: 412, the run stops, nothing is lost. A save whose content has not
 *   changed is not sent. Saves are serialised, so the object is always one whole snapshot.
 */
export class S3StateStore implements StateBackend {
  readonly path: string;
  private etag: string | undefined;
  /** The text last written or read, without its timestamp: an unchanged save is not sent. */
  private lastContent: string | undefined;
  private queue: Promise<void> = Promise.resolve();
  private heldLock: (LockRecord & { etag: string | undefined }) | undefined;
  private conflict: HmError | undefined;
  private access: Promise<S3StateAccess> | undefined;

  constructor(
    readonly location: S3Location,
    readonly env: string,
    private readonly connect: () => Promise<S3StateAccess>,
    private readonly options: { kmsKeyId?: string | undefined; now?: () => number } = {},
  ) {
    this.path = `s3://${location.bucket}/${stateKey(location, env)}`;
  }

  get displayPath(): string {
    return this.path;
  }

  display(path: string): string {
    return path;
  }

  private aws(): Promise<S3StateAccess> {
    this.access ??= this.connect();
    return this.access;
  }

  /** The S3 access of this store, for listing the environments beside it (`state list`). */
  accessForListing(): Promise<S3StateAccess> {
    return this.aws();
  }

  private get key(): string {
    return stateKey(this.location, this.env);
  }

  private get lockObject(): string {
    return lockKey(this.location, this.env);
  }

  private encryption() {
    return this.options.kmsKeyId !== undefined
      ? { ServerSideEncryption: 'aws:kms' as const, SSEKMSKeyId: this.options.kmsKeyId }
      : { ServerSideEncryption: 'AES256' as const };
  }

  private fail(err: unknown, doing: string): HmError {
    if (err instanceof HmError) return err;
    if (awsErrorName(err) === 'NoSuchBucket')
      return new HmError('STATE_UNREADABLE', `the state bucket ${this.location.bucket} does not exist`, 'user', {
        hint: `Create it with \`hm-infra state setup --bucket ${this.location.bucket}\`, or check --state.`,
        cause: err,
      });
    return toHmError(err, doing);
  }

  async load(): Promise<State | undefined> {
    const { s3 } = await this.aws();
    let text: string;
    try {
      const res = await s3.send(new S3.GetObjectCommand({ Bucket: this.location.bucket, Key: this.key }));
      text = (await res.Body?.transformToString('utf8')) ?? '';
      this.etag = res.ETag;
    } catch (err) {
      if (noSuchKey(err)) {
        this.etag = undefined;
        return undefined;
      }
      throw this.fail(err, `read the state ${this.path}`);
    }
    const state = parseState(
      text,
      `the state ${this.path}`,
      'Restore an earlier version of the object (the state bucket is versioned)',
    );
    this.lastContent = stateText(state, new Date(0));
    return state;
  }

  save(state: State): Promise<void> {
    const next = this.queue.then(() => this.write(state));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async write(state: State): Promise<void> {
    if (this.conflict) throw this.conflict;
    const content = stateText(state, new Date(0));
    if (content === this.lastContent) return;
    const { s3 } = await this.aws();
    const body = stateText(state);
    try {
      const res = await conditional(() =>
        s3.send(
          new S3.PutObjectCommand({
            Bucket: this.location.bucket,
            Key: this.key,
            Body: body,
            ContentType: 'application/json',
            ...(this.etag !== undefined ? { IfMatch: this.etag } : { IfNoneMatch: '*' }),
            ...this.encryption(),
          }),
        ),
      );
      this.etag = res.ETag;
      this.lastContent = content;
    } catch (err) {
      if (preconditionFailed(err)) {
        this.conflict = new HmError(
          'STATE_CONFLICT',
          `the state ${this.path} was written by someone else since this run read it; it was not overwritten, and this run stops here`,
          'aws',
          {
            hint: 'Another run wrote it (after its lock was removed by `hm-infra state unlock`?). Every write is kept as a version of the object; let that run finish, then re-run this command.',
            cause: err,
          },
        );
        throw this.conflict;
      }
      throw this.fail(err, `write the state ${this.path}`);
    }
  }

  async lock(command: string): Promise<void> {
    const { s3, whoAmI } = await this.aws();
    const record: LockRecord = {
      lockId: randomUUID(),
      who: await whoAmI().catch(() => 'unknown'),
      host: hostname(),
      pid: process.pid,
      command,
      startedAt: new Date(this.options.now?.() ?? Date.now()).toISOString(),
    };
    let etag: string | undefined;
    try {
      const res = await conditional(() =>
        s3.send(
          new S3.PutObjectCommand({
            Bucket: this.location.bucket,
            Key: this.lockObject,
            Body: JSON.stringify(record),
            ContentType: 'application/json',
            IfNoneMatch: '*',
            ...this.encryption(),
          }),
        ),
      );
      etag = res.ETag;
    } catch (err) {
      if (preconditionFailed(err)) throw this.locked(await this.readLock().catch(() => undefined));
      throw this.fail(err, `take the lock ${this.lockUrl}`);
    }
    this.heldLock = { ...record, etag };
  }

  private get lockUrl(): string {
    return `s3://${this.location.bucket}/${this.lockObject}`;
  }

  /** The lock object's record, or undefined when there is no lock. */
  async readLock(): Promise<LockRecord | undefined> {
    const { s3 } = await this.aws();
    try {
      const res = await s3.send(new S3.GetObjectCommand({ Bucket: this.location.bucket, Key: this.lockObject }));
      return JSON.parse((await res.Body?.transformToString('utf8')) ?? '{}') as LockRecord;
    } catch (err) {
      if (noSuchKey(err)) return undefined;
      if (err instanceof SyntaxError) return { lockId: '?', who: '?', host: '?', pid: 0, command: '?', startedAt: '' };
      throw this.fail(err, `read the lock ${this.lockUrl}`);
    }
  }

  /** Deletes the lock object: only `lockId`'s (a forced unlock names the one it removes). */
  async removeLock(lockId: string): Promise<'removed' | 'none' | LockRecord> {
    const current = await this.readLock();
    if (!current) return 'none';
    if (current.lockId !== lockId) return current;
    const { s3 } = await this.aws();
    await s3
      .send(new S3.DeleteObjectCommand({ Bucket: this.location.bucket, Key: this.lockObject }))
      .catch((err: unknown) => {
        throw this.fail(err, `remove the lock ${this.lockUrl}`);
      });
    return 'removed';
  }

  async unlock(): Promise<void> {
    const held = this.heldLock;
    if (!held) return;
    this.heldLock = undefined;
    await this.queue.catch(() => undefined);
    // Only while it is still ours: after a forced unlock another run may hold it now. A delete
    // conditional on the lock's ETag says so in one call (412: it is someone else's; 404: gone).
    if (held.etag === undefined) {
      await this.removeLock(held.lockId).catch(() => undefined);
      return;
    }
    const { s3 } = await this.aws();
    await s3
      .send(new S3.DeleteObjectCommand({ Bucket: this.location.bucket, Key: this.lockObject, IfMatch: held.etag }))
      .catch(() => undefined);
  }

  private locked(holder: LockRecord | undefined): HmError {
    const now = this.options.now?.() ?? Date.now();
    const who = holder
      ? `\`hm-infra ${holder.command}\` of ${holder.who} (pid ${holder.pid} on ${holder.host}, started ${holder.startedAt}, held for ${heldFor(holder.startedAt, now)}; lock id ${holder.lockId})`
      : 'another run (it has just finished, or its lock cannot be read)';
    return new HmError('STATE_LOCKED', `${this.path} is locked by ${who}`, 'user', {
      exitCode: 1,
      hint: holder
        ? `Wait for that run to finish and re-run. If it died (a killed CI job), remove its lock: \`hm-infra state unlock ${holder.lockId} --env ${this.env} --state s3://${this.location.bucket}/${this.location.prefix}\`.`
        : 'Re-run in a moment.',
    });
  }

  /** The name of an archive: `<prefix>/<env>.destroyed-<time>.json`. */
  private archiveKey(now: Date): string {
    const stamp = now.toISOString().replace(/[:.]/g, '-');
    return `${this.location.prefix ? `${this.location.prefix}/` : ''}${this.env}.destroyed-${stamp}.json`;
  }

  async archive(state: State, now: Date = new Date()): Promise<string> {
    const final = withoutSecrets(state);
    // The last save, under If-Match: a run that lost the state to another stops here.
    await this.save(final);
    await this.queue;
    if (this.conflict) throw this.conflict;
    const { s3 } = await this.aws();
    const target = this.archiveKey(now);
    try {
      await s3.send(
        new S3.PutObjectCommand({
          Bucket: this.location.bucket,
          Key: target,
          Body: stateText(final),
          ContentType: 'application/json',
          IfNoneMatch: '*',
          ...this.encryption(),
        }),
      );
      await s3.send(new S3.DeleteObjectCommand({ Bucket: this.location.bucket, Key: this.key }));
    } catch (err) {
      throw this.fail(err, `archive the state ${this.path}`);
    }
    this.etag = undefined;
    this.lastContent = undefined;
    return `s3://${this.location.bucket}/${target}`;
  }

  async archives(): Promise<string[]> {
    const { s3 } = await this.aws();
    const prefix = `${this.location.prefix ? `${this.location.prefix}/` : ''}${this.env}.destroyed-`;
    const keys: string[] = [];
    try {
      for await (const page of S3.paginateListObjectsV2(
        { client: s3 },
        { Bucket: this.location.bucket, Prefix: prefix },
      ))
        keys.push(...(page.Contents ?? []).map((o) => o.Key ?? '').filter((k) => k.endsWith('.json')));
    } catch (err) {
      throw this.fail(err, `list ${prefix}* in ${this.location.bucket}`);
    }
    return keys
      .sort()
      .reverse()
      .map((k) => `s3://${this.location.bucket}/${k}`);
  }
}

/** `s3://bucket/prefix` parsed; a problem in words when it is not one. */
export function parseS3Location(
  value: string,
  checkBucket: (name: string) => string | undefined,
): S3Location | { problem: string } {
  const match = /^s3:\/\/([^/]*)\/?(.*)$/.exec(value);
  if (!match)
    return { problem: `--state "${value}" is not an s3:// location: use s3://<bucket>/<prefix>, or a file path` };
  const bucket = match[1] ?? '';
  const prefix = (match[2] ?? '').replace(/\/+$/, '');
  const bucketProblem = bucket === '' ? 'it names no bucket' : checkBucket(bucket);
  if (bucketProblem)
    return {
      problem: `--state "${value}": the bucket is not valid (${bucketProblem.replace(/^[^:]*: /, '')}); use s3://<bucket>/<prefix>, for example s3://acme-hm-infra-state/hm-infra`,
    };
  if (prefix !== '' && prefix.split('/').some((part) => part === '..' || part === '.' || part === ''))
    return {
      problem: `--state "${value}": the prefix "${prefix}" may not contain "..", "." or "//"; use one such as hm-infra or teams/web`,
    };
  return { bucket, prefix };
}

/** One environment's state found under a prefix. */
export interface ListedState {
  environment: string;
  url: string;
  accountId: string | null;
  region: string | undefined;
  app: string | undefined;
  /** When the object was last written. */
  lastWrite: string | undefined;
  /** A run holds its lock now. */
  locked: boolean;
}

/** The environments whose state is kept under `location` (`<prefix>/<env>.json`), with who they belong to. */
export async function listStates(location: S3Location, access: S3StateAccess): Promise<ListedState[]> {
  const head = location.prefix ? `${location.prefix}/` : '';
  const keys: Array<{ key: string; lastModified: Date | undefined }> = [];
  const locks = new Set<string>();
  for await (const page of S3.paginateListObjectsV2(
    { client: access.s3 },
    { Bucket: location.bucket, Prefix: head, Delimiter: '/' },
  )) {
    for (const object of page.Contents ?? []) {
      const name = (object.Key ?? '').slice(head.length);
      if (/^[^/]+\.lock$/.test(name)) locks.add(name.slice(0, -'.lock'.length));
      else if (/^[^/]+\.json$/.test(name) && !name.includes('.destroyed-'))
        keys.push({ key: object.Key ?? '', lastModified: object.LastModified });
    }
  }
  return Promise.all(
    keys.map(async ({ key, lastModified }) => {
      const environment = key.slice(head.length, -'.json'.length);
      const res = await access.s3.send(new S3.GetObjectCommand({ Bucket: location.bucket, Key: key }));
      let state: Partial<State> = {};
      try {
        state = JSON.parse((await res.Body?.transformToString('utf8')) ?? '{}') as Partial<State>;
      } catch (err) {
        if (!(err instanceof SyntaxError)) throw err;
      }
      return {
        environment,
        url: `s3://${location.bucket}/${key}`,
        accountId: state.accountId ?? null,
        region: state.region,
        app: state.app,
        lastWrite: lastModified?.toISOString() ?? state.updatedAt,
        locked: locks.has(environment),
      };
    }),
  );
}
