/**
 * Team state on S3 over the wire: two working folders (two teammates, or a shell and CI) share
 * one environment through `--state s3://…` against moto, which implements S3's conditional
 * writes (If-None-Match, If-Match on PutObject).
 */
import {
  GetBucketVersioningCommand,
  GetObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type World, givenProjectDir, hmInfra, printed, startWorld, writeConfig } from './support.js';

const app = `ts${Date.now().toString(36)}`;
const stateBucket = `${app}-state`;
const STATE = `s3://${stateBucket}/teams/web`;
const KEY = 'teams/web/dev.json';
const LOCK = 'teams/web/dev.lock';

let world: World;
let alice: string;
let bob: string;

const stateObject = async () => {
  const res = await world.s3.send(new GetObjectCommand({ Bucket: stateBucket, Key: KEY }));
  return JSON.parse((await res.Body?.transformToString()) ?? '{}') as { resources: Record<string, unknown> };
};
const exists = (key: string) =>
  world.s3.send(new GetObjectCommand({ Bucket: stateBucket, Key: key })).then(
    () => true,
    () => false,
  );

beforeAll(async () => {
  world = await startWorld();
  alice = await givenProjectDir();
  bob = await givenProjectDir();
  for (const dir of [alice, bob])
    await writeConfig(dir, { app, domain: `${app}.example.com`, region: 'us-east-1', cdn: false, state: STATE });
});

afterAll(async () => {
  await world?.stop();
});

describe('two folders share one environment through --state s3://…', () => {
  it('state setup makes the state bucket (versioned, encrypted, private, TLS only); a second run writes nothing', async () => {
    const first = await hmInfra(world, alice, ['state', 'setup', '--bucket', stateBucket, '--prefix', 'teams/web']);
    expect(first.code, printed(first)).toBe(0);
    expect(first.stdout).toContain(`--state ${STATE}`);
    expect((await world.s3.send(new GetBucketVersioningCommand({ Bucket: stateBucket }))).Status).toBe('Enabled');
    world.harness.reset();
    const again = await hmInfra(world, alice, ['state', 'setup', '--bucket', stateBucket, '--prefix', 'teams/web']);
    expect(again.code, printed(again)).toBe(0);
    expect(world.harness.writes()).toEqual([]);
  });

  it('one sets it up; the other plans, prints env and sees it in sync; no lock is left', async () => {
    const up = await hmInfra(world, alice, ['init', '--yes', '--config', 'hm-infra.json']);
    expect(up.code, printed(up)).toBe(0);
    expect(Object.keys((await stateObject()).resources)).toContain('access-key');
    expect(await exists(LOCK)).toBe(false);
    // WHEN
    const plan = await hmInfra(world, bob, ['plan', '--json', '--state', STATE]);
    const env = await hmInfra(world, bob, ['print-env', '--state', STATE]);
    // THEN
    expect(plan.code, printed(plan)).toBe(0);
    expect(JSON.parse(plan.stdout).summary).toMatchObject({ create: 0, update: 0 });
    expect(env.code, printed(env)).toBe(0);
    expect(env.stdout).toContain(`S3_BUCKET_NAME=${app}-uploads-dev`);
  });

  it('a no-op init writes nothing, not even the state', async () => {
    world.harness.reset();
    const run = await hmInfra(world, bob, ['init', '--yes', '--config', 'hm-infra.json']);
    expect(run.code, printed(run)).toBe(0);
    // Only the lock is written (and removed): the state object is not sent again.
    expect(world.harness.writes().map((r) => `${r.service}:${r.operation}`)).toEqual([
      's3:PutObject',
      's3:DeleteObject',
    ]);
  });

  it('of two concurrent inits exactly one runs; the other is refused naming the holder and lock id', async () => {
    // WHEN
    const [a, b] = await Promise.all([
      hmInfra(world, alice, ['init', '--yes', '--config', 'hm-infra.json']),
      hmInfra(world, bob, ['init', '--yes', '--config', 'hm-infra.json']),
    ]);
    // THEN
    expect([a.code, b.code].sort(), `${printed(a)}\n${printed(b)}`).toEqual([0, 1]);
    const refused = a.code === 1 ? a : b;
    expect(refused.stderr).toMatch(/dev\.json is locked by `hm-infra init` of .+; lock id [0-9a-f-]{36}\)/);
    expect(await exists(LOCK)).toBe(false);
  });

  it('a lock left by a killed run is named, and state unlock <id> removes it', async () => {
    const lockId = '0b7c6f2e-1a1b-4c4d-9e9f-000000000001';
    await world.s3.send(
      new PutObjectCommand({
        Bucket: stateBucket,
        Key: LOCK,
        Body: JSON.stringify({
          lockId,
          who: 'arn:aws:sts::123456789012:assumed-role/ci/job-9',
          host: 'runner',
          pid: 99,
          command: 'init',
          startedAt: new Date().toISOString(),
        }),
      }),
    );
    const refused = await hmInfra(world, alice, ['init', '--yes', '--config', 'hm-infra.json']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`lock id ${lockId}`);
    // WHEN
    const unlock = await hmInfra(world, bob, ['state', 'unlock', lockId, '--yes', '--state', STATE]);
    const again = await hmInfra(world, alice, ['init', '--yes', '--config', 'hm-infra.json']);
    // THEN
    expect(unlock.code, printed(unlock)).toBe(0);
    expect(again.code, printed(again)).toBe(0);
  });

  it('the other folder tears it down; every write of the state is kept as a version', async () => {
    const run = await hmInfra(world, bob, ['teardown', '--yes', '--force', '--state', STATE]);
    expect(run.code, printed(run)).toBe(0);
    expect(await exists(KEY)).toBe(false);
    const versions = await world.s3.send(new ListObjectVersionsCommand({ Bucket: stateBucket, Prefix: KEY }));
    expect((versions.Versions ?? []).length).toBeGreaterThan(5);
    const list = await hmInfra(world, alice, ['state', 'list', '--json', '--state', STATE]);
    expect(JSON.parse(list.stdout).environments).toEqual([]);
  });
});
