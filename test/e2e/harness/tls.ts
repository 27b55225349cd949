/**
 * A throwaway TLS identity for the harness's HTTPS port: a self-signed certificate for
 * 127.0.0.1 and localhost, made with the `openssl` CLI into a temp directory at start. The CLI
 * under test trusts it through NODE_EXTRA_CA_CERTS (honoured by the SDK's https agent and by
 * `fetch`), so it talks TLS to the harness exactly as it does to AWS.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TlsIdentity {
  dir: string;
  /** PEM of the certificate: what NODE_EXTRA_CA_CERTS points at. */
  certFile: string;
  cert: Buffer;
  key: Buffer;
  remove(): Promise<void>;
}

/** Makes a P-256 key and a two-day self-signed certificate with subjectAltName IP:127.0.0.1, DNS:localhost. */
export async function makeTlsIdentity(): Promise<TlsIdentity> {
  const dir = await mkdtemp(join(tmpdir(), 'hm-harness-tls-'));
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  try {
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '2',
      '-subj',
      '/CN=hm-infra e2e harness',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
    ]);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`the e2e harness needs the openssl CLI to make its TLS certificate: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const [cert, key] = await Promise.all([readFile(certFile), readFile(keyFile)]);
  return { dir, certFile, cert, key, remove: () => rm(dir, { recursive: true, force: true }) };
}
