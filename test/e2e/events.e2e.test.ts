/**
 * Bounce handling and app events over the wire: the built CLI against moto (through the
 * harness, which holds SES v2 and forwards SES's events to moto's default bus), with --events
 * and --alert-email, and everything read back with the SDK as a user would.
 */
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  DescribeEventBusCommand,
  DescribeRuleCommand,
  EventBridgeClient,
  ListTargetsByRuleCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-eventbridge';
import { GetRoleCommand, GetRolePolicyCommand, IAMClient, NoSuchEntityException } from '@aws-sdk/client-iam';
import { GetConfigurationSetCommand, GetConfigurationSetEventDestinationsCommand } from '@aws-sdk/client-sesv2';
import { GetTopicAttributesCommand, ListSubscriptionsByTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import {
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  QueueDoesNotExist,
  SQSClient,
  SetQueueAttributesCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  REGION,
  type World,
  givenProjectDir,
  hmInfra,
  printed,
  readState,
  startWorld,
  writeConfig,
} from './support.js';

const app = `ev${Date.now().toString(36)}`;
const domain = `${app}.example.com`;
const prefix = `${app}-dev`;
const INIT = ['init', '--yes', '--config', 'hm-infra.json', '--events', '--alert-email', 'ops@example.org'];
/** 25 without the CDN, plus the subscription, the nine of --events (bus, 2 queues, rule, target, policy, log group, role, its policy) and the app-events user policy. */
const RESOURCES = 25 + 1 + 9 + 1;

let world: World;
let dir: string;
let clients: {
  sqs: SQSClient;
  events: EventBridgeClient;
  cw: CloudWatchClient;
  sns: SNSClient;
  logs: CloudWatchLogsClient;
  iam: IAMClient;
};
const cli = (...args: string[]) => hmInfra(world, dir, args);

const queueUrl = async (name: string) =>
  (await clients.sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl ?? '';
const attributes = async (name: string) =>
  (await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: await queueUrl(name), AttributeNames: ['All'] })))
    .Attributes ?? {};

beforeAll(async () => {
  world = await startWorld();
  dir = await givenProjectDir();
  const common = {
    region: REGION,
    endpoint: world.harness.url,
    credentials: { accessKeyId: 'AKIAE2EOPERATOR00001', secretAccessKey: 'e2e-operator-secret' },
    requestHandler: { httpsAgent: world.agent },
  };
  clients = {
    sqs: new SQSClient(common),
    events: new EventBridgeClient(common),
    cw: new CloudWatchClient(common),
    sns: new SNSClient(common),
    logs: new CloudWatchLogsClient(common),
    iam: new IAMClient(common),
  };
  await writeConfig(dir, { app, domain, region: REGION, cdn: false, email: true });
  world.harness.reset();
});

afterAll(async () => {
  for (const client of Object.values(clients ?? {})) client.destroy();
  await world?.stop();
});

describe('bounce handling and app events, over the wire', () => {
  it('init creates the queues with their dead-letter queues, the rules and targets, the queue policies, the event destinations, the alarms and topic, the role and log group', async () => {
    // WHEN
    const run = await cli(...INIT);
    // THEN
    expect(run.code, printed(run)).toBe(0);
    expect(world.harness.errors).toEqual([]);
    const state = await readState(dir);
    const dlqArn = `arn:aws:sqs:${REGION}:${String(state.resources['account']?.outputs['accountId'])}:${prefix}-email-events-dlq`;
    const queue = await attributes(`${prefix}-email-events`);
    expect(queue).toMatchObject({ SqsManagedSseEnabled: 'true', MessageRetentionPeriod: '345600' });
    expect(JSON.parse(queue['RedrivePolicy'] ?? '{}')).toEqual({ deadLetterTargetArn: dlqArn, maxReceiveCount: 5 });
    expect(await attributes(`${prefix}-email-events-dlq`)).toMatchObject({
      SqsManagedSseEnabled: 'true',
      MessageRetentionPeriod: '1209600',
    });
    const rule = await clients.events.send(new DescribeRuleCommand({ Name: `${prefix}-email-events` }));
    expect(rule.State).toBe('ENABLED');
    expect(JSON.parse(rule.EventPattern ?? '{}')).toEqual({
      source: ['aws.ses'],
      'detail-type': [
        'Email Bounced',
        'Email Complaint Received',
        'Email Rejected',
        'Email Delivery Delayed',
        'Email Rendering Failed',
      ],
      detail: { mail: { tags: { 'ses:configuration-set': [prefix] } } },
    });
    const targets = await clients.events.send(new ListTargetsByRuleCommand({ Rule: `${prefix}-email-events` }));
    expect(targets.Targets).toEqual([expect.objectContaining({ Id: 'queue', Arn: queue['QueueArn'] })]);
    const policy = JSON.parse(queue['Policy'] ?? '{}') as { Statement: Array<Record<string, unknown>> };
    expect(policy.Statement).toEqual([
      expect.objectContaining({
        Principal: { Service: 'events.amazonaws.com' },
        Action: ['sqs:SendMessage'],
        Condition: { ArnEquals: { 'aws:SourceArn': rule.Arn } },
      }),
    ]);
    const destinations = await world.ses.send(
      new GetConfigurationSetEventDestinationsCommand({ ConfigurationSetName: prefix }),
    );
    expect(destinations.EventDestinations?.map((d) => [d.Name, d.Enabled]).sort()).toEqual([
      [`${prefix}-cloudwatch`, true],
      [`${prefix}-eventbridge`, true],
    ]);
    expect(
      (await world.ses.send(new GetConfigurationSetCommand({ ConfigurationSetName: prefix }))).SuppressionOptions
        ?.SuppressedReasons,
    ).toEqual(['BOUNCE', 'COMPLAINT']);
    const topicArn = String(state.resources['alerts-topic']?.outputs['arn']);
    await expect(clients.sns.send(new GetTopicAttributesCommand({ TopicArn: topicArn }))).resolves.toBeDefined();
    const subscriptions = await clients.sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn }));
    expect(subscriptions.Subscriptions).toEqual([
      expect.objectContaining({
        Protocol: 'email',
        Endpoint: 'ops@example.org',
        SubscriptionArn: 'PendingConfirmation',
      }),
    ]);
    const alarms = await clients.cw.send(
      new DescribeAlarmsCommand({
        AlarmNames: ['bounce-rate', 'complaint-rate', 'bounces'].map((a) => `${prefix}-ses-${a}`),
      }),
    );
    expect(alarms.MetricAlarms?.map((a) => [a.MetricName, a.Threshold, a.AlarmActions]).sort()).toEqual([
      ['Bounce', 50, [topicArn]],
      ['Reputation.BounceRate', 0.04, [topicArn]],
      ['Reputation.ComplaintRate', 0.0008, [topicArn]],
    ]);
    const bus = await clients.events.send(new DescribeEventBusCommand({ Name: prefix }));
    expect(bus.Arn).toBe(state.resources['events-bus']?.outputs['arn']);
    expect(await attributes(`${prefix}-events`)).toMatchObject({ SqsManagedSseEnabled: 'true' });
    const role = await clients.iam.send(new GetRoleCommand({ RoleName: `${prefix}-email-handler` }));
    expect(JSON.parse(decodeURIComponent(role.Role?.AssumeRolePolicyDocument ?? '')).Statement).toEqual([
      expect.objectContaining({ Principal: { Service: 'lambda.amazonaws.com' }, Action: ['sts:AssumeRole'] }),
    ]);
    const handler = await clients.iam.send(
      new GetRolePolicyCommand({ RoleName: `${prefix}-email-handler`, PolicyName: 'email-handler' }),
    );
    expect(decodeURIComponent(handler.PolicyDocument ?? '')).toContain('sqs:ChangeMessageVisibility');
    const groups = await clients.logs.send(
      new DescribeLogGroupsCommand({ logGroupNamePrefix: `/aws/lambda/${prefix}-email-handler` }),
    );
    expect(groups.logGroups?.map((g) => g.retentionInDays)).toEqual([14]);
    // The summary says the subscription waits for its confirmation.
    expect(run.stdout).toContain('ops@example.org must confirm the subscription');
    // And print-env hands the app the new variables.
    const env = await cli('print-env', '--format', 'json');
    expect(JSON.parse(env.stdout).env).toMatchObject({
      EMAIL_EVENTS_QUEUE_URL: expect.stringContaining(`${prefix}-email-events`),
      EVENT_BUS_NAME: prefix,
      EVENTS_QUEUE_URL: expect.stringContaining(`${prefix}-events`),
      EMAIL_HANDLER_ROLE_ARN: role.Role?.Arn,
    });
  });

  it('a second init makes no write', async () => {
    world.harness.reset();
    const run = await cli(...INIT, '--json');
    expect(run.code, printed(run)).toBe(0);
    expect(JSON.parse(run.stdout).summary).toEqual({ create: 0, update: 0, unchanged: RESOURCES });
    expect(world.harness.writes().map((r) => `${r.service}:${r.operation}`)).toEqual([]);
  });

  it('status reports a queue policy changed by hand as drift (exit 4); init sets it back', async () => {
    const open = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: '*', Action: 'sqs:*', Resource: '*' }],
    };
    await clients.sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: await queueUrl(`${prefix}-email-events`),
        Attributes: { Policy: JSON.stringify(open) },
      }),
    );
    // WHEN
    const drifted = await cli('status', '--json');
    // THEN
    expect(drifted.code, printed(drifted)).toBe(4);
    const rows = (JSON.parse(drifted.stdout) as { resources: Array<{ id: string; status: string }> }).resources;
    expect(rows.filter((r) => r.status === 'drifted' || r.status === 'missing')).toEqual([
      expect.objectContaining({ id: 'email-events-queue-policy', status: 'drifted' }),
    ]);
    // WHEN
    const repair = await cli(...INIT);
    const after = await cli('status');
    // THEN
    expect(repair.code, printed(repair)).toBe(0);
    expect(after.code, printed(after)).toBe(0);
    expect(after.stdout).toContain('waiting for ops@example.org to confirm');
  });

  it('smoke-test proves a bounce reaches the email-events queue and a test event the events queue', async () => {
    // The harness's SES verifies at once; the mailbox simulator accepts the email.
    world.harness.ses.setStatus(REGION, domain, { dkim: 'SUCCESS', mailFrom: 'SUCCESS' });
    // WHEN
    const run = await cli('smoke-test', '--json', '--event-timeout', '20');
    // THEN
    const doc = JSON.parse(run.stdout) as { checks: Array<{ id: string; status: string; summary: string }> };
    const byId = Object.fromEntries(doc.checks.map((c) => [c.id, c]));
    expect(byId['bounce'], printed(run)).toMatchObject({ status: 'ok' });
    expect(byId['bounce']?.summary).toContain(`reached ${prefix}-email-events and was read and deleted`);
    expect(byId['events']).toMatchObject({ status: 'ok' });
    // Both messages were deleted: the queues are empty.
    expect((await attributes(`${prefix}-email-events`))['ApproximateNumberOfMessages']).toBe('0');
    expect((await attributes(`${prefix}-events`))['ApproximateNumberOfMessages']).toBe('0');
  });

  it('teardown --force leaves none of them', async () => {
    const state = await readState(dir);
    const topicArn = String(state.resources['alerts-topic']?.outputs['arn']);
    // WHEN
    const run = await cli('teardown', '--yes', '--force');
    // THEN
    expect(run.code, printed(run)).toBe(0);
    for (const name of ['email-events', 'email-events-dlq', 'events', 'events-dlq'])
      await expect(clients.sqs.send(new GetQueueUrlCommand({ QueueName: `${prefix}-${name}` }))).rejects.toBeInstanceOf(
        QueueDoesNotExist,
      );
    await expect(
      clients.events.send(new DescribeRuleCommand({ Name: `${prefix}-email-events` })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(clients.events.send(new DescribeEventBusCommand({ Name: prefix }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    const alarms = await clients.cw.send(new DescribeAlarmsCommand({ AlarmNamePrefix: prefix }));
    expect(alarms.MetricAlarms).toEqual([]);
    await expect(clients.sns.send(new GetTopicAttributesCommand({ TopicArn: topicArn }))).rejects.toThrow();
    await expect(clients.iam.send(new GetRoleCommand({ RoleName: `${prefix}-email-handler` }))).rejects.toBeInstanceOf(
      NoSuchEntityException,
    );
    const groups = await clients.logs.send(
      new DescribeLogGroupsCommand({ logGroupNamePrefix: `/aws/lambda/${prefix}` }),
    );
    expect(groups.logGroups).toEqual([]);
  });
});
