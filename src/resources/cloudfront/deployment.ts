import type { AwsContext } from '../../aws/context.js';
import { CloudFront } from '../../aws/sdk.js';
import { attempt } from '../../engine/resource.js';
import { ExitCode, HmError } from '../../errors.js';

export interface WaitOptions {
  maxWaitSeconds: number;
  /** Seconds between polls (the SDK waiter's back-off between these). */
  minDelaySeconds?: number;
  maxDelaySeconds?: number;
  /** Called every `progressEverySeconds` with the elapsed time, for a live display. */
  onProgress?: (elapsed: string) => void;
  progressEverySeconds?: number;
  signal?: AbortSignal;
  /** What to do after a timeout, when it is not "re-run with --wait". */
  timeoutHint?: string;
}

const elapsedText = (ms: number) => {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
};

/**
 * Waits with the SDK waiter until the distribution is Deployed. A timeout is not a failure of
 * the distribution (it finishes on its own) and gets its own code and exit code 3.
 */
export async function waitForDeployment(aws: AwsContext, id: string, options: WaitOptions): Promise<void> {
  const started = Date.now();
  const ticker = options.onProgress
    ? setInterval(
        () => options.onProgress?.(elapsedText(Date.now() - started)),
        (options.progressEverySeconds ?? 15) * 1000,
      )
    : undefined;
  /** How the waiter's own endings are told to the user: still deploying, or stopped by them. */
  const explain = (err: unknown): HmError | undefined => {
    const name = (err as Error).name;
    if (name === 'TimeoutError') {
      return new HmError(
        'DEPLOY_PENDING',
        `distribution ${id} is still deploying after ${elapsedText(Date.now() - started)}`,
        'aws',
        {
          hint:
            options.timeoutHint ??
            'CloudFront finishes on its own; nothing needs to be redone. Re-run with --wait to keep waiting.',
          exitCode: ExitCode.pending,
          cause: err,
        },
      );
    }
    if (name === 'AbortError')
      return new HmError('WAIT_ABORTED', `stopped waiting for distribution ${id}`, 'user', {
        exitCode: ExitCode.aborted,
        cause: err,
      });
    return undefined;
  };
  try {
    await attempt(
      () =>
        CloudFront.waitUntilDistributionDeployed(
          {
            client: aws.cloudfront(),
            maxWaitTime: options.maxWaitSeconds,
            minDelay: options.minDelaySeconds ?? 20,
            maxDelay: options.maxDelaySeconds ?? 60,
            ...(options.signal ? { abortSignal: options.signal } : {}),
          },
          { Id: id },
        ),
      `wait for distribution ${id} to deploy`,
      explain,
    );
  } finally {
    if (ticker) clearInterval(ticker);
  }
}
