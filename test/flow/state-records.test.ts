import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeAccount } from '../fakes/account.js';
import { type InstalledFake, installFakeAccount } from '../fakes/install.js';
import { runCli } from '../support/cli.js';

let cwd: string;
let installed: InstalledFake;
let fake: FakeAccount;

const statePath = () => join(cwd, '.hm-infra', 'dev.json');

/** Changes one resource's recorded outputs, as a hand edit of the state file would. */
async function givenRecordEdited(id: string, outputs: Record<string, unknown>): Promise<void> {
  const state = JSON.parse(await readFile(statePath(), 'utf8'));
  state.resources[id].outputs = { ...state.resources[id].outputs, ...outputs };
  await writeFile(statePath(), JSON.stringify(state, null, 2), { mode: 0o600 });
}

describe("a resource's record in the state file", () => {
  beforeEach(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'hm-records-'));
    fake = new FakeAccount();
    installed = installFakeAccount(fake);
    const init = await runCli(
      ['init', '--yes', '--app', 'healthmetrics', '--domain', 'example.com', '--no-cdn', '--no-email'],
      { cwd },
    );
    expect(init.code, init.stderr).toBe(0);
  });
  afterEach(() => installed.restore());

  it('is checked against its schema before teardown removes anything', async () => {
    // GIVEN the IAM user's record no longer holds a name
    await givenRecordEdited('iam-user', { name: 42 });
    const callsBefore = fake.calls.length;
    // WHEN
    const run = await runCli(['teardown', '--yes'], { cwd });
    // THEN it stops as bad input, says which record and what is wrong, and removes nothing
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("the state's record of the IAM user is not valid (name:");
    expect(fake.calls.slice(callsBefore).filter((c) => /^(Delete|Put|Update|Create)/.test(c.command))).toEqual([]);
  });

  it('of an interrupted create (its intent only) is not held to the schema: teardown finds the resource by name', async () => {
    // GIVEN the IAM user's create was interrupted before its answer was saved
    const state = JSON.parse(await readFile(statePath(), 'utf8'));
    const intent = { create: state.resources['iam-user'].outputs.name };
    state.resources['iam-user'] = {
      status: 'pending',
      owned: false,
      outputs: {},
      intent,
      updatedAt: new Date().toISOString(),
    };
    await writeFile(statePath(), JSON.stringify(state, null, 2), { mode: 0o600 });
    // WHEN
    const run = await runCli(['teardown', '--yes'], { cwd });
    // THEN the user is found by its name and removed with the rest
    expect(run.code, run.stderr).toBe(0);
    expect(fake.calls.some((c) => c.command === 'DeleteUser')).toBe(true);
  });
});
