import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type * as PromptsModule from '../../src/commands/prompts.js';
import type { Prompter } from '../../src/commands/prompts.js';
import { FakeAccount } from '../fakes/account.js';
import { type InstalledFake, installFakeAccount } from '../fakes/install.js';
import { runCli } from '../support/cli.js';
import { type Answer, ExitPromptError, scriptedPrompter } from '../support/prompts.js';

const current = vi.hoisted(() => ({ prompter: undefined as unknown }));
vi.mock('../../src/commands/prompts.js', async (importOriginal) => ({
  ...(await importOriginal<typeof PromptsModule>()),
  terminalPrompter: () => current.prompter as Prompter,
}));

const INIT = ['init', '--yes', '--app', 'healthmetrics', '--domain', 'example.com'];
const BUCKET = 'healthmetrics-uploads-dev';
/** A value of the user's own in the TXT record the SPF value is merged into. */
const USER_TXT = '"google-site-verification=abc123"';

let cwd: string;
let installed: InstalledFake;

/** An account with the domain's Route 53 zone, which holds a TXT value of the user's. */
function givenAccount(): FakeAccount {
  installed?.restore();
  const fake = new FakeAccount();
  fake.route53.addZone('example.com', {
    sets: [{ Name: 'mail.example.com', Type: 'TXT', TTL: 300, ResourceRecords: [{ Value: USER_TXT }] }],
  });
  // The disabled distribution has deployed by the first poll: no waiting in tests.
  fake.cloudfront.deployAfterPolls = 1;
  installed = installFakeAccount(fake);
  return fake;
}

const init = (extra: string[] = []) => runCli([...INIT, ...extra], { cwd });
const teardown = (extra: string[] = [], options: { interactive?: boolean } = {}) =>
  runCli(['teardown', ...(options.interactive ? [] : ['--yes']), ...extra], { cwd, ...options });
const stateDir = () => readdir(join(cwd, '.hm-infra'));
const readState = async (env = 'dev') => JSON.parse(await readFile(join(cwd, '.hm-infra', `${env}.json`), 'utf8'));

function givenAnswers(script: Record<string, Answer[]>) {
  const prompter = scriptedPrompter(script);
  current.prompter = prompter;
  return prompter;
}

/** Indices (in the fake's call log) of the first call of each command named. */
const firstCall = (fake: FakeAccount, command: string, from = 0) =>
  fake.calls.findIndex((c, i) => i >= from && c.command === command);

describe('teardown on a fake account', () => {
  beforeEach(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'hm-teardown-'));
    givenAccount();
  });
  afterEach(() => installed.restore());

  it("removes everything init created, keeps the user's DNS value, and moves the state file aside", async () => {
    const fake = installed.fake;
    const before = fake.snapshot();
    expect((await init()).code).toBe(0);
    expect(fake.snapshot()).not.toEqual(before);
    // WHEN
    const run = await teardown();
    // THEN
    expect(run.code, run.stderr).toBe(0);
    expect(fake.snapshot()).toEqual(before);
    const zone = [...fake.route53.zones.values()][0]!;
    expect(fake.route53.find(zone, 'mail.example.com', 'TXT')?.ResourceRecords).toEqual([{ Value: USER_TXT }]);
    const files = await stateDir();
    expect(files).not.toContain('dev.json');
    const archived = files.find((f) => /^dev\.destroyed-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z\.json$/.test(f));
    expect(archived, files.join(', ')).toBeDefined();
    const text = await readFile(join(cwd, '.hm-infra', archived!), 'utf8');
    expect(text).not.toContain('secretAccessKey');
    // Only what was read, never created, is still listed.
    expect(Object.keys(JSON.parse(text).resources).sort()).toEqual(['account', 'dns-zone']);
    expect(run.stdout).toMatch(/Done in [\d.]+s: 27 removed\./);
  });

  it('disables the distribution, waits until that is deployed, deletes it, and only then its origin access control and the bucket', async () => {
    const fake = installed.fake;
    await init();
    fake.calls.length = 0;
    // WHEN
    const run = await teardown();
    // THEN
    expect(run.code, run.stderr).toBe(0);
    const disable = firstCall(fake, 'UpdateDistribution');
    const del = firstCall(fake, 'DeleteDistribution');
    expect(fake.calls[disable]?.input).toMatchObject({ DistributionConfig: { Enabled: false } });
    const polls = fake.calls.slice(disable + 1, del).filter((c) => c.command === 'GetDistribution');
    expect(polls.length).toBeGreaterThanOrEqual(1);
    expect(firstCall(fake, 'DeleteOriginAccessControl')).toBeGreaterThan(del);
    expect(firstCall(fake, 'DeleteBucket')).toBeGreaterThan(del);
    // IAM in order: keys, policies, then the user.
    expect(firstCall(fake, 'DeleteAccessKey')).toBeLessThan(firstCall(fake, 'DeleteUserPolicy'));
    expect(
      fake.calls
        .filter((c) => c.command === 'DeleteUserPolicy')
        .every((c) => c.n < fake.calls[firstCall(fake, 'DeleteUser')]!.n),
    ).toBe(true);
  });

  it('leaves a bucket that existed before, with its objects, unless --include-adopted', async () => {
    const fake = installed.fake;
    await fake.call('s3', 'CreateBucket', { Bucket: BUCKET }, 'us-east-1');
    fake.putObject(BUCKET, 'avatars/1.png', 'png');
    await init();
    expect((await readState()).resources.bucket).toMatchObject({ status: 'adopted', owned: false });
    // WHEN
    const run = await teardown();
    // THEN
    expect(run.code, run.stderr).toBe(0);
    expect(fake.buckets.has(BUCKET)).toBe(true);
    expect(fake.versionCount(BUCKET)).toBe(1);
    expect(fake.iam.users.size).toBe(0);
    expect(fake.cloudfront.distributions.size).toBe(0);
    expect(run.stdout).toMatch(/S3 bucket\s+existed before hm-infra: left in place/);
  });

  it('removes an adopted bucket with --include-adopted --force', async () => {
    const fake = installed.fake;
    await fake.call('s3', 'CreateBucket', { Bucket: BUCKET }, 'us-east-1');
    fake.putObject(BUCKET, 'avatars/1.png', 'png');
    await init();
    // WHEN
    const run = await teardown(['--include-adopted', '--force']);
    // THEN
    expect(run.code, run.stderr).toBe(0);
    expect(fake.buckets.has(BUCKET)).toBe(false);
  });

  it('after a lost state file keeps what init adopted, says why, and removes it with --include-adopted', async () => {
    const fake = installed.fake;
    const before = fake.snapshot();
    await init();
    const { rm } = await import('node:fs/promises');
    await rm(join(cwd, '.hm-infra', 'dev.json'));
    expect((await init(['--rotate-key'])).code).toBe(0);
    // WHEN
    const kept = await teardown();
    // THEN
    expect(kept.code, kept.stderr).toBe(0);
    expect(fake.buckets.has(BUCKET)).toBe(true);
    expect(kept.stdout).toMatch(
      /this state file was made again after the first was lost.*--include-adopted removes them/s,
    );
    // WHEN: the same again, from a state file made once more, with --include-adopted
    expect((await init(['--rotate-key'])).code).toBe(0);
    const removed = await teardown(['--include-adopted']);
    // THEN
    expect(removed.code, removed.stderr).toBe(0);
    expect(fake.snapshot()).toEqual(before);
  });

  it('refuses a bucket holding objects without --force: exit 2, nothing removed, state untouched', async () => {
    const fake = installed.fake;
    await init();
    fake.putObject(BUCKET, 'avatars/1.png', 'png');
    const writes = fake.writes.length;
    const state = await readFile(join(cwd, '.hm-infra', 'dev.json'), 'utf8');
    // WHEN
    const run = await teardown();
    // THEN
    expect(run.code).toBe(2);
    expect(fake.writes.length).toBe(writes);
    expect(await readFile(join(cwd, '.hm-infra', 'dev.json'), 'utf8')).toBe(state);
    expect(run.stdout).toMatch(/bucket healthmetrics-uploads-dev still holds objects: pass --force/);
    expect(run.stderr).toContain('Nothing was removed.');
  });

  it('with --force deletes every object version and delete marker, 1000 per request, then the bucket', async () => {
    const fake = installed.fake;
    await init();
    for (let i = 0; i < 1100; i += 1) fake.putObject(BUCKET, `uploads/${i}.jpg`, 'v1');
    for (let i = 0; i < 700; i += 1) fake.putObject(BUCKET, `uploads/${i}.jpg`, 'v2');
    await fake.call('s3', 'DeleteObject', { Bucket: BUCKET, Key: 'uploads/1.jpg' }, 'us-east-1');
    expect(fake.versionCount(BUCKET)).toBe(1801);
    fake.calls.length = 0;
    // WHEN
    const run = await teardown(['--force']);
    // THEN
    expect(run.code, run.stderr).toBe(0);
    expect(fake.buckets.has(BUCKET)).toBe(false);
    const batches = fake.calls
      .filter((c) => c.command === 'DeleteObjects')
      .map((c) => (c.input['Delete'] as { Objects: unknown[] }).Objects.length);
    expect(batches).toEqual([1000, 801]);
    expect(run.stderr).toContain('deleted 1,801 object versions');
  });

  it('removes only the DNS values it added, and leaves a record changed by hand unless --force', async () => {
    const fake = installed.fake;
    await init();
    const zone = [...fake.route53.zones.values()][0]!;
    const dkim = zone.sets.find((s) => s.Type === 'CNAME' && s.Name.includes('_domainkey'))!;
    dkim.ResourceRecords = [{ Value: 'elsewhere.example.net' }];
    // WHEN
    const run = await teardown();
    // THEN
    expect(run.code, run.stderr).toBe(0);
    expect(fake.route53.find(zone, dkim.Name, 'CNAME')?.ResourceRecords).toEqual([{ Value: 'elsewhere.example.net' }]);
    expect(zone.sets.filter((s) => s.Name.includes('_domainkey'))).toHaveLength(1);
    expect(fake.route53.find(zone, '_dmarc.example.com', 'TXT')).toBeUndefined();
    expect(run.stdout).toMatch(
      /CNAME .*_domainkey.* was changed since hm-infra wrote it \(now elsewhere\.example\.net\): left in place; --force removes it/,
    );
  });

  it('puts back the DNS values --overwrite-dns replaced', async () => {
    const fake = installed.fake;
    const zone = [...fake.route53.zones.values()][0]!;
    const dmarc = {
      Name: '_dmarc.example.com.',
      Type: 'TXT',
      TTL: 3600,
      ResourceRecords: [{ Value: '"v=DMARC1; p=none"' }],
    };
    await fake.call(
      'route53',
      'ChangeResourceRecordSets',
      { HostedZoneId: zone.id, ChangeBatch: { Changes: [{ Action: 'CREATE', ResourceRecordSet: dmarc }] } },
      'us-east-1',
    );
    const before = fake.snapshot();
    expect((await init(['--overwrite-dns'])).code).toBe(0);
    expect(fake.route53.find(zone, '_dmarc.example.com', 'TXT')?.ResourceRecords?.[0]?.Value).toMatch(/p=quarantine/);
    // WHEN
    const run = await teardown();
    // THEN
    expect(run.code, run.stderr).toBe(0);
    expect(fake.route53.find(zone, '_dmarc.example.com', 'TXT')?.ResourceRecords).toEqual([
      { Value: '"v=DMARC1; p=none"' },
    ]);
    expect(fake.snapshot()).toEqual(before);
  });

  it('removes a DNS record changed by hand with --force', async () => {
    const fake = installed.fake;
    const before = fake.snapshot();
    await init();
    const zone = [...fake.route53.zones.values()][0]!;
    zone.sets.find((s) => s.Type === 'CNAME' && s.Name.includes('_domainkey'))!.ResourceRecords = [
      { Value: 'elsewhere.example.net' },
    ];
    // WHEN
    const run = await teardown(['--force']);
    // THEN
    expect(run.code, run.stderr).toBe(0);
    expect(fake.snapshot()).toEqual(before);
  });

  it('with --no-wait disables the distribution, records it, exits 3, and the next teardown finishes', async () => {
    const fake = installed.fake;
    const before = fake.snapshot();
    await init();
    fake.cloudfront.deployAfterPolls = 3;
    // WHEN
    const first = await teardown(['--no-wait']);
    // THEN
    expect(first.code, first.stderr).toBe(3);
    expect((await readState()).resources.distribution).toMatchObject({ status: 'disabling', owned: true });
    expect([...fake.cloudfront.distributions.values()][0]?.config['Enabled']).toBe(false);
    expect(fake.cloudfront.oacs.size).toBe(1);
    expect(fake.buckets.has(BUCKET)).toBe(true);
    expect(fake.iam.users.size).toBe(0);
    expect(first.stderr).toMatch(/origin access.*skipped: waits until the CloudFront distribution is gone/i);
    // Deployed by now.
    for (let i = 0; i < 3; i += 1)
      await fake.call(
        'cloudfront',
        'GetDistribution',
        { Id: [...fake.cloudfront.distributions.keys()][0] },
        'us-east-1',
      );
    // WHEN
    const second = await teardown(['--no-wait']);
    // THEN
    expect(second.code, second.stderr).toBe(0);
    expect(fake.snapshot()).toEqual(before);
  });

  it('works again and again: init → teardown → init → teardown', async () => {
    const fake = installed.fake;
    const before = fake.snapshot();
    for (let round = 0; round < 2; round += 1) {
      const up = await init();
      expect(up.code, up.stderr).toBe(0);
      expect(fake.buckets.has(BUCKET) && fake.iam.users.size === 1 && fake.cloudfront.distributions.size === 1).toBe(
        true,
      );
      const down = await teardown();
      expect(down.code, down.stderr).toBe(0);
      expect(fake.snapshot()).toEqual(before);
      if (round === 0) {
        // SQS takes a deleted queue's name again only after 60 s: an init at once says so (what it made is recorded).
        const early = await init();
        expect(early.code).toBe(1);
        expect(early.stderr).toContain('was deleted less than 60 seconds ago');
        expect(early.stderr).toContain('Wait a minute, then re-run init');
        fake.now = () => Date.now() + 61_000;
        const down2 = await teardown();
        expect(down2.code, down2.stderr).toBe(0);
      }
    }
    expect((await stateDir()).filter((f) => f.includes('.destroyed-'))).toHaveLength(3);
  });

  it('says so and exits 0 when the environment was already torn down; exit 2 when it never existed', async () => {
    await init();
    await teardown();
    // WHEN
    const again = await teardown();
    const never = await runCli(['teardown', '--yes', '--env', 'staging'], { cwd });
    // THEN
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/already torn down/);
    expect(never.code).toBe(2);
    expect(never.stderr).toMatch(/environment "staging" has no state file/);
  });

  it('shows what it would remove with --dry-run, and changes nothing', async () => {
    const fake = installed.fake;
    await init();
    const writes = fake.writes.length;
    // WHEN
    const run = await runCli(['teardown', '--dry-run'], { cwd });
    const json = await runCli(['teardown', '--dry-run', '--json'], { cwd });
    // THEN
    expect(run.code, run.stderr).toBe(0);
    expect(fake.writes.length).toBe(writes);
    expect(run.stdout).toMatch(/Teardown of healthmetrics \(dev\) in us-east-1, account 123456789012/);
    expect(run.stdout).toMatch(/- S3 bucket\s+healthmetrics-uploads-dev/);
    expect(run.stdout).toContain('27 to remove.');
    const doc = JSON.parse(json.stdout);
    expect(doc).toMatchObject({ kind: 'teardown-plan', dryRun: true, ok: true, blockers: [] });
    expect(doc.steps).toHaveLength(27);
    expect(await stateDir()).toContain('dev.json');
  });

  it('needs --yes without a terminal, and removes nothing', async () => {
    const fake = installed.fake;
    await init();
    const writes = fake.writes.length;
    // WHEN
    const run = await runCli(['teardown'], { cwd });
    // THEN
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/needs a confirmation.*Re-run with --yes/s);
    expect(fake.writes.length).toBe(writes);
  });

  it.each([
    ['a wrong name', 130, ['prod']],
    ['Ctrl-C', 130, [new ExitPromptError()]],
    ['the environment name', 0, ['dev']],
  ] as const)('asks to type the environment name; %s gives exit %i', async (_what, code, answers) => {
    const fake = installed.fake;
    await init();
    const writes = fake.writes.length;
    const prompter = givenAnswers({ 'confirm-env': [...answers] });
    // WHEN
    const run = await teardown([], { interactive: true });
    // THEN
    expect(run.code, run.stderr).toBe(code);
    expect(prompter.asked[0]?.message).toContain('Type the environment name (dev)');
    if (code === 0) expect(fake.buckets.has(BUCKET)).toBe(false);
    else expect(fake.writes.length).toBe(writes);
  });

  it('refuses credentials of another account before removing anything', async () => {
    const fake = installed.fake;
    await init();
    fake.accountId = '999999999999';
    const writes = fake.writes.length;
    // WHEN
    const run = await teardown();
    // THEN
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/belongs to AWS account 123456789012/);
    expect(fake.writes.length).toBe(writes);
  });

  it('prints one JSON document with --json', async () => {
    await init();
    // WHEN
    const run = await teardown(['--json']);
    // THEN
    expect(run.code, run.stderr).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc).toMatchObject({
      kind: 'teardown',
      ok: true,
      pending: false,
      environment: 'dev',
      archivedState: expect.stringMatching(/dev\.destroyed-.*\.json$/),
    });
    expect(doc.steps.every((s: { action: string }) => s.action === 'removed')).toBe(true);
  });
});

describe('an interrupted teardown', () => {
  beforeEach(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'hm-teardown-crash-'));
  });
  afterEach(() => installed.restore());

  /** The calls a clean teardown makes, by position: the ones that change something. */
  async function teardownWrites(): Promise<number[]> {
    const fake = givenAccount();
    await init();
    const start = fake.calls.length;
    expect((await teardown()).code).toBe(0);
    return fake.calls.slice(start).flatMap((c, i) => (fake.writes.includes(c) ? [i + 1] : []));
  }

  it.each(['before', 'after'] as const)(
    'finishes on a re-run when the k-th removal fails %s it takes effect',
    async (when) => {
      const positions = await teardownWrites();
      expect(positions.length).toBeGreaterThanOrEqual(15);
      for (const k of positions) {
        cwd = await mkdtemp(join(tmpdir(), 'hm-teardown-crash-'));
        const fake = givenAccount();
        const before = fake.snapshot();
        await init();
        fake.failCall(k, { when });
        // WHEN
        const broken = await teardown();
        const rerun = await teardown();
        // THEN
        expect(broken.code, `k=${k}`).not.toBe(0);
        expect(rerun.code, `k=${k}: ${rerun.stderr}`).toBe(0);
        expect(fake.snapshot(), `k=${k}`).toEqual(before);
      }
    },
    120_000,
  );
});
