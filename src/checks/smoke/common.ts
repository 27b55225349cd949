/** What every check of `hm-infra smoke-test` shares: results, the target, waits and error wording. */
import { awsErrorName, httpStatus, isDenied } from '../../aws/errors.js';
import type { Clock } from '../../clock.js';

export type CheckStatus = 'ok' | 'pending' | 'failed' | 'skipped';
export type CheckId =
  'app-key' | 'upload' | 'cdn' | 'private-bucket' | 'least-privilege' | 'email' | 'bounce' | 'events' | 'cleanup';

/** The checks in the order they are reported. */
export const CHECK_IDS: readonly CheckId[] = [
  'app-key',
  'upload',
  'cdn',
  'private-bucket',
  'least-privilege',
  'email',
  'bounce',
  'events',
  'cleanup',
];

export interface CheckResult {
  id: CheckId;
  status: CheckStatus;
  /** One line: what was shown to work, or what went wrong. */
  summary: string;
  /** What to do about it. */
  fix?: string;
  details?: Record<string, unknown>;
}

/** What the checks need from the state file. */
export interface SmokeTarget {
  environment: string;
  region: string;
  bucket: string;
  userName: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  cdn?: { url: string; distributionId: string; customDomain: boolean };
  email?: {
    from: string;
    domain: string;
    configurationSet: string;
    template: string;
    /** The template's variables, filled with sample values. */
    variables: string[];
    to: string;
    /** `to` is SES's mailbox simulator. */
    simulator: boolean;
  };
  /** The email-events queue the app reads its bounces and complaints from. */
  emailEvents?: { name: string; queueUrl: string };
  /** The app's event bus and the queue its rule feeds. */
  events?: { busName: string; queueName: string; queueUrl: string };
  /** An AWS-compatible endpoint (emulator), when one is used. */
  endpointUrl?: string;
}

export interface SmokeDeps {
  fetch: typeof fetch;
  clock: Clock;
  /** Aborts the waits (Ctrl-C); the test object is still removed. */
  signal: AbortSignal;
  /** How long to keep trying the CDN while CloudFront deploys. */
  cdnTimeoutMs: number;
  /** How long to wait for an event (the bounce, the test event) to reach its queue. */
  eventTimeoutMs: number;
  /** A line about a wait in progress. */
  onWait?: (text: string) => void;
  /** Each result as soon as it is known. */
  onResult?: (result: CheckResult) => void;
}

/** The upload URL's lifetime, as the app's (300 s, as README "Application integration" shows). */
export const UPLOAD_EXPIRY_SECONDS = 300;
export const TEST_CONTENT_TYPE = 'text/plain; charset=utf-8';
/** The first wait between CDN tries; later ones grow by half. */
export const CDN_RETRY_MS = 2000;
/** Tries once CloudFront reports Deployed (edges and DNS caches catch up within seconds). */
export const DEPLOYED_TRIES = 4;
export const HTTP_TIMEOUT_MS = 30_000;

/** Refused for lack of permission (S3's HeadObject, a HEAD answer without a body, says only 403). */
export const isRefused = (err: unknown) => isDenied(err) || httpStatus(err) === 403;

export const ok = (id: CheckId, summary: string, details?: Record<string, unknown>): CheckResult => ({
  id,
  status: 'ok',
  summary,
  ...(details ? { details } : {}),
});
export const failed = (id: CheckId, summary: string, fix: string, details?: Record<string, unknown>): CheckResult => ({
  id,
  status: 'failed',
  summary,
  fix,
  ...(details ? { details } : {}),
});
export const skipped = (id: CheckId, summary: string, fix?: string): CheckResult => ({
  id,
  status: 'skipped',
  summary,
  ...(fix !== undefined ? { fix } : {}),
});

/** `Name: message` of an SDK error, or the system code of a network failure. */
export function describeError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  if (err instanceof TypeError && cause?.code !== undefined)
    return cause.message?.includes(cause.code)
      ? cause.message
      : `${cause.code}${cause.message ? ` (${cause.message})` : ''}`;
  const name = awsErrorName(err);
  const message = err instanceof Error ? err.message : String(err);
  return name !== undefined && name !== 'Error' && !message.startsWith(name) ? `${name}: ${message}` : message;
}

export const isNetworkError = (err: unknown) =>
  err instanceof TypeError ||
  (err as { name?: string } | undefined)?.name === 'TimeoutError' ||
  (err as { name?: string } | undefined)?.name === 'AbortError';

/** Code and message of an S3 error document (CloudFront passes S3's on); undefined code when the body is not one. */
export async function s3ErrorOf(response: Response): Promise<{ code: string | undefined; message: string }> {
  const text = await response.text().catch(() => '');
  return {
    code: /<Code>([^<]+)<\/Code>/.exec(text)?.[1],
    message: /<Message>([^<]*)<\/Message>/.exec(text)?.[1] ?? response.statusText,
  };
}

export function commands(target: SmokeTarget) {
  const env = `--env ${target.environment}`;
  return {
    env,
    repair: `Run \`hm-infra status ${env}\` to see what differs from what init set up, and \`hm-infra init ${env}\` to restore it.`,
    rotate: `Run \`hm-infra init ${env} --rotate-key\` to give the app user a new key, then give the app the new block (\`hm-infra print-env ${env}\`).`,
    network: 'Check your network connection (and --endpoint-url / AWS_ENDPOINT_URL), then re-run.',
  };
}
