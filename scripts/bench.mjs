// `npm run bench`: measures what the tool, not AWS, decides, and prints one table (figure,
// median, min, max, target, pass/fail); the same figures go to bench/results.json.
//
//   node scripts/bench.mjs [--runs N] [--graph-runs N] [--delay MS]
//
// - Start-up: wall time of the built CLI (bin/ → dist/) as a user runs it, in a clean
//   environment, median of --runs (default 15) taken in rounds after one warm-up; for print-env also the AWS SDK
//   modules it loaded and the connections it opened (a probe preloaded in a separate run). It
//   runs on the Node scripts/node.mjs picks (the machine's when supported, else 22), and then
//   --help and print-env again on each Node CI tests (22, 24, from the registry), with the
//   module compile cache on (as bin/ enables it) and off.
// - The graph: `init --yes` and then a no-op `init --yes` on the stateful fake account of the
//   tests (bundled from test/support/fake-cli.ts), every AWS call delayed --delay ms (default 50).
//   Each call is logged with the step that made it and when it started and ended. A step's own
//   chain is the longest run of its calls each starting after the one before ended; the
//   critical-path bound is the longest path of those chains through the step graph (calls
//   made outside any step count as one more chain of their own), times the delay
//   (test/support/critical-path.ts, which also finds reads repeated in one command). Time is
//   measured inside the process, from `main()` to its return, so Node's own start-up (the
//   figures above) is not counted twice.
// - Memory: peak resident set of a process that runs `init --yes` on the fake account. The fake
//   and the mocking library live in the same process, so this is an upper bound.
// - Over the wire: the same two inits against moto behind the e2e harness, --delay ms per HTTP
//   request, with the same figures; left out, saying why, when moto is not installed.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { motoProblem } from './moto.mjs';
import { VERSIONS, registryNode } from './node.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values: opts } = parseArgs({
  options: {
    runs: { type: 'string', default: process.env.BENCH_RUNS ?? '15' },
    'graph-runs': { type: 'string', default: '5' },
    delay: { type: 'string', default: '50' },
  },
});
const runs = Number(opts.runs);
const graphRuns = Number(opts['graph-runs']);
const delayMs = Number(opts.delay);
for (const [name, value] of [
  ['--runs', runs],
  ['--graph-runs', graphRuns],
  ['--delay', delayMs],
]) {
  if (!Number.isFinite(value) || value < (name === '--delay' ? 1 : 1))
    throw new Error(`${name} must be a positive number`);
}

const bin = join(root, 'bin', 'hm-infra.js');
const cwd = mkdtempSync(join(tmpdir(), 'hm-bench-'));
const cleanEnv = { PATH: process.env.PATH, HOME: cwd, AWS_EC2_METADATA_DISABLED: 'true', NO_COLOR: '1' };

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/** One row of the table from samples; `better` says which way the target points. */
function figure(name, unit, samples, target, better = 'lower') {
  const sorted = [...samples].sort((a, b) => a - b);
  const med = median(sorted);
  const pass = target === null ? null : better === 'lower' ? med <= target : med >= target;
  return {
    figure: name,
    unit,
    median: med,
    min: sorted[0],
    max: sorted[sorted.length - 1],
    target,
    pass,
    runs: samples.length,
  };
}

function node(args, env = cleanEnv, dir = cwd, binary = process.execPath) {
  const started = process.hrtime.bigint();
  const result = spawnSync(binary, args, { cwd: dir, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited ${result.status}:\n${result.stderr}`);
  return ms;
}

/**
 * Wall times of several commands, taken in rounds (each command once per round, in a rotating
 * order) so that a slow moment of the machine falls on all of them alike, after one warm-up.
 */
function walls(cases) {
  const once = (c) => node(c.args, c.env ?? cleanEnv, cwd, c.binary ?? process.execPath);
  for (const c of cases) once(c);
  const samples = cases.map(() => []);
  for (let round = 0; round < runs; round += 1) {
    for (let k = 0; k < cases.length; k += 1) {
      const i = (k + round) % cases.length;
      samples[i].push(once(cases[i]));
    }
  }
  return cases.map((c, i) => figure(c.name, 'ms', samples[i], c.target));
}

// ── start-up ────────────────────────────────────────────────────────────────────────────────
// A state file as init leaves it, for print-env (which reads nothing else).
const at = new Date().toISOString();
const record = (outputs, extra = {}) => ({ status: 'created', owned: true, outputs, updatedAt: at, ...extra });
const state = {
  version: 1,
  app: 'bench',
  environment: 'dev',
  region: 'eu-west-1',
  accountId: '123456789012',
  config: {
    app: 'bench',
    environment: 'dev',
    region: 'eu-west-1',
    domain: 'example.com',
    bucketName: 'bench-uploads-dev',
    corsOrigins: ['https://example.com', 'https://www.example.com'],
    cdn: true,
    email: true,
    dns: 'auto',
    mailFromDomain: 'mail.example.com',
    fromEmail: 'noreply@example.com',
    dmarcPolicy: 'quarantine',
    productName: 'Bench',
  },
  resources: {
    account: record({ accountId: '123456789012', arn: 'arn:aws:iam::123456789012:user/admin' }),
    bucket: record({ name: 'bench-uploads-dev', arn: 'arn:aws:s3:::bench-uploads-dev', region: 'eu-west-1' }),
    distribution: record({
      id: 'E2EXAMPLE',
      url: 'https://d111111abcdef8.cloudfront.net',
      env: { CLOUDFRONT_URL: 'https://d111111abcdef8.cloudfront.net' },
    }),
    'email-identity': record({
      domain: 'example.com',
      env: { SES_FROM_EMAIL: 'noreply@example.com', SES_REGION: 'eu-west-1' },
    }),
    'email-config-set': record({ name: 'bench-dev' }),
    'email-events-queue': record({
      name: 'bench-dev-email-events',
      url: 'https://sqs.eu-west-1.amazonaws.com/123456789012/bench-dev-email-events',
      arn: 'arn:aws:sqs:eu-west-1:123456789012:bench-dev-email-events',
    }),
    'access-key': record(
      { userName: 'bench-app-dev', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', verified: true, retiring: [] },
      { secret: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' } },
    ),
  },
  createdAt: at,
  updatedAt: at,
};
mkdirSync(join(cwd, '.hm-infra'), { mode: 0o700 });
writeFileSync(join(cwd, '.hm-infra', 'dev.json'), JSON.stringify(state), { mode: 0o600 });

/** What print-env loaded and which connections it opened, from a probe preloaded in its process. */
function probe(args) {
  const out = join(cwd, 'probe.json');
  const log = join(cwd, 'probe.log');
  node(['--import', join(root, 'scripts', 'bench-probe.mjs'), ...args], {
    ...cleanEnv,
    HM_PROBE_FILE: out,
    HM_LOAD_LOG: log,
  });
  rmSync(log, { force: true });
  const seen = JSON.parse(readFileSync(out, 'utf8'));
  rmSync(out);
  return {
    sdkModules: seen.modules.filter((url) => /node_modules\/@(aws-sdk|smithy|aws-crypto)\//.test(url)).length,
    connections: seen.connections.length,
  };
}

const startup = walls([
  { name: 'node -e 0 (baseline, not a target)', args: ['-e', '0'], target: null },
  { name: 'hm-infra --help', args: [bin, '--help'], target: 70 },
  { name: 'hm-infra --version', args: [bin, '--version'], target: 70 },
  {
    name: 'hm-infra plan --offline',
    args: [bin, 'plan', '--offline', '--app', 'bench', '--domain', 'example.com'],
    target: null,
  },
  { name: 'hm-infra print-env', args: [bin, 'print-env'], target: 80 },
  { name: 'hm-infra print-env --format json', args: [bin, 'print-env', '--format', 'json'], target: 80 },
]);
const printEnvProbe = probe([bin, 'print-env']);
startup.push(figure('print-env: AWS SDK modules loaded', 'modules', [printEnvProbe.sdkModules], 0));
startup.push(figure('print-env: network connections', 'connections', [printEnvProbe.connections], 0));

// ── start-up per Node version, with and without the module compile cache ────────────────────
// bin/hm-infra.js enables Node's compile cache (module.enableCompileCache); off here is
// NODE_DISABLE_COMPILE_CACHE=1. The cache lives in a folder of this run, warmed by the warm-up.
const perVersion = [];
for (const major of Object.keys(VERSIONS)) {
  const { binary, version } = registryNode(Number(major));
  const on = { ...cleanEnv, NODE_COMPILE_CACHE: join(cwd, `compile-cache-${major}`) };
  const off = { ...cleanEnv, NODE_DISABLE_COMPILE_CACHE: '1' };
  perVersion.push(
    ...walls([
      { name: `Node ${version}: --help, compile cache on`, args: [bin, '--help'], binary, env: on, target: 70 },
      { name: `Node ${version}: --help, compile cache off`, args: [bin, '--help'], binary, env: off, target: null },
      { name: `Node ${version}: print-env, compile cache on`, args: [bin, 'print-env'], binary, env: on, target: 80 },
      {
        name: `Node ${version}: print-env, compile cache off`,
        args: [bin, 'print-env'],
        binary,
        env: off,
        target: null,
      },
    ]),
  );
}
startup.push(...perVersion);

// ── the graph, on the fake account ──────────────────────────────────────────────────────────
/** A test-support entry point bundled (by esbuild) into .cache/, its packages left external. */
async function bundled(entry) {
  const outfile = join(root, '.cache', `${entry.split('/').pop().replace(/\.ts$/, '')}.mjs`);
  await build({
    absWorkingDir: root,
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
  return outfile;
}

const fakeCli = await bundled('test/support/fake-cli.ts');

const isWrite = (call) => !/^(Get|Head|List|Describe)/.test(call.command);

const INIT = ['init', '--yes', '--app', 'bench', '--domain', 'example.com', '--region', 'eu-west-1'];
function fakeRun(commands, dir) {
  const reportFile = join(dir, 'report.json');
  const args = commands.flatMap((c, i) => (i === 0 ? c : ['+++', ...c]));
  node(
    [fakeCli, ...args],
    {
      ...cleanEnv,
      HOME: dir,
      AWS_ACCESS_KEY_ID: 'AKIDBENCH',
      AWS_SECRET_ACCESS_KEY: 'bench',
      HM_FAKE_DELAY_MS: String(delayMs),
      HM_FAKE_ZONES: 'example.com',
      HM_FAKE_REPORT: reportFile,
    },
    dir,
  );
  return JSON.parse(readFileSync(reportFile, 'utf8'));
}

const first = { ms: [], ratio: [], bound: [], calls: [] };
const again = { ms: [], ratio: [], bound: [], writes: [], repeated: [], calls: [] };
let lastPaths;
let firstRepeated = [];
for (let i = 0; i < graphRuns; i += 1) {
  const dir = mkdtempSync(join(tmpdir(), 'hm-bench-graph-'));
  const report = fakeRun([INIT, INIT], dir);
  const [one, two] = report.commands;
  if (one.exitCode !== 0 || two.exitCode !== 0)
    throw new Error(`init on the fake account exited ${one.exitCode}, then ${two.exitCode}`);
  const p1 = one.criticalPath;
  const p2 = two.criticalPath;
  first.ms.push(one.ms);
  first.bound.push(p1.length * delayMs);
  first.ratio.push(one.ms / (p1.length * delayMs));
  first.calls.push(one.calls.length);
  again.ms.push(two.ms);
  again.bound.push(p2.length * delayMs);
  again.ratio.push(two.ms / (p2.length * delayMs));
  again.writes.push(two.calls.filter(isWrite).length);
  again.repeated.push(two.repeatedReads.length);
  again.calls.push(two.calls.length);
  firstRepeated = one.repeatedReads;
  lastPaths = { first: p1, again: p2, repeated: two.repeatedReads };
  rmSync(dir, { recursive: true, force: true });
}

const rssDir = mkdtempSync(join(tmpdir(), 'hm-bench-rss-'));
const rss = Array.from({ length: Math.min(graphRuns, 3) }, () => fakeRun([INIT], rssDir).maxRssKb / 1024);
rmSync(rssDir, { recursive: true, force: true });

const graph = [
  figure(`init --yes, ${delayMs} ms per call: time`, 'ms', first.ms, null),
  figure('init --yes: critical-path bound', 'ms', first.bound, null),
  figure('init --yes: time ÷ bound', '×', first.ratio, 1.5),
  figure('init --yes: AWS calls', 'calls', first.calls, null),
  figure(`no-op re-run, ${delayMs} ms per call: time`, 'ms', again.ms, null),
  figure('no-op re-run: critical-path bound', 'ms', again.bound, null),
  figure('no-op re-run: time ÷ bound', '×', again.ratio, 1.5),
  figure('no-op re-run: AWS calls', 'calls', again.calls, null),
  figure('no-op re-run: writes', 'calls', again.writes, 0),
  figure('no-op re-run: reads repeated', 'reads', again.repeated, 0),
  figure('init: peak resident memory', 'MB', rss, 150),
];

// ── the graph over the wire: moto behind the e2e harness ────────────────────────────────────
// The same two inits, against moto through the e2e harness (test/e2e/harness/), every HTTP
// request delayed --delay ms there. The CLI runs in its own process (test/support/wire-cli.ts,
// which logs each SDK call with its step, as the fake account does); moto and the harness run
// in another (test/support/wire-harness.ts), so their work does not share the CLI's event loop.
async function wireFigures() {
  const problem = process.env.HM_INFRA_E2E_MOTO ? undefined : motoProblem();
  if (problem) return { missing: problem };
  const bundles = {
    harness: await bundled('test/support/wire-harness.ts'),
    cli: await bundled('test/support/wire-cli.ts'),
  };
  const server = spawn(process.execPath, [bundles.harness], {
    cwd: root,
    env: { ...process.env, HM_WIRE_DELAY_MS: String(delayMs) },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise((resolve) => server.once('exit', resolve));
  try {
    const { url, caFile } = await new Promise((resolve, reject) => {
      let buffered = '';
      server.stdout.setEncoding('utf8').on('data', (chunk) => {
        buffered += chunk;
        const line = buffered.split('\n')[0];
        if (buffered.includes('\n')) resolve(JSON.parse(line));
      });
      server.once('exit', (code) => reject(new Error(`the wire harness exited (${code}) before it answered`)));
    });
    const wire = {
      first: { ms: [], ratio: [], bound: [], calls: [], writes: [] },
      again: { ms: [], ratio: [], bound: [], calls: [], writes: [], repeated: [] },
      paths: undefined,
    };
    const stamp = Date.now().toString(36);
    for (let i = 0; i < graphRuns; i += 1) {
      const dir = mkdtempSync(join(tmpdir(), 'hm-bench-wire-'));
      const app = `w${stamp}${i}`;
      const domain = `${app}.example.com`;
      const reportFile = join(dir, 'report.json');
      const init = ['init', '--yes', '--app', app, '--domain', domain, '--region', 'us-east-1'];
      const env = {
        ...cleanEnv,
        HOME: dir,
        AWS_ACCESS_KEY_ID: 'AKIDBENCHWIRE',
        AWS_SECRET_ACCESS_KEY: 'bench',
        AWS_REGION: 'us-east-1',
        AWS_ENDPOINT_URL: url,
        NODE_EXTRA_CA_CERTS: caFile,
        HM_WIRE_ZONE: domain,
        HM_FAKE_REPORT: reportFile,
      };
      node([bundles.cli, ...init, '+++', ...init], env, dir);
      const [one, two] = JSON.parse(readFileSync(reportFile, 'utf8')).commands;
      if (one.exitCode !== 0 || two.exitCode !== 0)
        throw new Error(`init over the wire exited ${one.exitCode}, then ${two.exitCode}`);
      for (const [into, run] of [
        [wire.first, one],
        [wire.again, two],
      ]) {
        into.ms.push(run.ms);
        into.bound.push(run.criticalPath.length * delayMs);
        into.ratio.push(run.ms / (run.criticalPath.length * delayMs));
        into.calls.push(run.calls.length);
        into.writes.push(run.calls.filter(isWrite).length);
      }
      wire.again.repeated.push(two.repeatedReads.length);
      wire.paths = { first: one.criticalPath, again: two.criticalPath };
      rmSync(dir, { recursive: true, force: true });
    }
    return wire;
  } finally {
    server.stdin.end();
    await exited;
  }
}

const wire = await wireFigures();
const wireRows = wire.missing
  ? []
  : [
      figure(`init over the wire (moto), ${delayMs} ms per request: time`, 'ms', wire.first.ms, null),
      figure('init over the wire: critical-path bound', 'ms', wire.first.bound, null),
      figure('init over the wire: time ÷ bound', '×', wire.first.ratio, null),
      figure('init over the wire: AWS calls', 'calls', wire.first.calls, null),
      figure('init over the wire: writes', 'calls', wire.first.writes, null),
      figure(`no-op re-run over the wire, ${delayMs} ms per request: time`, 'ms', wire.again.ms, null),
      figure('no-op re-run over the wire: critical-path bound', 'ms', wire.again.bound, null),
      figure('no-op re-run over the wire: time ÷ bound', '×', wire.again.ratio, null),
      figure('no-op re-run over the wire: AWS calls', 'calls', wire.again.calls, null),
      figure('no-op re-run over the wire: writes', 'calls', wire.again.writes, 0),
      figure('no-op re-run over the wire: reads repeated', 'reads', wire.again.repeated, 0),
    ];

// ── report ──────────────────────────────────────────────────────────────────────────────────
const results = [...startup, ...graph, ...wireRows];
const fmt = (v) => (Number.isInteger(v) ? String(v) : v.toFixed(v < 10 ? 2 : 1));
const rows = [
  ['figure', 'median', 'min', 'max', 'target', 'result'],
  ...results.map((r) => [
    r.figure,
    `${fmt(r.median)} ${r.unit}`,
    fmt(r.min),
    fmt(r.max),
    r.target === null ? '—' : `≤ ${r.target}`,
    r.pass === null ? 'info' : r.pass ? 'pass' : 'FAIL',
  ]),
];
const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
for (const row of rows)
  console.log(
    row
      .map((cell, i) => cell.padEnd(widths[i]))
      .join('  ')
      .trimEnd(),
  );
console.log(`\ncritical path of init: ${lastPaths.first.path.join(' → ')} (${lastPaths.first.length} calls)`);
console.log(`critical path of the no-op re-run: ${lastPaths.again.path.join(' → ')} (${lastPaths.again.length} calls)`);
if (firstRepeated.length > 0) console.log(`reads repeated by init: ${firstRepeated.join('; ')}`);
if (lastPaths.repeated.length > 0) console.log(`reads repeated by the re-run: ${lastPaths.repeated.join('; ')}`);
if (wire.missing) console.log(`\nover the wire: not measured, moto is missing. ${wire.missing}`);
else
  console.log(
    `critical path of init over the wire: ${wire.paths.first.path.join(' → ')} (${wire.paths.first.length} calls)`,
  );
mkdirSync(join(root, 'bench'), { recursive: true });
const summary = {
  date: new Date().toISOString(),
  node: process.version,
  runs,
  graphRuns,
  delayMs,
  results,
  criticalPaths: lastPaths,
  ...(wire.missing ? { wire: { missing: wire.missing } } : { wireCriticalPaths: wire.paths }),
};
writeFileSync(join(root, 'bench', 'results.json'), `${JSON.stringify(summary, null, 2)}\n`);
console.log(`\n(start-up: ${runs} runs each; graph: ${graphRuns} runs; written to bench/results.json)`);
rmSync(cwd, { recursive: true, force: true });
process.exitCode = results.some((r) => r.pass === false) ? 1 : 0;
