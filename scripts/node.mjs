// Runs a script of this repository on a Node.js the project supports, for the commands a clone
// uses (`npm test`, `npm run test:e2e`, `npm run bench`, `npm run cli`, .ci/run):
//
//   node scripts/node.mjs [--node 22|24|machine] <script.mjs> [args…]
//
// Without --node (or HM_INFRA_NODE), the machine's Node when it is supported, else Node 22.
// Node 22 and 24 come from the npm registry (the `node-<platform>-<arch>` packages, the same
// binaries as nodejs.org), installed once into .node/<major>/ (git-ignored) and reused from
// there. It says on stderr which Node it runs, and exits with the script's exit code.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { supported } from '../bin/node-version.js';

const root = fileURLToPath(new URL('..', import.meta.url));
/** The versions CI tests, as `engines` in package.json names them. */
export const VERSIONS = { 22: '22.23.5', 24: '24.22.3' };

/** The binary of Node `major` from the registry, installed into .node/<major>/ when missing. */
export function registryNode(major) {
  const version = VERSIONS[major];
  if (!version) throw new Error(`no registry Node for "${major}": use one of ${Object.keys(VERSIONS).join(', ')}`);
  const pkg = `node-${process.platform}-${process.arch}`;
  const dir = join(root, '.node', String(major));
  const binary = join(dir, 'node_modules', pkg, 'bin', process.platform === 'win32' ? 'node.exe' : 'node');
  if (existsSync(binary)) return { binary, version, how: `from the registry, cached in .node/${major}` };
  mkdirSync(dir, { recursive: true });
  process.stderr.write(`Installing Node ${version} from the npm registry (${pkg}@${version}) into .node/${major}…\n`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(
    npm,
    ['install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--prefix', dir, `${pkg}@${version}`],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  if (result.status !== 0 || !existsSync(binary))
    throw new Error(`could not install ${pkg}@${version} from the npm registry into ${dir}`);
  return { binary, version, how: `from the registry, installed into .node/${major}` };
}

/** The Node to run: asked for by --node / HM_INFRA_NODE, else the machine's when supported, else 22. */
export function pickNode(wanted = process.env.HM_INFRA_NODE) {
  const machine = { binary: process.execPath, version: process.versions.node, how: "the machine's" };
  if (wanted === 'machine') return machine;
  if (wanted) return registryNode(Number(wanted));
  return supported(process.versions.node) ? machine : registryNode(22);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  let args = process.argv.slice(2);
  let wanted;
  if (args[0] === '--node') {
    wanted = args[1];
    args = args.slice(2);
  }
  if (args.length === 0) {
    process.stderr.write('usage: node scripts/node.mjs [--node 22|24|machine] <script> [args…]\n');
    process.exit(2);
  }
  const node = pickNode(wanted);
  process.stderr.write(`Node ${node.version} (${node.how}): ${args.join(' ')}\n`);
  const child = spawn(node.binary, args, { stdio: 'inherit', cwd: process.cwd() });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + 1 : 1)));
}
