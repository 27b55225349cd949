import type { AccessKeyMetadata, IAMClient } from '@aws-sdk/client-iam';
import * as z from 'zod/mini';
import { awsErrorName, isInvalidKey } from '../../aws/errors.js';
import { IAM, STS } from '../../aws/sdk.js';
import { type ErrorMatch, attempt, retryOnce, unless, unlessNotFound } from '../../engine/resource.js';
import type { Change, Step, StepContext, StepId } from '../../engine/types.js';
import { HmError } from '../../errors.js';
import type { Secret } from '../../state/schema.js';
import { whileUserPropagates } from './user.js';

const outputsSchema = z.object({
  userName: z.string(),
  accessKeyId: z.string(),
  createdAt: z.nullable(z.string()),
  /** STS accepted the key: the app can use it. */
  verified: z.boolean(),
  /** Keys a rotation replaced that are deleted once the new key works. */
  retiring: z.array(z.string()),
  /** Someone deactivated the key: the app cannot use it (status reports it; --rotate-key replaces it). */
  inactive: z.optional(z.boolean()),
});
export type AccessKeyOutputs = z.infer<typeof outputsSchema>;

declare module '../../engine/types.js' {
  interface StepOutputs {
    'access-key': AccessKeyOutputs;
  }
}

interface KeyInfo {
  id: string;
  status: string;
  createdAt: string | null;
}

export interface AccessKeyObserved {
  userName: string;
  keys: KeyInfo[];
  /** The key whose secret the state file holds, when it still exists. */
  current: KeyInfo | undefined;
  /** Keys an interrupted run of this tool created but never saved: their secret is lost. */
  orphans: string[];
  /** Keys a rotation replaced and has not deleted yet. */
  retiring: string[];
  /** Keys this tool knows nothing about. */
  unknown: string[];
  verified: boolean;
}

/** What `init` waits for after creating a key: IAM keys take seconds to work everywhere. */
export interface KeyCheckTiming {
  intervalMs: number;
  timeoutMs: number;
}

const DEFAULT_TIMING: KeyCheckTiming = { intervalMs: 2_000, timeoutMs: 60_000 };

/** STS does not know the key yet: it answers as to any unknown key (some emulators: AuthFailure). */
const notYet: ErrorMatch = (err) => isInvalidKey(err) || awsErrorName(err) === 'AuthFailure';
const noSuchEntity: ErrorMatch = (err) => err instanceof IAM.NoSuchEntityException;
/** IAM's answer to a new access key when the user has two already. */
const noSlotLeft: ErrorMatch = (err) => err instanceof IAM.LimitExceededException;
/** The same answer to a create the SDK sent more than once: an attempt whose answer was lost may have made a key. */
const afterLostCreate: ErrorMatch = (err) =>
  err instanceof IAM.LimitExceededException && (err.$metadata.attempts ?? 1) >= 2;

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

async function listKeys(iam: IAMClient, userName: string): Promise<KeyInfo[]> {
  const keys: AccessKeyMetadata[] = [];
  for await (const page of IAM.paginateListAccessKeys({ client: iam }, { UserName: userName }))
    keys.push(...(page.AccessKeyMetadata ?? []));
  return keys
    .filter((k) => k.AccessKeyId)
    .map((k) => ({
      id: k.AccessKeyId as string,
      status: k.Status ?? 'Active',
      createdAt: k.CreateDate ? new Date(k.CreateDate).toISOString() : null,
    }));
}

/** The user's keys; a list that fails says whose keys it was listing. */
const userKeys = (ctx: StepContext, userName: string) =>
  attempt(() => listKeys(ctx.aws.iam(), userName), `list the access keys of IAM user ${userName}`);

const list = (ids: string[]) => ids.join(', ');

function unknownKeys(userName: string, ids: string[]): HmError {
  const them = ids.length === 1 ? 'an access key' : 'access keys';
  return new HmError(
    'IAM_KEY_UNKNOWN',
    `IAM user ${userName} already has ${them} (${list(ids)}) that this state file does not know; AWS shows a key's secret only once, so hm-infra cannot hand it to your app`,
    'user',
    {
      hint: "Re-run with --rotate-key: a new key is created and saved, and the old one is deactivated and deleted once the new one works (update your app's environment with `hm-infra print-env`). Or restore the state file that holds the key.",
    },
  );
}

function noRoomForKey(userName: string, ids: string[]): HmError {
  return new HmError(
    'IAM_KEY_LIMIT',
    `IAM user ${userName} already has two access keys (${list(ids)}), the most AWS allows, so no new key can be made`,
    'user',
    {
      hint: `Delete the key your app does not use (\`aws iam delete-access-key --user-name ${userName} --access-key-id <id>\`), then re-run with --rotate-key.`,
    },
  );
}

/**
 * Sorts the user's keys by what this tool knows of them (state's key, keys of an interrupted
 * create, keys a rotation replaced) and refuses to go on where a new key cannot be made
 * safely: keys state does not know (without --rotate-key), or no free slot.
 */
async function read(ctx: StepContext): Promise<AccessKeyObserved> {
  const userName = ctx.output('iam-user').name;
  const keys = await userKeys(ctx, userName);
  const recorded = ctx.recorded;
  const current = keys.find((k) => k.id === recorded?.secret?.accessKeyId);
  const exists = (id: string) => keys.some((k) => k.id === id) && id !== current?.id;
  const retiring = [
    ...new Set([...strings(recorded?.outputs['retiring']), ...strings(recorded?.intent?.['retiring'])]),
  ].filter(exists);
  const keysBefore = recorded?.intent?.['keysBefore'];
  // A key that appeared after this tool wrote its intent to create one (under the lock) is that create's.
  const orphans = Array.isArray(keysBefore)
    ? keys.map((k) => k.id).filter((id) => exists(id) && !keysBefore.includes(id) && !retiring.includes(id))
    : [];
  const unknown = keys.map((k) => k.id).filter((id) => exists(id) && !orphans.includes(id) && !retiring.includes(id));
  const verified =
    current !== undefined && recorded?.outputs['accessKeyId'] === current.id && recorded.outputs['verified'] === true;
  const observed = { userName, keys, current, orphans, retiring, unknown, verified };
  const creates = current === undefined || ctx.flags.rotateKey;
  if (current === undefined && unknown.length > 0 && !ctx.flags.rotateKey) throw unknownKeys(userName, unknown);
  const freed = orphans.length + (verified ? retiring.length : 0);
  if (creates && keys.length - freed >= 2)
    throw noRoomForKey(
      userName,
      keys.map((k) => k.id).filter((id) => !orphans.includes(id)),
    );
  if (current?.status === 'Inactive')
    ctx.report(`access key ${current.id} is inactive: the app cannot use it; re-run with --rotate-key for a new one`);
  if (current && unknown.length > 0)
    ctx.debug(`user ${userName} also has key(s) ${list(unknown)} that hm-infra did not make; they are left alone`);
  return observed;
}

function plan(ctx: StepContext, observed: AccessKeyObserved | undefined): Change[] {
  const note = 'the secret goes to the state file (0600) only; `hm-infra print-env` shows it on request';
  if (!observed) return [{ field: 'access-key', action: 'create', note }];
  const changes: Change[] = observed.orphans.map((id) => ({
    field: 'orphaned-key',
    action: 'delete',
    from: id,
    note: 'made by an interrupted run; its secret was never saved, so it cannot be used',
  }));
  for (const id of observed.retiring)
    changes.push({ field: 'old-key', action: 'delete', from: id, note: 'replaced by a rotation' });
  if (observed.current === undefined || ctx.flags.rotateKey) {
    changes.push({
      field: 'access-key',
      action: 'create',
      ...(observed.current ? { to: `replaces ${observed.current.id}` } : {}),
      note,
    });
    if (ctx.flags.rotateKey) {
      for (const id of [...(observed.current ? [observed.current.id] : []), ...observed.unknown]) {
        changes.push({
          field: 'old-key',
          action: 'delete',
          from: id,
          note: 'deactivated and deleted once the new key works (--rotate-key)',
        });
      }
    }
  } else if (!observed.verified) {
    changes.push({
      field: 'key-check',
      action: 'update',
      to: 'works',
      note: 'the key was made but not yet confirmed to work',
    });
  }
  return changes;
}

async function deleteKey(ctx: StepContext, userName: string, id: string, deactivateFirst: boolean): Promise<void> {
  const iam = ctx.aws.iam();
  // A key already gone counts as deleted.
  await unlessNotFound(
    async () => {
      if (deactivateFirst)
        await iam.send(new IAM.UpdateAccessKeyCommand({ UserName: userName, AccessKeyId: id, Status: 'Inactive' }));
      await iam.send(new IAM.DeleteAccessKeyCommand({ UserName: userName, AccessKeyId: id }));
    },
    noSuchEntity,
    `delete access key ${id} of IAM user ${userName}`,
  );
}

/**
 * Deletes the user's keys that are not `known`: keys a create made whose answer never arrived
 * (the SDK retried the call after a lost answer), so nobody has their secret. Returns how many.
 */
async function deleteLostKeys(ctx: StepContext, userName: string, known: string[]): Promise<number> {
  const keys = await userKeys(ctx, userName);
  const lost = keys.map((k) => k.id).filter((id) => !known.includes(id));
  for (const id of lost) {
    ctx.debug(`deleting access key ${id}: a create whose answer was lost made it, and its secret never arrived`);
    await deleteKey(ctx, userName, id, false);
  }
  return lost.length;
}

/**
 * Creates a key and saves its secret before anything else; a key that cannot be saved is
 * deleted again. `keysBefore` are the user's keys before the create (recorded as intent): when
 * the SDK had to retry the create, an attempt whose answer was lost may have made another key,
 * which is deleted (and when it took the last free slot, the create is tried once more).
 */
async function createKey(
  ctx: StepContext,
  userName: string,
  keysBefore: string[],
): Promise<{ secret: Secret; createdAt: string | null }> {
  const create = () =>
    whileUserPropagates(() => ctx.aws.iam().send(new IAM.CreateAccessKeyCommand({ UserName: userName })));
  const res = await unless(
    () =>
      // Only a create the SDK sent more than once can have made a key whose answer was lost: that
      // key is deleted and the create tried once more; when there was none, the answer stands.
      retryOnce(create, afterLostCreate, async () =>
        (await deleteLostKeys(ctx, userName, keysBefore)) === 0 ? undefined : create(),
      ),
    noSlotLeft,
    `create an access key for IAM user ${userName}`,
  );
  if (res === undefined)
    throw noRoomForKey(
      userName,
      (await userKeys(ctx, userName)).map((k) => k.id),
    );
  const key = res.AccessKey;
  if (!key?.AccessKeyId || !key.SecretAccessKey)
    throw new HmError('IAM_KEY_ANSWER', `IAM did not return the new access key of ${userName}`, 'aws');
  const secret: Secret = { accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey };
  try {
    await ctx.saveSecret(secret);
  } catch (err) {
    await deleteKey(ctx, userName, secret.accessKeyId, false).catch(() => undefined);
    throw new HmError(
      'STATE_SAVE_FAILED',
      `the new access key ${secret.accessKeyId} could not be saved to the state file, so it was deleted again`,
      'internal',
      {
        hint: `Fix what kept the state file from being written (${err instanceof Error ? err.message : String(err)}), then re-run.`,
      },
    );
  }
  if ((res.$metadata?.attempts ?? 1) > 1) await deleteLostKeys(ctx, userName, [...keysBefore, secret.accessKeyId]);
  return { secret, createdAt: key.CreateDate ? new Date(key.CreateDate).toISOString() : null };
}

/** Polls STS with the key until AWS accepts it, within the timing; false when it gave up. */
async function waitUntilWorks(ctx: StepContext, secret: Secret, timing: KeyCheckTiming): Promise<boolean> {
  const sts = ctx.aws.as(secret).sts();
  const started = Date.now();
  for (;;) {
    // STS answers as to a key it does not know until the key has reached it.
    const identity = await unlessNotFound(
      () => sts.send(new STS.GetCallerIdentityCommand({})),
      notYet,
      `check that access key ${secret.accessKeyId} works`,
    );
    if (identity !== undefined) return true;
    const elapsed = Date.now() - started;
    if (elapsed >= timing.timeoutMs) {
      ctx.report(
        `AWS does not accept access key ${secret.accessKeyId} yet after ${Math.round(elapsed / 1000)} s; it is saved, and the next run checks again`,
      );
      return false;
    }
    ctx.report(`waiting for AWS to accept the new access key (${Math.round(elapsed / 1000)} s)…`);
    await new Promise((resolve) => setTimeout(resolve, timing.intervalMs));
  }
}

/**
 * The app user's one access key. Made only when state holds none; never a third key; the
 * secret goes straight into state. A rotation makes the new key, saves it, waits until it
 * works, and only then deactivates and deletes the old ones, so the app is never without one.
 */
export function makeAccessKeyStep(options: {
  dependsOn: StepId[];
  timing?: KeyCheckTiming;
}): Step<AccessKeyObserved, AccessKeyOutputs> {
  const timing = options.timing ?? DEFAULT_TIMING;
  return {
    id: 'access-key',
    title: 'IAM access key',
    service: 'IAM',
    dependsOn: options.dependsOn,
    outputsSchema,
    read,
    plan,

    async apply(ctx, observed) {
      const obs = observed ?? (await read(ctx));
      const { userName } = obs;
      for (const id of obs.orphans) await deleteKey(ctx, userName, id, false);
      let { current, verified } = obs;
      let retiring = [...obs.retiring];
      if (current && verified && retiring.length > 0) {
        for (const id of retiring) await deleteKey(ctx, userName, id, true);
        retiring = [];
      }
      let secret = ctx.recorded?.secret?.accessKeyId === current?.id ? ctx.recorded?.secret : undefined;
      let type: 'created' | 'updated' = 'updated';
      if (current === undefined || ctx.flags.rotateKey) {
        const replaced = ctx.flags.rotateKey ? [...(current ? [current.id] : []), ...obs.unknown] : [];
        const remaining = obs.keys
          .map((k) => k.id)
          .filter((id) => !obs.orphans.includes(id) && (!verified || !obs.retiring.includes(id)));
        await ctx.intend({ keysBefore: remaining, retiring: [...retiring, ...replaced] });
        const made = await createKey(ctx, userName, remaining);
        if (current === undefined) type = 'created';
        secret = made.secret;
        current = { id: made.secret.accessKeyId, status: 'Active', createdAt: made.createdAt };
        retiring = [...retiring, ...replaced];
        verified = false;
      }
      if (!verified && secret) verified = await waitUntilWorks(ctx, secret, timing);
      if (verified && retiring.length > 0) {
        for (const id of retiring) await deleteKey(ctx, userName, id, true);
        retiring = [];
      }
      if (!current) throw new HmError('IAM_KEY_STATE', 'no access key after the access key step', 'internal');
      return { type, outputs: { userName, accessKeyId: current.id, createdAt: current.createdAt, verified, retiring } };
    },

    outputs: (_ctx, observed) => ({
      userName: observed.userName,
      accessKeyId: observed.current?.id ?? '',
      createdAt: observed.current?.createdAt ?? null,
      verified: observed.verified,
      retiring: observed.retiring,
      ...(observed.current?.status === 'Inactive' ? { inactive: true } : {}),
    }),

    async destroy(ctx, recorded) {
      for (const id of [recorded.accessKeyId, ...recorded.retiring]) await deleteKey(ctx, recorded.userName, id, false);
    },
  };
}
