/**
 * The e2e harness's SES v2 routes for event destinations and suppression options
 * (test/e2e/harness/sesv2.ts) against the real SDK: an unmodified `SESv2Client` sends each
 * operation to a loopback server feeding `SesV2Wire`, and the request must reach the FakeSes
 * handler of that operation with its path labels and body members, required members checked as
 * SES v2 checks them, and the handler's answer must parse into the SDK's output.
 *
 * The handlers here are stand-ins that record what they receive (FakeSes's own are tested with
 * FakeSes): this checks the routes only, so it holds with or without FakeSes modelling these
 * operations.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import {
  BadRequestException,
  CreateConfigurationSetEventDestinationCommand,
  DeleteConfigurationSetEventDestinationCommand,
  GetConfigurationSetEventDestinationsCommand,
  PutConfigurationSetSuppressionOptionsCommand,
  SESv2Client,
  UpdateConfigurationSetEventDestinationCommand,
} from '@aws-sdk/client-sesv2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Handler } from '../fakes/errors.js';
import { FakeSes } from '../fakes/ses.js';
import { SesV2Wire } from '../e2e/harness/sesv2.js';
import type { WireRequest } from '../e2e/harness/wire.js';

const OPERATIONS = [
  'CreateConfigurationSetEventDestination',
  'GetConfigurationSetEventDestinations',
  'UpdateConfigurationSetEventDestination',
  'DeleteConfigurationSetEventDestination',
  'PutConfigurationSetSuppressionOptions',
] as const;

const DESTINATION = {
  Enabled: true,
  MatchingEventTypes: ['BOUNCE' as const, 'COMPLAINT' as const],
  EventBridgeDestination: { EventBusArn: 'arn:aws:events:us-east-1:123456789012:event-bus/default' },
};

/** FakeSes with recording stand-ins for the five operations. */
class RecordingSes extends FakeSes {
  readonly received: Array<{ operation: string; input: Record<string, unknown>; region: string }> = [];

  override handlers(): Record<string, Handler> {
    const stand = (operation: string, output: unknown = {}): Handler => {
      return (input, region) => {
        this.received.push({ operation, input, region });
        return output;
      };
    };
    return {
      ...super.handlers(),
      ...Object.fromEntries(OPERATIONS.map((operation) => [`sesv2:${operation}`, stand(operation)])),
      'sesv2:GetConfigurationSetEventDestinations': stand('GetConfigurationSetEventDestinations', {
        EventDestinations: [{ Name: 'app-dev-eventbridge', ...DESTINATION }],
      }),
    };
  }
}

function credentialScope(authorization: string | undefined): { region: string; accessKeyId?: string } {
  const match = /Credential=([^/,\s]+)\/\d{8}\/([^/]+)\/[^/]+\/aws4_request/.exec(authorization ?? '');
  return match ? { accessKeyId: match[1], region: match[2] ?? '' } : { region: '' };
}

async function wireRequest(message: IncomingMessage): Promise<WireRequest> {
  const chunks: Buffer[] = [];
  for await (const chunk of message) chunks.push(chunk as Buffer);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers))
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  return {
    method: message.method ?? 'GET',
    url: message.url ?? '/',
    headers,
    body: Buffer.concat(chunks),
    ...credentialScope(headers['authorization']),
  };
}

const ses = new RecordingSes();
const wire = new SesV2Wire(ses);
const server: Server = createServer((message, response) => {
  void wireRequest(message)
    .then((request) => wire.handle(request))
    .then((answer) => response.writeHead(answer.status, answer.headers).end(answer.body))
    .catch((err: unknown) => response.writeHead(500).end(String(err)));
});
let sesv2: SESv2Client;

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  sesv2 = new SESv2Client({
    region: 'eu-west-1',
    endpoint: `http://127.0.0.1:${port}`,
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'x' },
    maxAttempts: 1,
  });
});

afterAll(async () => {
  sesv2.destroy();
  server.closeAllConnections();
  await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
});

describe('SES v2 event destinations and suppression options over the wire', () => {
  it('routes each operation to its FakeSes handler with the path labels and body members', async () => {
    ses.received.length = 0;
    await sesv2.send(
      new CreateConfigurationSetEventDestinationCommand({
        ConfigurationSetName: 'app-dev',
        EventDestinationName: 'app-dev-eventbridge',
        EventDestination: DESTINATION,
      }),
    );
    const listed = await sesv2.send(
      new GetConfigurationSetEventDestinationsCommand({ ConfigurationSetName: 'app-dev' }),
    );
    await sesv2.send(
      new UpdateConfigurationSetEventDestinationCommand({
        ConfigurationSetName: 'app-dev',
        EventDestinationName: 'app-dev-eventbridge',
        EventDestination: { ...DESTINATION, Enabled: false },
      }),
    );
    await sesv2.send(
      new DeleteConfigurationSetEventDestinationCommand({
        ConfigurationSetName: 'app-dev',
        EventDestinationName: 'app-dev-eventbridge',
      }),
    );
    await sesv2.send(
      new PutConfigurationSetSuppressionOptionsCommand({
        ConfigurationSetName: 'app-dev',
        SuppressedReasons: ['BOUNCE', 'COMPLAINT'],
      }),
    );

    expect(listed.EventDestinations).toEqual([{ Name: 'app-dev-eventbridge', ...DESTINATION }]);
    expect(ses.received).toEqual([
      {
        operation: 'CreateConfigurationSetEventDestination',
        input: {
          ConfigurationSetName: 'app-dev',
          EventDestinationName: 'app-dev-eventbridge',
          EventDestination: DESTINATION,
        },
        region: 'eu-west-1',
      },
      {
        operation: 'GetConfigurationSetEventDestinations',
        input: { ConfigurationSetName: 'app-dev' },
        region: 'eu-west-1',
      },
      {
        operation: 'UpdateConfigurationSetEventDestination',
        input: {
          ConfigurationSetName: 'app-dev',
          EventDestinationName: 'app-dev-eventbridge',
          EventDestination: { ...DESTINATION, Enabled: false },
        },
        region: 'eu-west-1',
      },
      {
        operation: 'DeleteConfigurationSetEventDestination',
        input: { ConfigurationSetName: 'app-dev', EventDestinationName: 'app-dev-eventbridge' },
        region: 'eu-west-1',
      },
      {
        operation: 'PutConfigurationSetSuppressionOptions',
        input: { ConfigurationSetName: 'app-dev', SuppressedReasons: ['BOUNCE', 'COMPLAINT'] },
        region: 'eu-west-1',
      },
    ]);
  });

  it('refuses a missing required member as SES v2 does, before the handler', async () => {
    ses.received.length = 0;
    const refused = await sesv2
      .send(
        new CreateConfigurationSetEventDestinationCommand({
          ConfigurationSetName: 'app-dev',
          EventDestinationName: 'app-dev-eventbridge',
        } as never),
      )
      .then(
        () => expect.fail('expected the call to be refused'),
        (err: unknown) => err,
      );
    expect(refused).toBeInstanceOf(BadRequestException);
    expect((refused as Error).message).toBe(
      "1 validation error detected: Value null at 'eventDestination' failed to satisfy constraint: Member must not be null",
    );
    const update = await wire.handle({
      method: 'PUT',
      url: '/v2/email/configuration-sets/app-dev/event-destinations/app-dev-eventbridge',
      headers: {},
      body: Buffer.from('{}'),
      region: 'us-east-1',
    });
    expect([update.status, update.headers['x-amzn-errortype']?.split(':')[0]]).toEqual([400, 'BadRequestException']);
    expect(ses.received).toEqual([]);
  });
});
