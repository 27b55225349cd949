// Starts and stops a moto server (https://github.com/getmoto/moto) on a free loopback port, for
// the e2e suite and the benchmark. moto is a Python package: `pip install 'moto[server]==5.2.1'`.
// It is called through PATH (`python3`), so the Python that has it installed must come first.
/* global fetch, AbortSignal */
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { clearTimeout, setTimeout } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';

/** The moto version the e2e harness and its notes were written against. */
export const MOTO_VERSION = '5.2.1';

const INSTALL_HINT = `moto's server is not importable by \`python3\` on PATH. Install it with: pip install 'moto[server]==${MOTO_VERSION}' (for the python3 that comes first on PATH), or set HM_INFRA_E2E_MOTO to the URL of a running moto server.`;

/**
 * Why moto cannot be started here, or undefined when `python3 -c 'import moto.server'` works.
 * Asked before starting, so a missing install fails with how to fix it, not with a timeout.
 */
export function motoProblem() {
  const result = spawnSync('python3', ['-c', 'import moto.server'], { encoding: 'utf8' });
  if (result.error) return `${INSTALL_HINT}\n(python3 could not be run: ${result.error.message})`;
  if (result.status !== 0) return `${INSTALL_HINT}\n${result.stderr.trim()}`;
  return undefined;
}

/** A port nothing listens on at the moment, picked by the OS. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

async function answers(url) {
  try {
    const res = await fetch(`${url}/moto-api/data.json`, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.status < 500;
  } catch {
    return false;
  }
}

/** Resolves when the process has exited (or at once when it already has). */
function exited(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Starts `python3 -m moto.server` on a free loopback port and resolves once it answers HTTP
 * (about 2 s). `stop()` ends that process, by its PID, and waits for it to exit.
 *
 * @param {{ timeoutMs?: number }} [options]
 * @returns {Promise<{ url: string, pid: number, stop(): Promise<void> }>}
 */
export async function startMoto(options = {}) {
  const problem = motoProblem();
  if (problem) throw new Error(problem);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('python3 -m moto.server could not be started');

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    process.kill(pid, 'SIGTERM');
    const timer = setTimeout(() => {
      if (child.exitCode === null && child.signalCode === null) process.kill(pid, 'SIGKILL');
    }, 3000);
    await exited(child);
    clearTimeout(timer);
  };

  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  while (!(await answers(url))) {
    if (child.exitCode !== null)
      throw new Error(`moto server exited with ${child.exitCode} before it answered:\n${stderr}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`moto server on ${url} did not answer within ${options.timeoutMs ?? 30_000} ms:\n${stderr}`);
    }
    await sleep(100);
  }
  return { url, pid, stop };
}

/** Clears every resource moto holds (its `POST /moto-api/reset`). */
export async function resetMoto(url) {
  const res = await fetch(`${url}/moto-api/reset`, { method: 'POST' });
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`moto reset answered ${res.status}`);
}
