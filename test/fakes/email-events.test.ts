/**
 * SES's email events, end to end on the fake account as the contract of issue 19 sets them up:
 * a configuration set with an EventBridge destination on the default bus, a rule for the set's
 * bounces and complaints, its target queue allowing the rule; a message to the mailbox
 * simulator comes back as an EventBridge event in the queue. All through installed SDK clients.
 */
import { EventBridgeClient, PutEventsCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import {
  AlreadyExistsException,
  BadRequestException,
  CreateConfigurationSetCommand,
  CreateConfigurationSetEventDestinationCommand,
  CreateEmailIdentityCommand,
  DeleteConfigurationSetEventDestinationCommand,
  type EventDestinationDefinition,
  GetConfigurationSetCommand,
  GetConfigurationSetEventDestinationsCommand,
  NotFoundException,
  PutConfigurationSetSuppressionOptionsCommand,
  PutEmailIdentityConfigurationSetAttributesCommand,
  SESv2Client,
  SendEmailCommand,
  UpdateConfigurationSetEventDestinationCommand,
} from '@aws-sdk/client-sesv2';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SQSClient,
  SQSServiceException,
  SetQueueAttributesCommand,
} from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeAccount } from './account.js';
import { type InstalledFake, installFakeAccount } from './install.js';
import type { SesEvent } from './ses.js';

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const SET = 'myapp-dev';
const QUEUE = 'myapp-dev-email-events';
const QUEUE_ARN = `arn:aws:sqs:${REGION}:${ACCOUNT}:${QUEUE}`;
const QUEUE_URL = `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${QUEUE}`;
const RULE = 'myapp-dev-email-events';
const RULE_ARN = `arn:aws:events:${REGION}:${ACCOUNT}:rule/${RULE}`;
const DEFAULT_BUS = `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default`;
const BOUNCE = 'bounce@simulator.amazonses.com';
const COMPLAINT = 'complaint@simulator.amazonses.com';

const EVENT_TYPES = ['BOUNCE', 'COMPLAINT', 'REJECT', 'DELIVERY_DELAY', 'RENDERING_FAILURE'] as const;
const eventBridgeDestination = (types: readonly string[] = EVENT_TYPES): EventDestinationDefinition => ({
  Enabled: true,
  MatchingEventTypes: [...types] as EventDestinationDefinition['MatchingEventTypes'],
  EventBridgeDestination: { EventBusArn: DEFAULT_BUS },
});

let installed: InstalledFake;
const fake = () => installed.fake;
const ses = (credentials?: { accessKeyId: string; secretAccessKey: string }) =>
  new SESv2Client({ region: REGION, ...(credentials ? { credentials } : {}) });
const sqs = (credentials?: { accessKeyId: string; secretAccessKey: string }) =>
  new SQSClient({ region: REGION, ...(credentials ? { credentials } : {}) });
const events = (credentials?: { accessKeyId: string; secretAccessKey: string }) =>
  new EventBridgeClient({ region: REGION, ...(credentials ? { credentials } : {}) });

/** A verified sending domain and the contract's configuration set with its EventBridge destination. */
async function givenSendingSet(types: readonly string[] = EVENT_TYPES) {
  await ses().send(new CreateEmailIdentityCommand({ EmailIdentity: 'example.com' }));
  fake().ses.setStatus(REGION, 'example.com', { dkim: 'SUCCESS' });
  await ses().send(
    new CreateConfigurationSetCommand({
      ConfigurationSetName: SET,
      SuppressionOptions: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'] },
    }),
  );
  await ses().send(
    new CreateConfigurationSetEventDestinationCommand({
      ConfigurationSetName: SET,
      EventDestinationName: `${SET}-eventbridge`,
      EventDestination: eventBridgeDestination(types),
    }),
  );
}

/** The contract's rule on the default bus and its queue, which allows the rule. */
async function givenEmailEventsQueue() {
  await sqs().send(new CreateQueueCommand({ QueueName: QUEUE, Attributes: { SqsManagedSseEnabled: 'true' } }));
  await sqs().send(
    new SetQueueAttributesCommand({
      QueueUrl: QUEUE_URL,
      Attributes: {
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: 'events.amazonaws.com' },
              Action: 'sqs:SendMessage',
              Resource: QUEUE_ARN,
              Condition: { ArnEquals: { 'aws:SourceArn': RULE_ARN } },
            },
          ],
        }),
      },
    }),
  );
  await events().send(
    new PutRuleCommand({
      Name: RULE,
      State: 'ENABLED',
      EventPattern: JSON.stringify({
        source: ['aws.ses'],
        'detail-type': [
          'Email Bounced',
          'Email Complaint Received',
          'Email Rejected',
          'Email Delivery Delayed',
          'Email Rendering Failed',
        ],
        detail: { mail: { tags: { 'ses:configuration-set': [SET] } } },
      }),
    }),
  );
  await events().send(new PutTargetsCommand({ Rule: RULE, Targets: [{ Id: 'email-events-queue', Arn: QUEUE_ARN }] }));
}

const send = (to: string, credentials?: { accessKeyId: string; secretAccessKey: string }) =>
  ses(credentials).send(
    new SendEmailCommand({
      FromEmailAddress: 'no-reply@example.com',
      Destination: { ToAddresses: [to] },
      ConfigurationSetName: SET,
      Content: { Simple: { Subject: { Data: 'hi' }, Body: { Text: { Data: 'hello' } } } },
    }),
  );

describe('SES email events through EventBridge to SQS', () => {
  beforeEach(() => {
    installed = installFakeAccount(new FakeAccount());
    fake().now = () => Date.parse('2026-12-01T10:00:00.000Z');
  });
  afterEach(() => installed.restore());

  it('turns a message to the bounce simulator into an “Email Bounced” event in the rule’s queue', async () => {
    // GIVEN
    await givenSendingSet();
    await givenEmailEventsQueue();
    // WHEN
    const { MessageId } = await send(BOUNCE);
    // THEN the queue holds the whole EventBridge event, as the smoke test reads it
    const { Messages = [] } = await sqs().send(
      new ReceiveMessageCommand({ QueueUrl: QUEUE_URL, WaitTimeSeconds: 20, MaxNumberOfMessages: 10 }),
    );
    expect(Messages).toHaveLength(1);
    const event = JSON.parse(Messages[0]?.Body ?? '{}') as SesEvent;
    expect(event).toMatchObject({
      version: '0',
      'detail-type': 'Email Bounced',
      source: 'aws.ses',
      account: ACCOUNT,
      time: '2026-12-01T10:00:01Z',
      region: REGION,
      resources: [`arn:aws:ses:${REGION}:${ACCOUNT}:configuration-set/${SET}`],
      detail: {
        eventType: 'Bounce',
        bounce: {
          bounceType: 'Permanent',
          bounceSubType: 'General',
          bouncedRecipients: [expect.objectContaining({ emailAddress: BOUNCE })],
        },
        mail: {
          source: 'no-reply@example.com',
          sendingAccountId: ACCOUNT,
          messageId: MessageId,
          destination: [BOUNCE],
          tags: {
            'ses:configuration-set': [SET],
            'ses:from-domain': ['example.com'],
            'ses:caller-identity': ['admin'],
          },
        },
      },
    });
    await sqs().send(new DeleteMessageCommand({ QueueUrl: QUEUE_URL, ReceiptHandle: Messages[0]?.ReceiptHandle }));
    expect(fake().sqs.bodies(REGION, QUEUE)).toEqual([]);
  });

  it('publishes a send, then a delivery and a complaint for the complaint simulator, each type only where a destination matches it', async () => {
    // GIVEN a destination for all but REJECT
    await givenSendingSet(['SEND', 'DELIVERY', 'COMPLAINT', 'BOUNCE']);
    // WHEN
    await send(COMPLAINT);
    await send('success@simulator.amazonses.com');
    // THEN
    expect(fake().ses.events.map((e) => `${e.event.detail.mail['destination'] as string}: ${e.type}`)).toEqual([
      `${COMPLAINT}: SEND`,
      `${COMPLAINT}: DELIVERY`,
      `${COMPLAINT}: COMPLAINT`,
      'success@simulator.amazonses.com: SEND',
      'success@simulator.amazonses.com: DELIVERY',
    ]);
    expect(fake().ses.events.map((e) => e.event['detail-type'])).toContain('Email Complaint Received');
  });

  it('hands every event for an EventBridge destination to onEvent (the harness’s hook), awaited before SendEmail answers', async () => {
    await givenSendingSet(['BOUNCE']);
    const seen: Array<{ region: string; event: SesEvent }> = [];
    fake().ses.onEvent = async (region, event) => {
      await new Promise((r) => setTimeout(r, 5));
      seen.push({ region, event });
    };
    await send(BOUNCE);
    expect(seen).toEqual([{ region: REGION, event: expect.objectContaining({ 'detail-type': 'Email Bounced' }) }]);
    // A failing hook is SES's trouble, not the sender's.
    fake().ses.onEvent = () => {
      throw new Error('down');
    };
    await expect(send(BOUNCE)).resolves.toMatchObject({ MessageId: expect.any(String) });
    expect(fake().ses.eventFailures).toHaveLength(1);
  });

  it('publishes the events of a message sent without a set through the sending identity’s default set', async () => {
    await givenSendingSet(['SEND']);
    await ses().send(
      new PutEmailIdentityConfigurationSetAttributesCommand({
        EmailIdentity: 'example.com',
        ConfigurationSetName: SET,
      }),
    );
    await ses().send(
      new SendEmailCommand({
        FromEmailAddress: 'no-reply@example.com',
        Destination: { ToAddresses: [BOUNCE] },
        Content: { Simple: { Subject: { Data: 'x' }, Body: { Text: { Data: 'y' } } } },
      }),
    );
    expect(fake().ses.events.map((e) => [e.configurationSet, e.type])).toEqual([[SET, 'SEND']]);
  });

  it('publishes nothing for a disabled destination, nor for a message outside the set', async () => {
    await givenSendingSet();
    await givenEmailEventsQueue();
    await ses().send(
      new UpdateConfigurationSetEventDestinationCommand({
        ConfigurationSetName: SET,
        EventDestinationName: `${SET}-eventbridge`,
        EventDestination: { ...eventBridgeDestination(), Enabled: false },
      }),
    );
    await send(BOUNCE);
    await ses().send(
      new SendEmailCommand({
        FromEmailAddress: 'no-reply@example.com',
        Destination: { ToAddresses: [BOUNCE] },
        Content: { Simple: { Subject: { Data: 'x' }, Body: { Text: { Data: 'y' } } } },
      }),
    );
    expect(fake().ses.events).toEqual([]);
    expect(fake().sqs.bodies(REGION, QUEUE)).toEqual([]);
  });
});

describe('SES configuration set suppression options and event destinations', () => {
  beforeEach(() => {
    installed = installFakeAccount(new FakeAccount());
  });
  afterEach(() => installed.restore());

  it('keeps SuppressionOptions from the create and from PutConfigurationSetSuppressionOptions', async () => {
    await givenSendingSet();
    expect(
      (await ses().send(new GetConfigurationSetCommand({ ConfigurationSetName: SET }))).SuppressionOptions,
    ).toEqual({ SuppressedReasons: ['BOUNCE', 'COMPLAINT'] });
    await ses().send(
      new PutConfigurationSetSuppressionOptionsCommand({ ConfigurationSetName: SET, SuppressedReasons: ['BOUNCE'] }),
    );
    expect(
      (await ses().send(new GetConfigurationSetCommand({ ConfigurationSetName: SET }))).SuppressionOptions,
    ).toEqual({ SuppressedReasons: ['BOUNCE'] });
    await expect(
      ses().send(
        new PutConfigurationSetSuppressionOptionsCommand({ ConfigurationSetName: 'nope', SuppressedReasons: [] }),
      ),
    ).rejects.toBeInstanceOf(NotFoundException);
  });

  it('lists, updates and deletes destinations, with SES’s errors for a duplicate, a missing set or destination', async () => {
    await givenSendingSet();
    const cloudwatch: EventDestinationDefinition = {
      Enabled: true,
      MatchingEventTypes: ['BOUNCE', 'COMPLAINT'],
      CloudWatchDestination: {
        DimensionConfigurations: [
          { DimensionName: 'ses:configuration-set', DimensionValueSource: 'MESSAGE_TAG', DefaultDimensionValue: SET },
        ],
      },
    };
    await ses().send(
      new CreateConfigurationSetEventDestinationCommand({
        ConfigurationSetName: SET,
        EventDestinationName: `${SET}-cloudwatch`,
        EventDestination: cloudwatch,
      }),
    );
    const listed = await ses().send(new GetConfigurationSetEventDestinationsCommand({ ConfigurationSetName: SET }));
    expect(listed.EventDestinations).toEqual([
      { Name: `${SET}-eventbridge`, ...eventBridgeDestination() },
      { Name: `${SET}-cloudwatch`, ...cloudwatch },
    ]);
    await expect(
      ses().send(
        new CreateConfigurationSetEventDestinationCommand({
          ConfigurationSetName: SET,
          EventDestinationName: `${SET}-cloudwatch`,
          EventDestination: cloudwatch,
        }),
      ),
    ).rejects.toBeInstanceOf(AlreadyExistsException);
    await expect(
      ses().send(
        new CreateConfigurationSetEventDestinationCommand({
          ConfigurationSetName: 'nope',
          EventDestinationName: 'x',
          EventDestination: cloudwatch,
        }),
      ),
    ).rejects.toBeInstanceOf(NotFoundException);
    await expect(
      ses().send(new GetConfigurationSetEventDestinationsCommand({ ConfigurationSetName: 'nope' })),
    ).rejects.toBeInstanceOf(NotFoundException);
    await ses().send(
      new DeleteConfigurationSetEventDestinationCommand({
        ConfigurationSetName: SET,
        EventDestinationName: `${SET}-cloudwatch`,
      }),
    );
    await expect(
      ses().send(
        new DeleteConfigurationSetEventDestinationCommand({
          ConfigurationSetName: SET,
          EventDestinationName: `${SET}-cloudwatch`,
        }),
      ),
    ).rejects.toBeInstanceOf(NotFoundException);
  });

  it.each([
    [
      'another bus',
      { EventBridgeDestination: { EventBusArn: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/myapp-dev` } },
    ],
    ['no destination', {}],
    [
      'two destinations',
      {
        EventBridgeDestination: { EventBusArn: DEFAULT_BUS },
        SnsDestination: { TopicArn: 'arn:aws:sns:us-east-1:1:t' },
      },
    ],
  ])('refuses an EventBridge destination on %s with BadRequestException', async (_what, destination) => {
    await givenSendingSet();
    await expect(
      ses().send(
        new CreateConfigurationSetEventDestinationCommand({
          ConfigurationSetName: SET,
          EventDestinationName: 'x',
          EventDestination: { Enabled: true, MatchingEventTypes: ['BOUNCE'], ...destination },
        }),
      ),
    ).rejects.toBeInstanceOf(BadRequestException);
  });
});

describe('the app user’s calls to SQS and EventBridge, evaluated against its policies', () => {
  beforeEach(() => {
    installed = installFakeAccount(new FakeAccount());
  });
  afterEach(() => installed.restore());

  /** The contract's app user: email-events (receive, delete on the email queue), app-events (PutEvents on the app bus). */
  function givenAppUser() {
    const user = fake().iam.addUser('myapp-dev-app', { keys: 1 });
    user.policies.set(
      'email-events',
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage'], Resource: QUEUE_ARN }],
      }),
    );
    user.policies.set(
      'app-events',
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: 'events:PutEvents',
            Resource: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/myapp-dev`,
          },
        ],
      }),
    );
    const key = user.keys[0];
    if (!key) throw new Error('no key');
    return { accessKeyId: key.id, secretAccessKey: key.secret };
  }

  it('lets it receive from the email-events queue, and refuses another queue with SQS’s AccessDenied', async () => {
    const app = givenAppUser();
    await sqs().send(new CreateQueueCommand({ QueueName: QUEUE }));
    await sqs().send(new CreateQueueCommand({ QueueName: 'other' }));
    await expect(sqs(app).send(new ReceiveMessageCommand({ QueueUrl: QUEUE_URL }))).resolves.toBeDefined();
    const refused = await sqs(app)
      .send(new ReceiveMessageCommand({ QueueUrl: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/other` }))
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SQSServiceException);
    expect(refused).toMatchObject({
      name: 'AccessDenied',
      Code: 'AccessDenied',
      $metadata: { httpStatusCode: 403 },
      message: expect.stringContaining(`sqs:ReceiveMessage on resource: arn:aws:sqs:${REGION}:${ACCOUNT}:other`),
    });
  });

  it('lets it put events on the app bus, not on the default bus (no EventBusName)', async () => {
    const app = givenAppUser();
    await expect(
      events(app).send(
        new PutEventsCommand({ Entries: [{ EventBusName: 'myapp-dev', Source: 's', DetailType: 't', Detail: '{}' }] }),
      ),
    ).resolves.toMatchObject({ FailedEntryCount: 0 });
    await expect(
      events(app).send(new PutEventsCommand({ Entries: [{ Source: 's', DetailType: 't', Detail: '{}' }] })),
    ).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: expect.stringContaining(`events:PutEvents on resource: ${DEFAULT_BUS}`),
    });
  });

  it('names the app user as the caller identity of the mail it sends', async () => {
    const app = givenAppUser();
    fake()
      .iam.user('myapp-dev-app')
      ?.policies.set(
        'ses',
        JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'ses:SendEmail', Resource: '*' }],
        }),
      );
    await givenSendingSet(['SEND']);
    await send(BOUNCE, app);
    expect(fake().ses.events[0]?.event.detail.mail['tags']).toMatchObject({ 'ses:caller-identity': ['myapp-dev-app'] });
  });
});
