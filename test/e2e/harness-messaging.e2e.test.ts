/**
 * The e2e harness for the services of bounce/complaint handling and the app event queue (issue
 * 19): SQS, EventBridge, CloudWatch alarms, SNS, CloudWatch Logs, IAM roles, and SES events
 * delivered through EventBridge rules to SQS. Real SDK clients, over TLS, through the harness
 * to a moto server; each gap between moto and AWS checked as AWS's API references describe it
 * (test/e2e/harness/README.md).
 *
 * Starts moto on a free loopback port (scripts/moto.mjs) unless HM_INFRA_E2E_MOTO names a
 * running one.
 */
import { randomUUID } from 'node:crypto';
import { Agent } from 'node:https';
import {
  CloudWatchClient,
  DeleteAlarmsCommand,
  DescribeAlarmsCommand,
  ListTagsForResourceCommand as ListAlarmTagsCommand,
  PutMetricAlarmCommand,
} from '@aws-sdk/client-cloudwatch';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  DeleteLogGroupCommand,
  DescribeLogGroupsCommand,
  ListTagsForResourceCommand as ListLogTagsCommand,
  PutRetentionPolicyCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  CreateEventBusCommand,
  DeleteRuleCommand,
  DescribeRuleCommand,
  DisableRuleCommand,
  EventBridgeClient,
  ListTargetsByRuleCommand,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import {
  CreateConfigurationSetCommand,
  CreateConfigurationSetEventDestinationCommand,
  CreateEmailIdentityCommand,
  DeleteConfigurationSetEventDestinationCommand,
  GetConfigurationSetCommand,
  GetConfigurationSetEventDestinationsCommand,
  PutConfigurationSetSuppressionOptionsCommand,
  SendEmailCommand,
  SESv2Client,
  UpdateConfigurationSetEventDestinationCommand,
} from '@aws-sdk/client-sesv2';
import {
  CreateTopicCommand,
  DeleteTopicCommand,
  GetSubscriptionAttributesCommand,
  GetTopicAttributesCommand,
  ListSubscriptionsByTopicCommand,
  SNSClient,
  SubscribeCommand,
  UnsubscribeCommand,
} from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MOTO_VERSION, type MotoServer, motoProblem, startMoto } from '../../scripts/moto.mjs';
import { type AwsHarness, startHarness } from './harness/proxy.js';
import { evaluateResourcePolicy } from './harness/resource-policy.js';

const run = Date.now().toString(36);
const REGION = 'us-east-1';
/** moto's account for any access key it did not make. */
const ACCOUNT = '123456789012';
const credentials = { accessKeyId: 'AKIAHARNESSTEST00002', secretAccessKey: 'harness-secret' };

let moto: MotoServer | undefined;
let harness: AwsHarness;
let agent: Agent;

function config(options: { endpoint?: string; maxAttempts?: number } = {}) {
  return {
    region: REGION,
    endpoint: options.endpoint ?? harness.url,
    credentials,
    maxAttempts: options.maxAttempts ?? 1,
    requestHandler: { httpsAgent: agent },
  };
}

type Failure = Error & { $metadata?: { httpStatusCode?: number } };

async function failure(call: Promise<unknown>): Promise<Failure> {
  try {
    await call;
  } catch (err) {
    return err as Failure;
  }
  throw new Error('expected the call to fail');
}

const sqs = () => new SQSClient(config());
const events = () => new EventBridgeClient(config());

/** A queue, its URL and ARN. */
async function queue(name: string, attributes: Record<string, string> = {}) {
  const { QueueUrl = '' } = await sqs().send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  return { url: QueueUrl, arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}` };
}

/** The queue policy EventBridge needs to deliver a rule's events (the one the product writes). */
const eventsPolicy = (queueArn: string, ruleArn: string) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'events',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: queueArn,
        Condition: { ArnEquals: { 'aws:SourceArn': ruleArn } },
      },
    ],
  });

/** The message bodies (parsed) on a queue, waiting up to `seconds` for the first. */
async function receive(url: string, seconds = 0): Promise<Array<Record<string, unknown>>> {
  const { Messages = [] } = await sqs().send(
    new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: seconds }),
  );
  return Messages.map((m) => JSON.parse(m.Body ?? '{}') as Record<string, unknown>);
}

/** The SES email-events pattern of the contract, for a configuration set. */
const sesPattern = (set: string) =>
  JSON.stringify({
    source: ['aws.ses'],
    'detail-type': ['Email Bounced', 'Email Complaint Received', 'Email Rejected'],
    detail: { mail: { tags: { 'ses:configuration-set': [set] } } },
  });

/** A queue with the policy for a rule on the default bus with the SES pattern, and the rule targeting it. */
async function sesEventsQueue(set: string) {
  const q = await queue(`${set}-q`);
  const { RuleArn = '' } = await events().send(
    new PutRuleCommand({ Name: `${set}-rule`, EventPattern: sesPattern(set), State: 'ENABLED' }),
  );
  await sqs().send(
    new SetQueueAttributesCommand({ QueueUrl: q.url, Attributes: { Policy: eventsPolicy(q.arn, RuleArn) } }),
  );
  await events().send(new PutTargetsCommand({ Rule: `${set}-rule`, Targets: [{ Id: 'queue', Arn: q.arn }] }));
  return q;
}

beforeAll(async () => {
  const external = process.env['HM_INFRA_E2E_MOTO'];
  if (!external) {
    const problem = motoProblem();
    if (problem) throw new Error(`The harness e2e test needs moto ${MOTO_VERSION}: ${problem}`);
    moto = await startMoto();
  }
  harness = await startHarness({ motoUrl: external ?? moto?.url ?? '' });
  agent = new Agent({ ca: harness.ca, keepAlive: true });
});

afterAll(async () => {
  agent?.destroy();
  await harness?.stop();
  await moto?.stop();
});

describe('request log', () => {
  it('names the operations of SQS, CloudWatch, EventBridge, CloudWatch Logs and SNS, and which ones write', async () => {
    harness.reset();
    const name = `log-${run}`;
    const q = await queue(name);
    await sqs().send(new GetQueueUrlCommand({ QueueName: name }));
    await sqs().send(new GetQueueAttributesCommand({ QueueUrl: q.url, AttributeNames: ['All'] }));
    await sqs().send(new ReceiveMessageCommand({ QueueUrl: q.url }));
    const cw = new CloudWatchClient(config());
    await cw.send(
      new PutMetricAlarmCommand({
        AlarmName: name,
        Namespace: 'AWS/SES',
        MetricName: 'Reputation.BounceRate',
        Statistic: 'Average',
        Period: 3600,
        EvaluationPeriods: 1,
        Threshold: 0.05,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      }),
    );
    await cw.send(new DescribeAlarmsCommand({ AlarmNames: [name] }));
    await events().send(new PutRuleCommand({ Name: name, EventPattern: '{"source":["x"]}' }));
    await events().send(new DescribeRuleCommand({ Name: name }));
    await events().send(new PutEventsCommand({ Entries: [{ Source: 'x', DetailType: 'd', Detail: '{}' }] }));
    const logs = new CloudWatchLogsClient(config());
    await logs.send(new CreateLogGroupCommand({ logGroupName: `/harness/${name}` }));
    await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: `/harness/${name}` }));
    const sns = new SNSClient(config());
    const topic = await sns.send(new CreateTopicCommand({ Name: name }));
    await sns.send(new GetTopicAttributesCommand({ TopicArn: topic.TopicArn }));

    // Only the client's requests: the harness's own calls to moto (PutEvents' rules and targets) go around the log.
    expect(harness.requests.map((r) => [r.service, r.operation, r.write])).toEqual([
      ['sqs', 'CreateQueue', true],
      ['sqs', 'GetQueueUrl', false],
      ['sqs', 'GetQueueAttributes', false],
      ['sqs', 'ReceiveMessage', false],
      ['monitoring', 'PutMetricAlarm', true],
      ['monitoring', 'DescribeAlarms', false],
      ['events', 'PutRule', true],
      ['events', 'DescribeRule', false],
      ['events', 'PutEvents', true],
      ['logs', 'CreateLogGroup', true],
      ['logs', 'DescribeLogGroups', false],
      ['sns', 'CreateTopic', true],
      ['sns', 'GetTopicAttributes', false],
    ]);
    expect(harness.writes().map((r) => r.operation)).toEqual([
      'CreateQueue',
      'PutMetricAlarm',
      'PutRule',
      'PutEvents',
      'CreateLogGroup',
      'CreateTopic',
    ]);
  });
});

describe('faults on the new services', () => {
  const cases: Array<{
    service: string;
    call: (maxAttempts: number) => Promise<unknown>;
    throttle: [name: string, status: number];
    server: string[];
  }> = [
    {
      service: 'sqs',
      call: (maxAttempts) =>
        new SQSClient(config({ maxAttempts })).send(new GetQueueUrlCommand({ QueueName: `log-${run}` })),
      throttle: ['RequestThrottled', 403],
      server: ['InternalFailure', 'ServiceUnavailable'],
    },
    {
      service: 'monitoring',
      call: (maxAttempts) => new CloudWatchClient(config({ maxAttempts })).send(new DescribeAlarmsCommand({})),
      throttle: ['Throttling', 400],
      server: ['InternalServiceFault', 'ServiceUnavailable'],
    },
    {
      service: 'events',
      call: (maxAttempts) =>
        new EventBridgeClient(config({ maxAttempts })).send(new DescribeRuleCommand({ Name: `log-${run}` })),
      throttle: ['ThrottlingException', 400],
      server: ['InternalException', 'ServiceUnavailable'],
    },
    {
      service: 'logs',
      call: (maxAttempts) => new CloudWatchLogsClient(config({ maxAttempts })).send(new DescribeLogGroupsCommand({})),
      throttle: ['ThrottlingException', 400],
      server: ['ServiceUnavailableException', 'InternalFailure'],
    },
    {
      service: 'sns',
      call: (maxAttempts) =>
        new SNSClient(config({ maxAttempts })).send(
          new GetTopicAttributesCommand({ TopicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:log-${run}` }),
        ),
      throttle: ['ThrottledException', 429],
      server: ['InternalErrorException', 'ServiceUnavailable'],
    },
  ];

  it.each(cases)('$service: throttles and 5xx in its own format, which the SDK retries', async (c) => {
    try {
      harness.faults = { rate: 1, kinds: ['throttle'], only: (r) => r.service === c.service };
      const throttled = await failure(c.call(1));
      expect([throttled.name, throttled.$metadata?.httpStatusCode]).toEqual(c.throttle);
      const names = new Set<string>();
      harness.faults = { rate: 1, seed: 5, kinds: ['server-error'], only: (r) => r.service === c.service };
      for (let i = 0; i < 12; i += 1) names.add((await failure(c.call(1))).name);
      expect([...names].sort()).toEqual([...c.server].sort());

      // One failed attempt of each kind, then the SDK's retry gets through.
      for (const kind of ['throttle', 'server-error'] as const) {
        let attempts = 0;
        harness.faults = { rate: 1, kinds: [kind], only: (r) => r.service === c.service && attempts++ === 0 };
        harness.reset();
        await c.call(2);
        expect(harness.requests.map((r) => [r.service, r.fault?.kind])).toEqual([
          [c.service, kind],
          [c.service, undefined],
        ]);
      }
    } finally {
      harness.faults = undefined;
    }
  });
});

describe('SQS', () => {
  it('answers queue URLs on the harness, so a client on AWS_ENDPOINT_URL keeps talking to it', async () => {
    const name = `url-${run}`;
    const q = await queue(name);
    expect(q.url).toBe(`${harness.url}/${ACCOUNT}/${name}`);
    expect((await sqs().send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl).toBe(q.url);

    // As the CLI does: the endpoint from the environment, so the SDK sends a queue's requests to its URL's origin.
    const previous = process.env['AWS_ENDPOINT_URL_SQS'];
    process.env['AWS_ENDPOINT_URL_SQS'] = harness.url;
    const warnings: unknown[] = [];
    const fromEnv = new SQSClient({
      region: REGION,
      credentials,
      maxAttempts: 1,
      requestHandler: { httpsAgent: agent },
      logger: { debug: () => {}, info: () => {}, warn: (...args: unknown[]) => warnings.push(args), error: () => {} },
    });
    try {
      harness.reset();
      const attributes = await fromEnv.send(
        new GetQueueAttributesCommand({ QueueUrl: q.url, AttributeNames: ['QueueArn'] }),
      );
      expect(attributes.Attributes?.['QueueArn']).toBe(q.arn);
      expect(harness.requests.map((r) => [r.operation, r.secure])).toEqual([['GetQueueAttributes', true]]);
      expect(warnings).toEqual([]);
    } finally {
      if (previous === undefined) delete process.env['AWS_ENDPOINT_URL_SQS'];
      else process.env['AWS_ENDPOINT_URL_SQS'] = previous;
      fromEnv.destroy();
    }
  });

  it('refuses a queue name deleted less than 60 s ago, returns JSON attributes compact, checks attributes on re-create', async () => {
    const dlq = await queue(`dlq-${run}`, { SqsManagedSseEnabled: 'true' });
    const redrive = JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 5 });
    const name = `main-${run}`;
    const attributes = { SqsManagedSseEnabled: 'true', MessageRetentionPeriod: '1209600', RedrivePolicy: redrive };
    const q = await queue(name, attributes);
    const read = (await sqs().send(new GetQueueAttributesCommand({ QueueUrl: q.url, AttributeNames: ['All'] })))
      .Attributes;
    expect(read).toMatchObject(attributes);
    await sqs().send(
      new SetQueueAttributesCommand({
        QueueUrl: q.url,
        Attributes: { Policy: eventsPolicy(q.arn, 'arn:aws:events:us-east-1:123456789012:rule/r') },
      }),
    );
    expect(
      (await sqs().send(new GetQueueAttributesCommand({ QueueUrl: q.url, AttributeNames: ['Policy'] }))).Attributes?.[
        'Policy'
      ],
    ).toBe(eventsPolicy(q.arn, 'arn:aws:events:us-east-1:123456789012:rule/r'));
    await sqs().send(new SetQueueAttributesCommand({ QueueUrl: q.url, Attributes: { Policy: '' } }));
    expect(
      (await sqs().send(new GetQueueAttributesCommand({ QueueUrl: q.url, AttributeNames: ['All'] }))).Attributes?.[
        'Policy'
      ],
    ).toBeUndefined();

    expect((await sqs().send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }))).QueueUrl).toBe(
      q.url,
    );
    const differs = await failure(
      sqs().send(
        new CreateQueueCommand({ QueueName: name, Attributes: { ...attributes, MessageRetentionPeriod: '60' } }),
      ),
    );
    expect([differs.name, differs.$metadata?.httpStatusCode]).toEqual(['QueueNameExists', 400]);

    await sqs().send(new DeleteQueueCommand({ QueueUrl: q.url }));
    const recently = await failure(sqs().send(new CreateQueueCommand({ QueueName: name, Attributes: attributes })));
    expect([recently.name, recently.$metadata?.httpStatusCode]).toEqual(['QueueDeletedRecently', 400]);
    const missing = await failure(sqs().send(new GetQueueUrlCommand({ QueueName: name })));
    expect(missing.name).toBe('QueueDoesNotExist');
    harness.sqs.deletedRecentlyMs = 0;
    try {
      expect((await sqs().send(new CreateQueueCommand({ QueueName: name }))).QueueUrl).toBe(q.url);
    } finally {
      harness.sqs.deletedRecentlyMs = 60_000;
    }
  });
});

describe('EventBridge', () => {
  it('delivers a rule’s events only to queues whose policy lets events.amazonaws.com send them from that rule', async () => {
    const set = `eb-${run}`;
    const rule = `${set}-rule`;
    // The SES pattern's shape (a nested detail), from a source of the test's own.
    const pattern = JSON.stringify({
      source: ['harness.test'],
      'detail-type': ['Email Bounced'],
      detail: { mail: { tags: { 'ses:configuration-set': [set] } } },
    });
    const { RuleArn = '' } = await events().send(
      new PutRuleCommand({ Name: rule, EventPattern: pattern, State: 'ENABLED', Description: 'harness' }),
    );
    const allowed = await queue(`${set}-allowed`);
    const otherRule = await queue(`${set}-other-rule`);
    const noPolicy = await queue(`${set}-no-policy`);
    await sqs().send(
      new SetQueueAttributesCommand({
        QueueUrl: allowed.url,
        Attributes: { Policy: eventsPolicy(allowed.arn, RuleArn) },
      }),
    );
    await sqs().send(
      new SetQueueAttributesCommand({
        QueueUrl: otherRule.url,
        Attributes: { Policy: eventsPolicy(otherRule.arn, `${RuleArn}-other`) },
      }),
    );
    const gone = `arn:aws:sqs:${REGION}:${ACCOUNT}:${set}-never-made`;
    const targets = [
      { Id: 'allowed', Arn: allowed.arn },
      { Id: 'other-rule', Arn: otherRule.arn },
      { Id: 'no-policy', Arn: noPolicy.arn },
      { Id: 'gone', Arn: gone },
    ];
    await events().send(new PutTargetsCommand({ Rule: rule, Targets: targets }));

    harness.events.withheld.length = 0;
    const detail = { eventType: 'Bounce', mail: { messageId: `m-${run}`, tags: { 'ses:configuration-set': [set] } } };
    const put = await events().send(
      new PutEventsCommand({
        Entries: [{ Source: 'harness.test', DetailType: 'Email Bounced', Detail: JSON.stringify(detail) }],
      }),
    );
    expect(put.FailedEntryCount).toBe(0);
    const [delivered, ...more] = await receive(allowed.url, 1);
    expect(more).toEqual([]);
    expect(delivered).toMatchObject({
      'detail-type': 'Email Bounced',
      source: 'harness.test',
      detail,
      id: put.Entries?.[0]?.EventId,
    });
    expect(await receive(otherRule.url)).toEqual([]);
    expect(await receive(noPolicy.url)).toEqual([]);
    expect(
      harness.events.withheld.filter((w) => w.rule === RuleArn).map((w) => [w.targetId, w.reason.split(':')[0]]),
    ).toEqual([
      ['other-rule', 'the queue policy does not allow it'],
      ['no-policy', 'the queue policy does not allow it'],
      ['gone', 'the queue does not exist'],
    ]);
    // The targets are back on the rule, as the client put them.
    const listed = (await events().send(new ListTargetsByRuleCommand({ Rule: rule }))).Targets ?? [];
    expect(listed.map((t) => t.Id).sort()).toEqual(targets.map((t) => t.Id).sort());

    // Not matching the pattern: nothing.
    await events().send(
      new PutEventsCommand({
        Entries: [
          { Source: 'harness.test', DetailType: 'Email Bounced', Detail: JSON.stringify({ mail: { tags: {} } }) },
        ],
      }),
    );
    expect(await receive(allowed.url)).toEqual([]);

    // A disabled rule delivers nothing.
    await events().send(new DisableRuleCommand({ Name: rule }));
    await events().send(
      new PutEventsCommand({
        Entries: [{ Source: 'harness.test', DetailType: 'Email Bounced', Detail: JSON.stringify(detail) }],
      }),
    );
    expect(await receive(allowed.url)).toEqual([]);

    const hasTargets = await failure(events().send(new DeleteRuleCommand({ Name: rule })));
    expect([hasTargets.name, hasTargets.message]).toEqual([
      'ValidationException',
      "Rule can't be deleted since it has targets.",
    ]);
    await events().send(new RemoveTargetsCommand({ Rule: rule, Ids: targets.map((t) => t.Id) }));
    await events().send(new DeleteRuleCommand({ Name: rule }));
    await events().send(new DeleteRuleCommand({ Name: rule }));
    expect((await failure(events().send(new DescribeRuleCommand({ Name: rule })))).name).toBe(
      'ResourceNotFoundException',
    );
  });

  it('delivers on a custom bus by its rules; DeleteRule on a bus that does not exist is ResourceNotFoundException', async () => {
    const bus = `bus-${run}`;
    await events().send(new CreateEventBusCommand({ Name: bus, Tags: [{ Key: 'ManagedBy', Value: 'hm-infra' }] }));
    const again = await failure(events().send(new CreateEventBusCommand({ Name: bus })));
    expect(again.name).toBe('ResourceAlreadyExistsException');
    const { RuleArn = '' } = await events().send(
      new PutRuleCommand({ Name: bus, EventBusName: bus, EventPattern: JSON.stringify({ account: [ACCOUNT] }) }),
    );
    expect(RuleArn).toBe(`arn:aws:events:${REGION}:${ACCOUNT}:rule/${bus}/${bus}`);
    const q = await queue(`${bus}-q`);
    await sqs().send(
      new SetQueueAttributesCommand({ QueueUrl: q.url, Attributes: { Policy: eventsPolicy(q.arn, RuleArn) } }),
    );
    await events().send(new PutTargetsCommand({ Rule: bus, EventBusName: bus, Targets: [{ Id: 'q', Arn: q.arn }] }));
    const nonce = randomUUID();
    await events().send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: bus,
            Source: 'hm-infra.smoke-test',
            DetailType: 'hm-infra smoke test',
            Detail: JSON.stringify({ nonce }),
          },
        ],
      }),
    );
    expect((await receive(q.url, 1)).map((m) => m['detail'])).toEqual([{ nonce }]);

    const noBus = await failure(events().send(new DeleteRuleCommand({ Name: bus, EventBusName: `${bus}-nope` })));
    expect([noBus.name, noBus.message]).toEqual(['ResourceNotFoundException', `Event bus ${bus}-nope does not exist.`]);
  });
});

describe('SES events', () => {
  const sesEvent = (set: string, messageId: string) => ({
    version: '0',
    id: randomUUID(),
    'detail-type': 'Email Bounced',
    source: 'aws.ses',
    account: ACCOUNT,
    time: new Date().toISOString(),
    region: REGION,
    resources: [`arn:aws:ses:${REGION}:${ACCOUNT}:configuration-set/${set}`],
    detail: {
      eventType: 'Bounce',
      bounce: {
        bounceType: 'Permanent',
        bounceSubType: 'General',
        bouncedRecipients: [{ emailAddress: 'bounce@simulator.amazonses.com' }],
        timestamp: new Date().toISOString(),
        feedbackId: randomUUID(),
      },
      mail: {
        timestamp: new Date().toISOString(),
        source: 'no-reply@example.com',
        sendingAccountId: ACCOUNT,
        messageId,
        destination: ['bounce@simulator.amazonses.com'],
        tags: { 'ses:configuration-set': [set], 'ses:from-domain': ['example.com'] },
      },
    },
  });

  it('FakeSes’s onEvent puts the event on moto’s default bus, where the rules deliver it', async () => {
    const set = `hook-${run}`;
    const q = await sesEventsQueue(set);
    const hook = (harness.ses as unknown as { onEvent?: (region: string, event: object) => void }).onEvent;
    expect(hook).toBeTypeOf('function');
    hook?.(REGION, sesEvent(set, `hooked-${run}`));
    const [body] = await receive(q.url, 5);
    expect(body).toMatchObject({
      'detail-type': 'Email Bounced',
      source: 'aws.ses',
      region: REGION,
      resources: [`arn:aws:ses:${REGION}:${ACCOUNT}:configuration-set/${set}`],
      detail: { eventType: 'Bounce', mail: { messageId: `hooked-${run}` } },
    });
    expect(harness.errors).toEqual([]);
  });

  // Needs FakeSes's event destinations and onEvent (branch wt-fakes).
  it('a send to bounce@simulator.amazonses.com through a set with an EventBridge destination ends up on the queue', async () => {
    const set = `send-${run}`;
    const q = await sesEventsQueue(set);
    const ses = new SESv2Client(config());
    const domain = `${set}.example.com`;
    await ses.send(new CreateEmailIdentityCommand({ EmailIdentity: domain }));
    harness.ses.setStatus(REGION, domain, { dkim: 'SUCCESS' });
    await ses.send(new CreateConfigurationSetCommand({ ConfigurationSetName: set }));
    await ses.send(
      new CreateConfigurationSetEventDestinationCommand({
        ConfigurationSetName: set,
        EventDestinationName: `${set}-eventbridge`,
        EventDestination: {
          Enabled: true,
          MatchingEventTypes: ['BOUNCE', 'COMPLAINT', 'REJECT'],
          EventBridgeDestination: { EventBusArn: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default` },
        },
      }),
    );
    const sent = await ses.send(
      new SendEmailCommand({
        FromEmailAddress: `no-reply@${domain}`,
        Destination: { ToAddresses: ['bounce@simulator.amazonses.com'] },
        ConfigurationSetName: set,
        Content: { Simple: { Subject: { Data: 'bounce' }, Body: { Text: { Data: 'bounce' } } } },
      }),
    );
    const bodies: Array<Record<string, unknown>> = [];
    for (let i = 0; i < 5 && bodies.length === 0; i += 1) bodies.push(...(await receive(q.url, 1)));
    expect(bodies).toEqual([
      expect.objectContaining({
        'detail-type': 'Email Bounced',
        source: 'aws.ses',
        detail: expect.objectContaining({
          eventType: 'Bounce',
          mail: expect.objectContaining({ messageId: sent.MessageId }),
        }) as unknown,
      }),
    ]);
    expect(harness.errors).toEqual([]);
  });

  // Needs FakeSes's event destinations and suppression options (branch wt-fakes).
  it('routes the event-destination and suppression-options operations of SES v2 to FakeSes', async () => {
    const ses = new SESv2Client(config());
    const set = `dest-${run}`;
    const missing = await failure(
      ses.send(new GetConfigurationSetEventDestinationsCommand({ ConfigurationSetName: set })),
    );
    expect(missing.name).toBe('NotFoundException');
    await ses.send(new CreateConfigurationSetCommand({ ConfigurationSetName: set }));
    const eventBridge = {
      Enabled: true,
      MatchingEventTypes: ['BOUNCE' as const, 'COMPLAINT' as const],
      EventBridgeDestination: { EventBusArn: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default` },
    };
    const cloudWatch = {
      Enabled: true,
      MatchingEventTypes: ['BOUNCE' as const],
      CloudWatchDestination: {
        DimensionConfigurations: [
          {
            DimensionName: 'ses:configuration-set',
            DimensionValueSource: 'MESSAGE_TAG' as const,
            DefaultDimensionValue: set,
          },
        ],
      },
    };
    const create = (name: string, destination: typeof eventBridge | typeof cloudWatch) =>
      ses.send(
        new CreateConfigurationSetEventDestinationCommand({
          ConfigurationSetName: set,
          EventDestinationName: name,
          EventDestination: destination,
        }),
      );
    await create(`${set}-eventbridge`, eventBridge);
    await create(`${set}-cloudwatch`, cloudWatch);
    expect((await failure(create(`${set}-eventbridge`, eventBridge))).name).toBe('AlreadyExistsException');
    const listed = async () =>
      (await ses.send(new GetConfigurationSetEventDestinationsCommand({ ConfigurationSetName: set })))
        .EventDestinations ?? [];
    expect((await listed()).map((d) => d.Name).sort()).toEqual([`${set}-cloudwatch`, `${set}-eventbridge`]);
    await ses.send(
      new UpdateConfigurationSetEventDestinationCommand({
        ConfigurationSetName: set,
        EventDestinationName: `${set}-cloudwatch`,
        EventDestination: { ...cloudWatch, MatchingEventTypes: ['BOUNCE', 'COMPLAINT'] },
      }),
    );
    expect((await listed()).find((d) => d.Name === `${set}-cloudwatch`)?.MatchingEventTypes?.sort()).toEqual([
      'BOUNCE',
      'COMPLAINT',
    ]);
    await ses.send(
      new DeleteConfigurationSetEventDestinationCommand({
        ConfigurationSetName: set,
        EventDestinationName: `${set}-cloudwatch`,
      }),
    );
    expect((await listed()).map((d) => d.Name)).toEqual([`${set}-eventbridge`]);
    const unknown = await failure(
      ses.send(
        new DeleteConfigurationSetEventDestinationCommand({ ConfigurationSetName: set, EventDestinationName: 'nope' }),
      ),
    );
    expect(unknown.name).toBe('NotFoundException');

    await ses.send(
      new PutConfigurationSetSuppressionOptionsCommand({
        ConfigurationSetName: set,
        SuppressedReasons: ['BOUNCE', 'COMPLAINT'],
      }),
    );
    expect(
      (await ses.send(new GetConfigurationSetCommand({ ConfigurationSetName: set }))).SuppressionOptions
        ?.SuppressedReasons,
    ).toEqual(['BOUNCE', 'COMPLAINT']);
  });
});

describe('CloudWatch alarms', () => {
  const alarm = (name: string, extra: Partial<ConstructorParameters<typeof PutMetricAlarmCommand>[0]> = {}) =>
    new PutMetricAlarmCommand({
      AlarmName: name,
      Namespace: 'AWS/SES',
      MetricName: 'Bounce',
      Dimensions: [{ Name: 'ses:configuration-set', Value: 'myapp-dev' }],
      Statistic: 'Sum',
      Period: 3600,
      EvaluationPeriods: 1,
      Threshold: 50,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      ...extra,
    });

  it('start INSUFFICIENT_DATA, keep their tags on update, and have no tags when they do not exist', async () => {
    const cw = new CloudWatchClient(config());
    const name = `alarm-${run}`;
    await cw.send(alarm(name, { Tags: [{ Key: 'ManagedBy', Value: 'hm-infra' }] }));
    const [read] = (await cw.send(new DescribeAlarmsCommand({ AlarmNames: [name] }))).MetricAlarms ?? [];
    expect(read).toMatchObject({
      AlarmName: name,
      StateValue: 'INSUFFICIENT_DATA',
      StateReason: 'Unchecked: Initial alarm creation',
      TreatMissingData: 'notBreaching',
      Dimensions: [{ Name: 'ses:configuration-set', Value: 'myapp-dev' }],
    });
    const byState = await cw.send(new DescribeAlarmsCommand({ StateValue: 'INSUFFICIENT_DATA' }));
    expect(byState.MetricAlarms?.map((a) => a.AlarmName)).toContain(name);
    expect(
      (await cw.send(new DescribeAlarmsCommand({ StateValue: 'OK' }))).MetricAlarms?.map((a) => a.AlarmName),
    ).not.toContain(name);

    await cw.send(alarm(name, { Threshold: 60, Tags: [{ Key: 'ManagedBy', Value: 'someone-else' }] }));
    const arn = read?.AlarmArn ?? '';
    expect((await cw.send(new ListAlarmTagsCommand({ ResourceARN: arn }))).Tags).toEqual([
      { Key: 'ManagedBy', Value: 'hm-infra' },
    ]);
    expect((await cw.send(new DescribeAlarmsCommand({ AlarmNames: [name] }))).MetricAlarms?.[0]?.Threshold).toBe(60);
    const gone = await failure(cw.send(new ListAlarmTagsCommand({ ResourceARN: `${arn}-nope` })));
    expect([gone.name, gone.$metadata?.httpStatusCode]).toEqual(['ResourceNotFoundException', 404]);

    expect((await cw.send(new DescribeAlarmsCommand({ AlarmNames: [`${name}-nope`] }))).MetricAlarms).toEqual([]);
    await cw.send(new DeleteAlarmsCommand({ AlarmNames: [name, `${name}-nope`] }));
    expect((await cw.send(new DescribeAlarmsCommand({ AlarmNames: [name] }))).MetricAlarms).toEqual([]);
  });
});

describe('SNS', () => {
  it('keeps email subscriptions pending until confirmed, and refuses other tags for an existing topic', async () => {
    const sns = new SNSClient(config());
    const name = `alerts-${run}`;
    const tags = [{ Key: 'ManagedBy', Value: 'hm-infra' }];
    const { TopicArn = '' } = await sns.send(new CreateTopicCommand({ Name: name, Tags: tags }));
    expect((await sns.send(new CreateTopicCommand({ Name: name, Tags: tags }))).TopicArn).toBe(TopicArn);
    expect((await sns.send(new CreateTopicCommand({ Name: name }))).TopicArn).toBe(TopicArn);
    const otherTags = await failure(
      sns.send(new CreateTopicCommand({ Name: name, Tags: [{ Key: 'ManagedBy', Value: 'x' }] })),
    );
    expect([otherTags.name, otherTags.message]).toEqual([
      'InvalidParameterException',
      'Invalid parameter: Tags Reason: Topic already exists with different tags',
    ]);

    const quiet = await sns.send(
      new SubscribeCommand({ TopicArn, Protocol: 'email', Endpoint: `quiet-${run}@example.com` }),
    );
    expect(quiet.SubscriptionArn).toBe('pending confirmation');
    const { SubscriptionArn = '' } = await sns.send(
      new SubscribeCommand({
        TopicArn,
        Protocol: 'email',
        Endpoint: `ops-${run}@example.com`,
        ReturnSubscriptionArn: true,
      }),
    );
    expect(SubscriptionArn).toMatch(new RegExp(`^${TopicArn}:`));
    const listed = async () => (await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn }))).Subscriptions ?? [];
    expect((await listed()).map((s) => s.SubscriptionArn)).toEqual(['PendingConfirmation', 'PendingConfirmation']);
    const attributes = (await sns.send(new GetTopicAttributesCommand({ TopicArn }))).Attributes;
    expect([attributes?.['SubscriptionsPending'], attributes?.['SubscriptionsConfirmed']]).toEqual(['2', '0']);
    expect(
      (await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn }))).Attributes?.['PendingConfirmation'],
    ).toBe('true');
    for (const arn of [SubscriptionArn, 'PendingConfirmation']) {
      const refused = await failure(sns.send(new UnsubscribeCommand({ SubscriptionArn: arn })));
      expect([refused.name, refused.$metadata?.httpStatusCode]).toEqual(['InvalidParameterException', 400]);
    }

    harness.sns.confirm(SubscriptionArn);
    expect((await listed()).map((s) => s.SubscriptionArn).sort()).toEqual(
      ['PendingConfirmation', SubscriptionArn].sort(),
    );
    await sns.send(new UnsubscribeCommand({ SubscriptionArn }));
    expect((await listed()).map((s) => s.Endpoint)).toEqual([`quiet-${run}@example.com`]);

    await sns.send(new DeleteTopicCommand({ TopicArn }));
    await sns.send(new DeleteTopicCommand({ TopicArn }));
    expect((await failure(sns.send(new GetTopicAttributesCommand({ TopicArn })))).name).toBe('NotFoundException');
    expect(harness.sns.pendingSubscriptions.filter((arn) => arn.startsWith(`${TopicArn}:`))).toEqual([]);
  });
});

describe('CloudWatch Logs', () => {
  it('accepts only Logs’ retention periods, reports the log group class, and has no tags for a missing group', async () => {
    const logs = new CloudWatchLogsClient(config());
    const name = `/aws/lambda/harness-${run}`;
    await logs.send(new CreateLogGroupCommand({ logGroupName: name, tags: { ManagedBy: 'hm-infra' } }));
    expect((await failure(logs.send(new CreateLogGroupCommand({ logGroupName: name })))).name).toBe(
      'ResourceAlreadyExistsException',
    );
    for (const days of [0, 15, 10_000]) {
      const refused = await failure(
        logs.send(new PutRetentionPolicyCommand({ logGroupName: name, retentionInDays: days })),
      );
      expect([refused.name, refused.$metadata?.httpStatusCode]).toEqual(['InvalidParameterException', 400]);
    }
    await logs.send(new PutRetentionPolicyCommand({ logGroupName: name, retentionInDays: 14 }));
    const groups = (await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name }))).logGroups ?? [];
    expect(groups.filter((g) => g.logGroupName === name)).toEqual([
      expect.objectContaining({
        logGroupName: name,
        retentionInDays: 14,
        logGroupClass: 'STANDARD',
        arn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${name}:*`,
      }),
    ]);
    const arn = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${name}`;
    expect((await logs.send(new ListLogTagsCommand({ resourceArn: arn }))).tags).toEqual({ ManagedBy: 'hm-infra' });
    const missing = await failure(logs.send(new ListLogTagsCommand({ resourceArn: `${arn}-nope` })));
    expect(missing.name).toBe('ResourceNotFoundException');
    await logs.send(new DeleteLogGroupCommand({ logGroupName: name }));
    expect((await failure(logs.send(new DeleteLogGroupCommand({ logGroupName: name })))).name).toBe(
      'ResourceNotFoundException',
    );
  });
});

describe('IAM roles', () => {
  it('returns documents URL-encoded and refuses to delete a role with inline policies (as AWS; moto already does)', async () => {
    const iam = new IAMClient(config());
    const role = `handler-${run}`;
    const trust = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    });
    await iam.send(
      new CreateRoleCommand({ RoleName: role, AssumeRolePolicyDocument: trust, Tags: [{ Key: 'k', Value: 'v' }] }),
    );
    const read = await iam.send(new GetRoleCommand({ RoleName: role }));
    expect(decodeURIComponent(read.Role?.AssumeRolePolicyDocument ?? '')).toBe(trust);
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: ['logs:PutLogEvents'],
          Resource: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/x:*`,
        },
      ],
    });
    await iam.send(new PutRolePolicyCommand({ RoleName: role, PolicyName: 'email-handler', PolicyDocument: policy }));
    const inline = await iam.send(new GetRolePolicyCommand({ RoleName: role, PolicyName: 'email-handler' }));
    expect(decodeURIComponent(inline.PolicyDocument ?? '')).toBe(policy);
    const conflict = await failure(iam.send(new DeleteRoleCommand({ RoleName: role })));
    expect([conflict.name, conflict.$metadata?.httpStatusCode]).toEqual(['DeleteConflictException', 409]);
    await iam.send(new DeleteRolePolicyCommand({ RoleName: role, PolicyName: 'email-handler' }));
    await iam.send(new DeleteRoleCommand({ RoleName: role }));
    expect((await failure(iam.send(new GetRoleCommand({ RoleName: role })))).name).toBe('NoSuchEntityException');
  });
});

describe('resource policies for service principals', () => {
  const request = (sourceArn: string) => ({
    service: 'events.amazonaws.com',
    action: 'sqs:SendMessage',
    resource: 'arn:aws:sqs:us-east-1:123456789012:q',
    context: { 'aws:sourcearn': sourceArn, 'aws:sourceaccount': '123456789012' },
  });
  const rule = 'arn:aws:events:us-east-1:123456789012:rule/r';
  const policy = (statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });
  const allow = {
    Effect: 'Allow',
    Principal: { Service: 'events.amazonaws.com' },
    Action: 'sqs:SendMessage',
    Resource: 'arn:aws:sqs:us-east-1:123456789012:q',
  };

  it('allows what a matching Allow allows, unless a matching Deny; nothing without a policy', () => {
    expect(evaluateResourcePolicy(undefined, request(rule)).allowed).toBe(false);
    expect(evaluateResourcePolicy('', request(rule)).allowed).toBe(false);
    expect(evaluateResourcePolicy(policy([allow]), request(rule)).allowed).toBe(true);
    const conditioned = { ...allow, Condition: { ArnEquals: { 'aws:SourceArn': rule } } };
    expect(evaluateResourcePolicy(policy([conditioned]), request(rule)).allowed).toBe(true);
    expect(evaluateResourcePolicy(policy([conditioned]), request(`${rule}2`)).allowed).toBe(false);
    const like = {
      ...allow,
      Action: 'SQS:*',
      Condition: { ArnLike: { 'aws:sourcearn': 'arn:aws:events:*:123456789012:rule/*' } },
    };
    expect(evaluateResourcePolicy(policy([like]), request(rule)).allowed).toBe(true);
    const account = { ...allow, Principal: '*', Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } } };
    expect(evaluateResourcePolicy(policy([account]), request(rule)).allowed).toBe(true);
    const otherService = { ...allow, Principal: { Service: ['sns.amazonaws.com'] } };
    expect(evaluateResourcePolicy(policy([otherService]), request(rule)).allowed).toBe(false);
    const otherQueue = { ...allow, Resource: 'arn:aws:sqs:us-east-1:123456789012:other' };
    expect(evaluateResourcePolicy(policy([otherQueue]), request(rule)).allowed).toBe(false);
    const deny = { ...allow, Effect: 'Deny', Condition: { ArnNotEquals: { 'aws:SourceArn': rule } } };
    expect(evaluateResourcePolicy(policy([allow, deny]), request(`${rule}2`)).allowed).toBe(false);
    expect(evaluateResourcePolicy(policy([allow, deny]), request(rule)).allowed).toBe(true);
    const unknownOperator = { ...allow, Condition: { DateGreaterThan: { 'aws:CurrentTime': '2020-01-01T00:00:00Z' } } };
    expect(evaluateResourcePolicy(policy([unknownOperator]), request(rule)).allowed).toBe(false);
  });
});

describe('the harness', () => {
  it('had no failures of its own', () => {
    expect(harness.errors).toEqual([]);
  });

  it('forgets what the new layers know on resetAll, and hooks the new FakeSes (a moto of its own)', async () => {
    const own = await startMoto();
    const resettable = await startHarness({ motoUrl: own.url });
    const ownAgent = new Agent({ ca: resettable.ca });
    const client = new SQSClient({ ...config({ endpoint: resettable.url }), requestHandler: { httpsAgent: ownAgent } });
    try {
      const { QueueUrl = '' } = await client.send(new CreateQueueCommand({ QueueName: `reset-${run}` }));
      await client.send(new DeleteQueueCommand({ QueueUrl }));
      expect((await failure(client.send(new CreateQueueCommand({ QueueName: `reset-${run}` })))).name).toBe(
        'QueueDeletedRecently',
      );
      resettable.events.withheld.push({ at: 0, rule: 'r', targetId: 't', target: 'q', reason: 'test' });
      await resettable.resetAll();
      expect(resettable.events.withheld).toEqual([]);
      await client.send(new CreateQueueCommand({ QueueName: `reset-${run}` }));
      expect((resettable.ses as unknown as { onEvent?: unknown }).onEvent).toBeTypeOf('function');
    } finally {
      client.destroy();
      ownAgent.destroy();
      await resettable.stop();
      await own.stop();
    }
  });
});
