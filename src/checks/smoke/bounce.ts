/**
 * A bounce reaches the app: an email to SES's bounce simulator, through the configuration set,
 * comes back as an "Email Bounced" event on the email-events queue, read and deleted with the
 * app user's key, as the app's own bounce handling would.
 */
import type { AwsContext } from '../../aws/context.js';
import { isDenied } from '../../aws/errors.js';
import { SES } from '../../aws/sdk.js';
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

/** SES's mailbox simulator address that answers every email with a hard bounce. */
export const BOUNCE_SIMULATOR = 'bounce@simulator.amazonses.com';

const detailOf = (event: Record<string, unknown>) =>
  (event['detail'] ?? {}) as { mail?: { messageId?: unknown }; eventType?: unknown };

export async function checkBounce(app: AwsContext, target: SmokeTarget, deps: SmokeDeps): Promise<CheckResult> {
  const email = target.email;
  const queue = target.emailEvents;
  if (!email) return skipped('bounce', 'this environment has no email (set up with --no-email)');
  if (!queue) return skipped('bounce', 'this environment has no email events (set up with --no-email-events)');
  const c = commands(target);
  let messageId: string | undefined;
  try {
    const sent = await app.sesv2().send(
      new SES.SendEmailCommand({
        FromEmailAddress: email.from,
        Destination: { ToAddresses: [BOUNCE_SIMULATOR] },
        Content: {
          Simple: {
            Subject: { Data: `hm-infra smoke test of ${target.environment}: bounce` },
            Body: {
              Text: { Data: 'This email is sent to SES’s bounce simulator to check that bounces reach the app.' },
            },
          },
        },
        ConfigurationSetName: email.configurationSet,
        EmailTags: [{ Name: 'hm-infra', Value: 'smoke-test-bounce' }],
      }),
    );
    messageId = sent.MessageId;
  } catch (err) {
    // The email check, sending through the same identity and configuration set, reports why.
    return skipped(
      'bounce',
      `not run: SES did not send to ${BOUNCE_SIMULATOR} (${describeError(err)})`,
      'The email check says why SES does not send; once it passes, this one runs.',
    );
  }
  if (messageId === undefined) return failed('bounce', 'SES sent the email but returned no message id', c.repair);
  const timeoutSeconds = Math.round(deps.eventTimeoutMs / 1000);
  try {
    const arrival = await awaitEvent(
      app,
      queue.queueUrl,
      (event) => event['detail-type'] === 'Email Bounced' && detailOf(event).mail?.messageId === messageId,
      { ...deps, timeoutMs: deps.eventTimeoutMs, waiting: `waiting for the bounce event on ${queue.name}` },
    );
    const others =
      arrival.others > 0
        ? `; ${arrival.others} other message${arrival.others > 1 ? 's were' : ' was'} left on the queue for the app`
        : '';
    if (arrival.event)
      return ok(
        'bounce',
        `a bounce from ${BOUNCE_SIMULATOR} reached ${queue.name} and was read and deleted with the app's key${others}`,
        { messageId, polls: arrival.polls },
      );
    if (deps.signal.aborted) return skipped('bounce', 'stopped before the bounce event arrived');
    if (target.endpointUrl !== undefined)
      return skipped(
        'bounce',
        `no bounce event reached ${queue.name} within ${timeoutSeconds} s: the endpoint ${target.endpointUrl} does not publish SES events, so the path from SES to the queue was not checked${others}`,
        `On AWS the event arrives within seconds; run smoke-test against AWS to check it.`,
      );
    return failed(
      'bounce',
      `no bounce event reached ${queue.name} within ${timeoutSeconds} s (SES publishes it within seconds)${others}`,
      `Check that the event destination, the EventBridge rule, its target and the queue policy are as init set them up: ${c.repair}`,
      { messageId, polls: arrival.polls },
    );
  } catch (err) {
    if (isDenied(err))
      return failed(
        'bounce',
        `the app user may not receive or delete on ${queue.name} (${describeError(err)})`,
        `Its email-events policy should allow sqs:ReceiveMessage and sqs:DeleteMessage on the queue. ${c.repair}`,
      );
    return failed('bounce', `reading ${queue.name} failed: ${describeError(err)}`, c.repair);
  }
}
