import {
  CreateConfigurationSetCommand,
  CreateConfigurationSetEventDestinationCommand,
  DeleteConfigurationSetEventDestinationCommand,
  type EventDestination,
  GetConfigurationSetCommand,
  GetConfigurationSetEventDestinationsCommand,
  PutConfigurationSetSuppressionOptionsCommand,
  SESv2Client,
  UpdateConfigurationSetEventDestinationCommand,
} from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { configSetStep } from '../../../src/resources/ses/configuration-set.js';
import {
  emailEventDestinationStep,
  emailMetricsDestinationStep,
} from '../../../src/resources/ses/event-destinations.js';
import { resourceTags } from '../../../src/resources/tags.js';
import { awsError } from '../../fakes/account.js';
import { converge, givenConfig, givenStepContext } from '../../support/context.js';

const ses = mockClient(SESv2Client);
const ACCOUNT = '123456789012';
const account = { accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/admin` };
const SET = 'healthmetrics-dev';
const DEFAULT_BUS = `arn:aws:events:us-east-1:${ACCOUNT}:event-bus/default`;
const givenContext = (config = givenConfig()) => givenStepContext({ config, outputs: { account } as never });
const notFound = () => awsError('sesv2', 'NotFoundException', 'Configuration set <healthmetrics-dev> does not exist.');

/** The two destinations as docs/resources.md describes them. */
const EVENTBRIDGE: EventDestination = {
  Name: `${SET}-eventbridge`,
  Enabled: true,
  MatchingEventTypes: ['BOUNCE', 'COMPLAINT', 'REJECT', 'DELIVERY_DELAY', 'RENDERING_FAILURE'],
  EventBridgeDestination: { EventBusArn: DEFAULT_BUS },
};
const CLOUDWATCH: EventDestination = {
  Name: `${SET}-cloudwatch`,
  Enabled: true,
  MatchingEventTypes: ['BOUNCE', 'COMPLAINT'],
  CloudWatchDestination: {
    DimensionConfigurations: [
      { DimensionName: 'ses:configuration-set', DimensionValueSource: 'MESSAGE_TAG', DefaultDimensionValue: SET },
    ],
  },
};
const withoutName = ({ Name: _name, ...rest }: EventDestination) => rest;

const givenDestinations = (...destinations: EventDestination[]) => {
  ses.on(GetConfigurationSetEventDestinationsCommand).resolves({ EventDestinations: destinations });
  ses.on(CreateConfigurationSetEventDestinationCommand).resolves({});
  ses.on(UpdateConfigurationSetEventDestinationCommand).resolves({});
};
const sent = (command: typeof CreateConfigurationSetEventDestinationCommand) =>
  ses.commandCalls(command).map((c) => c.args[0].input);
const updates = () => ses.commandCalls(UpdateConfigurationSetEventDestinationCommand).map((c) => c.args[0].input);

describe('SES event destination steps', () => {
  beforeEach(() => ses.reset());

  it('create the EventBridge destination to the default bus with the five failure types, saving the intent first', async () => {
    const ctx = givenContext();
    let intentsAtCreate: unknown[] = [];
    ses.on(GetConfigurationSetEventDestinationsCommand).resolves({ EventDestinations: [CLOUDWATCH] });
    ses.on(CreateConfigurationSetEventDestinationCommand).callsFake(() => {
      intentsAtCreate = [...ctx.intents];
      return {};
    });
    // WHEN
    const { observed, result } = await converge(emailEventDestinationStep, ctx);
    // THEN
    expect(observed).toBeUndefined();
    expect(sent(CreateConfigurationSetEventDestinationCommand)).toEqual([
      {
        ConfigurationSetName: SET,
        EventDestinationName: `${SET}-eventbridge`,
        EventDestination: withoutName(EVENTBRIDGE),
      },
    ]);
    expect(result).toEqual({ type: 'created', outputs: { configurationSet: SET, name: `${SET}-eventbridge` } });
    expect(intentsAtCreate).toEqual([{ create: `${SET}-eventbridge` }]);
  });

  it('add DELIVERY with --track-deliveries', async () => {
    givenDestinations();
    // WHEN
    await converge(emailEventDestinationStep, givenContext(givenConfig({ trackDeliveries: true })));
    // THEN
    expect(sent(CreateConfigurationSetEventDestinationCommand)[0]?.EventDestination?.MatchingEventTypes).toEqual([
      ...(EVENTBRIDGE.MatchingEventTypes ?? []),
      'DELIVERY',
    ]);
  });

  it('create the CloudWatch destination with the configuration-set dimension from the message tag', async () => {
    givenDestinations();
    // WHEN
    const { result } = await converge(emailMetricsDestinationStep, givenContext());
    // THEN
    expect(sent(CreateConfigurationSetEventDestinationCommand)).toEqual([
      {
        ConfigurationSetName: SET,
        EventDestinationName: `${SET}-cloudwatch`,
        EventDestination: withoutName(CLOUDWATCH),
      },
    ]);
    expect(result.outputs).toEqual({ configurationSet: SET, name: `${SET}-cloudwatch` });
  });

  it('leave both alone when they are as wanted (types in another order), reading the listing once for the two', async () => {
    givenDestinations(
      { ...EVENTBRIDGE, MatchingEventTypes: [...(EVENTBRIDGE.MatchingEventTypes ?? [])].reverse() },
      CLOUDWATCH,
    );
    const ctx = givenContext();
    // WHEN
    const a = await converge(emailEventDestinationStep, ctx);
    const b = await converge(emailMetricsDestinationStep, ctx);
    // THEN
    expect(a.changes).toEqual([]);
    expect(b.changes).toEqual([]);
    expect(ses).toHaveReceivedCommandTimes(GetConfigurationSetEventDestinationsCommand, 1);
    expect(ses).not.toHaveReceivedCommand(CreateConfigurationSetEventDestinationCommand);
    expect(ses).not.toHaveReceivedCommand(UpdateConfigurationSetEventDestinationCommand);
  });

  it('enable a disabled destination again with one update of the whole definition', async () => {
    givenDestinations({ ...EVENTBRIDGE, Enabled: false });
    // WHEN
    const { changes, result } = await converge(emailEventDestinationStep, givenContext());
    // THEN
    expect(changes.map((c) => [c.field, c.from, c.to])).toEqual([['enabled', 'disabled', 'enabled']]);
    expect(result.type).toBe('updated');
    expect(updates()).toEqual([
      {
        ConfigurationSetName: SET,
        EventDestinationName: `${SET}-eventbridge`,
        EventDestination: withoutName(EVENTBRIDGE),
      },
    ]);
  });

  it('set back other event types', async () => {
    givenDestinations({ ...EVENTBRIDGE, MatchingEventTypes: ['BOUNCE', 'SEND'] });
    // WHEN
    const { changes } = await converge(emailEventDestinationStep, givenContext());
    // THEN
    expect(changes.map((c) => [c.field, c.from, c.to])).toEqual([
      ['event-types', 'BOUNCE,SEND', 'BOUNCE,COMPLAINT,DELIVERY_DELAY,REJECT,RENDERING_FAILURE'],
    ]);
    expect(updates()).toHaveLength(1);
    expect(updates()[0]?.EventDestination).toEqual(withoutName(EVENTBRIDGE));
  });

  it('set back a destination pointed at another bus, and a dimension someone changed', async () => {
    givenDestinations(
      {
        ...EVENTBRIDGE,
        EventBridgeDestination: { EventBusArn: `arn:aws:events:us-east-1:${ACCOUNT}:event-bus/other` },
      },
      {
        ...CLOUDWATCH,
        CloudWatchDestination: {
          DimensionConfigurations: [
            { DimensionName: 'ses:configuration-set', DimensionValueSource: 'MESSAGE_TAG', DefaultDimensionValue: 'x' },
          ],
        },
      },
    );
    const ctx = givenContext();
    // WHEN
    const bus = await converge(emailEventDestinationStep, ctx);
    const metrics = await converge(emailMetricsDestinationStep, ctx);
    // THEN
    expect(bus.changes.map((c) => [c.field, c.to])).toEqual([['destination', "the account's default EventBridge bus"]]);
    expect(metrics.changes.map((c) => c.field)).toEqual(['destination']);
    expect(updates().map((u) => u.EventDestination)).toEqual([withoutName(EVENTBRIDGE), withoutName(CLOUDWATCH)]);
  });

  it('find nothing when the configuration set is gone (NotFoundException)', async () => {
    ses.on(GetConfigurationSetEventDestinationsCommand).rejects(notFound());
    // WHEN
    const observed = await emailEventDestinationStep.read(givenContext());
    // THEN
    expect(observed).toBeUndefined();
  });

  it('list again and converge when SES says the destination already exists', async () => {
    ses
      .on(GetConfigurationSetEventDestinationsCommand)
      .resolvesOnce({ EventDestinations: [] })
      .resolves({ EventDestinations: [{ ...EVENTBRIDGE, Enabled: false }] });
    ses
      .on(CreateConfigurationSetEventDestinationCommand)
      .rejects(awsError('sesv2', 'AlreadyExistsException', 'Event destination already exists'));
    ses.on(UpdateConfigurationSetEventDestinationCommand).resolves({});
    // WHEN
    const { result } = await converge(emailEventDestinationStep, givenContext());
    // THEN
    expect(result.type).toBe('updated');
    expect(ses).toHaveReceivedCommandTimes(GetConfigurationSetEventDestinationsCommand, 2);
    expect(ses).toHaveReceivedCommandTimes(CreateConfigurationSetEventDestinationCommand, 1);
    expect(updates()).toHaveLength(1);
  });

  it('delete the recorded destination, and count one already gone as removed', async () => {
    ses.on(DeleteConfigurationSetEventDestinationCommand).resolvesOnce({}).rejects(notFound());
    const recorded = { configurationSet: SET, name: `${SET}-eventbridge` };
    // WHEN
    await emailEventDestinationStep.destroy(givenContext(), recorded);
    const again = await emailEventDestinationStep.destroy(givenContext(), recorded);
    // THEN
    expect(again).toBeUndefined();
    expect(ses).toHaveReceivedCommandTimes(DeleteConfigurationSetEventDestinationCommand, 2);
    expect(ses).toHaveReceivedCommandWith(DeleteConfigurationSetEventDestinationCommand, {
      ConfigurationSetName: SET,
      EventDestinationName: `${SET}-eventbridge`,
    });
  });
});

describe('SES configuration set suppression', () => {
  beforeEach(() => ses.reset());
  const live = (suppressed: Array<'BOUNCE' | 'COMPLAINT'> | undefined) => ({
    DeliveryOptions: { TlsPolicy: 'REQUIRE' as const },
    ReputationOptions: { ReputationMetricsEnabled: true },
    ...(suppressed ? { SuppressionOptions: { SuppressedReasons: suppressed } } : {}),
    Tags: resourceTags(givenConfig(), SET),
  });

  it('suppresses bounced and complained addresses when a set without its own list is read, with one call', async () => {
    ses.on(GetConfigurationSetCommand).resolves(live(undefined));
    ses.on(PutConfigurationSetSuppressionOptionsCommand).resolves({});
    // WHEN
    const { changes } = await converge(configSetStep, givenContext());
    // THEN
    expect(changes.map((c) => [c.field, c.from, c.to])).toEqual([
      ['suppression', "the account's list", 'BOUNCE, COMPLAINT'],
    ]);
    expect(ses).toHaveReceivedCommandExactlyOnceWith(PutConfigurationSetSuppressionOptionsCommand, {
      ConfigurationSetName: SET,
      SuppressedReasons: ['BOUNCE', 'COMPLAINT'],
    });
  });

  it('sees the reasons in any order as wanted', async () => {
    ses.on(GetConfigurationSetCommand).resolves(live(['COMPLAINT', 'BOUNCE']));
    // WHEN
    const { changes } = await converge(configSetStep, givenContext());
    // THEN
    expect(changes).toEqual([]);
  });

  it('with --no-email-events, creates the set without suppression and leaves a set without it alone', async () => {
    const config = givenConfig({ emailEvents: false });
    ses.on(GetConfigurationSetCommand).rejectsOnce(notFound()).resolves(live(undefined));
    ses.on(CreateConfigurationSetCommand).resolves({});
    // WHEN
    await converge(configSetStep, givenContext(config));
    const second = await converge(configSetStep, givenContext(config));
    // THEN
    expect(ses.commandCalls(CreateConfigurationSetCommand)[0]?.args[0].input.SuppressionOptions).toBeUndefined();
    expect(second.changes).toEqual([]);
    expect(ses).not.toHaveReceivedCommand(PutConfigurationSetSuppressionOptionsCommand);
  });

  it('with --no-email-events, leaves a suppression list someone set alone too', async () => {
    ses.on(GetConfigurationSetCommand).resolves(live(['BOUNCE']));
    // WHEN
    const { changes } = await converge(configSetStep, givenContext(givenConfig({ emailEvents: false })));
    // THEN
    expect(changes).toEqual([]);
  });
});
