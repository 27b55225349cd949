import { describe, expect, it } from 'vitest';
import { orderSteps } from '../../src/engine/order.js';
import type { AnyStep } from '../../src/engine/types.js';
import { provisioningSteps, teardownSteps } from '../../src/resources/index.js';
import { givenConfig } from '../support/context.js';

const ids = (steps: readonly AnyStep[]) => steps.map((s) => s.id);

const BASE = [
  'account',
  'bucket',
  'bucket-settings',
  'oac',
  'distribution',
  'bucket-policy',
  'email-config-set',
  'email-identity',
  'email-mail-from',
  'template-email-verification',
  'template-password-reset',
  'dns-zone',
  'dns-records',
];
const EMAIL_EVENTS = [
  'email-events-dlq',
  'email-events-queue',
  'email-events-rule',
  'email-events-target',
  'email-events-queue-policy',
  'email-event-destination',
  'email-metrics-destination',
  'alerts-topic',
  'alarm-bounce-rate',
  'alarm-complaint-rate',
  'alarm-bounces',
];
const APP_EVENTS = [
  'events-bus',
  'events-dlq',
  'events-queue',
  'events-rule',
  'events-target',
  'events-queue-policy',
  'email-handler-log-group',
  'email-handler-role',
  'email-handler-role-policy',
];

describe('the steps init runs', () => {
  it('by default: storage, CDN, email, the bounce handling, the user with its three policies, then the key', () => {
    // WHEN
    const steps = ids(provisioningSteps(givenConfig()));
    // THEN
    expect(steps).toEqual([
      ...BASE,
      ...EMAIL_EVENTS,
      'iam-user',
      'iam-policy-s3',
      'iam-policy-ses',
      'iam-policy-email-events',
      'access-key',
    ]);
  });

  it('with --no-email-events: no queue, rule, destination, alarm, topic or email-events policy; suppression lives on the set', () => {
    // WHEN
    const steps = ids(provisioningSteps(givenConfig({ emailEvents: false })));
    // THEN
    expect(steps).toEqual([...BASE, 'iam-user', 'iam-policy-s3', 'iam-policy-ses', 'access-key']);
  });

  it('with --no-email: nothing of SES nor of its events', () => {
    // WHEN
    const steps = ids(provisioningSteps(givenConfig({ email: false })));
    // THEN
    expect(steps).toEqual([
      'account',
      'bucket',
      'bucket-settings',
      'oac',
      'distribution',
      'bucket-policy',
      'iam-user',
      'iam-policy-s3',
      'access-key',
    ]);
  });

  it('with --events: the app bus, its queues, rule, target and policy, the log group, the role and its policy, and app-events', () => {
    // WHEN
    const steps = ids(provisioningSteps(givenConfig({ events: true })));
    // THEN
    expect(steps).toEqual([
      ...BASE,
      ...EMAIL_EVENTS,
      ...APP_EVENTS,
      'iam-user',
      'iam-policy-s3',
      'iam-policy-ses',
      'iam-policy-email-events',
      'iam-policy-app-events',
      'access-key',
    ]);
  });

  it('with --alert-email: the subscription too, and only then', () => {
    // WHEN
    const withEmail = ids(provisioningSteps(givenConfig({ alertEmail: 'ops@example.com' })));
    const without = ids(provisioningSteps(givenConfig()));
    // THEN
    expect(withEmail.filter((id) => !without.includes(id))).toEqual(['alerts-subscription']);
    expect(without).not.toContain('alerts-subscription');
  });
});

describe('the order of the graph', () => {
  const steps = provisioningSteps(givenConfig({ events: true, alertEmail: 'ops@example.com' }));
  const ordered = ids(orderSteps(steps));
  const byId = new Map(steps.map((s) => [s.id, s]));
  /** Everything a step depends on, directly or through others: what orderSteps puts first whatever the listing. */
  const upstream = (id: string, seen = new Set<string>()): Set<string> => {
    for (const dep of byId.get(id)?.dependsOn ?? [])
      if (!seen.has(dep)) {
        seen.add(dep);
        upstream(dep, seen);
      }
    return seen;
  };
  const before = (first: string, then: string) => {
    expect(ordered).toContain(first);
    expect(ordered).toContain(then);
    expect(ordered.indexOf(first), `${first} before ${then}`).toBeLessThan(ordered.indexOf(then));
    expect([...upstream(then)], `${then} depends on ${first}`).toContain(first);
  };

  it('puts each queue after its dead-letter queue', () => {
    before('email-events-dlq', 'email-events-queue');
    before('events-dlq', 'events-queue');
  });

  it('puts targets and queue policies after their queue and their rule, and the app rule after its bus', () => {
    for (const prefix of ['email-events', 'events']) {
      for (const then of [`${prefix}-target`, `${prefix}-queue-policy`]) {
        before(`${prefix}-queue`, then);
        before(`${prefix}-rule`, then);
      }
    }
    before('events-bus', 'events-rule');
  });

  it('puts the EventBridge destination after the target and the queue policy, so no event is published into nothing', () => {
    before('email-events-target', 'email-event-destination');
    before('email-events-queue-policy', 'email-event-destination');
    before('email-config-set', 'email-event-destination');
  });

  it('puts the alarms after the topic, the bounce-count alarm after the CloudWatch destination, the subscription after the topic', () => {
    for (const alarm of ['alarm-bounce-rate', 'alarm-complaint-rate', 'alarm-bounces']) before('alerts-topic', alarm);
    before('email-metrics-destination', 'alarm-bounces');
    before('alerts-topic', 'alerts-subscription');
  });

  it("puts the role's policy after the role, the events queue, the log group and the SES resources it names", () => {
    for (const first of [
      'email-handler-role',
      'events-queue',
      'email-handler-log-group',
      'email-identity',
      'email-config-set',
      'template-email-verification',
      'template-password-reset',
    ])
      before(first, 'email-handler-role-policy');
  });

  it('puts the access key after every user policy, and each policy after what it names', () => {
    const policies = ordered.filter((id) => id.startsWith('iam-policy-'));
    expect(policies).toEqual(['iam-policy-s3', 'iam-policy-ses', 'iam-policy-email-events', 'iam-policy-app-events']);
    for (const policy of policies) before(policy, 'access-key');
    before('email-events-queue', 'iam-policy-email-events');
    before('events-bus', 'iam-policy-app-events');
  });

  it('is a graph orderSteps accepts for every combination of the features', () => {
    for (const emailEvents of [true, false])
      for (const events of [true, false])
        for (const alertEmail of [undefined, 'ops@example.com'])
          expect(() =>
            orderSteps(provisioningSteps(givenConfig({ emailEvents, events, ...(alertEmail ? { alertEmail } : {}) }))),
          ).not.toThrow();
  });
});

describe('the steps teardown goes through', () => {
  it('include the bounce handling state records, after --no-email-events turned it off', () => {
    // WHEN
    const steps = ids(teardownSteps(givenConfig({ emailEvents: false }), new Set(['email-events-queue'])));
    // THEN
    for (const id of [...EMAIL_EVENTS, 'iam-policy-email-events']) expect(steps).toContain(id);
    expect(steps).not.toContain('alerts-subscription');
  });

  it('include the app events state records, after --events was dropped', () => {
    // WHEN
    const steps = ids(teardownSteps(givenConfig(), new Set(['email-handler-role'])));
    // THEN
    for (const id of [...APP_EVENTS, 'iam-policy-app-events']) expect(steps).toContain(id);
  });

  it('include the alert subscription state records, without --alert-email', () => {
    // WHEN
    const steps = ids(teardownSteps(givenConfig(), new Set(['alerts-subscription'])));
    // THEN
    expect(steps).toContain('alerts-subscription');
  });

  it('include the SES steps the recorded events build on, after --no-email', () => {
    // WHEN
    const steps = ids(teardownSteps(givenConfig({ email: false }), new Set(['alarm-bounces'])));
    // THEN
    for (const id of ['email-config-set', 'email-identity', ...EMAIL_EVENTS]) expect(steps).toContain(id);
  });

  it('leave out the features that are off and of which state records nothing', () => {
    // WHEN
    const steps = ids(teardownSteps(givenConfig({ emailEvents: false }), new Set(['bucket', 'iam-user'])));
    // THEN
    expect(steps).toEqual(ids(provisioningSteps(givenConfig({ emailEvents: false }))));
  });
});
