/**
 * The e2e harness's SES v2 endpoint against the real SDK: a loopback HTTP server feeds each
 * request to `SesV2Wire`, and an unmodified `SESv2Client` must get what AWS would send it,
 * parsed into the SDK's types and error classes. If the wire format drifts from SES v2's, the
 * SDK's own parser fails here rather than the e2e run. The tests share one fake account and run
 * in order, as a provisioning run builds it: configuration set, identity, MAIL FROM, tags,
 * templates, a send, then the teardown and error paths.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import {
  AlreadyExistsException,
  BadRequestException,
  CreateConfigurationSetCommand,
  CreateEmailIdentityCommand,
  CreateEmailTemplateCommand,
  DeleteConfigurationSetCommand,
  DeleteEmailIdentityCommand,
  DeleteEmailTemplateCommand,
  GetAccountCommand,
  GetConfigurationSetCommand,
  GetEmailIdentityCommand,
  GetEmailTemplateCommand,
  ListTagsForResourceCommand,
  MessageRejected,
  NotFoundException,
  PutConfigurationSetDeliveryOptionsCommand,
  PutConfigurationSetReputationOptionsCommand,
  PutEmailIdentityConfigurationSetAttributesCommand,
  PutEmailIdentityDkimAttributesCommand,
  PutEmailIdentityDkimSigningAttributesCommand,
  PutEmailIdentityMailFromAttributesCommand,
  SendEmailCommand,
  SESv2Client,
  SESv2ServiceException,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateEmailTemplateCommand,
} from '@aws-sdk/client-sesv2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Caller, type Handler } from '../fakes/errors.js';
import { FakeSes } from '../fakes/ses.js';
import { SesV2Wire } from '../e2e/harness/sesv2.js';
import type { WireRequest } from '../e2e/harness/wire.js';

const REGION = 'us-east-1';
const DOMAIN = 'example.com';
const KEY_GENERATED = new Date('2026-03-04T05:06:07.250Z');

/**
 * FakeSes as it is, plus what it does not model yet and this test needs to see cross the wire:
 * the DKIM key's generation time SES reports (a timestamp, the one kind of value JSON has no
 * type for), UntagResource (the tags API's query parameters), and who called.
 */
class ObservedSes extends FakeSes {
  readonly callers: Array<string | undefined> = [];

  override handlers(): Record<string, Handler> {
    const handlers: Record<string, Handler> = {
      ...super.handlers(),
      'sesv2:UntagResource': (input, region) => {
        const identity = this.identity(region, String(input['ResourceArn']).split('/').pop() ?? '');
        if (!identity)
          throw new NotFoundException({ message: 'Resource not found.', $metadata: { httpStatusCode: 404 } });
        identity.tags = identity.tags.filter((tag) => !(input['TagKeys'] as string[]).includes(tag.Key));
        return {};
      },
    };
    return Object.fromEntries(
      Object.entries(handlers).map(([name, handler]) => [
        name,
        (input: Record<string, unknown>, region: string, caller: Caller) => {
          this.callers.push(caller.accessKeyId);
          const output = handler(input, region, caller) as { DkimAttributes?: Record<string, unknown> };
          if (output.DkimAttributes) output.DkimAttributes['LastKeyGenerationTimestamp'] = KEY_GENERATED;
          return output;
        },
      ]),
    );
  }
}

/** The region and access key id of a SigV4 `Authorization` header's credential scope. */
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

const ses = new ObservedSes();
const wire = new SesV2Wire(ses);
const server: Server = createServer((message, response) => {
  void wireRequest(message)
    .then((request) => wire.handle(request))
    .then((answer) => response.writeHead(answer.status, answer.headers).end(answer.body))
    .catch((err: unknown) => response.writeHead(500).end(String(err)));
});
const clients: SESv2Client[] = [];

/** A real SDK client, as the CLI builds one, pointed at the loopback server. */
function client(region = REGION): SESv2Client {
  const { port } = server.address() as AddressInfo;
  const made = new SESv2Client({
    region,
    endpoint: `http://127.0.0.1:${port}`,
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'x' },
  });
  clients.push(made);
  return made;
}

/** What a promise rejected with (the test fails if it resolved). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('expected the call to be refused'),
    (err: unknown) => err,
  );
}

const raw = (method: string, url: string, body = '') =>
  wire.handle({ method, url, headers: {}, body: Buffer.from(body), region: REGION, accessKeyId: 'AKIDTEST' });

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  for (const made of clients) made.destroy();
  server.closeAllConnections();
  await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
});

describe('SES v2 over the wire, as a real SESv2Client sees it', () => {
  it('creates a configuration set with delivery and reputation options, and reads them back as set', async () => {
    const sesv2 = client();
    await sesv2.send(
      new CreateConfigurationSetCommand({
        ConfigurationSetName: 'app-dev',
        DeliveryOptions: { TlsPolicy: 'REQUIRE' },
        ReputationOptions: { ReputationMetricsEnabled: true },
        Tags: [{ Key: 'app', Value: 'demo' }],
      }),
    );
    const created = await sesv2.send(new GetConfigurationSetCommand({ ConfigurationSetName: 'app-dev' }));
    expect(created).toMatchObject({
      ConfigurationSetName: 'app-dev',
      DeliveryOptions: { TlsPolicy: 'REQUIRE' },
      ReputationOptions: { ReputationMetricsEnabled: true },
      Tags: [{ Key: 'app', Value: 'demo' }],
    });

    await sesv2.send(
      new PutConfigurationSetDeliveryOptionsCommand({ ConfigurationSetName: 'app-dev', TlsPolicy: 'OPTIONAL' }),
    );
    await sesv2.send(
      new PutConfigurationSetReputationOptionsCommand({
        ConfigurationSetName: 'app-dev',
        ReputationMetricsEnabled: false,
      }),
    );
    const updated = await sesv2.send(new GetConfigurationSetCommand({ ConfigurationSetName: 'app-dev' }));
    expect(updated).toMatchObject({
      DeliveryOptions: { TlsPolicy: 'OPTIONAL' },
      ReputationOptions: { ReputationMetricsEnabled: false },
    });
    expect(updated.$metadata).toMatchObject({
      httpStatusCode: 200,
      requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
  });

  it('creates a domain identity with three Easy DKIM tokens, its key generation time parsed as a Date', async () => {
    const created = await client().send(
      new CreateEmailIdentityCommand({
        EmailIdentity: DOMAIN,
        ConfigurationSetName: 'app-dev',
        DkimSigningAttributes: { NextSigningKeyLength: 'RSA_1024_BIT' },
      }),
    );
    expect(created.IdentityType).toBe('DOMAIN');
    expect(created.VerifiedForSendingStatus).toBe(false);
    expect(created.DkimAttributes?.Tokens).toHaveLength(3);
    expect(created.DkimAttributes?.NextSigningKeyLength).toBe('RSA_1024_BIT');
    expect(created.DkimAttributes?.LastKeyGenerationTimestamp).toBeInstanceOf(Date);
    expect(created.DkimAttributes?.LastKeyGenerationTimestamp?.toISOString()).toBe(KEY_GENERATED.toISOString());
  });

  it('sends that timestamp as epoch seconds, a JSON number, with the JSON content type', async () => {
    const answer = await raw('GET', `/v2/email/identities/${DOMAIN}`);
    expect(answer.status).toBe(200);
    expect(answer.headers).toMatchObject({
      'content-type': 'application/json',
      'x-amzn-requestid': expect.any(String),
    });
    const body = JSON.parse(answer.body.toString()) as { DkimAttributes: Record<string, unknown> };
    expect(body.DkimAttributes['LastKeyGenerationTimestamp']).toBe(KEY_GENERATED.getTime() / 1000);
  });

  it('takes an identity named by an email address, URL-encoded in the path, under its decoded name', async () => {
    const sesv2 = client();
    await sesv2.send(new CreateEmailIdentityCommand({ EmailIdentity: 'user@example.org' }));
    expect(await raw('GET', '/v2/email/identities/user%40example.org')).toMatchObject({ status: 200 });
    const read = await sesv2.send(new GetEmailIdentityCommand({ EmailIdentity: 'user@example.org' }));
    expect(read.DkimAttributes?.Tokens).toHaveLength(3);
    expect(ses.identity(REGION, 'user@example.org')).toBeDefined();
  });

  it('sets the MAIL FROM domain, PENDING until SES finds its MX record', async () => {
    const sesv2 = client();
    await sesv2.send(
      new PutEmailIdentityMailFromAttributesCommand({
        EmailIdentity: DOMAIN,
        MailFromDomain: `mail.${DOMAIN}`,
        BehaviorOnMxFailure: 'REJECT_MESSAGE',
      }),
    );
    const pending = await sesv2.send(new GetEmailIdentityCommand({ EmailIdentity: DOMAIN }));
    expect(pending.MailFromAttributes).toEqual({
      MailFromDomain: `mail.${DOMAIN}`,
      MailFromDomainStatus: 'PENDING',
      BehaviorOnMxFailure: 'REJECT_MESSAGE',
    });
    ses.setStatus(REGION, DOMAIN, { mailFrom: 'SUCCESS' });
    expect(
      (await sesv2.send(new GetEmailIdentityCommand({ EmailIdentity: DOMAIN }))).MailFromAttributes
        ?.MailFromDomainStatus,
    ).toBe('SUCCESS');
  });

  it('moves the identity to another configuration set, turns DKIM signing off and changes its key length', async () => {
    const sesv2 = client();
    await sesv2.send(new CreateConfigurationSetCommand({ ConfigurationSetName: 'app-prod' }));
    await sesv2.send(
      new PutEmailIdentityConfigurationSetAttributesCommand({
        EmailIdentity: DOMAIN,
        ConfigurationSetName: 'app-prod',
      }),
    );
    await sesv2.send(new PutEmailIdentityDkimAttributesCommand({ EmailIdentity: DOMAIN, SigningEnabled: false }));
    const signing = await sesv2.send(
      new PutEmailIdentityDkimSigningAttributesCommand({
        EmailIdentity: DOMAIN,
        SigningAttributesOrigin: 'AWS_SES',
        SigningAttributes: { NextSigningKeyLength: 'RSA_2048_BIT' },
      }),
    );
    expect(signing.DkimTokens).toHaveLength(3);
    const read = await sesv2.send(new GetEmailIdentityCommand({ EmailIdentity: DOMAIN }));
    expect(read.ConfigurationSetName).toBe('app-prod');
    expect(read.DkimAttributes).toMatchObject({ SigningEnabled: false, NextSigningKeyLength: 'RSA_2048_BIT' });
  });

  it('tags the identity by its ARN, and untags it by query parameters (ResourceArn, TagKeys repeated)', async () => {
    const sesv2 = client();
    const arn = `arn:aws:ses:${REGION}:123456789012:identity/${DOMAIN}`;
    await sesv2.send(
      new TagResourceCommand({
        ResourceArn: arn,
        Tags: [
          { Key: 'app', Value: 'demo' },
          { Key: 'env', Value: 'dev' },
          { Key: 'owner', Value: 'ops' },
        ],
      }),
    );
    expect((await sesv2.send(new GetEmailIdentityCommand({ EmailIdentity: DOMAIN }))).Tags?.map((t) => t.Key)).toEqual([
      'app',
      'env',
      'owner',
    ]);
    await sesv2.send(new UntagResourceCommand({ ResourceArn: arn, TagKeys: ['env', 'owner'] }));
    expect((await sesv2.send(new GetEmailIdentityCommand({ EmailIdentity: DOMAIN }))).Tags).toEqual([
      { Key: 'app', Value: 'demo' },
    ]);
  });

  it('creates, reads, updates and deletes an email template', async () => {
    const sesv2 = client();
    await sesv2.send(
      new CreateEmailTemplateCommand({
        TemplateName: 'welcome',
        TemplateContent: { Subject: 'Hi {{name}}', Html: '<p>Hi {{name}}</p>', Text: 'Hi {{name}}' },
      }),
    );
    expect((await sesv2.send(new GetEmailTemplateCommand({ TemplateName: 'welcome' }))).TemplateContent).toEqual({
      Subject: 'Hi {{name}}',
      Html: '<p>Hi {{name}}</p>',
      Text: 'Hi {{name}}',
    });
    await sesv2.send(
      new UpdateEmailTemplateCommand({
        TemplateName: 'welcome',
        TemplateContent: { Subject: 'Hello {{name}}', Html: '<p>Hello</p>', Text: 'Hello' },
      }),
    );
    expect((await sesv2.send(new GetEmailTemplateCommand({ TemplateName: 'welcome' }))).TemplateContent?.Subject).toBe(
      'Hello {{name}}',
    );
    await sesv2.send(new DeleteEmailTemplateCommand({ TemplateName: 'welcome' }));
    expect(await rejection(sesv2.send(new GetEmailTemplateCommand({ TemplateName: 'welcome' })))).toBeInstanceOf(
      NotFoundException,
    );
  });

  it('reports the account in the sandbox, sending enabled, with the sandbox quota', async () => {
    const account = await client().send(new GetAccountCommand({}));
    expect(account).toMatchObject({
      ProductionAccessEnabled: false,
      SendingEnabled: true,
      EnforcementStatus: 'HEALTHY',
      SendQuota: { Max24HourSend: 200, MaxSendRate: 1, SentLast24Hours: 0 },
    });
  });

  it('refuses to send from an unverified identity, then sends and records the email once it is verified', async () => {
    const sesv2 = client();
    await sesv2.send(
      new CreateEmailTemplateCommand({
        TemplateName: 'smoke',
        TemplateContent: { Subject: 'Smoke {{run}}', Text: 'ok' },
      }),
    );
    const email = {
      FromEmailAddress: `App <noreply@${DOMAIN}>`,
      Destination: { ToAddresses: ['success@simulator.amazonses.com'] },
      ConfigurationSetName: 'app-prod',
      Content: { Template: { TemplateName: 'smoke', TemplateData: '{"run":1}' } },
    };
    const refused = await rejection(sesv2.send(new SendEmailCommand(email)));
    expect(refused).toBeInstanceOf(MessageRejected);
    expect(ses.sent).toHaveLength(0);

    ses.setStatus(REGION, DOMAIN, { dkim: 'SUCCESS' });
    const { MessageId } = await sesv2.send(new SendEmailCommand(email));
    expect(MessageId).toMatch(/\S/);
    expect(ses.sent).toEqual([
      {
        messageId: MessageId,
        region: REGION,
        from: `noreply@${DOMAIN}`,
        to: ['success@simulator.amazonses.com'],
        configurationSet: 'app-prod',
        template: 'smoke',
        templateData: { run: 1 },
      },
    ]);
  });

  it('deletes the identity and a configuration set, which are then gone', async () => {
    const sesv2 = client();
    await sesv2.send(new DeleteEmailIdentityCommand({ EmailIdentity: 'user@example.org' }));
    await sesv2.send(new DeleteConfigurationSetCommand({ ConfigurationSetName: 'app-dev' }));
    expect(ses.identity(REGION, 'user@example.org')).toBeUndefined();
    expect(
      await rejection(sesv2.send(new GetConfigurationSetCommand({ ConfigurationSetName: 'app-dev' }))),
    ).toBeInstanceOf(NotFoundException);
  });

  it('answers an unknown identity with NotFoundException and a second create with AlreadyExistsException', async () => {
    const sesv2 = client();
    const missing = await rejection(sesv2.send(new GetEmailIdentityCommand({ EmailIdentity: 'nobody.example' })));
    expect(missing).toBeInstanceOf(NotFoundException);
    expect(missing).toMatchObject({
      message: 'Email identity nobody.example does not exist.',
      $metadata: { httpStatusCode: 404 },
    });
    const twice = await rejection(sesv2.send(new CreateEmailIdentityCommand({ EmailIdentity: DOMAIN })));
    expect(twice).toBeInstanceOf(AlreadyExistsException);
    expect(
      await rejection(sesv2.send(new CreateConfigurationSetCommand({ ConfigurationSetName: 'app-prod' }))),
    ).toBeInstanceOf(AlreadyExistsException);
  });

  it('sends an error as SES v2 does: its status, the code in x-amzn-errortype, {"message"} in the body', async () => {
    const answer = await raw('GET', '/v2/email/identities/nobody.example');
    expect(answer.status).toBe(404);
    expect(answer.headers).toMatchObject({
      'content-type': 'application/json',
      'x-amzn-errortype': 'NotFoundException:http://internal.amazon.com/coral/com.amazonaws.sesv2/',
    });
    expect(JSON.parse(answer.body.toString())).toEqual({ message: 'Email identity nobody.example does not exist.' });
  });

  it('refuses a request without a member the model requires with BadRequestException', async () => {
    const incomplete = new CreateEmailTemplateCommand({ TemplateName: 'broken' } as ConstructorParameters<
      typeof CreateEmailTemplateCommand
    >[0]);
    const refused = await rejection(client().send(incomplete));
    expect(refused).toBeInstanceOf(BadRequestException);
    expect((refused as Error).message).toContain("'templateContent'");
    expect(ses.region(REGION).templates.has('broken')).toBe(false);
  });

  it('answers the region of the credential scope from that region, and calls FakeSes as the signing key', async () => {
    expect(
      await rejection(client('eu-west-1').send(new GetEmailIdentityCommand({ EmailIdentity: DOMAIN }))),
    ).toBeInstanceOf(NotFoundException);
    expect(ses.identity(REGION, DOMAIN)).toBeDefined();
    expect(ses.callers.length).toBeGreaterThan(0);
    expect(new Set(ses.callers)).toEqual(new Set(['AKIDTEST']));
  });

  it('answers a route SES v2 has no operation at, or one FakeSes does not model, with 404 UnknownOperationException', async () => {
    const unknown = await raw('GET', '/v2/email/no-such-thing');
    expect(unknown.status).toBe(404);
    expect(unknown.headers['x-amzn-errortype']).toMatch(/^UnknownOperationException:/);
    expect((await raw('PATCH', `/v2/email/identities/${DOMAIN}`)).status).toBe(404);
    const unmodeled = await rejection(
      client().send(
        new ListTagsForResourceCommand({ ResourceArn: `arn:aws:ses:${REGION}:123456789012:identity/${DOMAIN}` }),
      ),
    );
    expect(unmodeled).toBeInstanceOf(SESv2ServiceException);
    expect(unmodeled).toMatchObject({ name: 'UnknownOperationException', $metadata: { httpStatusCode: 404 } });
    expect((unmodeled as Error).message).toContain('ListTagsForResource');
  });

  it('answers a body that is not JSON with 400 SerializationException, and a bug in the fake with 500 InternalFailure', async () => {
    const garbled = await raw('POST', '/v2/email/templates', '{"TemplateName":');
    expect({ status: garbled.status, code: garbled.headers['x-amzn-errortype']?.split(':')[0] }).toEqual({
      status: 400,
      code: 'SerializationException',
    });

    const broken = new (class extends FakeSes {
      override handlers(): Record<string, Handler> {
        return {
          'sesv2:GetAccount': () => {
            throw new TypeError('account is undefined');
          },
        };
      }
    })();
    const answer = await new SesV2Wire(broken).handle({
      method: 'GET',
      url: '/v2/email/account',
      headers: {},
      body: Buffer.alloc(0),
      region: REGION,
    });
    expect({ status: answer.status, code: answer.headers['x-amzn-errortype']?.split(':')[0] }).toEqual({
      status: 500,
      code: 'InternalFailure',
    });
    expect(JSON.parse(answer.body.toString())).toEqual({ message: 'TypeError: account is undefined' });
  });
});
