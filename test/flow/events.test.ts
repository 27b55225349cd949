/**
 * Bounce handling and app events through the CLI on the fake account: what init makes with
 * --events and --alert-email, a re-run that writes nothing, bad input refused before any call,
 * the features turned off, and teardown leaving the account as it found it.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeAccount } from '../fakes/account.js';
import { type InstalledFake, installFakeAccount } from '../fakes/install.js';
import { runCli } from '../support/cli.js';

const INIT = ['init', '--yes', '--app', 'healthmetrics', '--domain', 'example.com'];
const REGION = 'us-east-1';
const PREFIX = 'healthmetrics-dev';

let cwd: string;
let installed: InstalledFake;
const fake = () => installed.fake;
const init = (extra: string[] = []) => runCli([...INIT, ...extra], { cwd });

describe('email events and app events', () => {
  beforeEach(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'hm-events-'));
    const account = new FakeAccount();
    account.route53.addZone('example.com');
    account.cloudfront.deployAfterPolls = 1;
    installed = installFakeAccount(account);
  });
  afterEach(() => installed.restore());

  it('with --events and --alert-email: the bus, both queue pairs, the role, log group and a pending subscription; a re-run writes nothing', async () => {
    // WHEN
    const run = await init(['--events', '--alert-email', 'ops@example.org']);
    // THEN
    expect(run.code, run.stderr).toBe(0);
    expect(fake().eventbridge.bus(REGION, PREFIX)).toBeDefined();
    for (const name of ['email-events', 'email-events-dlq', 'events', 'events-dlq'])
      expect(fake().sqs.queue(REGION, `${PREFIX}-${name}`), name).toBeDefined();
    expect(fake().iam.role(`${PREFIX}-email-handler`)).toBeDefined();
    expect(fake().logs.group(REGION, `/aws/lambda/${PREFIX}-email-handler`)).toMatchObject({ retentionInDays: 14 });
    expect([...(fake().iam.user('healthmetrics-app-dev')?.policies.keys() ?? [])].sort()).toEqual([
      'app-events',
      'email-events',
      's3-uploads',
      'ses-sending',
    ]);
    expect(run.stdout).toContain('ops@example.org must confirm the subscription');
    // WHEN
    const writes = fake().writes.length;
    const again = await init(['--json']);
    // THEN: the flags were remembered, and nothing is written.
    expect(again.code, again.stderr).toBe(0);
    expect(
      fake()
        .writes.slice(writes)
        .map((c) => `${c.service}:${c.command}`),
    ).toEqual([]);
    expect(JSON.parse(again.stdout).summary).toMatchObject({ create: 0, update: 0 });
  });

  it('puts a test event from the app key on its bus, and the rule delivers it to the events queue', async () => {
    expect((await init(['--events'])).code).toBe(0);
    // WHEN: the app, with its own key, puts a domain event on its bus
    const key = fake().iam.user('healthmetrics-app-dev')?.keys[0]?.id as string;
    await fake().call(
      'eventbridge',
      'PutEvents',
      { Entries: [{ EventBusName: PREFIX, Source: 'app', DetailType: 'user.signed-up', Detail: '{"id":1}' }] },
      REGION,
      { accessKeyId: key },
    );
    // THEN
    const bodies = fake()
      .sqs.bodies(REGION, `${PREFIX}-events`)
      .map((b) => JSON.parse(b) as { source: string });
    expect(bodies.map((b) => b.source)).toEqual(['app']);
    // And the app key may not put events on the default bus.
    await expect(
      fake().call('eventbridge', 'PutEvents', { Entries: [{ Source: 'app', DetailType: 'x', Detail: '{}' }] }, REGION, {
        accessKeyId: key,
      }),
    ).rejects.toThrow(/not authorized to perform: events:PutEvents/);
  });

  it('leaves all of it out with --no-email-events, and none of the app events without --events', async () => {
    // WHEN
    const run = await init(['--no-email-events', '--json']);
    // THEN
    expect(run.code, run.stderr).toBe(0);
    const ids = (JSON.parse(run.stdout) as { steps: Array<{ id: string }> }).steps.map((s) => s.id);
    expect(ids.filter((id) => /event|alarm|alert|handler/.test(id))).toEqual([]);
    expect(fake().sqs.queue(REGION, `${PREFIX}-email-events`)).toBeUndefined();
    expect(fake().calls.filter((c) => ['sqs', 'eventbridge', 'cloudwatch', 'sns', 'logs'].includes(c.service))).toEqual(
      [],
    );
  });

  it.each([
    [['--alert-email', 'ops-at-example.org'], 'alert address "ops-at-example.org" is not an email address'],
    [['--events', '--no-email'], '--events builds on SES email, which --no-email leaves out'],
    [['--no-email-events', '--alert-email', 'ops@example.org'], 'which --no-email-events leaves out'],
  ])('refuses %j with exit 2 before any AWS call', async (extra, message) => {
    // WHEN
    const run = await init(extra);
    // THEN
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(fake().calls).toEqual([]);
  });

  it('teardown removes every event resource, also after the features were turned off, and leaves the account as it was', async () => {
    const before = fake().snapshot();
    expect((await init(['--events', '--alert-email', 'ops@example.org'])).code).toBe(0);
    // The features turned off later: their resources stay until teardown.
    const off = await init(['--no-events', '--no-email-events']);
    expect(off.code, off.stderr).toBe(0);
    expect(fake().sqs.queue(REGION, `${PREFIX}-events`)).toBeDefined();
    // WHEN
    const down = await runCli(['teardown', '--yes', '--force'], { cwd });
    // THEN
    expect(down.code, down.stderr).toBe(0);
    expect(fake().snapshot()).toEqual(before);
  });
});
