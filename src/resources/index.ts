import { type Config, emailEventsOn } from '../config/config.js';
import { accountStep } from './account/account.js';
import { makeBucketPolicyStep } from './s3/bucket-policy.js';
import { bucketSettingsStep } from './s3/bucket-settings.js';
import { bucketStep } from './s3/bucket.js';
import { distributionStep } from './cloudfront/distribution.js';
import { dnsRecordsStep } from './dns/records.js';
import { dnsZoneStep } from './dns/zone.js';
import { configSetStep } from './ses/configuration-set.js';
import { emailEventDestinationStep, emailMetricsDestinationStep } from './ses/event-destinations.js';
import { identityStep } from './ses/identity.js';
import { mailFromStep } from './ses/mail-from.js';
import { templateSteps } from './ses/templates.js';
import { makeAccessKeyStep } from './iam/access-key.js';
import { appEventsPolicyStep, emailEventsPolicyStep, s3PolicyStep, sesPolicyStep } from './iam/policies.js';
import { emailHandlerRolePolicyStep, emailHandlerRoleStep } from './iam/role.js';
import { iamUserStep } from './iam/user.js';
import { oacStep } from './cloudfront/oac.js';
import { eventBusStep } from './eventbridge/bus.js';
import { emailEventsRuleStep, eventsRuleStep } from './eventbridge/rule.js';
import { emailEventsTargetStep, eventsTargetStep } from './eventbridge/target.js';
import { emailEventsDlqStep, emailEventsQueueStep, eventsDlqStep, eventsQueueStep } from './sqs/queue.js';
import { emailEventsQueuePolicyStep, eventsQueuePolicyStep } from './sqs/queue-policy.js';
import { alertsTopicStep } from './sns/topic.js';
import { alertsSubscriptionStep } from './sns/subscription.js';
import { bounceRateAlarmStep, bouncesAlarmStep, complaintRateAlarmStep } from './cloudwatch/alarms.js';
import { emailHandlerLogGroupStep } from './logs/log-group.js';
import type { AnyStep, StepId } from '../engine/types.js';

type Features = Pick<Config, 'cdn' | 'email'> & Partial<Pick<Config, 'emailEvents' | 'alertEmail' | 'events'>>;

/** Bounce and complaint handling: SES events → default bus → rule → queue; counts and rates → alarms → topic. */
function emailEventSteps(config: Features): AnyStep[] {
  return [
    emailEventsDlqStep,
    emailEventsQueueStep,
    emailEventsRuleStep,
    emailEventsTargetStep,
    emailEventsQueuePolicyStep,
    emailEventDestinationStep,
    emailMetricsDestinationStep,
    alertsTopicStep,
    ...(config.alertEmail !== undefined ? [alertsSubscriptionStep] : []),
    bounceRateAlarmStep,
    complaintRateAlarmStep,
    bouncesAlarmStep,
  ];
}

/** The app's events: its bus → rule → queue, and the email handler's role and log group. */
const appEventSteps: AnyStep[] = [
  eventBusStep,
  eventsDlqStep,
  eventsQueueStep,
  eventsRuleStep,
  eventsTargetStep,
  eventsQueuePolicyStep,
  emailHandlerLogGroupStep,
  emailHandlerRoleStep,
  emailHandlerRolePolicyStep,
];

/**
 * Every step `init` runs, in the dependency graph of docs/resources.md; --no-cdn leaves out CloudFront,
 * --no-email leaves out SES, its DNS records, the sending policy and the email events;
 * --no-email-events the bounce handling; --events adds the app's event bus and email handler.
 * The access key comes last: a key exists only once its user may do exactly what the app needs.
 */
export function provisioningSteps(config: Features): AnyStep[] {
  const storage = [accountStep, bucketStep, bucketSettingsStep];
  const cdn = config.cdn ? [oacStep, distributionStep, makeBucketPolicyStep(true)] : [makeBucketPolicyStep(false)];
  const withEvents = emailEventsOn(config);
  const email = config.email
    ? [configSetStep, identityStep, mailFromStep, ...templateSteps, dnsZoneStep, dnsRecordsStep]
    : [];
  const events = [
    ...(withEvents ? emailEventSteps(config) : []),
    ...(config.email && config.events ? appEventSteps : []),
  ];
  const policies = [
    s3PolicyStep,
    ...(config.email ? [sesPolicyStep] : []),
    ...(withEvents ? [emailEventsPolicyStep] : []),
    ...(config.email && config.events ? [appEventsPolicyStep] : []),
  ];
  const iam = [iamUserStep, ...policies, makeAccessKeyStep({ dependsOn: ['iam-user', ...policies.map((p) => p.id)] })];
  return [...storage, ...cdn, ...email, ...events, ...iam];
}

/**
 * What teardown goes through: the configured graph, with the event features that state still
 * holds resources of (turned off since, the resources stay until teardown removes them).
 */
export function teardownSteps(config: Features, recorded: ReadonlySet<StepId>): AnyStep[] {
  const has = (steps: readonly AnyStep[]) => steps.some((s) => recorded.has(s.id));
  const all = { ...config, alertEmail: config.alertEmail ?? (recorded.has('alerts-subscription') ? '' : undefined) };
  const emailEvents = emailEventsOn(config) || has(emailEventSteps({ ...all, alertEmail: '' }));
  const events = config.events || has(appEventSteps);
  return provisioningSteps({ ...all, email: config.email || emailEvents || events, emailEvents, events });
}
