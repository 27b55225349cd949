import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LimitExceededException } from '@aws-sdk/client-iam';
import { iamUserStep } from '../../src/resources/iam/user.js';
import { resourceTags } from '../../src/resources/tags.js';
import type { HmError } from '../../src/errors.js';
import { FakeAccount } from '../fakes/account.js';
import { type InstalledFake, installFakeAccount } from '../fakes/install.js';
import { runCli } from '../support/cli.js';
import { givenConfig, givenStepContext } from '../support/context.js';
import { isAllowed } from '../support/policy.js';

const INIT = ['init', '--yes', '--app', 'healthmetrics', '--domain', 'example.com'];
const USER = 'healthmetrics-app-dev';
const BUCKET = 'arn:aws:s3:::healthmetrics-uploads-dev';
const SES = 'arn:aws:ses:us-east-1:123456789012';

let cwd: string;
let installed: InstalledFake;
const fake = () => installed.fake;
const init = (extra: string[] = []) => runCli([...INIT, ...extra], { cwd });
const stateFile = async () => JSON.parse(await readFile(join(cwd, '.hm-infra', 'dev.json'), 'utf8'));
const user = () => fake().iam.user(USER);
const policies = () => [...(user()?.policies.values() ?? [])].map((doc) => JSON.parse(doc) as unknown);
const iamWrites = () => fake().writes.filter((c) => c.service === 'iam');

describe('the app user on a fake account', () => {
  beforeEach(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'hm-iam-'));
    installed = installFakeAccount(new FakeAccount());
  });
  afterEach(() => installed.restore());

  it('creates the tagged user, its three inline policies and one key whose secret only the state file holds', async () => {
    // WHEN
    const run = await init();
    // THEN
    expect(run.code, run.stderr).toBe(0);
    expect(user()?.tags).toEqual(resourceTags(givenConfig(), USER));
    expect([...(user()?.policies.keys() ?? [])].sort()).toEqual(['email-events', 's3-uploads', 'ses-sending']);
    expect(user()?.keys).toHaveLength(1);
    const [key] = user()?.keys ?? [];
    const state = await stateFile();
    expect(state.resources['access-key']).toMatchObject({
      owned: true,
      secret: { accessKeyId: key?.id, secretAccessKey: key?.secret },
      outputs: { accessKeyId: key?.id, verified: true },
    });
    expect(JSON.stringify(state.resources['access-key'].outputs)).not.toContain(key?.secret);
    expect((await stat(join(cwd, '.hm-infra', 'dev.json'))).mode & 0o777).toBe(0o600);
    expect(`${run.stdout}\n${run.stderr}`).not.toContain(key?.secret);
    expect(run.stdout).toContain(`AWS_ACCESS_KEY_ID=${key?.id}`);
    expect(run.stdout).toContain('AWS_SECRET_ACCESS_KEY=********');
    expect(run.stdout).toContain('hm-infra print-env --env dev --write .env');
  });

  it('puts the env block, secret masked, into the --json result', async () => {
    // WHEN
    const run = await init(['--json']);
    // THEN
    const doc = JSON.parse(run.stdout);
    expect(doc.env).toMatchObject({
      AWS_ACCESS_KEY_ID: user()?.keys[0]?.id,
      AWS_SECRET_ACCESS_KEY: '********',
      S3_BUCKET_NAME: 'healthmetrics-uploads-dev',
      SES_CONFIGURATION_SET: 'healthmetrics-dev',
    });
    expect(run.stdout).not.toContain(user()?.keys[0]?.secret);
  });

  it('gives the app user what the app needs and nothing more', async () => {
    await init();
    const docs = policies();
    const may = (action: string, resource: string, context?: Record<string, string>) =>
      isAllowed(docs, { action, resource, ...(context ? { context } : {}) });
    const from = (address: string) => ({ 'ses:FromAddress': address });
    // THEN: what the app does
    expect(may('s3:PutObject', `${BUCKET}/avatars/a.png`)).toBe(true);
    expect(may('s3:GetObject', `${BUCKET}/avatars/a.png`)).toBe(true);
    expect(may('s3:DeleteObject', `${BUCKET}/avatars/a.png`)).toBe(true);
    expect(may('s3:ListBucket', BUCKET)).toBe(true);
    expect(may('ses:SendEmail', `${SES}:identity/example.com`, from('noreply@example.com'))).toBe(true);
    expect(may('ses:SendEmail', `${SES}:template/password-reset`, from('noreply@example.com'))).toBe(true);
    expect(may('ses:SendRawEmail', `${SES}:configuration-set/healthmetrics-dev`, from('noreply@example.com'))).toBe(
      true,
    );
    // THEN: and nothing else
    expect(may('s3:ListBucket', `${BUCKET}/*`)).toBe(false);
    expect(may('s3:PutObject', 'arn:aws:s3:::another-bucket/x')).toBe(false);
    expect(may('s3:DeleteBucket', BUCKET)).toBe(false);
    expect(may('s3:PutBucketPolicy', BUCKET)).toBe(false);
    expect(may('ses:SendEmail', `${SES}:identity/example.com`, from('ceo@example.com'))).toBe(false);
    expect(may('ses:SendEmail', `${SES}:identity/other.com`, from('noreply@example.com'))).toBe(false);
    expect(may('ses:CreateEmailIdentity', `${SES}:identity/example.com`, from('noreply@example.com'))).toBe(false);
    expect(may('iam:CreateAccessKey', `arn:aws:iam::123456789012:user/${USER}`)).toBe(false);
  });

  it('finds a policy edited by hand in plan, and init rewrites just that one', async () => {
    await init();
    user()?.policies.set(
      's3-uploads',
      JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] }),
    );
    // WHEN
    const plan = await runCli(['plan', '--json'], { cwd });
    const before = fake().writes.length;
    const run = await init();
    // THEN
    const doc = JSON.parse(plan.stdout);
    expect(doc.steps.filter((s: { action: string }) => s.action === 'update').map((s: { id: string }) => s.id)).toEqual(
      ['iam-policy-s3'],
    );
    expect(run.code, run.stderr).toBe(0);
    expect(
      fake()
        .writes.slice(before)
        .map((c) => c.command),
    ).toEqual(['PutUserPolicy']);
    expect(isAllowed(policies(), { action: 's3:PutObject', resource: 'arn:aws:s3:::another-bucket/x' })).toBe(false);
  });

  it('rotates the key with --rotate-key: a new key in state, the old one gone, never three', async () => {
    await init();
    const old = (await stateFile()).resources['access-key'].secret;
    // WHEN
    const run = await init(['--rotate-key']);
    // THEN
    expect(run.code, run.stderr).toBe(0);
    const now = (await stateFile()).resources['access-key'];
    expect(now.secret.accessKeyId).not.toBe(old.accessKeyId);
    expect(user()?.keys.map((k) => k.id)).toEqual([now.secret.accessKeyId]);
    expect(now.outputs).toMatchObject({ accessKeyId: now.secret.accessKeyId, verified: true, retiring: [] });
    const keyCalls = fake()
      .calls.filter((c) => /AccessKey/.test(c.command) && c.command !== 'ListAccessKeys')
      .map((c) => `${c.command} ${String(c.input['AccessKeyId'] ?? '')}`.trim());
    expect(keyCalls.slice(-3)).toEqual([
      'CreateAccessKey',
      `UpdateAccessKey ${old.accessKeyId}`,
      `DeleteAccessKey ${old.accessKeyId}`,
    ]);
  });

  it('after a lost state file, stops at the key it cannot read back, and --rotate-key replaces it', async () => {
    await init();
    const old = user()?.keys[0]?.id;
    await rm(join(cwd, '.hm-infra'), { recursive: true });
    // WHEN
    const refused = await init();
    const creates = fake().calls.filter((c) => c.command === 'CreateAccessKey').length;
    const rotated = await init(['--rotate-key']);
    // THEN
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`already has an access key (${old}) that this state file does not know`);
    expect(refused.stderr).toContain('--rotate-key');
    expect(creates).toBe(1);
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(user()?.keys.map((k) => k.id)).toEqual([(await stateFile()).resources['access-key'].secret.accessKeyId]);
    expect(user()?.keys[0]?.id).not.toBe(old);
  });

  it('refuses a user of the same name that someone else made, before writing anything to it', async () => {
    fake().iam.addUser(USER, { tags: [{ Key: 'team', Value: 'ops' }], keys: 1 });
    // WHEN
    const run = await init();
    // THEN
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`an IAM user named ${USER} already exists and was not created by hm-infra`);
    expect(iamWrites()).toEqual([]);
  });

  it('never asks for a third key when the user already has two', async () => {
    fake().iam.addUser(USER, { tags: resourceTags(givenConfig(), USER), keys: 2 });
    // WHEN
    const run = await init(['--rotate-key']);
    // THEN
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('already has two access keys');
    expect(fake().calls.filter((c) => c.command === 'CreateAccessKey')).toEqual([]);
  });

  it('without email, gives the user no SES policy and leaves SES out of the env block', async () => {
    // WHEN
    const run = await init(['--no-email']);
    // THEN
    expect(run.code, run.stderr).toBe(0);
    expect([...(user()?.policies.keys() ?? [])]).toEqual(['s3-uploads']);
    expect(run.stdout).toContain('# SES_FROM_EMAIL: none, this environment has no email');
  });
});

describe('the fake account keeps IAM rules', () => {
  beforeEach(() => {
    installed = installFakeAccount(new FakeAccount());
  });
  afterEach(() => installed.restore());

  it('refuses a third access key with LimitExceeded', async () => {
    fake().iam.addUser(USER, { keys: 2 });
    // THEN
    await expect(fake().call('iam', 'CreateAccessKey', { UserName: USER }, 'us-east-1')).rejects.toBeInstanceOf(
      LimitExceededException,
    );
  });

  it('refuses to delete a user that still has keys or policies (DeleteConflict), which the step explains', async () => {
    fake().iam.addUser(USER, { keys: 1 });
    // WHEN
    const error = (await iamUserStep
      .destroy(givenStepContext(), { name: USER, arn: 'arn', userId: 'id' })
      .catch((e: unknown) => e)) as HmError;
    // THEN
    expect(error.code).toBe('IAM_USER_IN_USE');
    expect(error.hint).toContain('list-access-keys');
    expect(user()).toBeDefined();
  });
});
