// `npm run bench`: times the CLI as a user runs it and prints one table (figure, median, min,
// max, target, pass/fail); the same figures go to bench/results.json.
// Options: BENCH_RUNS (default 9) runs per figure.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin', 'hm-infra.js');
const runs = Number(process.env.BENCH_RUNS ?? 9);
const cwd = mkdtempSync(join(tmpdir(), 'hm-bench-'));
const env = { PATH: process.env.PATH, HOME: cwd, AWS_EC2_METADATA_DISABLED: 'true', NO_COLOR: '1' };

function wall(args) {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { cwd, env, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return ms;
}

function measure(figure, args, target) {
  wall(args); // warm the file system cache
  const samples = Array.from({ length: runs }, () => wall(args)).sort((a, b) => a - b);
  const median = samples[Math.floor(samples.length / 2)];
  return { figure, unit: 'ms', median, min: samples[0], max: samples[samples.length - 1], target, pass: target === null ? null : median <= target, runs };
}

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
    app: 'bench', environment: 'dev', region: 'eu-west-1', domain: 'example.com', bucketName: 'bench-uploads-dev',
    corsOrigins: ['https://example.com', 'https://www.example.com'], cdn: true, email: true, dns: 'auto',
    mailFromDomain: 'mail.example.com', fromEmail: 'noreply@example.com', dmarcPolicy: 'quarantine', productName: 'Bench',
  },
  resources: {
    account: record({ accountId: '123456789012', arn: 'arn:aws:iam::123456789012:user/admin' }),
    bucket: record({ name: 'bench-uploads-dev', arn: 'arn:aws:s3:::bench-uploads-dev', region: 'eu-west-1' }),
    distribution: record({ id: 'E2EXAMPLE', url: 'https://d111111abcdef8.cloudfront.net', env: { CLOUDFRONT_URL: 'https://d111111abcdef8.cloudfront.net' } }),
    'email-identity': record({ domain: 'example.com', env: { SES_FROM_EMAIL: 'noreply@example.com', SES_REGION: 'eu-west-1' } }),
    'email-config-set': record({ name: 'bench-dev' }),
    'access-key': record({ userName: 'bench-app-dev', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', verified: true, retiring: [] }, { secret: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' } }),
  },
  createdAt: at,
  updatedAt: at,
};
mkdirSync(join(cwd, '.hm-infra'), { mode: 0o700 });
writeFileSync(join(cwd, '.hm-infra', 'dev.json'), JSON.stringify(state), { mode: 0o600 });

const results = [
  measure('node -e 0 (baseline)', ['-e', '0'], null),
  measure('hm-infra --help', [bin, '--help'], 70),
  measure('hm-infra --version', [bin, '--version'], 70),
  measure('hm-infra plan --offline', [bin, 'plan', '--offline', '--app', 'bench', '--domain', 'example.com'], null),
  measure('hm-infra print-env', [bin, 'print-env'], 100),
  measure('hm-infra print-env --format json', [bin, 'print-env', '--format', 'json'], 100),
];

const fmt = (v) => (v === null ? '—' : typeof v === 'number' ? v.toFixed(1) : String(v));
const rows = [['figure', 'median', 'min', 'max', 'target', 'result'], ...results.map((r) => [r.figure, fmt(r.median), fmt(r.min), fmt(r.max), r.target === null ? '—' : `≤ ${r.target}`, r.pass === null ? 'info' : r.pass ? 'pass' : 'FAIL'])];
const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
for (const row of rows) console.log(row.map((cell, i) => cell.padEnd(widths[i])).join('  '));
mkdirSync(join(root, 'bench'), { recursive: true });
writeFileSync(join(root, 'bench', 'results.json'), `${JSON.stringify({ date: new Date().toISOString(), node: process.version, runs, results }, null, 2)}\n`);
console.log(`\n(times in ms, ${runs} runs each; written to bench/results.json)`);
