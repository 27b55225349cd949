/**
 * An endpoint without TLS meets the bucket policy's TLS-only statement (as AWS enforces it,
 * aws:SecureTransport false): the first init puts the policy in place, and from then on S3
 * refuses the tool's calls and the app's uploads. The errors name that cause and the fix.
 */
import { CreateHostedZoneCommand } from '@aws-sdk/client-route-53';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type World, REGION, givenProjectDir, hmInfra, printed, startWorld, writeConfig } from './support.js';

let world: World;
let dir: string;
const app = `http${Date.now().toString(36)}`;

beforeAll(async () => {
  world = await startWorld();
  dir = await givenProjectDir();
  await world.route53.send(new CreateHostedZoneCommand({ Name: `${app}.example.com`, CallerReference: `${app}-zone` }));
  await writeConfig(dir, { app, domain: `${app}.example.com`, region: REGION });
});

afterAll(async () => {
  if (world && dir) await hmInfra(world, dir, ['teardown', '--yes', '--force', '--wait-timeout', '5']);
  await world?.stop();
});

describe('an http:// endpoint and the TLS-only bucket policy', () => {
  it('init, run again over http://, is refused by S3, and the error names the policy and the fix', async () => {
    const first = await hmInfra(world, dir, ['init', '--yes', '--config', 'hm-infra.json'], {
      endpoint: world.harness.httpUrl,
    });
    expect(first.code, printed(first)).toBe(0);
    // WHEN the policy is in place
    const again = await hmInfra(world, dir, ['init', '--yes'], { endpoint: world.harness.httpUrl });
    // THEN
    expect(again.code, printed(again)).toBe(2);
    expect(again.stderr).toContain('over plain HTTP');
    expect(again.stderr).toContain('aws:SecureTransport');
    expect(again.stderr).toContain('https://');
  });

  it('smoke-test over http:// says its refused upload comes from the same policy', async () => {
    const run = await hmInfra(world, dir, ['smoke-test', '--json', '--cdn-timeout', '0'], {
      endpoint: world.harness.httpUrl,
    });
    const upload = (
      JSON.parse(run.stdout) as { checks: Array<{ id: string; status: string; summary: string; fix?: string }> }
    ).checks.find((c) => c.id === 'upload');
    expect(upload?.status, run.stdout).toBe('failed');
    expect(upload?.summary).toContain('plain HTTP');
    expect(upload?.fix).toContain('aws:SecureTransport');
  });

  it('over https:// the same environment is in order', async () => {
    const run = await hmInfra(world, dir, ['init', '--yes', '--json']);
    expect(run.code, printed(run)).toBe(0);
    expect(JSON.parse(run.stdout).summary).toMatchObject({ create: 0, update: 0 });
  });
});
