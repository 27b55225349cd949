/**
 * A production-access request over the e2e harness's SES v2 wire, with the real SDK: what
 * PutAccountDetails stores comes back in GetAccount's Details with its review, a second request
 * under review is the SDK's own ConflictException (409), and input outside SES v2's model
 * constraints is BadRequestException, so the product's error matching is proven against what
 * the SDK raises from the wire.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import {
  BadRequestException,
  ConflictException,
  GetAccountCommand,
  PutAccountDetailsCommand,
  type PutAccountDetailsCommandInput,
  SESv2Client,
} from '@aws-sdk/client-sesv2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeSes } from '../fakes/ses.js';
import { SesV2Wire } from '../e2e/harness/sesv2.js';
import type { WireRequest } from '../e2e/harness/wire.js';

const REGION = 'eu-west-1';

async function wireRequest(message: IncomingMessage): Promise<WireRequest> {
  const chunks: Buffer[] = [];
  for await (const chunk of message) chunks.push(chunk as Buffer);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers))
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  const scope = /Credential=([^/,\s]+)\/\d{8}\/([^/]+)\//.exec(headers['authorization'] ?? '');
  return {
    method: message.method ?? 'GET',
    url: message.url ?? '/',
    headers,
    body: Buffer.concat(chunks),
    region: scope?.[2] ?? '',
    accessKeyId: scope?.[1],
  };
}

const ses = new FakeSes();
const wire = new SesV2Wire(ses);
const server: Server = createServer((message, response) => {
  void wireRequest(message)
    .then((request) => wire.handle(request))
    .then((answer) => response.writeHead(answer.status, answer.headers).end(answer.body))
    .catch((err: unknown) => response.writeHead(500).end(String(err)));
});
let sesv2: SESv2Client;

const rejection = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => expect.fail('expected the call to be refused'),
    (err: unknown) => err,
  );

const REQUEST = {
  MailType: 'TRANSACTIONAL',
  WebsiteURL: 'https://example.com',
  ContactLanguage: 'EN',
  UseCaseDescription: 'Account verification and password reset.',
  AdditionalContactEmailAddresses: ['ops@example.com'],
  ProductionAccessEnabled: true,
} satisfies PutAccountDetailsCommandInput;

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  sesv2 = new SESv2Client({
    region: REGION,
    endpoint: `http://127.0.0.1:${port}`,
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'x' },
    maxAttempts: 1,
  });
});

afterAll(async () => {
  sesv2.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('PutAccountDetails over the SES v2 wire', () => {
  it('refuses input outside the model: a mail type, language or contact list SES does not take', async () => {
    for (const input of [
      { ...REQUEST, MailType: 'NEWSLETTER' },
      { ...REQUEST, ContactLanguage: 'FR' },
      { ...REQUEST, WebsiteURL: 'x'.repeat(1001) },
      { ...REQUEST, UseCaseDescription: 'x'.repeat(5001) },
      { ...REQUEST, AdditionalContactEmailAddresses: ['a@b.c', 'ops@example.com'] },
      { ...REQUEST, AdditionalContactEmailAddresses: ['1@ex.com', '2@ex.com', '3@ex.com', '4@ex.com', '5@ex.com'] },
    ]) {
      const refused = await rejection(sesv2.send(new PutAccountDetailsCommand(input as never)));
      expect(refused, JSON.stringify(input).slice(0, 80)).toBeInstanceOf(BadRequestException);
      expect((refused as BadRequestException).$metadata.httpStatusCode).toBe(400);
    }
    expect((await sesv2.send(new GetAccountCommand({}))).Details).toBeUndefined();
  });

  it('stores the request and opens a review: GetAccount returns the details with ReviewDetails PENDING and a case id', async () => {
    // WHEN
    await sesv2.send(new PutAccountDetailsCommand(REQUEST));
    // THEN
    const account = await sesv2.send(new GetAccountCommand({}));
    expect(account.ProductionAccessEnabled).toBe(false);
    expect(account.Details).toEqual({
      MailType: 'TRANSACTIONAL',
      WebsiteURL: 'https://example.com',
      ContactLanguage: 'EN',
      UseCaseDescription: 'Account verification and password reset.',
      AdditionalContactEmailAddresses: ['ops@example.com'],
      ReviewDetails: { Status: 'PENDING', CaseId: expect.stringMatching(/^\d+$/) },
    });
  });

  it('answers a second request while the review is pending with the SDK’s ConflictException (409)', async () => {
    const refused = await rejection(sesv2.send(new PutAccountDetailsCommand(REQUEST)));
    expect(refused).toBeInstanceOf(ConflictException);
    expect((refused as ConflictException).$metadata.httpStatusCode).toBe(409);
  });

  it('reports the review as the test decides it: DENIED leaves the sandbox, a new request opens a new case, GRANTED turns production access on', async () => {
    const first = (await sesv2.send(new GetAccountCommand({}))).Details?.ReviewDetails?.CaseId;
    ses.decideReview(REGION, 'DENIED');
    expect((await sesv2.send(new GetAccountCommand({}))).Details?.ReviewDetails?.Status).toBe('DENIED');
    // WHEN
    await sesv2.send(new PutAccountDetailsCommand(REQUEST));
    ses.decideReview(REGION, 'GRANTED');
    // THEN
    const account = await sesv2.send(new GetAccountCommand({}));
    expect(account.Details?.ReviewDetails?.Status).toBe('GRANTED');
    expect(account.Details?.ReviewDetails?.CaseId).not.toBe(first);
    expect(account).toMatchObject({
      ProductionAccessEnabled: true,
      SendQuota: { Max24HourSend: 50000, MaxSendRate: 14 },
    });
  });

  it('refuses a request without its required members, as SES v2 does', async () => {
    const answer = await wire.handle({
      method: 'POST',
      url: '/v2/email/account/details',
      headers: {},
      body: Buffer.from('{"ProductionAccessEnabled":true}'),
      region: REGION,
      accessKeyId: 'AKIDTEST',
    });
    expect(answer.status).toBe(400);
    expect(answer.headers['x-amzn-errortype']).toMatch(/^BadRequestException:/);
    expect(answer.body).toContain('2 validation errors detected');
  });
});
