/**
 * What the e2e scenarios share: moto (started here, or HM_INFRA_E2E_MOTO), the harness in front
 * of it, a DNS server over its Route 53 zones, SDK clients through the harness (to look at
 * what the CLI made, as a user would in the console), and the built CLI run as a user runs it:
 * a child process, `AWS_ENDPOINT_URL` the harness's TLS address, its certificate trusted
 * through NODE_EXTRA_CA_CERTS. The CLI is spawned asynchronously: the harness runs in this
 * process and must keep answering while the CLI waits.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CloudFrontClient } from '@aws-sdk/client-cloudfront';
import { IAMClient } from '@aws-sdk/client-iam';
import { Route53Client } from '@aws-sdk/client-route-53';
import { S3Client } from '@aws-sdk/client-s3';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { MOTO_VERSION, type MotoServer, motoProblem, startMoto } from '../../scripts/moto.mjs';
import { type ZoneDns, startZoneDns } from './harness/dns.js';
import { type AwsHarness, startHarness } from './harness/proxy.js';

const bin = fileURLToPath(new URL('../../bin/hm-infra.js', import.meta.url));
/** Refuses every connection off this machine in the CLI too (the distribution's cloudfront.net name, say). */
const noNetwork = fileURLToPath(new URL('../support/no-network.mjs', import.meta.url));
export const REGION = 'us-east-1';
/** The operator's credentials: moto accepts any. */
const credentials = { accessKeyId: 'AKIAE2EOPERATOR00001', secretAccessKey: 'e2e-operator-secret' };

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface World {
  moto: MotoServer | undefined;
  harness: AwsHarness;
  dns: ZoneDns;
  agent: Agent;
  s3: S3Client;
  cloudfront: CloudFrontClient;
  ses: SESv2Client;
  iam: IAMClient;
  route53: Route53Client;
  /** Route 53 straight to moto, for the DNS server: its reads stay out of the harness's log. */
  motoRoute53: Route53Client;
  stop(): Promise<void>;
}

/** moto, the harness, the DNS server and clients; moto is started here unless HM_INFRA_E2E_MOTO names one. */
export async function startWorld(): Promise<World> {
  const external = process.env['HM_INFRA_E2E_MOTO'];
  let moto: MotoServer | undefined;
  if (!external) {
    const problem = motoProblem();
    if (problem) throw new Error(`The e2e suite runs against moto ${MOTO_VERSION}: ${problem}`);
    moto = await startMoto();
  }
  const motoUrl = external ?? moto?.url ?? '';
  const harness = await startHarness({ motoUrl });
  const agent = new Agent({ ca: harness.ca, keepAlive: true });
  const common = { region: REGION, endpoint: harness.url, credentials, requestHandler: { httpsAgent: agent } };
  const motoRoute53 = new Route53Client({ region: REGION, endpoint: motoUrl, credentials });
  const dns = await startZoneDns(motoRoute53);
  const clients = {
    s3: new S3Client({ ...common, forcePathStyle: true }),
    cloudfront: new CloudFrontClient(common),
    ses: new SESv2Client(common),
    iam: new IAMClient(common),
    route53: new Route53Client(common),
  };
  return {
    moto,
    harness,
    dns,
    agent,
    motoRoute53,
    ...clients,
    async stop() {
      for (const client of [...Object.values(clients), motoRoute53]) client.destroy();
      agent.destroy();
      await dns.close();
      await harness.stop();
      await moto?.stop();
    },
  };
}

/** A working directory of its own, as a project checkout would be. */
export const givenProjectDir = () => mkdtemp(join(tmpdir(), 'hm-e2e-'));

export async function writeConfig(dir: string, settings: Record<string, unknown>): Promise<void> {
  await writeFile(join(dir, 'hm-infra.json'), JSON.stringify(settings, null, 2));
}

export async function readState(
  dir: string,
  env = 'dev',
): Promise<{
  resources: Record<
    string,
    {
      status: string;
      outputs: Record<string, unknown>;
      owned?: boolean;
      secret?: { accessKeyId: string; secretAccessKey: string };
    }
  >;
}> {
  return JSON.parse(await readFile(join(dir, '.hm-infra', `${env}.json`), 'utf8'));
}

/** The CLI as a user runs it, against the harness; `started` gets the child (to kill it). */
export function hmInfra(
  world: World,
  dir: string,
  args: string[],
  options: {
    endpoint?: string;
    started?: (child: ChildProcess) => void;
    timeoutMs?: number;
    /** More of the environment (CLOUDFLARE_API_TOKEN …). */
    env?: Record<string, string>;
  } = {},
): Promise<CliRun> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_REGION: REGION,
    AWS_ENDPOINT_URL: options.endpoint ?? world.harness.url,
    NODE_EXTRA_CA_CERTS: world.harness.caFile,
    NODE_OPTIONS: `--import=${noNetwork}`,
    // No terminal: plain lines, no colour.
    CI: 'true',
    NO_COLOR: '1',
    ...options.env,
  };
  delete env['AWS_PROFILE'];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 240_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    options.started?.(child);
  });
}

/** What the CLI printed, for an assertion's message. */
export const printed = (run: CliRun) =>
  `exit ${String(run.code)}${run.signal ? ` (${run.signal})` : ''}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;
