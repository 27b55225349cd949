/**
 * AWS error answers, each in its service's own wire format, so a real SDK client parses them as
 * it parses AWS's (its error name, `$fault`, `$metadata.httpStatusCode`, its retry decision):
 *
 * - S3 (REST-XML without a wrapper): `<Error><Code/><Message/><RequestId/><HostId/></Error>`;
 * - CloudFront and Route 53 (REST-XML): `<ErrorResponse xmlns=…><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>`;
 * - IAM, STS and SNS (query): the same `ErrorResponse` in the service's namespace;
 * - SES v2 (REST-JSON): `{"message": …}` with the code in `x-amzn-errortype`;
 * - SQS, CloudWatch (awsJson1_0), EventBridge, CloudWatch Logs (awsJson1_1): `{"__type":
 *   "<namespace>#<Code>", "message": …}`; SQS and CloudWatch also send the code their query
 *   protocol had, as `x-amzn-query-error: <Code>;Sender|Receiver` (their models are
 *   `awsQueryCompatible`: SDKs read that header first, so `QueueDoesNotExist` comes back under
 *   the name clients matched before, `AWS.SimpleQueueService.NonExistentQueue`).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { WireResponse } from './wire.js';

const NAMESPACES: Record<string, string> = {
  cloudfront: 'http://cloudfront.amazonaws.com/doc/2020-05-31/',
  route53: 'https://route53.amazonaws.com/doc/2013-04-01/',
  iam: 'https://iam.amazonaws.com/doc/2010-05-08/',
  sts: 'https://sts.amazonaws.com/doc/2011-06-15/',
  sns: 'http://sns.amazonaws.com/doc/2010-03-31/',
};

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** An S3 error document, as S3 answers every failed request (but HEAD, whose answer has no body). */
export function s3Error(
  status: number,
  code: string,
  message: string,
  extra: Record<string, string> = {},
): WireResponse {
  const requestId = randomBytes(8).toString('hex').toUpperCase();
  const hostId = randomBytes(32).toString('base64');
  const fields = Object.entries(extra)
    .map(([k, v]) => `<${k}>${escape(v)}</${k}>`)
    .join('');
  return {
    status,
    headers: { 'content-type': 'application/xml', 'x-amz-request-id': requestId, 'x-amz-id-2': hostId },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${escape(message)}</Message>${fields}<RequestId>${requestId}</RequestId><HostId>${hostId}</HostId></Error>`,
  };
}

/** An `ErrorResponse` of a REST-XML (CloudFront, Route 53) or query (IAM, STS) service. */
export function xmlServiceError(service: string, status: number, code: string, message: string): WireResponse {
  const requestId = randomUUID();
  const type = status >= 500 ? 'Receiver' : 'Sender';
  const namespace = NAMESPACES[service];
  const xmlns = namespace ? ` xmlns="${namespace}"` : '';
  return {
    status,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
    body: `<?xml version="1.0"?>\n<ErrorResponse${xmlns}><Error><Type>${type}</Type><Code>${code}</Code><Message>${escape(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  };
}

/** Errors of AWS's front end itself; the rest are the SES v2 model's. */
const FRAMEWORK_ERRORS = new Set([
  'InternalFailure',
  'ServiceUnavailable',
  'ThrottlingException',
  'UnknownOperationException',
  'SerializationException',
]);

/** A REST-JSON (SES v2) error: `x-amzn-errortype: Code:namespace`, `{"message": …}`. */
export function jsonServiceError(status: number, code: string, message: string): WireResponse {
  const namespace = FRAMEWORK_ERRORS.has(code) ? 'com.amazon.coral.service' : 'com.amazonaws.sesv2';
  return {
    status,
    headers: {
      'content-type': 'application/json',
      'x-amzn-requestid': randomUUID(),
      'x-amzn-errortype': `${code}:http://internal.amazon.com/coral/${namespace}/`,
    },
    body: JSON.stringify({ message }),
  };
}

/** The JSON-protocol services by signing name: their JSON version and their errors' Smithy namespace. */
const JSON_RPC: Record<string, { version: '1.0' | '1.1'; namespace: string; queryCompatible: boolean }> = {
  sqs: { version: '1.0', namespace: 'com.amazonaws.sqs', queryCompatible: true },
  monitoring: { version: '1.0', namespace: 'com.amazonaws.cloudwatch', queryCompatible: true },
  events: { version: '1.1', namespace: 'com.amazonaws.eventbridge', queryCompatible: false },
  logs: { version: '1.1', namespace: 'com.amazonaws.cloudwatchlogs', queryCompatible: false },
};

/** True for a service that speaks awsJson1_0 or awsJson1_1 (SQS, CloudWatch, EventBridge, Logs). */
export const isJsonRpcService = (service: string): boolean => JSON_RPC[service] !== undefined;

/** Errors of AWS's front end (Coral) rather than of a service's model, and the namespace they come in. */
const CORAL_ERRORS: Record<string, string> = {
  InternalFailure: 'com.amazon.coral.service',
  ServiceUnavailable: 'com.amazon.coral.service',
  UnknownOperationException: 'com.amazon.coral.service',
  SerializationException: 'com.amazon.coral.service',
  ThrottlingException: 'com.amazon.coral.availability',
};

/**
 * An error of an awsJson1_0/1_1 service: `{"__type": "<namespace>#<Code>", "message": …}`.
 * `queryCode` is the code of the service's query protocol (`AWS.SimpleQueueService.NonExistentQueue`,
 * `Throttling`), sent as `x-amzn-query-error` by the query-compatible ones (SQS, CloudWatch);
 * it defaults to `code`.
 */
export function jsonRpcError(
  service: string,
  status: number,
  code: string,
  message: string,
  queryCode: string = code,
): WireResponse {
  const protocol = JSON_RPC[service] ?? {
    version: '1.1',
    namespace: `com.amazonaws.${service}`,
    queryCompatible: false,
  };
  const namespace = CORAL_ERRORS[code] ?? protocol.namespace;
  return {
    status,
    headers: {
      'content-type': `application/x-amz-json-${protocol.version}`,
      'x-amzn-requestid': randomUUID(),
      ...(protocol.queryCompatible
        ? { 'x-amzn-query-error': `${queryCode};${status >= 500 ? 'Receiver' : 'Sender'}` }
        : {}),
    },
    body: JSON.stringify({ __type: `${namespace}#${code}`, message }),
  };
}

/** An error of `service` in that service's format (`queryCode`: see `jsonRpcError`). */
export function serviceError(
  service: string,
  status: number,
  code: string,
  message: string,
  queryCode?: string,
): WireResponse {
  if (service === 's3') return s3Error(status, code, message);
  if (service === 'ses') return jsonServiceError(status, code, message);
  if (isJsonRpcService(service)) return jsonRpcError(service, status, code, message, queryCode);
  return xmlServiceError(service, status, code, message);
}
