import {
  CreateEventBusCommand,
  DeleteEventBusCommand,
  DeleteRuleCommand,
  DescribeEventBusCommand,
  DescribeRuleCommand,
  EventBridgeClient,
  EventBridgeServiceException,
  InvalidEventPatternException,
  LimitExceededException,
  ListTagsForResourceCommand,
  ListTargetsByRuleCommand,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
} from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, SQSClient, SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeAccount } from './account.js';
import { patternMatches, patternProblem } from './eventbridge.js';
import { type InstalledFake, installFakeAccount } from './install.js';

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const BUS = 'myapp-dev';
const RULE = 'myapp-dev-events';
const RULE_ARN = `arn:aws:events:${REGION}:${ACCOUNT}:rule/${BUS}/${RULE}`;
const QUEUE = 'myapp-dev-events';
const QUEUE_ARN = `arn:aws:sqs:${REGION}:${ACCOUNT}:${QUEUE}`;
const QUEUE_URL = `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${QUEUE}`;

/** The queue policy the contract gives a rule's target queue. */
const queuePolicy = (sourceArn: string, operator = 'ArnEquals') =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'events',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: QUEUE_ARN,
        Condition: { [operator]: { 'aws:SourceArn': sourceArn } },
      },
    ],
  });

/** What SES puts on the default bus for a bounce (the contract's example). */
const bounce = (configurationSet = 'myapp-dev') => ({
  version: '0',
  id: 'e1',
  'detail-type': 'Email Bounced',
  source: 'aws.ses',
  account: ACCOUNT,
  time: '2026-12-01T10:00:00Z',
  region: REGION,
  resources: [`arn:aws:ses:${REGION}:${ACCOUNT}:configuration-set/${configurationSet}`],
  detail: {
    eventType: 'Bounce',
    bounce: { bounceType: 'Permanent', bouncedRecipients: [{ emailAddress: 'bounce@simulator.amazonses.com' }] },
    mail: {
      messageId: 'm1',
      destination: ['bounce@simulator.amazonses.com'],
      tags: { 'ses:configuration-set': [configurationSet], 'ses:from-domain': ['example.com'] },
    },
  },
});

const EMAIL_PATTERN = {
  source: ['aws.ses'],
  'detail-type': ['Email Bounced', 'Email Complaint Received', 'Email Rejected'],
  detail: { mail: { tags: { 'ses:configuration-set': ['myapp-dev'] } } },
};

describe('EventBridge event patterns', () => {
  it('match the contract’s email pattern against an SES bounce of the set, not another set’s nor a delivery', () => {
    expect(patternMatches(EMAIL_PATTERN, bounce())).toBe(true);
    expect(patternMatches(EMAIL_PATTERN, bounce('other-set'))).toBe(false);
    expect(patternMatches(EMAIL_PATTERN, { ...bounce(), 'detail-type': 'Email Delivered' })).toBe(false);
    expect(patternMatches({ account: [ACCOUNT] }, bounce())).toBe(true);
    expect(patternMatches({ account: ['111111111111'] }, bounce())).toBe(false);
  });

  it('match content filters: prefix, suffix, anything-but, exists, numeric, equals-ignore-case, wildcard, and arrays', () => {
    const event = { source: 'hm-infra.smoke-test', detail: { n: 5, list: ['a', 'b'], name: 'Alice', empty: null } };
    const matches = (detail: Record<string, unknown>) => patternMatches({ detail }, event);
    expect(patternMatches({ source: [{ prefix: 'hm-infra.' }] }, event)).toBe(true);
    expect(patternMatches({ source: [{ prefix: 'aws.' }] }, event)).toBe(false);
    expect(patternMatches({ source: [{ suffix: '.smoke-test' }] }, event)).toBe(true);
    expect(matches({ name: [{ 'anything-but': ['Bob'] }] })).toBe(true);
    expect(matches({ name: [{ 'anything-but': 'Alice' }] })).toBe(false);
    expect(matches({ missing: [{ exists: false }] })).toBe(true);
    expect(matches({ name: [{ exists: false }] })).toBe(false);
    expect(matches({ missing: [{ 'anything-but': 'x' }] })).toBe(false);
    expect(matches({ n: [{ numeric: ['>', 0, '<=', 5] }] })).toBe(true);
    expect(matches({ n: [{ numeric: ['>', 5] }] })).toBe(false);
    expect(matches({ name: [{ 'equals-ignore-case': 'alice' }] })).toBe(true);
    expect(matches({ name: [{ wildcard: 'A*e' }] })).toBe(true);
    expect(matches({ list: ['b'] })).toBe(true);
    expect(matches({ list: ['c'] })).toBe(false);
    expect(matches({ empty: [null] })).toBe(true);
    expect(matches({ missing: [null] })).toBe(false);
    expect(patternMatches({ $or: [{ source: ['x'] }, { detail: { n: [5] } }] }, event)).toBe(true);
  });

  it('are refused when not an object of arrays of values or known matchers', () => {
    expect(patternProblem(EMAIL_PATTERN)).toBeUndefined();
    expect(patternProblem({ source: 'aws.ses' })).toMatch(/must be an array/);
    expect(patternProblem({ source: [] })).toMatch(/Empty arrays/);
    expect(patternProblem({ source: [{ startsWith: 'a' }] })).toMatch(/Unrecognized match type/);
    expect(patternProblem(['aws.ses'])).toMatch(/not an object/);
  });
});

describe('the fake EventBridge, through EventBridge and SQS clients', () => {
  let installed: InstalledFake;
  const events = () => new EventBridgeClient({ region: REGION });
  const sqs = () => new SQSClient({ region: REGION });
  const fake = () => installed.fake;

  /** The contract's app-event setup: a bus, a rule for this account's events, a queue as its target. */
  async function givenAppEvents(policy: string | null = queuePolicy(RULE_ARN)) {
    await events().send(new CreateEventBusCommand({ Name: BUS, Tags: [{ Key: 'app', Value: 'myapp' }] }));
    await sqs().send(new CreateQueueCommand({ QueueName: QUEUE, Attributes: { SqsManagedSseEnabled: 'true' } }));
    if (policy !== null)
      await sqs().send(new SetQueueAttributesCommand({ QueueUrl: QUEUE_URL, Attributes: { Policy: policy } }));
    const { RuleArn } = await events().send(
      new PutRuleCommand({
        Name: RULE,
        EventBusName: BUS,
        EventPattern: JSON.stringify({ account: [ACCOUNT] }),
        State: 'ENABLED',
        Tags: [{ Key: 'app', Value: 'myapp' }],
      }),
    );
    await events().send(
      new PutTargetsCommand({ Rule: RULE, EventBusName: BUS, Targets: [{ Id: 'events-queue', Arn: QUEUE_ARN }] }),
    );
    return RuleArn;
  }

  const putSmokeEvent = () =>
    events().send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: BUS,
            Source: 'hm-infra.smoke-test',
            DetailType: 'hm-infra smoke test',
            Detail: JSON.stringify({ nonce: 'n-1' }),
          },
        ],
      }),
    );

  beforeEach(() => {
    installed = installFakeAccount(new FakeAccount());
    fake().now = () => Date.parse('2026-12-01T10:00:00.250Z');
  });
  afterEach(() => installed.restore());

  it('has the default bus in every region; a custom bus is created once and described by name or ARN', async () => {
    expect(await events().send(new DescribeEventBusCommand({}))).toMatchObject({
      Name: 'default',
      Arn: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default`,
    });
    const { EventBusArn } = await events().send(new CreateEventBusCommand({ Name: BUS }));
    expect(EventBusArn).toBe(`arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${BUS}`);
    expect((await events().send(new DescribeEventBusCommand({ Name: EventBusArn }))).Name).toBe(BUS);
    await expect(events().send(new CreateEventBusCommand({ Name: BUS }))).rejects.toBeInstanceOf(
      ResourceAlreadyExistsException,
    );
    await expect(events().send(new DescribeEventBusCommand({ Name: 'nope' }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
  });

  it('creates a rule with its tags, replaces it on a second PutRule (tags kept, left-out members cleared)', async () => {
    const RuleArn = await givenAppEvents();
    expect(RuleArn).toBe(RULE_ARN);
    // WHEN updated without Description and with other tags
    await events().send(
      new PutRuleCommand({ Name: RULE, EventBusName: BUS, Description: 'first', EventPattern: '{"account":["1"]}' }),
    );
    await events().send(
      new PutRuleCommand({
        Name: RULE,
        EventBusName: BUS,
        EventPattern: JSON.stringify({ account: [ACCOUNT] }),
        Tags: [{ Key: 'other', Value: 'x' }],
      }),
    );
    // THEN
    const rule = await events().send(new DescribeRuleCommand({ Name: RULE, EventBusName: BUS }));
    expect(rule).toMatchObject({ Arn: RULE_ARN, State: 'ENABLED', EventBusName: BUS, CreatedBy: ACCOUNT });
    expect(rule.Description).toBeUndefined();
    expect((await events().send(new ListTagsForResourceCommand({ ResourceARN: RULE_ARN }))).Tags).toEqual([
      { Key: 'app', Value: 'myapp' },
    ]);
    expect((await events().send(new ListTargetsByRuleCommand({ Rule: RULE, EventBusName: BUS }))).Targets).toEqual([
      { Id: 'events-queue', Arn: QUEUE_ARN },
    ]);
  });

  it('answers a rule that does not exist with ResourceNotFoundException, and refuses a bad pattern', async () => {
    await expect(events().send(new DescribeRuleCommand({ Name: 'nope' }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    await expect(
      events().send(new PutRuleCommand({ Name: 'r', EventPattern: '{"source":"aws.ses"}' })),
    ).rejects.toBeInstanceOf(InvalidEventPatternException);
  });

  it('refuses to delete a rule that has targets, as AWS words it; deletes it once they are removed', async () => {
    // GIVEN
    await givenAppEvents();
    // WHEN
    const refused = await events()
      .send(new DeleteRuleCommand({ Name: RULE, EventBusName: BUS }))
      .catch((e: unknown) => e);
    // THEN a ValidationException, which the SDK models no class for
    expect(refused).toBeInstanceOf(EventBridgeServiceException);
    expect(refused).toMatchObject({
      name: 'ValidationException',
      message: "Rule can't be deleted since it has targets.",
      $metadata: { httpStatusCode: 400 },
    });
    // AND the bus cannot go while the rule is on it
    await expect(events().send(new DeleteEventBusCommand({ Name: BUS }))).rejects.toMatchObject({
      name: 'ValidationException',
      message: "EventBus can't be deleted since it has rules.",
    });
    // WHEN the targets are removed
    await events().send(new RemoveTargetsCommand({ Rule: RULE, EventBusName: BUS, Ids: ['events-queue'] }));
    await events().send(new DeleteRuleCommand({ Name: RULE, EventBusName: BUS }));
    await events().send(new DeleteEventBusCommand({ Name: BUS }));
    // THEN all is gone, and deleting again is no error
    await events().send(new DeleteEventBusCommand({ Name: BUS }));
    expect(fake().eventbridge.bus(REGION, BUS)).toBeUndefined();
    await expect(events().send(new DeleteEventBusCommand({ Name: 'default' }))).rejects.toMatchObject({
      name: 'ValidationException',
    });
  });

  it('refuses a sixth target', async () => {
    await givenAppEvents();
    const targets = [1, 2, 3, 4, 5].map((n) => ({ Id: `t${n}`, Arn: QUEUE_ARN }));
    await expect(
      events().send(new PutTargetsCommand({ Rule: RULE, EventBusName: BUS, Targets: targets })),
    ).rejects.toBeInstanceOf(LimitExceededException);
  });

  it('delivers a matching event, whole, to a target queue whose policy allows the rule', async () => {
    // GIVEN
    await givenAppEvents();
    // WHEN
    const put = await putSmokeEvent();
    // THEN
    expect(put.FailedEntryCount).toBe(0);
    const [body] = fake().sqs.bodies(REGION, QUEUE);
    expect(JSON.parse(body ?? '{}')).toEqual({
      version: '0',
      id: put.Entries?.[0]?.EventId,
      'detail-type': 'hm-infra smoke test',
      source: 'hm-infra.smoke-test',
      account: ACCOUNT,
      time: '2026-12-01T10:00:00Z',
      region: REGION,
      resources: [],
      detail: { nonce: 'n-1' },
    });
  });

  it('gives a target what its Input, InputPath or InputTransformer make of the event', async () => {
    await givenAppEvents();
    const retarget = (settings: Record<string, unknown>) =>
      events().send(
        new PutTargetsCommand({
          Rule: RULE,
          EventBusName: BUS,
          Targets: [{ Id: 'events-queue', Arn: QUEUE_ARN, ...settings }],
        }),
      );
    await retarget({ Input: '{"fixed":true}' });
    await putSmokeEvent();
    await retarget({ InputPath: '$.detail' });
    await putSmokeEvent();
    await retarget({
      InputTransformer: { InputPathsMap: { nonce: '$.detail.nonce' }, InputTemplate: '{"got":"<nonce>"}' },
    });
    await putSmokeEvent();
    expect(fake().sqs.bodies(REGION, QUEUE)).toEqual(['{"fixed":true}', '{"nonce":"n-1"}', '{"got":"n-1"}']);
  });

  it('accepts an ArnLike condition with a wildcard in the policy', async () => {
    await givenAppEvents(queuePolicy(`arn:aws:events:${REGION}:${ACCOUNT}:rule/${BUS}/*`, 'ArnLike'));
    await putSmokeEvent();
    expect(fake().sqs.bodies(REGION, QUEUE)).toHaveLength(1);
  });

  it.each([
    ['no policy', null],
    ['a policy for another rule', queuePolicy(`arn:aws:events:${REGION}:${ACCOUNT}:rule/${BUS}/other`)],
    ['a policy for another principal', queuePolicy(RULE_ARN).replace('events.amazonaws.com', 'sns.amazonaws.com')],
  ])('delivers nothing to a queue with %s (PutEvents still succeeds)', async (_what, policy) => {
    await givenAppEvents(policy);
    expect((await putSmokeEvent()).FailedEntryCount).toBe(0);
    expect(fake().sqs.bodies(REGION, QUEUE)).toEqual([]);
    expect(fake().eventbridge.deliveries).toEqual([
      expect.objectContaining({
        ruleArn: RULE_ARN,
        targetId: 'events-queue',
        failure: expect.stringMatching(/policy/),
      }),
    ]);
  });

  it('delivers nothing to a queue encrypted with a KMS key (SSE-KMS), though its policy allows it', async () => {
    await givenAppEvents();
    await sqs().send(
      new SetQueueAttributesCommand({ QueueUrl: QUEUE_URL, Attributes: { KmsMasterKeyId: 'alias/my-key' } }),
    );
    await putSmokeEvent();
    expect(fake().sqs.bodies(REGION, QUEUE)).toEqual([]);
    expect(fake().eventbridge.deliveries[0]?.failure).toMatch(/KMS/);
  });

  it('matches only enabled rules of the event’s bus', async () => {
    await givenAppEvents();
    // An event on the default bus does not reach the custom bus's rule.
    await events().send(new PutEventsCommand({ Entries: [{ Source: 'app', DetailType: 't', Detail: '{}' }] }));
    expect(fake().sqs.bodies(REGION, QUEUE)).toEqual([]);
    await events().send(
      new PutRuleCommand({
        Name: RULE,
        EventBusName: BUS,
        EventPattern: '{"account":["123456789012"]}',
        State: 'DISABLED',
      }),
    );
    await putSmokeEvent();
    expect(fake().sqs.bodies(REGION, QUEUE)).toEqual([]);
  });

  it('fails entries without Source, DetailType or a JSON object Detail, and an aws. source; a bus that does not exist loses the event', async () => {
    const { Entries, FailedEntryCount } = await events().send(
      new PutEventsCommand({
        Entries: [
          { DetailType: 't', Detail: '{}' },
          { Source: 's', Detail: '{}' },
          { Source: 's', DetailType: 't', Detail: '[1]' },
          { Source: 'aws.ses', DetailType: 't', Detail: '{}' },
          { Source: 's', DetailType: 't', Detail: '{}', EventBusName: 'no-such-bus' },
        ],
      }),
    );
    expect(FailedEntryCount).toBe(4);
    expect(Entries?.map((e) => e.ErrorCode ?? 'ok')).toEqual([
      'InvalidArgument',
      'InvalidArgument',
      'MalformedDetail',
      'NotAuthorizedForSourceException',
      'ok',
    ]);
  });
});
