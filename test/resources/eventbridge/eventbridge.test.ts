import {
  CreateEventBusCommand,
  DeleteEventBusCommand,
  DeleteRuleCommand,
  DescribeEventBusCommand,
  DescribeRuleCommand,
  EventBridgeClient,
  ListTagsForResourceCommand,
  ListTargetsByRuleCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
  TagResourceCommand,
} from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { HmError } from '../../../src/errors.js';
import { eventBusStep } from '../../../src/resources/eventbridge/bus.js';
import { emailEventsRuleStep, eventsRuleStep } from '../../../src/resources/eventbridge/rule.js';
import { emailEventsTargetStep, eventsTargetStep } from '../../../src/resources/eventbridge/target.js';
import { resourceTags } from '../../../src/resources/tags.js';
import { awsError } from '../../fakes/account.js';
import { converge, givenConfig, givenStepContext } from '../../support/context.js';

const eb = mockClient(EventBridgeClient);
const ACCOUNT = '123456789012';
const account = { accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/admin` };
const BUS = 'healthmetrics-dev';
const BUS_ARN = `arn:aws:events:us-east-1:${ACCOUNT}:event-bus/${BUS}`;
const RULE = 'healthmetrics-dev-email-events';
const RULE_ARN = `arn:aws:events:us-east-1:${ACCOUNT}:rule/${RULE}`;
const EVENTS_RULE = 'healthmetrics-dev-events';
const EVENTS_RULE_ARN = `arn:aws:events:us-east-1:${ACCOUNT}:rule/${BUS}/${EVENTS_RULE}`;
const QUEUE_ARN = `arn:aws:sqs:us-east-1:${ACCOUNT}:healthmetrics-dev-email-events`;
const EVENTS_QUEUE_ARN = `arn:aws:sqs:us-east-1:${ACCOUNT}:healthmetrics-dev-events`;
const OURS = (name: string) => resourceTags(givenConfig(), name);

const outputs = {
  account,
  'events-bus': { name: BUS, arn: BUS_ARN },
  'email-events-rule': { name: RULE, arn: RULE_ARN, busName: 'default' },
  'events-rule': { name: EVENTS_RULE, arn: EVENTS_RULE_ARN, busName: BUS },
  'email-events-queue': { name: 'healthmetrics-dev-email-events', url: 'https://q/email-events', arn: QUEUE_ARN },
  'events-queue': { name: 'healthmetrics-dev-events', url: 'https://q/events', arn: EVENTS_QUEUE_ARN },
} as never;
const givenContext = (config = givenConfig()) => givenStepContext({ config, outputs });
const notFound = (what = 'Rule healthmetrics-dev-email-events does not exist.') =>
  awsError('eventbridge', 'ResourceNotFoundException', what);

/** The pattern of docs/resources.md, written out rather than built with the code under test. */
const EMAIL_PATTERN = {
  source: ['aws.ses'],
  'detail-type': [
    'Email Bounced',
    'Email Complaint Received',
    'Email Rejected',
    'Email Delivery Delayed',
    'Email Rendering Failed',
  ],
  detail: { mail: { tags: { 'ses:configuration-set': ['healthmetrics-dev'] } } },
};

describe('EventBridge bus step', () => {
  beforeEach(() => eb.reset());

  it('creates the bus <app>-<env> with the tags, saying so first', async () => {
    eb.on(DescribeEventBusCommand).rejects(notFound('Event bus healthmetrics-dev does not exist.'));
    eb.on(CreateEventBusCommand).resolves({ EventBusArn: BUS_ARN });
    const ctx = givenContext();
    // WHEN
    const { observed, result } = await converge(eventBusStep, ctx);
    // THEN
    expect(observed).toBeUndefined();
    expect(eb.commandCalls(CreateEventBusCommand).map((c) => c.args[0].input)).toEqual([
      { Name: BUS, Tags: OURS(BUS) },
    ]);
    expect(result).toEqual({ type: 'created', outputs: { name: BUS, arn: BUS_ARN } });
    expect(ctx.intents).toEqual([{ create: `EventBridge bus ${BUS}` }]);
  });

  it('leaves a tagged bus alone', async () => {
    eb.on(DescribeEventBusCommand).resolves({ Name: BUS, Arn: BUS_ARN });
    eb.on(ListTagsForResourceCommand).resolves({ Tags: [...OURS(BUS), { Key: 'team', Value: 'ops' }] });
    // WHEN
    const { changes, result } = await converge(eventBusStep, givenContext());
    // THEN
    expect(changes).toEqual([]);
    expect(result).toEqual({ type: 'unchanged', outputs: { name: BUS, arn: BUS_ARN } });
    expect(eb).not.toHaveReceivedCommand(CreateEventBusCommand);
    expect(eb).not.toHaveReceivedCommand(TagResourceCommand);
  });

  it('adds the tags a bus lacks, only those', async () => {
    eb.on(DescribeEventBusCommand).resolves({ Name: BUS, Arn: BUS_ARN });
    eb.on(ListTagsForResourceCommand).resolves({ Tags: OURS(BUS).filter((t) => t.Key !== 'ManagedBy') });
    // WHEN
    const { changes } = await converge(eventBusStep, givenContext());
    // THEN
    expect(changes).toMatchObject([{ field: 'tags', to: 'ManagedBy=hm-infra' }]);
    expect(eb).toHaveReceivedCommandExactlyOnceWith(TagResourceCommand, {
      ResourceARN: BUS_ARN,
      Tags: [{ Key: 'ManagedBy', Value: 'hm-infra' }],
    });
  });

  it('reads the bus again when CreateEventBus says it exists, and converges it', async () => {
    eb.on(DescribeEventBusCommand).rejectsOnce(notFound()).resolves({ Name: BUS, Arn: BUS_ARN });
    eb.on(ListTagsForResourceCommand).resolves({ Tags: OURS(BUS) });
    eb.on(CreateEventBusCommand).rejects(
      awsError('eventbridge', 'ResourceAlreadyExistsException', 'Event bus healthmetrics-dev already exists.'),
    );
    // WHEN
    const { result } = await converge(eventBusStep, givenContext());
    // THEN
    expect(result).toEqual({ type: 'unchanged', outputs: { name: BUS, arn: BUS_ARN } });
    expect(eb).toHaveReceivedCommandTimes(CreateEventBusCommand, 1);
  });

  it('explains the quota of buses', async () => {
    eb.on(DescribeEventBusCommand).rejects(notFound());
    eb.on(CreateEventBusCommand).rejects(
      awsError('eventbridge', 'LimitExceededException', 'The requested resource exceeds the maximum number allowed.'),
    );
    // WHEN
    const error = (await converge(eventBusStep, givenContext()).catch((e: unknown) => e)) as HmError;
    // THEN
    expect(error.code).toBe('LIMIT_REACHED');
    expect(error.message).toContain('EventBridge event buses');
  });

  it('deletes the bus by name, and counts one already gone as removed', async () => {
    eb.on(DeleteEventBusCommand).resolvesOnce({}).rejects(notFound());
    // WHEN
    await eventBusStep.destroy(givenContext(), { name: BUS, arn: BUS_ARN });
    const again = await eventBusStep.destroy(givenContext(), { name: BUS, arn: BUS_ARN });
    // THEN
    expect(again).toBeUndefined();
    expect(eb).toHaveReceivedCommandTimes(DeleteEventBusCommand, 2);
    expect(eb).toHaveReceivedCommandWith(DeleteEventBusCommand, { Name: BUS });
  });
});

describe('EventBridge rule steps', () => {
  beforeEach(() => eb.reset());
  const givenRule = (rule: { EventPattern?: string; State?: 'ENABLED' | 'DISABLED' }, tags = OURS(RULE)) => {
    eb.on(DescribeRuleCommand).resolves({ Name: RULE, Arn: RULE_ARN, EventBusName: 'default', ...rule });
    eb.on(ListTagsForResourceCommand).resolves({ Tags: tags });
    eb.on(PutRuleCommand).resolves({ RuleArn: RULE_ARN });
    eb.on(TagResourceCommand).resolves({});
  };
  const putInputs = () => eb.commandCalls(PutRuleCommand).map((c) => c.args[0].input);

  it('creates the email-events rule on the default bus, enabled, with the documented pattern and the tags', async () => {
    eb.on(DescribeRuleCommand).rejects(notFound());
    eb.on(PutRuleCommand).resolves({ RuleArn: RULE_ARN });
    const ctx = givenContext();
    // WHEN
    const { result } = await converge(emailEventsRuleStep, ctx);
    // THEN
    expect(eb).toHaveReceivedCommandWith(DescribeRuleCommand, { Name: RULE, EventBusName: 'default' });
    const [input] = putInputs();
    expect(input).toMatchObject({ Name: RULE, EventBusName: 'default', State: 'ENABLED', Tags: OURS(RULE) });
    expect(JSON.parse(input?.EventPattern ?? '')).toEqual(EMAIL_PATTERN);
    expect(result).toEqual({ type: 'created', outputs: { name: RULE, arn: RULE_ARN, busName: 'default' } });
    expect(ctx.intents).toEqual([{ create: RULE, bus: 'default' }]);
  });

  it('matches deliveries too with --track-deliveries', async () => {
    eb.on(DescribeRuleCommand).rejects(notFound());
    eb.on(PutRuleCommand).resolves({ RuleArn: RULE_ARN });
    // WHEN
    await converge(emailEventsRuleStep, givenContext(givenConfig({ trackDeliveries: true })));
    // THEN
    const pattern = JSON.parse(putInputs()[0]?.EventPattern ?? '');
    expect(pattern['detail-type']).toEqual([...EMAIL_PATTERN['detail-type'], 'Email Delivered']);
  });

  it('creates the app-events rule on the app bus, matching every event of the account', async () => {
    eb.on(DescribeRuleCommand).rejects(notFound());
    eb.on(PutRuleCommand).resolves({ RuleArn: EVENTS_RULE_ARN });
    // WHEN
    const { result } = await converge(eventsRuleStep, givenContext());
    // THEN
    const [input] = putInputs();
    expect(input).toMatchObject({ Name: EVENTS_RULE, EventBusName: BUS, State: 'ENABLED', Tags: OURS(EVENTS_RULE) });
    expect(JSON.parse(input?.EventPattern ?? '')).toEqual({ account: [ACCOUNT] });
    expect(result.outputs).toEqual({ name: EVENTS_RULE, arn: EVENTS_RULE_ARN, busName: BUS });
  });

  it('leaves a rule alone whose pattern means the same (other key and value order)', async () => {
    givenRule({
      State: 'ENABLED',
      EventPattern: JSON.stringify({
        detail: EMAIL_PATTERN.detail,
        'detail-type': [...EMAIL_PATTERN['detail-type']].reverse(),
        source: ['aws.ses'],
      }),
    });
    // WHEN
    const { changes, result } = await converge(emailEventsRuleStep, givenContext());
    // THEN
    expect(changes).toEqual([]);
    expect(result.type).toBe('unchanged');
    expect(eb).not.toHaveReceivedCommand(PutRuleCommand);
    expect(eb).not.toHaveReceivedCommand(TagResourceCommand);
  });

  it('puts back a pattern someone narrowed, with one PutRule (no tags: they are kept)', async () => {
    givenRule({
      State: 'ENABLED',
      EventPattern: JSON.stringify({ ...EMAIL_PATTERN, 'detail-type': ['Email Bounced'] }),
    });
    // WHEN
    const { changes, result } = await converge(emailEventsRuleStep, givenContext());
    // THEN
    expect(changes).toMatchObject([{ field: 'event-pattern', action: 'update' }]);
    expect(JSON.parse(String(changes[0]?.from))).toEqual({ ...EMAIL_PATTERN, 'detail-type': ['Email Bounced'] });
    expect(result.type).toBe('updated');
    const inputs = putInputs();
    expect(inputs).toHaveLength(1);
    expect(inputs[0]).toMatchObject({ Name: RULE, EventBusName: 'default', State: 'ENABLED' });
    expect(inputs[0]?.Tags).toBeUndefined();
    expect(JSON.parse(inputs[0]?.EventPattern ?? '')).toEqual(EMAIL_PATTERN);
  });

  it('enables a disabled rule again', async () => {
    givenRule({ State: 'DISABLED', EventPattern: JSON.stringify(EMAIL_PATTERN) });
    // WHEN
    const { changes } = await converge(emailEventsRuleStep, givenContext());
    // THEN
    expect(changes.map((c) => [c.field, c.from, c.to])).toEqual([['state', 'DISABLED', 'ENABLED']]);
    expect(eb).toHaveReceivedCommandExactlyOnceWith(PutRuleCommand, { Name: RULE, State: 'ENABLED' });
  });

  it('adds missing tags with TagResource alone', async () => {
    givenRule({ State: 'ENABLED', EventPattern: JSON.stringify(EMAIL_PATTERN) }, []);
    // WHEN
    const { changes } = await converge(emailEventsRuleStep, givenContext());
    // THEN
    expect(changes.map((c) => c.field)).toEqual(['tags']);
    expect(eb).toHaveReceivedCommandExactlyOnceWith(TagResourceCommand, { ResourceARN: RULE_ARN, Tags: OURS(RULE) });
    expect(eb).not.toHaveReceivedCommand(PutRuleCommand);
  });

  it('explains the quota of rules', async () => {
    eb.on(DescribeRuleCommand).rejects(notFound());
    eb.on(PutRuleCommand).rejects(awsError('eventbridge', 'LimitExceededException', 'limit'));
    // WHEN
    const error = (await converge(emailEventsRuleStep, givenContext()).catch((e: unknown) => e)) as HmError;
    // THEN
    expect(error.code).toBe('LIMIT_REACHED');
  });

  it('deletes the rule on its bus, and counts one already gone as removed', async () => {
    eb.on(DeleteRuleCommand).resolvesOnce({}).rejects(notFound());
    const recorded = { name: EVENTS_RULE, arn: EVENTS_RULE_ARN, busName: BUS };
    // WHEN
    await eventsRuleStep.destroy(givenContext(), recorded);
    const again = await eventsRuleStep.destroy(givenContext(), recorded);
    // THEN
    expect(again).toBeUndefined();
    expect(eb).toHaveReceivedCommandTimes(DeleteRuleCommand, 2);
    expect(eb).toHaveReceivedCommandWith(DeleteRuleCommand, { Name: EVENTS_RULE, EventBusName: BUS });
  });

  it('explains a rule EventBridge will not delete because someone added targets to it', async () => {
    eb.on(DeleteRuleCommand).rejects(
      awsError('eventbridge', 'ValidationException', "Rule can't be deleted since it has targets."),
    );
    // WHEN
    const error = (await emailEventsRuleStep
      .destroy(givenContext(), { name: RULE, arn: RULE_ARN, busName: 'default' })
      .catch((e: unknown) => e)) as HmError;
    // THEN
    expect(error.code).toBe('EVENTS_RULE_IN_USE');
    expect(error.hint).toContain(`aws events list-targets-by-rule --rule ${RULE} --event-bus-name default`);
  });
});

describe('EventBridge target steps', () => {
  beforeEach(() => eb.reset());
  const someoneElses = { Id: 'audit', Arn: `arn:aws:sqs:us-east-1:${ACCOUNT}:audit` };

  it('add the queue as target "queue" of the rule when it has none, leaving other targets', async () => {
    eb.on(ListTargetsByRuleCommand).resolves({ Targets: [someoneElses] });
    eb.on(PutTargetsCommand).resolves({ FailedEntryCount: 0, FailedEntries: [] });
    const ctx = givenContext();
    // WHEN
    const { result } = await converge(emailEventsTargetStep, ctx);
    // THEN
    expect(eb.commandCalls(PutTargetsCommand).map((c) => c.args[0].input)).toEqual([
      { Rule: RULE, EventBusName: 'default', Targets: [{ Id: 'queue', Arn: QUEUE_ARN }] },
    ]);
    expect(eb).not.toHaveReceivedCommand(RemoveTargetsCommand);
    expect(result).toEqual({ type: 'created', outputs: { rule: RULE, busName: 'default', targetId: 'queue' } });
    expect(ctx.intents).toEqual([{ create: `target queue of ${RULE}` }]);
  });

  it('target the events queue from the app bus rule', async () => {
    eb.on(ListTargetsByRuleCommand).resolves({ Targets: [] });
    eb.on(PutTargetsCommand).resolves({ FailedEntryCount: 0 });
    // WHEN
    await converge(eventsTargetStep, givenContext());
    // THEN
    expect(eb).toHaveReceivedCommandWith(ListTargetsByRuleCommand, { Rule: EVENTS_RULE, EventBusName: BUS });
    expect(eb).toHaveReceivedCommandWith(PutTargetsCommand, {
      Rule: EVENTS_RULE,
      EventBusName: BUS,
      Targets: [{ Id: 'queue', Arn: EVENTS_QUEUE_ARN }],
    });
  });

  it('leave a target that points at the queue alone', async () => {
    eb.on(ListTargetsByRuleCommand).resolves({ Targets: [someoneElses, { Id: 'queue', Arn: QUEUE_ARN }] });
    // WHEN
    const { changes, result } = await converge(emailEventsTargetStep, givenContext());
    // THEN
    expect(changes).toEqual([]);
    expect(result.type).toBe('unchanged');
    expect(eb).not.toHaveReceivedCommand(PutTargetsCommand);
  });

  it('point a target that someone pointed elsewhere back at the queue, with one PutTargets', async () => {
    const elsewhere = `arn:aws:sqs:us-east-1:${ACCOUNT}:elsewhere`;
    eb.on(ListTargetsByRuleCommand).resolves({ Targets: [{ Id: 'queue', Arn: elsewhere }] });
    eb.on(PutTargetsCommand).resolves({ FailedEntryCount: 0 });
    // WHEN
    const { changes, result } = await converge(emailEventsTargetStep, givenContext());
    // THEN
    expect(changes.map((c) => [c.field, c.action, c.from, c.to])).toEqual([['target', 'update', elsewhere, QUEUE_ARN]]);
    expect(result.type).toBe('updated');
    expect(eb).toHaveReceivedCommandExactlyOnceWith(PutTargetsCommand, {
      Targets: [{ Id: 'queue', Arn: QUEUE_ARN }],
    });
  });

  it('refuse with the reason EventBridge gives when PutTargets answers a failed entry', async () => {
    eb.on(ListTargetsByRuleCommand).resolves({ Targets: [] });
    eb.on(PutTargetsCommand).resolves({
      FailedEntryCount: 1,
      FailedEntries: [{ TargetId: 'queue', ErrorCode: 'ConcurrentModificationException', ErrorMessage: 'try again' }],
    });
    // WHEN
    const error = (await converge(emailEventsTargetStep, givenContext()).catch((e: unknown) => e)) as HmError;
    // THEN
    expect(error.code).toBe('EVENTS_TARGET_REFUSED');
    expect(error.message).toContain('ConcurrentModificationException (try again)');
    expect(error.hint).toContain('aws events list-targets-by-rule');
  });

  it('find nothing when the rule is gone', async () => {
    eb.on(ListTargetsByRuleCommand).rejects(notFound());
    // WHEN
    const observed = await emailEventsTargetStep.read(givenContext());
    // THEN
    expect(observed).toBeUndefined();
  });

  it('remove only the "queue" target on remove, and count a rule already gone as removed', async () => {
    eb.on(RemoveTargetsCommand).resolvesOnce({ FailedEntryCount: 0 }).rejects(notFound());
    const recorded = { rule: RULE, busName: 'default', targetId: 'queue' };
    // WHEN
    await emailEventsTargetStep.destroy(givenContext(), recorded);
    const again = await emailEventsTargetStep.destroy(givenContext(), recorded);
    // THEN
    expect(again).toBeUndefined();
    expect(eb).toHaveReceivedCommandTimes(RemoveTargetsCommand, 2);
    expect(eb).toHaveReceivedCommandWith(RemoveTargetsCommand, { Rule: RULE, EventBusName: 'default', Ids: ['queue'] });
  });
});
