/**
 * Events arriving on a queue: the bounce SES publishes for the smoke test's email, and the test
 * event put on the app's bus. Shared by both checks: receive (long polling, bounded by a
 * deadline, with progress), pick out the one message that is ours, delete it.
 */
import type { Message } from '@aws-sdk/client-sqs';
import type { AwsContext } from '../../aws/context.js';
import { SQS } from '../../aws/sdk.js';
import type { SmokeDeps } from './common.js';

/** SQS's longest long poll. */
const LONG_POLL_SECONDS = 20;

export interface Arrival {
  /** The event (the message body, parsed), once it arrived; undefined when the deadline passed first. */
  event: Record<string, unknown> | undefined;
  /** How many receives it took. */
  polls: number;
  /** Messages seen that were not ours (the app's own): left on the queue, visible again after the queue's visibility timeout. */
  others: number;
}

const parse = (body: string | undefined): Record<string, unknown> | undefined => {
  if (body === undefined) return undefined;
  try {
    const value = JSON.parse(body) as unknown;
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch (err) {
    if (err instanceof SyntaxError) return undefined;
    throw err;
  }
};

/**
 * Receives from `queueUrl` (signed by `aws`) until a message whose event `isOurs`, or the
 * deadline; deletes that message. Messages of others are not deleted; each receive counts
 * toward their redrive (5), so the wait is bounded and every poll takes up to 10 messages.
 */
export async function awaitEvent(
  aws: AwsContext,
  queueUrl: string,
  isOurs: (event: Record<string, unknown>) => boolean,
  deps: SmokeDeps & { timeoutMs: number; waiting: string },
): Promise<Arrival> {
  const started = deps.clock.now();
  const deadline = started + deps.timeoutMs;
  const sqs = aws.sqs();
  let polls = 0;
  let others = 0;
  const seen = new Set<string>();
  do {
    if (deps.signal.aborted) break;
    const left = Math.max(0, Math.ceil((deadline - deps.clock.now()) / 1000));
    deps.onWait?.(deps.waiting);
    polls += 1;
    const res = await sqs.send(
      new SQS.ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: Math.min(LONG_POLL_SECONDS, left),
      }),
      { abortSignal: deps.signal },
    );
    const messages: Message[] = res.Messages ?? [];
    for (const message of messages) {
      const event = parse(message.Body);
      if (event && isOurs(event)) {
        if (message.ReceiptHandle)
          await sqs.send(new SQS.DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
        return { event, polls, others };
      }
      if (message.MessageId && !seen.has(message.MessageId)) {
        seen.add(message.MessageId);
        others += 1;
      }
    }
    // An emulator may answer at once instead of long polling: pause rather than spin.
    if (messages.length === 0 && deps.clock.now() < deadline) await deps.clock.sleep(1000, deps.signal);
  } while (deps.clock.now() < deadline);
  return { event: undefined, polls, others };
}
