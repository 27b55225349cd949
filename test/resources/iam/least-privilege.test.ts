import { describe, expect, it } from 'vitest';
import {
  type PolicyDocument,
  appEventsPublisherPolicy,
  emailEventsConsumerPolicy,
  emailHandlerPolicy,
  lambdaTrustPolicy,
} from '../../../src/resources/iam/policy-document.js';
import { ruleDeliveryPolicy } from '../../../src/resources/sqs/queue-policy.js';
import { type Caller, isAllowed, resourcePolicyAllows } from '../../support/policy.js';

/*
 * The documents the event steps write (each step test checks the step writes exactly what these
 * functions build), asked what they allow, with the ARNs a real account has.
 */
const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const sqsArn = (name: string) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;
const EMAIL_EVENTS_QUEUE = sqsArn('healthmetrics-dev-email-events');
const EMAIL_EVENTS_DLQ = sqsArn('healthmetrics-dev-email-events-dlq');
const EVENTS_QUEUE = sqsArn('healthmetrics-dev-events');
const APP_BUS = `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/healthmetrics-dev`;
const DEFAULT_BUS = `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default`;
const EMAIL_RULE = `arn:aws:events:${REGION}:${ACCOUNT}:rule/healthmetrics-dev-email-events`;
const EVENTS_RULE = `arn:aws:events:${REGION}:${ACCOUNT}:rule/healthmetrics-dev/healthmetrics-dev-events`;
const ROLE = `arn:aws:iam::${ACCOUNT}:role/healthmetrics-dev-email-handler`;
const LOG_GROUP_NAME = '/aws/lambda/healthmetrics-dev-email-handler';
const LOG_GROUP = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${LOG_GROUP_NAME}`;
const SES = `arn:aws:ses:${REGION}:${ACCOUNT}`;
const IDENTITY = `${SES}:identity/example.com`;
const CONFIG_SET = `${SES}:configuration-set/healthmetrics-dev`;
const TEMPLATES = [`${SES}:template/email-verification`, `${SES}:template/password-reset`];
const FROM = 'noreply@example.com';

const handler = emailHandlerPolicy({
  queueArn: EVENTS_QUEUE,
  logGroupArn: LOG_GROUP,
  sending: { identityArn: IDENTITY, configurationSetArn: CONFIG_SET, templateArns: TEMPLATES, fromAddress: FROM },
});
const may = (doc: PolicyDocument, action: string, resource: string, context?: Record<string, string>) =>
  isAllowed([doc], { action, resource, ...(context ? { context } : {}) });

describe('the app user: email-events policy', () => {
  const doc = emailEventsConsumerPolicy(EMAIL_EVENTS_QUEUE);

  it('allows receiving and deleting messages of the email-events queue', () => {
    expect(may(doc, 'sqs:ReceiveMessage', EMAIL_EVENTS_QUEUE)).toBe(true);
    expect(may(doc, 'sqs:DeleteMessage', EMAIL_EVENTS_QUEUE)).toBe(true);
  });

  it.each([
    'sqs:SendMessage',
    'sqs:GetQueueAttributes',
    'sqs:PurgeQueue',
    'sqs:ChangeMessageVisibility',
    'sqs:SetQueueAttributes',
    'sqs:DeleteQueue',
  ])('refuses %s on it', (action) => {
    expect(may(doc, action, EMAIL_EVENTS_QUEUE)).toBe(false);
  });

  it('refuses another queue, its dead-letter queue included', () => {
    expect(may(doc, 'sqs:ReceiveMessage', EMAIL_EVENTS_DLQ)).toBe(false);
    expect(may(doc, 'sqs:ReceiveMessage', EVENTS_QUEUE)).toBe(false);
    expect(may(doc, 'sqs:DeleteMessage', sqsArn('healthmetrics-prod-email-events'))).toBe(false);
  });
});

describe('the app user: app-events policy', () => {
  const doc = appEventsPublisherPolicy(APP_BUS);

  it('allows PutEvents on its own bus', () => {
    expect(may(doc, 'events:PutEvents', APP_BUS)).toBe(true);
  });

  it('refuses the default bus, another bus, and every other EventBridge action', () => {
    expect(may(doc, 'events:PutEvents', DEFAULT_BUS)).toBe(false);
    expect(may(doc, 'events:PutEvents', `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/healthmetrics-prod`)).toBe(
      false,
    );
    expect(may(doc, 'events:PutRule', EMAIL_RULE)).toBe(false);
    expect(may(doc, 'events:PutRule', APP_BUS)).toBe(false);
    expect(may(doc, 'events:PutTargets', EVENTS_RULE)).toBe(false);
    expect(may(doc, 'events:DeleteEventBus', APP_BUS)).toBe(false);
  });
});

describe('the email handler role: its policy', () => {
  it.each(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes'])(
    'allows %s on the events queue',
    (action) => {
      expect(may(handler, action, EVENTS_QUEUE)).toBe(true);
    },
  );

  it('refuses the events queue for sending or purging, and the other queues altogether', () => {
    expect(may(handler, 'sqs:SendMessage', EVENTS_QUEUE)).toBe(false);
    expect(may(handler, 'sqs:PurgeQueue', EVENTS_QUEUE)).toBe(false);
    expect(may(handler, 'sqs:ReceiveMessage', EMAIL_EVENTS_QUEUE)).toBe(false);
    expect(may(handler, 'sqs:ReceiveMessage', sqsArn('healthmetrics-dev-events-dlq'))).toBe(false);
  });

  it.each([IDENTITY, CONFIG_SET, ...TEMPLATES])('allows sending from the configured sender through %s', (resource) => {
    for (const action of ['ses:SendEmail', 'ses:SendRawEmail', 'ses:SendTemplatedEmail'])
      expect(may(handler, action, resource, { 'ses:FromAddress': FROM })).toBe(true);
  });

  it('refuses sending from another address, without a From address, or through another identity', () => {
    expect(may(handler, 'ses:SendEmail', IDENTITY, { 'ses:FromAddress': 'ceo@example.com' })).toBe(false);
    expect(may(handler, 'ses:SendEmail', IDENTITY)).toBe(false);
    expect(may(handler, 'ses:SendEmail', `${SES}:identity/example.org`, { 'ses:FromAddress': FROM })).toBe(false);
    expect(may(handler, 'ses:SendEmail', `${SES}:template/other`, { 'ses:FromAddress': FROM })).toBe(false);
    expect(may(handler, 'ses:CreateEmailIdentity', IDENTITY, { 'ses:FromAddress': FROM })).toBe(false);
  });

  it("allows creating streams and writing events in its own log group's streams", () => {
    const stream = `${LOG_GROUP}:log-stream:2026/11/01/[$LATEST]0123456789abcdef`;
    expect(may(handler, 'logs:CreateLogStream', stream)).toBe(true);
    expect(may(handler, 'logs:PutLogEvents', stream)).toBe(true);
  });

  it('refuses another log group (one whose name only starts alike too), and creating log groups', () => {
    const other = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/other-function:log-stream:x`;
    const alike = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${LOG_GROUP_NAME}-2:log-stream:x`;
    expect(may(handler, 'logs:PutLogEvents', other)).toBe(false);
    expect(may(handler, 'logs:PutLogEvents', alike)).toBe(false);
    expect(may(handler, 'logs:CreateLogGroup', LOG_GROUP)).toBe(false);
    expect(may(handler, 'logs:CreateLogGroup', `${LOG_GROUP}:*`)).toBe(false);
    expect(may(handler, 'logs:DeleteLogGroup', LOG_GROUP)).toBe(false);
  });

  it('grants nothing on "*"', () => {
    expect(JSON.stringify(handler)).not.toContain('"*"');
  });
});

describe('the email handler role: its trust policy', () => {
  // A trust policy has no Resource: it is about the role. The evaluator is given the role as it.
  const trust = lambdaTrustPolicy();
  const asResourcePolicy = {
    ...trust,
    Statement: trust.Statement.map((s) => ({ ...s, Resource: [ROLE] })),
  };
  const assume = (caller: Caller, action = 'sts:AssumeRole') =>
    resourcePolicyAllows(asResourcePolicy, caller, { action, resource: ROLE });

  it('lets lambda.amazonaws.com assume the role', () => {
    expect(trust.Statement.every((s) => s.Resource === undefined)).toBe(true);
    expect(assume({ service: 'lambda.amazonaws.com' })).toBe(true);
  });

  it('lets no other service, no account and no user assume it', () => {
    expect(assume({ service: 'ec2.amazonaws.com' })).toBe(false);
    expect(assume({ service: 'events.amazonaws.com' })).toBe(false);
    expect(assume({ aws: `arn:aws:iam::${ACCOUNT}:user/healthmetrics-app-dev` })).toBe(false);
    expect(assume({ aws: 'arn:aws:iam::210987654321:root' })).toBe(false);
    expect(assume({ service: 'lambda.amazonaws.com' }, 'sts:AssumeRoleWithWebIdentity')).toBe(false);
  });
});

describe('the queue policies', () => {
  const events = { service: 'events.amazonaws.com' };
  const send = (doc: PolicyDocument, caller: Caller, queue: string, sourceArn?: string) =>
    resourcePolicyAllows(doc, caller, {
      action: 'sqs:SendMessage',
      resource: queue,
      ...(sourceArn ? { context: { 'aws:SourceArn': sourceArn } } : {}),
    });

  it("let EventBridge send to the queue for the queue's rule", () => {
    expect(send(ruleDeliveryPolicy(EMAIL_EVENTS_QUEUE, EMAIL_RULE), events, EMAIL_EVENTS_QUEUE, EMAIL_RULE)).toBe(true);
    expect(send(ruleDeliveryPolicy(EVENTS_QUEUE, EVENTS_RULE), events, EVENTS_QUEUE, EVENTS_RULE)).toBe(true);
  });

  it('refuse another rule, no source at all, and the other rule of this environment', () => {
    const doc = ruleDeliveryPolicy(EMAIL_EVENTS_QUEUE, EMAIL_RULE);
    expect(
      send(
        doc,
        events,
        EMAIL_EVENTS_QUEUE,
        `arn:aws:events:${REGION}:210987654321:rule/healthmetrics-dev-email-events`,
      ),
    ).toBe(false);
    expect(send(doc, events, EMAIL_EVENTS_QUEUE, `${EMAIL_RULE}-copy`)).toBe(false);
    expect(send(doc, events, EMAIL_EVENTS_QUEUE, EVENTS_RULE)).toBe(false);
    expect(send(doc, events, EMAIL_EVENTS_QUEUE)).toBe(false);
  });

  it('refuse any other principal, even with the right source ARN, and any other action', () => {
    const doc = ruleDeliveryPolicy(EMAIL_EVENTS_QUEUE, EMAIL_RULE);
    expect(send(doc, { service: 'sns.amazonaws.com' }, EMAIL_EVENTS_QUEUE, EMAIL_RULE)).toBe(false);
    expect(
      send(doc, { aws: `arn:aws:iam::${ACCOUNT}:user/healthmetrics-app-dev` }, EMAIL_EVENTS_QUEUE, EMAIL_RULE),
    ).toBe(false);
    expect(send(doc, { aws: 'arn:aws:iam::210987654321:root' }, EMAIL_EVENTS_QUEUE, EMAIL_RULE)).toBe(false);
    expect(
      resourcePolicyAllows(doc, events, {
        action: 'sqs:ReceiveMessage',
        resource: EMAIL_EVENTS_QUEUE,
        context: { 'aws:SourceArn': EMAIL_RULE },
      }),
    ).toBe(false);
  });

  it('grant nothing on another queue', () => {
    const doc = ruleDeliveryPolicy(EMAIL_EVENTS_QUEUE, EMAIL_RULE);
    expect(send(doc, events, EMAIL_EVENTS_DLQ, EMAIL_RULE)).toBe(false);
  });
});
