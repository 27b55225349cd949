import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/config.js';
import { newState } from '../../src/state/schema.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'bin', 'hm-infra.js');
const guard = join(root, 'test', 'support', 'no-network.mjs');
const loadLog = pathToFileURL(join(root, 'test', 'support', 'load-log.mjs')).href;

/** Runs the built CLI as a user would, with no network, no credentials and no profile. */
function hmInfra(args: string[], cwd: string, env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [bin, ...args], {
    cwd,
    encoding: 'utf8',
    env: {
      PATH: process.env['PATH'] ?? '',
      HOME: cwd,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: join(cwd, 'no-aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(cwd, 'no-aws-credentials'),
      NODE_OPTIONS: `--import=${guard}${env['HM_LOAD_LOG'] ? ` --import=${loadLog}` : ''}`,
      ...env,
    },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

let cwd: string;

describe('hm-infra (spawned)', () => {
  beforeAll(async () => {
    if (!existsSync(join(root, 'dist', 'cli.js')))
      throw new Error('dist/ is missing: run `npm run build` (npm test does it for you)');
    cwd = await mkdtemp(join(tmpdir(), 'hm-cli-'));
  });

  it('prints help with examples and every command', () => {
    const run = hmInfra(['--help'], cwd);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: hm-infra');
    expect(run.stdout).toMatch(/plan \[options\]/);
    expect(run.stdout).toMatch(/init \[options\]/);
    expect(run.stdout).toMatch(/verify-dns \[options\]/);
    expect(run.stdout).toMatch(/print-env \[options\]/);
    expect(run.stdout).toMatch(/smoke-test \[options\]/);
    expect(run.stdout).toContain('Examples:');
    expect(run.stdout).toContain('--endpoint-url');
  });

  it('prints its version', () => {
    const run = hmInfra(['--version'], cwd);
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('shows the offline plan with no credentials and writes nothing', async () => {
    const run = hmInfra(['plan', '--offline', '--app', 'healthmetrics', '--domain', 'example.com'], cwd);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Plan for healthmetrics (dev) in us-east-1');
    expect(run.stdout).toMatch(/S3 bucket\s+create/);
    expect(run.stdout).toContain('healthmetrics-uploads-dev');
    expect(run.stdout).toMatch(/CloudFront distribution\s+create/);
    expect(run.stdout).toContain('TTL 0/86400/31536000');
    expect(run.stdout).toMatch(/SES domain identity\s+create/);
    expect(run.stdout).toContain('+ TXT _dmarc.example.com: v=DMARC1; p=quarantine; rua=mailto:dmarc@example.com');
    expect(run.stdout).toContain('27 to create, 0 to update, 0 unchanged');
    expect(run.stderr).toBe('');
    expect(await readdir(cwd)).not.toContain('.hm-infra');
  });

  it('prints the offline plan as JSON', () => {
    const run = hmInfra(
      [
        'plan',
        '--offline',
        '--json',
        '--app',
        'healthmetrics',
        '--domain',
        'example.com',
        '--env',
        'prod',
        '--region',
        'eu-west-1',
      ],
      cwd,
    );
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc).toMatchObject({
      kind: 'plan',
      ok: true,
      app: 'healthmetrics',
      environment: 'prod',
      region: 'eu-west-1',
      offline: true,
      summary: { create: 27 },
    });
  });

  it.each([
    [['plan', '--offline', '--app', 'My App', '--domain', 'example.com'], 'app name "My App" is not valid'],
    [
      ['plan', '--offline', '--app', 'hm', '--domain', 'example.com', '--region', 'mars-1'],
      'region "mars-1" is not valid',
    ],
    [
      ['plan', '--offline', '--app', 'hm', '--domain', 'example.com', '--bucket-name', 'Bad..Name'],
      'bucket name "Bad..Name" is not valid',
    ],
    [['plan', '--offline', '--app', 'hm'], 'missing required value: --domain <domain>'],
    [
      ['plan', '--offline', '--app', 'hm', '--domain', 'example.com', '--env', 'Prod!'],
      'environment name "Prod!" is not valid',
    ],
    [['init', '--app', 'hm', '--domain', 'example.com'], 'Re-run with --yes'],
    [
      [
        'plan',
        '--offline',
        '--app',
        'hm',
        '--domain',
        'example.com',
        '--cdn-domain',
        'cdn.example.com',
        '--certificate-arn',
        'arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789',
      ],
      'only uses ACM certificates from us-east-1',
    ],
    [
      ['plan', '--offline', '--app', 'hm', '--domain', 'example.com', '--mail-from', 'mail.example.org'],
      'must be a subdomain of example.com',
    ],
    [
      ['plan', '--offline', '--app', 'hm', '--domain', 'example.com', '--from-email', 'noreply@gmail.com'],
      'is not at example.com',
    ],
    [
      ['plan', '--offline', '--app', 'hm', '--domain', 'example.com', '--dmarc-policy', 'strict'],
      'DMARC policy "strict" is not valid',
    ],
    [
      ['plan', '--offline', '--app', 'hm', '--domain', 'example.com', '--dns', 'godaddy'],
      'DNS mode "godaddy" is not valid',
    ],
    [
      ['plan', '--region', 'us-east-1', '--app', 'hm', '--domain', 'example.com', '--dns', 'cloudflare'],
      'CLOUDFLARE_API_TOKEN is not set',
    ],
    [
      ['plan', '--offline', '--app', 'hm', '--domain', 'example.com', '--no-email', '--mail-from', 'mail.example.com'],
      'which --no-email leaves out',
    ],
    [['verify-dns', '--timeout', 'soon'], '--timeout "soon" is not valid'],
    [['verify-dns'], 'Run `hm-infra init --env dev` first'],
    [['print-env'], 'environment "dev" has not been set up'],
    [['print-env', '--format', 'xml'], '--format "xml" is not valid'],
    [['smoke-test', '--to', 'nobody'], '--to "nobody" is not an email address'],
    [['smoke-test', '--cdn-timeout', '90'], '--cdn-timeout "90" is not valid'],
    [['smoke-test'], 'environment "dev" has not been set up'],
    [['plan', '--no-such-flag'], "unknown option '--no-such-flag'"],
    [['plna'], "unknown command 'plna'"],
  ])('refuses bad input %j with exit 2 and says what to do', (args, message) => {
    const run = hmInfra(args, cwd);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace without --verbose
  });

  it('print-env answers from the state file without loading any AWS SDK module', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hm-cli-env-'));
    const state = newState(
      resolveConfig({
        app: 'healthmetrics',
        domain: 'example.com',
        environment: 'dev',
        region: 'eu-west-1',
        cdn: false,
        email: false,
      }),
    );
    const at = new Date().toISOString();
    state.resources['bucket'] = {
      status: 'created',
      owned: true,
      outputs: { name: 'healthmetrics-uploads-dev' },
      updatedAt: at,
    };
    state.resources['access-key'] = {
      status: 'created',
      owned: true,
      outputs: { accessKeyId: 'AKIAEXAMPLE' },
      secret: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'known-secret-value' },
      updatedAt: at,
    };
    await mkdir(join(dir, '.hm-infra'));
    await writeFile(join(dir, '.hm-infra', 'dev.json'), JSON.stringify(state), { mode: 0o600 });
    const log = join(dir, 'loaded.txt');
    // WHEN
    const run = hmInfra(['print-env'], dir, { HM_LOAD_LOG: log });
    // THEN
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('AWS_ACCESS_KEY_ID=AKIAEXAMPLE');
    expect(run.stdout).toContain('AWS_REGION=eu-west-1');
    expect(run.stdout).not.toContain('known-secret-value');
    const loaded = (await readFile(log, 'utf8')).split('\n');
    expect(loaded.some((url) => /\/dist\/chunks\/print-env-\w+\.js$/.test(url))).toBe(true);
    expect(loaded.filter((url) => url.includes('@aws-sdk') || url.includes('@smithy'))).toEqual([]);
  });

  it.each([
    [['plan', '--offline', '--app', 'healthmetrics', '--domain', 'example.com'], /27 to create/],
    [['--help'], /Usage: hm-infra/],
  ])('%j loads no AWS SDK, task-list or prompt module', async (args, shows) => {
    const dir = await mkdtemp(join(tmpdir(), 'hm-cli-load-'));
    const log = join(dir, 'loaded.txt');
    // WHEN
    const run = hmInfra(args, dir, { HM_LOAD_LOG: log });
    // THEN
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(shows);
    const packages = new Set(
      (await readFile(log, 'utf8'))
        .split('\n')
        .flatMap((url) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ?? []),
    );
    expect([...packages].filter((p) => /^@aws-sdk|^@smithy|^listr2|^@inquirer/.test(p))).toEqual([]);
  });

  it('finishes quietly when the reader closes the pipe early (| head)', async () => {
    const child = spawn(
      process.execPath,
      [bin, 'plan', '--offline', '--app', 'healthmetrics', '--domain', 'example.com'],
      {
        cwd,
        env: {
          PATH: process.env['PATH'] ?? '',
          HOME: cwd,
          AWS_EC2_METADATA_DISABLED: 'true',
          NODE_OPTIONS: `--import=${guard}`,
        },
      },
    );
    // WHEN nothing reads stdout: it is closed before the CLI writes its plan
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    // THEN
    expect(stderr).not.toContain('EPIPE');
    expect(code).toBe(0);
  });

  it('reports missing credentials clearly instead of hanging or probing the network', () => {
    const run = hmInfra(['init', '--yes', '--app', 'hm', '--domain', 'example.com'], cwd, {
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
    });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/no usable AWS credentials|could not reach AWS/);
    expect(run.stderr).toContain('re-run');
  });
});
