import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeAccount } from '../fakes/account.js';
import { type InstalledFake, installFakeAccount } from '../fakes/install.js';
import { runCli } from '../support/cli.js';
import { isWrite, repeatedReads } from '../support/critical-path.js';

const INIT = ['init', '--yes', '--app', 'healthmetrics', '--domain', 'example.com'];

let installed: InstalledFake;
afterEach(() => installed.restore());

/** The calls of one command, as the benchmark sees them (no timing needed here). */
const asTimed = (fake: FakeAccount, from: number) =>
  fake.calls.slice(from).map((c, i) => ({ ...c, startedAt: i, endedAt: i }));

describe('what init reads and writes', () => {
  it('reads each thing once per run: a second init writes nothing and repeats no read', async () => {
    installed = installFakeAccount(new FakeAccount());
    installed.fake.route53.addZone('example.com');
    const cwd = await mkdtemp(join(tmpdir(), 'hm-reads-'));
    expect((await runCli(INIT, { cwd })).code).toBe(0);
    const before = installed.fake.calls.length;
    // WHEN
    const again = await runCli(INIT, { cwd });
    // THEN
    expect(again.code, again.stderr).toBe(0);
    const calls = asTimed(installed.fake, before);
    expect(calls.filter(isWrite).map((c) => c.command)).toEqual([]);
    expect(repeatedReads(calls)).toEqual([]);
    // the SES identity serves its own step and the MAIL FROM step
    expect(calls.filter((c) => c.command === 'GetEmailIdentity')).toHaveLength(1);
  });

  it('on a first run, the DNS records read to plan are the ones written from: each name listed once', async () => {
    installed = installFakeAccount(new FakeAccount());
    installed.fake.route53.addZone('example.com');
    const cwd = await mkdtemp(join(tmpdir(), 'hm-reads-'));
    // WHEN
    const run = await runCli(INIT, { cwd });
    // THEN
    expect(run.code, run.stderr).toBe(0);
    const lists = installed.fake.calls
      .filter((c) => c.command === 'ListResourceRecordSets')
      .map((c) => String(c.input['StartRecordName']));
    expect(lists).toHaveLength(5); // three DKIM names, mail., _dmarc.
    expect(new Set(lists).size).toBe(lists.length);
    expect(repeatedReads(asTimed(installed.fake, 0))).toEqual([]);
  });
});
