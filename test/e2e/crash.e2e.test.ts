/**
 * Safe to interrupt, safe to re-run, over the wire: init killed with SIGKILL at several points
 * (before a write reaches AWS, and just after AWS made it but before the answer arrived), then
 * run again; and init with a fifth of all requests failing (5xx, throttling, connection resets
 * before and after AWS acted). Each ends with one of everything and a valid state file.
 */
import type { ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { paginateListDistributions, paginateListOriginAccessControls } from '@aws-sdk/client-cloudfront';
import { ListAccessKeysCommand, paginateListUsers } from '@aws-sdk/client-iam';
import { CreateHostedZoneCommand, ListResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaultOptions, LoggedRequest } from './harness/proxy.js';
import {
  type World,
  REGION,
  givenProjectDir,
  hmInfra,
  printed,
  readState,
  startWorld,
  writeConfig,
} from './support.js';

let world: World;
let runs = 0;

beforeAll(async () => {
  world = await startWorld();
});

afterAll(async () => {
  await world?.stop();
});

/** A new app with its own zone and project directory. */
async function givenApp() {
  runs += 1;
  const app = `crash${Date.now().toString(36)}${runs}`;
  const domain = `${app}.example.com`;
  const dir = await givenProjectDir();
  const zone = await world.route53.send(new CreateHostedZoneCommand({ Name: domain, CallerReference: `${app}-zone` }));
  await writeConfig(dir, { app, domain, region: REGION, cdn: true, email: true });
  return { app, domain, dir, zoneId: (zone.HostedZone?.Id ?? '').replace('/hostedzone/', '') };
}

/** Every item of every page (an emulator that has served many runs holds more than one page). */
async function all<P, T>(pages: AsyncIterable<P>, items: (page: P) => T[] | undefined): Promise<T[]> {
  const found: T[] = [];
  for await (const page of pages) found.push(...(items(page) ?? []));
  return found;
}

const init = (dir: string, options: { started?: (child: ChildProcess) => void } = {}) =>
  hmInfra(world, dir, ['init', '--yes', '--config', 'hm-infra.json'], options);

/** One of everything the app should have, and nothing twice. */
async function expectOneOfEverything(app: string, dir: string, zoneId: string) {
  const distributions = (
    await all(paginateListDistributions({ client: world.cloudfront }, {}), (p) => p.DistributionList?.Items)
  ).filter((d) => d.Comment?.includes(app));
  expect(distributions, 'distributions').toHaveLength(1);
  const oacs = (
    await all(
      paginateListOriginAccessControls({ client: world.cloudfront }, {}),
      (p) => p.OriginAccessControlList?.Items,
    )
  ).filter((o) => o.Name?.startsWith(`${app}-`));
  expect(oacs, 'origin access controls').toHaveLength(1);
  const users = (await all(paginateListUsers({ client: world.iam }, {}), (p) => p.Users)).filter((u) =>
    u.UserName?.startsWith(`${app}-`),
  );
  expect(users.map((u) => u.UserName)).toEqual([`${app}-app-dev`]);
  const keys =
    (await world.iam.send(new ListAccessKeysCommand({ UserName: `${app}-app-dev` }))).AccessKeyMetadata ?? [];
  // The state file is whole, and holds the one key there is.
  const text = await readFile(join(dir, '.hm-infra', 'dev.json'), 'utf8');
  const state = JSON.parse(text) as Awaited<ReturnType<typeof readState>>;
  expect(keys.map((k) => k.AccessKeyId)).toEqual([state.resources['access-key']?.secret?.accessKeyId]);
  expect(state.resources['distribution']?.outputs['id']).toBe(distributions[0]?.Id);
  const sets =
    (await world.route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }))).ResourceRecordSets ?? [];
  expect(sets.filter((s) => s.Type === 'CNAME' && s.Name?.includes('._domainkey.'))).toHaveLength(3);
  expect(
    sets
      .filter((s) => s.Name?.startsWith('mail.'))
      .map((s) => s.Type)
      .sort(),
  ).toEqual(['MX', 'TXT']);
  expect(
    Object.values(state.resources).every((r) => r.status !== 'pending'),
    'every resource done',
  ).toBe(true);
}

async function expectNoWriteOnAnotherRun(dir: string) {
  world.harness.reset();
  const again = await init(dir);
  expect(again.code, printed(again)).toBe(0);
  expect(world.harness.writes().map((r) => `${r.service}:${r.operation}`)).toEqual([]);
}

/** After a run that was interrupted or disturbed: one of everything, a further run writes nothing, and teardown. */
async function expectConvergedThenTearDown(app: string, dir: string, zoneId: string) {
  await expectOneOfEverything(app, dir, zoneId);
  await expectNoWriteOnAnotherRun(dir);
  const done = await hmInfra(world, dir, ['teardown', '--yes', '--force', '--wait-timeout', '5']);
  expect(done.code, printed(done)).toBe(0);
}

/** A first init of a new app while the harness injects these faults (the log holds only this run). */
async function initWithFaults(faults: FaultOptions) {
  const app = await givenApp();
  world.harness.reset();
  world.harness.faults = faults;
  try {
    return { ...app, run: await init(app.dir) };
  } finally {
    world.harness.faults = undefined;
  }
}

/** Where to kill: the n-th write of the run (a first init makes 18), or a given operation. */
type KillPoint = { name: string; when: 'before' | 'after'; match: () => (r: LoggedRequest) => boolean };
const nthWrite =
  (n: number): KillPoint['match'] =>
  () => {
    let writes = 0;
    return (r) => r.write && ++writes === n;
  };
const operation =
  (name: string): KillPoint['match'] =>
  () =>
  (r) =>
    r.operation === name;

describe('init killed with SIGKILL, then run again', () => {
  it.each<KillPoint>([
    { name: 'its first write', when: 'before', match: nthWrite(1) },
    { name: 'its 4th write', when: 'after', match: nthWrite(4) },
    { name: 'its 9th write', when: 'before', match: nthWrite(9) },
    { name: 'its 15th write', when: 'after', match: nthWrite(15) },
    { name: 'CreateUser', when: 'after', match: operation('CreateUser') },
    { name: 'CreateDistributionWithTags', when: 'after', match: operation('CreateDistributionWithTags') },
    { name: 'ChangeResourceRecordSets', when: 'after', match: operation('ChangeResourceRecordSets') },
    { name: 'CreateAccessKey', when: 'after', match: operation('CreateAccessKey') },
    { name: 'PutBucketPolicy', when: 'before', match: operation('PutBucketPolicy') },
  ])(
    'at $name ($when AWS acts on it): the re-run converges, one of everything, state whole',
    async ({ when, match }) => {
      const { app, dir, zoneId } = await givenApp();
      world.harness.reset();
      const held = world.harness.holdAt(match(), when);
      let child: ChildProcess | undefined;
      const first = init(dir, { started: (c) => (child = c) });
      // WHEN the run is killed the moment that request arrives (or AWS has acted on it)
      const reached = await Promise.race([held.then((r) => r), first.then(() => undefined)]);
      expect(reached, 'init finished before it got there').toBeDefined();
      child?.kill('SIGKILL');
      const killed = await first;
      expect(killed.signal).toBe('SIGKILL');
      // THEN a state file, if there is one yet, is whole JSON
      const text = await readFile(join(dir, '.hm-infra', 'dev.json'), 'utf8').catch(() => undefined);
      if (text !== undefined) expect(() => JSON.parse(text) as unknown).not.toThrow();
      world.harness.reset();
      const again = await init(dir);
      expect(again.code, `killed at ${reached?.service}:${reached?.operation}\n${printed(again)}`).toBe(0);
      await expectConvergedThenTearDown(app, dir, zoneId);
    },
  );
});

describe('init while a fifth of all requests fail', () => {
  const kinds = new Set<string>();

  it.each([{ seed: 1 }, { seed: 2 }, { seed: 3 }, { seed: 4 }])(
    'succeeds (seed $seed): the SDK retries 5xx, throttling and resets, and nothing is made twice',
    async ({ seed }) => {
      // WHEN
      const { app, dir, zoneId, run } = await initWithFaults({ rate: 0.2, seed });
      // THEN
      const injected = world.harness.requests.filter((r) => r.fault !== undefined);
      expect(
        run.code,
        `${injected.length} faults: ${injected.map((r) => `${r.operation}:${r.fault?.kind}`).join(', ')}\n${printed(run)}`,
      ).toBe(0);
      expect(injected.length / world.harness.requests.length).toBeGreaterThan(0.1);
      for (const r of injected) kinds.add(r.fault?.kind ?? '');
      await expectConvergedThenTearDown(app, dir, zoneId);
    },
  );

  it('succeeds when the answer to the first attempt of every write is lost after AWS acted on it, and nothing is made twice', async () => {
    const seen = new Set<string>();
    // WHEN
    const { app, dir, zoneId, run } = await initWithFaults({
      rate: 1,
      kinds: ['reset-after'],
      only: (r) => r.write && !seen.has(r.operation) && Boolean(seen.add(r.operation)),
    });
    // THEN each create was made once and retried once: EntityAlreadyExists, DistributionAlreadyExists, a second key …
    const lost = world.harness.requests.filter((r) => r.fault?.kind === 'reset-after').map((r) => r.operation);
    expect(lost).toEqual(
      expect.arrayContaining([
        'CreateUser',
        'CreateAccessKey',
        'CreateDistributionWithTags',
        'CreateOriginAccessControl',
        'ChangeResourceRecordSets',
        'CreateEmailIdentity',
        'CreateBucket',
      ]),
    );
    expect(run.code, printed(run)).toBe(0);
    await expectConvergedThenTearDown(app, dir, zoneId);
  });

  it('succeeds when the connection resets during the check that the new access key works: that poll is retried like any call', async () => {
    // The account step asks STS first; the second GetCallerIdentity is the new key's check.
    let asked = 0;
    // WHEN
    const { app, dir, zoneId, run } = await initWithFaults({
      rate: 1,
      kinds: ['reset-before'],
      only: (r) => r.operation === 'GetCallerIdentity' && ++asked === 2,
    });
    // THEN
    const reset = world.harness.requests.filter((r) => r.fault !== undefined);
    expect(reset.map((r) => r.operation)).toEqual(['GetCallerIdentity']);
    expect(reset[0]?.accessKeyId).toBe((await readState(dir)).resources['access-key']?.secret?.accessKeyId);
    expect(run.code, printed(run)).toBe(0);
    expect((await readState(dir)).resources['access-key']?.outputs['verified']).toBe(true);
    await expectConvergedThenTearDown(app, dir, zoneId);
  });

  it('between them, those runs met every kind of fault', () => {
    expect([...kinds].sort()).toEqual(['reset-after', 'reset-before', 'server-error', 'throttle']);
  });
});
