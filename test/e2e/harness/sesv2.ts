/**
 * SES API v2 on the wire, backed by the in-memory `FakeSes`: moto lacks most of SES v2, so the
 * e2e harness's loopback proxy hands every request signed for `ses` to this instead, and the
 * CLI's real `SESv2Client` talks to it unchanged. It speaks restJson1 as SES v2 does:
 *
 * - routes by method and path, as the `@http` traits of the SES v2 model define them (copied
 *   from the SDK's operation schemas, `@aws-sdk/client-sesv2` 3.1169, the required members
 *   from each input structure's required count); path labels are
 *   URL-decoded, query parameters bound to their members, the JSON body's members taken as
 *   they are named in the API;
 * - answers 200 (the `@http` code of every operation routed here) with a JSON body, dates as
 *   epoch seconds (restJson1's default timestamp format; the SDK refuses ISO strings);
 * - answers an error with its status, `x-amzn-errortype: <Code>:<namespace URL>` as AWS's Coral
 *   front end sends it (SDKs keep what precedes the colon) and `{"message": …}` (SES v2's error
 *   structures name the member `message`); a route SES v2 does not have, or one whose operation
 *   FakeSes does not model, gets 404 UnknownOperationException, the common error AWS answers
 *   for an operation it does not know.
 */
import { randomUUID } from 'node:crypto';
import { type Handler } from '../../fakes/errors.js';
import { FakeSes } from '../../fakes/ses.js';
import type { WireRequest, WireResponse } from './wire.js';

/** How a query parameter binds to its member: a string, or a list (the parameter repeated). */
type QueryBinding = { member: string; list?: boolean };

interface Route {
  operation: string;
  method: string;
  /** Literal segments, and `{Label}` for a member bound to a path segment. */
  segments: string[];
  query: Record<string, QueryBinding>;
  /** Members the model marks required (besides the path labels, which the path already requires). */
  required: string[];
}

const route = (
  http: string,
  operation: string,
  options: { required?: string[]; query?: Record<string, QueryBinding> } = {},
): Route => {
  const [method = '', path = ''] = http.split(' ');
  return {
    operation,
    method,
    segments: path.split('/').slice(1),
    query: options.query ?? {},
    required: options.required ?? [],
  };
};

/**
 * The SES v2 routes FakeSes implements, plus the rest of the tags API (ListTagsForResource and
 * UntagResource, which bind query parameters): method, path and required members as in the
 * SES v2 model. Every other SES v2 route is answered as an unknown operation.
 */
const ROUTES: Route[] = [
  route('GET /v2/email/account', 'GetAccount'),
  route('POST /v2/email/account/details', 'PutAccountDetails', { required: ['MailType', 'WebsiteURL'] }),
  route('POST /v2/email/configuration-sets', 'CreateConfigurationSet', { required: ['ConfigurationSetName'] }),
  route('GET /v2/email/configuration-sets/{ConfigurationSetName}', 'GetConfigurationSet'),
  route('DELETE /v2/email/configuration-sets/{ConfigurationSetName}', 'DeleteConfigurationSet'),
  route(
    'PUT /v2/email/configuration-sets/{ConfigurationSetName}/delivery-options',
    'PutConfigurationSetDeliveryOptions',
  ),
  route(
    'PUT /v2/email/configuration-sets/{ConfigurationSetName}/reputation-options',
    'PutConfigurationSetReputationOptions',
  ),
  route(
    'PUT /v2/email/configuration-sets/{ConfigurationSetName}/suppression-options',
    'PutConfigurationSetSuppressionOptions',
  ),
  route(
    'POST /v2/email/configuration-sets/{ConfigurationSetName}/event-destinations',
    'CreateConfigurationSetEventDestination',
    { required: ['EventDestinationName', 'EventDestination'] },
  ),
  route(
    'GET /v2/email/configuration-sets/{ConfigurationSetName}/event-destinations',
    'GetConfigurationSetEventDestinations',
  ),
  route(
    'PUT /v2/email/configuration-sets/{ConfigurationSetName}/event-destinations/{EventDestinationName}',
    'UpdateConfigurationSetEventDestination',
    { required: ['EventDestination'] },
  ),
  route(
    'DELETE /v2/email/configuration-sets/{ConfigurationSetName}/event-destinations/{EventDestinationName}',
    'DeleteConfigurationSetEventDestination',
  ),
  route('POST /v2/email/identities', 'CreateEmailIdentity', { required: ['EmailIdentity'] }),
  route('GET /v2/email/identities/{EmailIdentity}', 'GetEmailIdentity'),
  route('DELETE /v2/email/identities/{EmailIdentity}', 'DeleteEmailIdentity'),
  route('PUT /v2/email/identities/{EmailIdentity}/configuration-set', 'PutEmailIdentityConfigurationSetAttributes'),
  route('PUT /v2/email/identities/{EmailIdentity}/dkim', 'PutEmailIdentityDkimAttributes'),
  route('PUT /v2/email/identities/{EmailIdentity}/dkim/signing', 'PutEmailIdentityDkimSigningAttributes', {
    required: ['SigningAttributesOrigin'],
  }),
  route('PUT /v2/email/identities/{EmailIdentity}/mail-from', 'PutEmailIdentityMailFromAttributes'),
  route('POST /v2/email/outbound-emails', 'SendEmail', { required: ['Content'] }),
  route('GET /v2/email/tags', 'ListTagsForResource', {
    required: ['ResourceArn'],
    query: { ResourceArn: { member: 'ResourceArn' } },
  }),
  route('POST /v2/email/tags', 'TagResource', { required: ['ResourceArn', 'Tags'] }),
  route('DELETE /v2/email/tags', 'UntagResource', {
    required: ['ResourceArn', 'TagKeys'],
    query: { ResourceArn: { member: 'ResourceArn' }, TagKeys: { member: 'TagKeys', list: true } },
  }),
  route('POST /v2/email/templates', 'CreateEmailTemplate', { required: ['TemplateName', 'TemplateContent'] }),
  route('GET /v2/email/templates/{TemplateName}', 'GetEmailTemplate'),
  route('PUT /v2/email/templates/{TemplateName}', 'UpdateEmailTemplate', { required: ['TemplateContent'] }),
  route('DELETE /v2/email/templates/{TemplateName}', 'DeleteEmailTemplate'),
];

/** An answer that is not the operation's output: an error SES v2 would send. */
class ErrorAnswer extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Errors of Coral itself (routing, parsing, a crash); every other code is one of the SES v2 model's. */
const FRAMEWORK_ERRORS = new Set(['UnknownOperationException', 'SerializationException', 'InternalFailure']);
const errorType = (code: string) =>
  `${code}:http://internal.amazon.com/coral/${FRAMEWORK_ERRORS.has(code) ? 'com.amazon.coral.service' : 'com.amazonaws.sesv2'}/`;

/** The route's labels bound to the decoded path segments, or undefined when the path is not the route's. */
function matchPath(segments: string[], path: string[]): Record<string, string> | undefined {
  if (segments.length !== path.length) return undefined;
  const labels: Record<string, string> = {};
  for (const [i, segment] of segments.entries()) {
    const actual = path[i] ?? '';
    const label = /^\{(\w+)\}$/.exec(segment)?.[1];
    if (label === undefined) {
      if (actual !== segment) return undefined;
    } else {
      if (actual === '') return undefined;
      try {
        labels[label] = decodeURIComponent(actual);
      } catch {
        throw new ErrorAnswer('BadRequestException', 400, `Invalid URL encoding in the path segment for ${label}.`);
      }
    }
  }
  return labels;
}

function parseBody(body: Buffer): Record<string, unknown> {
  const text = body.toString('utf8').trim();
  if (text === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ErrorAnswer('SerializationException', 400, 'The request body is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new ErrorAnswer('SerializationException', 400, 'The request body must be a JSON object.');
  return parsed as Record<string, unknown>;
}

/** The operation's input: body members, then the query parameters and path labels bound to theirs. */
function inputOf(
  route: Route,
  labels: Record<string, string>,
  query: URLSearchParams,
  body: Buffer,
): Record<string, unknown> {
  const input: Record<string, unknown> = parseBody(body);
  for (const [name, binding] of Object.entries(route.query)) {
    const values = query.getAll(name);
    if (values.length > 0) input[binding.member] = binding.list ? values : values[0];
  }
  Object.assign(input, labels);
  // SES v2 reports a missing required member the way Coral's validation does, as BadRequestException.
  const missing = route.required.filter((member) => input[member] === undefined || input[member] === null);
  if (missing.length > 0) {
    const details = missing.map(
      (member) =>
        `Value null at '${member.charAt(0).toLowerCase()}${member.slice(1)}' failed to satisfy constraint: Member must not be null`,
    );
    throw new ErrorAnswer(
      'BadRequestException',
      400,
      `${missing.length} validation error${missing.length > 1 ? 's' : ''} detected: ${details.join('; ')}`,
    );
  }
  return input;
}

/** An output as restJson1 puts it in JSON: dates as epoch seconds, absent members left out. */
function toWire(value: unknown): unknown {
  if (value instanceof Date) return value.getTime() / 1000;
  if (Array.isArray(value)) return value.map(toWire);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, toWire(v)]),
    );
  }
  return value;
}

/** An SDK-shaped service error (FakeSes throws these): its code, status and message. */
function serviceError(err: unknown): ErrorAnswer | undefined {
  if (err instanceof ErrorAnswer) return err;
  if (!(err instanceof Error)) return undefined;
  const status = (err as { $metadata?: { httpStatusCode?: unknown } }).$metadata?.httpStatusCode;
  return typeof status === 'number' && err.name !== '' && err.name !== 'Error'
    ? new ErrorAnswer(err.name, status, err.message)
    : undefined;
}

/**
 * One SES v2 endpoint over a FakeSes: the e2e proxy gives it each request signed for `ses`, with
 * the region and access key id of the request's credential scope, and sends back what it answers.
 * The FakeSes is public so a test can verify identities (`setStatus`) and read `sent`.
 */
export class SesV2Wire {
  private readonly handlers: Record<string, Handler>;

  constructor(readonly ses: FakeSes = new FakeSes()) {
    this.handlers = ses.handlers();
  }

  /** Answers one request as SES v2 would; never throws (a bug answers 500 InternalFailure with its message). */
  async handle(req: WireRequest): Promise<WireResponse> {
    const requestId = randomUUID();
    try {
      const output = await this.answer(req);
      return {
        status: 200,
        headers: { 'content-type': 'application/json', 'x-amzn-requestid': requestId },
        body: JSON.stringify(toWire(output ?? {})),
      };
    } catch (err) {
      const error =
        serviceError(err) ??
        new ErrorAnswer('InternalFailure', 500, err instanceof Error ? `${err.name}: ${err.message}` : String(err));
      return {
        status: error.status,
        headers: {
          'content-type': 'application/json',
          'x-amzn-requestid': requestId,
          'x-amzn-errortype': errorType(error.code),
        },
        body: JSON.stringify({ message: error.message }),
      };
    }
  }

  private async answer(req: WireRequest): Promise<unknown> {
    const url = new URL(req.url, 'http://sesv2.invalid');
    const path = url.pathname.split('/').slice(1);
    const method = req.method.toUpperCase();
    for (const candidate of ROUTES) {
      if (candidate.method !== method) continue;
      const labels = matchPath(candidate.segments, path);
      if (!labels) continue;
      const handler = this.handlers[`sesv2:${candidate.operation}`];
      if (!handler)
        throw new ErrorAnswer(
          'UnknownOperationException',
          404,
          `${candidate.operation} (${method} ${url.pathname}) is an SES v2 operation FakeSes does not implement.`,
        );
      return await handler(inputOf(candidate, labels, url.searchParams, req.body), req.region, {
        accessKeyId: req.accessKeyId,
      });
    }
    throw new ErrorAnswer('UnknownOperationException', 404, `No SES v2 operation at ${method} ${url.pathname}.`);
  }
}
