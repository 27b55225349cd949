/**
 * The app's events reach its queue: a test event put on the app's bus with the app user's key
 * arrives on the events queue (read and deleted with the operator's credentials: the app user
 * may only put events; the email handler's role reads the queue).
 */
import { randomUUID } from 'node:crypto';
import type { AwsContext } from '../../aws/context.js';
import { isDenied } from '../../aws/errors.js';
import { EventBridge } from '../../aws/sdk.js';
import {
  type CheckResult,
  type SmokeDeps,
  type SmokeTarget,
  commands,
  describeError,
  failed,
  ok,
  skipped,
} from './common.js';
import { awaitEvent } from './queue-events.js';

export const TEST_EVENT_SOURCE = 'hm-infra.smoke-test';
export const TEST_EVENT_DETAIL_TYPE = 'hm-infra smoke test';

export async function checkEvents(
  aws: AwsContext,
  app: AwsContext,
  target: SmokeTarget,
  deps: SmokeDeps,
): Promise<CheckResult> {
  const events = target.events;
  if (!events) return skipped('events', 'this environment has no app events (add them with `hm-infra init --events`)');
  const c = commands(target);
  const nonce = randomUUID();
  try {
    const res = await app.eventbridge().send(
      new EventBridge.PutEventsCommand({
        Entries: [
          {
            EventBusName: events.busName,
            Source: TEST_EVENT_SOURCE,
            DetailType: TEST_EVENT_DETAIL_TYPE,
            Detail: JSON.stringify({ nonce, environment: target.environment }),
          },
        ],
      }),
    );
    const entry = res.Entries?.[0];
    if ((res.FailedEntryCount ?? 0) > 0 || entry?.ErrorCode)
      return failed(
        'events',
        `EventBridge did not take the test event: ${entry?.ErrorCode ?? 'refused'}${entry?.ErrorMessage ? ` (${entry.ErrorMessage})` : ''}`,
        c.repair,
      );
  } catch (err) {
    if (isDenied(err))
      return failed(
        'events',
        `the app user may not put events on bus ${events.busName} (${describeError(err)})`,
        `Its app-events policy should allow events:PutEvents on the bus. ${c.repair}`,
      );
    return failed('events', `putting the test event on ${events.busName} failed: ${describeError(err)}`, c.repair);
  }
  const timeoutSeconds = Math.round(deps.eventTimeoutMs / 1000);
  try {
    const arrival = await awaitEvent(
      aws,
      events.queueUrl,
      (event) =>
        event['source'] === TEST_EVENT_SOURCE && (event['detail'] as { nonce?: unknown } | undefined)?.nonce === nonce,
      { ...deps, timeoutMs: deps.eventTimeoutMs, waiting: `waiting for the test event on ${events.queueName}` },
    );
    if (arrival.event)
      return ok('events', `an event put on bus ${events.busName} with the app's key reached ${events.queueName}`, {
        polls: arrival.polls,
      });
    if (deps.signal.aborted) return skipped('events', 'stopped before the test event arrived');
    return failed(
      'events',
      `the test event put on ${events.busName} did not reach ${events.queueName} within ${timeoutSeconds} s`,
      `Check the bus's rule, its target and the queue policy: ${c.repair}`,
    );
  } catch (err) {
    return failed('events', `reading ${events.queueName} failed: ${describeError(err)}`, c.repair);
  }
}
