/** The app's key is refused what the app does not need. */
import type { AwsContext } from '../../aws/context.js';
import { httpStatus, isInvalidKey, isThrottled } from '../../aws/errors.js';
import { EventBridge, IAM, S3, SES, SQS } from '../../aws/sdk.js';
import {
  type CheckResult,
  type SmokeTarget,
  isRefused,
  ok,
  failed,
  skipped,
  describeError,
  commands,
} from './common.js';
import { NO_IAM_FIX } from './private-bucket.js';

interface Probe {
  action: string;
  run(): Promise<unknown>;
}

/** Read-only calls the app must not be allowed: an over-broad policy shows without harm done. */
function probesFor(app: AwsContext, target: SmokeTarget): Probe[] {
  return [
    {
      action: 's3:GetBucketPolicy',
      run: () => app.s3().send(new S3.GetBucketPolicyCommand({ Bucket: target.bucket })),
    },
    { action: 's3:ListAllMyBuckets', run: () => app.s3().send(new S3.ListBucketsCommand({})) },
    {
      action: 'iam:ListAccessKeys',
      run: () => app.iam().send(new IAM.ListAccessKeysCommand({ UserName: target.userName })),
    },
    ...(target.email ? [{ action: 'ses:GetAccount', run: () => app.sesv2().send(new SES.GetAccountCommand({})) }] : []),
    // The app may receive and delete its email events, not read or change the queue.
    ...(target.emailEvents
      ? [
          {
            action: 'sqs:GetQueueAttributes',
            run: () =>
              app.sqs().send(
                new SQS.GetQueueAttributesCommand({
                  QueueUrl: (target.emailEvents as { queueUrl: string }).queueUrl,
                  AttributeNames: ['Policy'],
                }),
              ),
          },
        ]
      : []),
    // The app may put events on its bus, not look at the account's rules.
    ...(target.events
      ? [{ action: 'events:ListRules', run: () => app.eventbridge().send(new EventBridge.ListRulesCommand({})) }]
      : []),
  ];
}

type ProbeOutcome = 'refused' | 'allowed' | { error: string };

async function probe(p: Probe): Promise<ProbeOutcome> {
  try {
    await p.run();
    return 'allowed';
  } catch (err) {
    if (isRefused(err)) return 'refused';
    const status = httpStatus(err);
    // Authorised, then not found (NoSuchBucketPolicy …): the action was allowed.
    if (status !== undefined && status >= 400 && status < 500 && !isInvalidKey(err) && !isThrottled(err))
      return 'allowed';
    return { error: describeError(err) };
  }
}

export async function checkLeastPrivilege(
  app: AwsContext,
  target: SmokeTarget,
  anyKey: () => Promise<boolean>,
): Promise<CheckResult> {
  const probes = probesFor(app, target);
  const outcomes = await Promise.all(probes.map(probe));
  const actions = (wanted: (o: ProbeOutcome) => boolean) =>
    probes.filter((_, i) => wanted(outcomes[i] as ProbeOutcome)).map((p) => p.action);
  const refused = actions((o) => o === 'refused');
  const allowed = actions((o) => o === 'allowed');
  const errors = outcomes.flatMap((o, i) => (typeof o === 'object' ? [`${probes[i]?.action}: ${o.error}`] : []));
  const details = { refused, allowed, errors };
  if (allowed.length > 0) {
    if (target.endpointUrl !== undefined && (await anyKey())) {
      return skipped(
        'least-privilege',
        `the endpoint ${target.endpointUrl} accepts any credentials and refuses nothing, so least privilege cannot be checked there (it allowed ${allowed.join(', ')})`,
        NO_IAM_FIX,
      );
    }
    return failed(
      'least-privilege',
      `the app key may ${allowed.join(', ')}: its permissions go beyond what the app needs`,
      `Someone widened the app user's policies or attached another one. ${commands(target).repair} Also remove any policy or group attached to IAM user ${target.userName} by hand (IAM console).`,
      details,
    );
  }
  if (errors.length > 0)
    return failed(
      'least-privilege',
      `could not check every action: ${errors.join('; ')}`,
      commands(target).network,
      details,
    );
  return ok('least-privilege', `the app key is refused ${refused.join(', ')}`, details);
}
