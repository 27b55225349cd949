/**
 * Every error the fakes can throw is what the SDK raises for that wire answer: each entry of
 * WIRE_ERRORS goes, as AWS sends it (status, headers, body in the service's protocol), through
 * a real client of the locked SDK version, and the error it raises is compared with the fake's.
 */
import { Readable } from 'node:stream';
import { CloudFrontClient, GetDistributionCommand } from '@aws-sdk/client-cloudfront';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeRuleCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GetUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { ChangeResourceRecordSetsCommand, GetHostedZoneCommand, Route53Client } from '@aws-sdk/client-route-53';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetBucketPolicyCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { GetEmailIdentityCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { GetTopicAttributesCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { describe, expect, it } from 'vitest';
import '../../src/aws/context.js';
import { S3_UNMODELED_CODES, isS3Code, toHmError } from '../../src/aws/errors.js';
import {
  BASE_EXCEPTIONS,
  type FakeService,
  DECORATIONS,
  WIRE_ERRORS,
  type WireError,
  awsError,
} from '../fakes/errors.js';

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const REASONS: Record<number, string> = {
  301: 'Moved Permanently',
  304: 'Not Modified',
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  412: 'Precondition Failed',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
};

/** A request handler that answers every request with `answer`, as the wire would. */
const answering = (answer: Answer) => ({
  handle: async () => ({
    response: {
      statusCode: answer.status,
      reason: REASONS[answer.status] ?? '',
      headers: answer.headers,
      body: Readable.from([Buffer.from(answer.body)]),
    },
  }),
});

const xml = { 'content-type': 'text/xml' };
/** S3 answers HEAD without a body; the region header is all it says. */
const headAnswer = (status: number): Answer => ({
  status,
  headers: { 'x-amz-request-id': 'R', 'x-amz-bucket-region': 'eu-west-1' },
  body: '',
});
const type = (status: number) => (status >= 500 ? 'Receiver' : 'Sender');
/** awsQuery (IAM, STS) and CloudFront / Route 53's REST-XML: the same ErrorResponse document. */
const errorResponse = (ns: string, code: string, status: number, message: string) =>
  `<?xml version="1.0"?>\n<ErrorResponse xmlns="${ns}"><Error><Type>${type(status)}</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>4b2d1e0f-request</RequestId></ErrorResponse>`;
/**
 * AWS JSON (1.0, 1.1): the shape in `__type`, `message` in the body. A query-compatible service
 * (SQS, CloudWatch) also sends `x-amzn-query-error: <awsQuery code>;<Sender|Receiver>`.
 */
const jsonError = (
  version: '1.0' | '1.1',
  status: number,
  shape: string,
  message: string,
  queryCode?: string,
): Answer => ({
  status,
  headers: {
    'content-type': `application/x-amz-json-${version}`,
    'x-amzn-requestid': 'R',
    ...(queryCode === undefined ? {} : { 'x-amzn-query-error': `${queryCode};${type(status)}` }),
  },
  body: JSON.stringify({ __type: shape, message }),
});
const queryCompatible = (service: 'sqs' | 'cloudwatch', code: string, wire: WireError, message: string) =>
  jsonError('1.0', wire.status, wire.type ?? `${DECORATIONS[service]?.shapes}#${code}`, message, wire.query ?? code);

/** The wire answer of each service for an error code, per its protocol, and a call to send it to. */
const WIRE: Record<
  FakeService,
  (
    code: string,
    wire: WireError,
    message: string,
  ) => { answer: Answer; send: (handler: ReturnType<typeof answering>) => Promise<unknown> }
> = {
  s3: (code, wire, message) => ({
    answer: wire.head
      ? headAnswer(wire.status)
      : {
          status: wire.status,
          headers: { 'content-type': 'application/xml', 'x-amz-request-id': 'R' },
          body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>R</RequestId><HostId>H</HostId></Error>`,
        },
    send: (requestHandler) => new S3Client({ ...common, requestHandler }).send(s3CallFor(code, wire) as never),
  }),
  cloudfront: (code, wire, message) => ({
    answer: {
      status: wire.status,
      headers: xml,
      body: errorResponse('http://cloudfront.amazonaws.com/doc/2020-05-31/', code, wire.status, message),
    },
    send: (requestHandler) =>
      new CloudFrontClient({ ...common, requestHandler }).send(new GetDistributionCommand({ Id: 'E1' })),
  }),
  // Route 53 answers a refused change batch with the same document (it once had one of its own), its problems in one bracketed Message.
  route53: (code, wire, message) => ({
    answer: {
      status: wire.status,
      headers: xml,
      body: errorResponse('https://route53.amazonaws.com/doc/2013-04-01/', code, wire.status, message),
    },
    send: (requestHandler) =>
      code === 'InvalidChangeBatch'
        ? new Route53Client({ ...common, requestHandler }).send(
            new ChangeResourceRecordSetsCommand({
              HostedZoneId: 'Z1',
              ChangeBatch: {
                Changes: [
                  {
                    Action: 'CREATE',
                    ResourceRecordSet: {
                      Name: 'a.example.com',
                      Type: 'TXT',
                      TTL: 60,
                      ResourceRecords: [{ Value: '"x"' }],
                    },
                  },
                ],
              },
            }),
          )
        : new Route53Client({ ...common, requestHandler }).send(new GetHostedZoneCommand({ Id: 'Z1' })),
  }),
  sesv2: (code, wire, message) => ({
    answer: {
      status: wire.status,
      headers: {
        'content-type': 'application/json',
        'x-amzn-requestid': 'R',
        'x-amzn-errortype': `${code}:http://internal.amazon.com/coral/com.amazonaws.sesv2/`,
      },
      body: JSON.stringify({ message }),
    },
    send: (requestHandler) =>
      new SESv2Client({ ...common, requestHandler }).send(
        new GetEmailIdentityCommand({ EmailIdentity: 'example.com' }),
      ),
  }),
  iam: (code, wire, message) => ({
    answer: {
      status: wire.status,
      headers: xml,
      body: errorResponse('https://iam.amazonaws.com/doc/2010-05-08/', code, wire.status, message),
    },
    send: (requestHandler) => new IAMClient({ ...common, requestHandler }).send(new GetUserCommand({ UserName: 'u' })),
  }),
  sts: (code, wire, message) => ({
    answer: {
      status: wire.status,
      headers: xml,
      body: errorResponse('https://sts.amazonaws.com/doc/2011-06-15/', code, wire.status, message),
    },
    send: (requestHandler) => new STSClient({ ...common, requestHandler }).send(new GetCallerIdentityCommand({})),
  }),
  sqs: (code, wire, message) => ({
    answer: queryCompatible('sqs', code, wire, message),
    send: (requestHandler) =>
      new SQSClient({ ...common, requestHandler }).send(new GetQueueUrlCommand({ QueueName: 'q' })),
  }),
  cloudwatch: (code, wire, message) => ({
    answer: queryCompatible('cloudwatch', code, wire, message),
    send: (requestHandler) =>
      new CloudWatchClient({ ...common, requestHandler }).send(new DescribeAlarmsCommand({ AlarmNames: ['a'] })),
  }),
  eventbridge: (code, wire, message) => ({
    answer: jsonError('1.1', wire.status, code, message),
    send: (requestHandler) =>
      new EventBridgeClient({ ...common, requestHandler }).send(new DescribeRuleCommand({ Name: 'r' })),
  }),
  logs: (code, wire, message) => ({
    answer: jsonError('1.1', wire.status, code, message),
    send: (requestHandler) =>
      new CloudWatchLogsClient({ ...common, requestHandler }).send(new DescribeLogGroupsCommand({})),
  }),
  sns: (code, wire, message) => ({
    answer: {
      status: wire.status,
      headers: xml,
      body: errorResponse('https://sns.amazonaws.com/doc/2010-03-31/', code, wire.status, message),
    },
    send: (requestHandler) =>
      new SNSClient({ ...common, requestHandler }).send(
        new GetTopicAttributesCommand({ TopicArn: 'arn:aws:sns:us-east-1:123456789012:t' }),
      ),
  }),
};

/**
 * The S3 call each code answers: the object codes by the object calls that meet them (the
 * conditional writes of the state file, its reads), the rest by a bucket call.
 */
const S3_OBJECT_CALLS: Record<string, () => unknown> = {
  PreconditionFailed: () => new PutObjectCommand({ Bucket: 'b', Key: 'k.json', Body: '{}', IfMatch: '"e"' }),
  ConditionalRequestConflict: () => new PutObjectCommand({ Bucket: 'b', Key: 'k.lock', Body: '{}', IfNoneMatch: '*' }),
  NoSuchKey: () => new GetObjectCommand({ Bucket: 'b', Key: 'k.json' }),
  NoSuchVersion: () => new GetObjectCommand({ Bucket: 'b', Key: 'k.json', VersionId: 'v1' }),
  InvalidRequest: () => new CopyObjectCommand({ Bucket: 'b', Key: 'k.json', CopySource: 'b/k.json' }),
  HeadPreconditionFailed: () => new HeadObjectCommand({ Bucket: 'b', Key: 'k.json', IfMatch: '"e"' }),
  NotModified: () => new GetObjectCommand({ Bucket: 'b', Key: 'k.json', IfNoneMatch: '"e"' }),
};
const s3CallFor = (code: string, wire: WireError) =>
  S3_OBJECT_CALLS[code]?.() ??
  (wire.head ? new HeadBucketCommand({ Bucket: 'b' }) : new GetBucketPolicyCommand({ Bucket: 'b' }));

const common = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wire-test' },
  maxAttempts: 1,
};

async function whatTheSdkRaises(service: FakeService, code: string, wire: WireError, message: string): Promise<Error> {
  const { answer, send } = WIRE[service](code, wire, message);
  try {
    await send(answering(answer));
  } catch (err) {
    return err as Error;
  }
  throw new Error(`the SDK accepted ${service}:${code} (${answer.status}) as a success`);
}

/** What the code may look at in an error: its class, name, fault, status and message, and what the protocol adds. */
const shape = (err: Error, service: FakeService) => {
  const e = err as Error & {
    $fault?: string;
    $metadata?: { httpStatusCode?: number };
    Code?: string;
    Type?: string;
    Error?: unknown;
    __type?: string;
  };
  return {
    class: e.constructor.name,
    name: e.name,
    fault: e.$fault,
    status: e.$metadata?.httpStatusCode,
    message: e.message,
    ...(DECORATIONS[service]?.query ? { Code: e.Code, Type: e.Type, Error: e.Error } : {}),
    ...(DECORATIONS[service]?.shapes !== undefined ? { __type: e.__type } : {}),
  };
};

const entries = (Object.keys(WIRE_ERRORS) as FakeService[]).flatMap((service) =>
  Object.entries(WIRE_ERRORS[service] as Record<string, WireError>).map(([code, wire]) => ({ service, code, wire })),
);

describe('every error the fakes throw is what the SDK raises for that wire answer', () => {
  it.each(entries)('$service $code', async ({ service, code, wire }) => {
    // GIVEN the answer AWS sends for the code
    const message = `the ${code} message`;
    // WHEN a real client receives it
    const raised = await whatTheSdkRaises(service, code, wire, message);
    // THEN the fake's error is of the same class, name, fault, status and message
    const fake = awsError(service, code as never, message);
    expect(shape(fake, service)).toEqual(shape(raised, service));
    expect(Object.getPrototypeOf(fake)).toBe(Object.getPrototypeOf(raised));
    // AND the registry says rightly whether the SDK models the code
    expect(raised.constructor === BASE_EXCEPTIONS[service]).toBe(wire.modeled === undefined);
  });

  it('IAM answers NoSuchEntity, and the SDK raises NoSuchEntityException (the class the code must match)', async () => {
    const raised = await whatTheSdkRaises(
      'iam',
      'NoSuchEntity',
      WIRE_ERRORS.iam.NoSuchEntity,
      'The user with name u cannot be found.',
    );
    expect(raised.name).toBe('NoSuchEntityException');
    expect(raised).toBeInstanceOf(WIRE_ERRORS.iam.NoSuchEntity.modeled);
  });

  it('HeadBucket answers without a body, so a 403 or 301 arrives named "Unknown": only the status tells them apart', async () => {
    const forbidden = await whatTheSdkRaises('s3', 'Forbidden', WIRE_ERRORS.s3.Forbidden, '');
    const moved = await whatTheSdkRaises('s3', 'MovedPermanently', WIRE_ERRORS.s3.MovedPermanently, '');
    expect([forbidden.name, moved.name]).toEqual(['Unknown', 'Unknown']);
    expect(shape(awsError('s3', 'Forbidden'), 's3').status).toBe(403);
  });
});

describe('the codes src/aws/errors.ts matches by name are what the SDK raises', () => {
  it.each(S3_UNMODELED_CODES.map((code) => ({ code })))(
    'S3 $code arrives as S3ServiceException named by the code, and isS3Code matches it',
    async ({ code }) => {
      const wire = (WIRE_ERRORS.s3 as Record<string, WireError>)[code];
      expect(wire, `${code} is not in WIRE_ERRORS.s3`).toBeDefined();
      const raised = await whatTheSdkRaises('s3', code, wire as WireError, 'm');
      expect(raised.constructor).toBe(BASE_EXCEPTIONS.s3);
      expect(isS3Code(raised, code)).toBe(true);
    },
  );

  const alike: Array<[string, FakeService, string]> = [
    ...(['s3', 'cloudfront', 'route53', 'iam', 'sts'] as const).map((s): [string, FakeService, string] => [
      'ACCESS_DENIED',
      s,
      'AccessDenied',
    ]),
    ['ACCESS_DENIED', 'sesv2', 'AccessDeniedException'],
    ['CREDENTIALS_INVALID', 's3', 'InvalidAccessKeyId'],
    ...(['cloudfront', 'route53', 'iam', 'sts'] as const).map((s): [string, FakeService, string] => [
      'CREDENTIALS_INVALID',
      s,
      'InvalidClientTokenId',
    ]),
    ['CREDENTIALS_INVALID', 'sts', 'SignatureDoesNotMatch'],
    ['CREDENTIALS_INVALID', 'sesv2', 'UnrecognizedClientException'],
    ['CREDENTIALS_EXPIRED', 'sts', 'ExpiredToken'],
    ['THROTTLED', 's3', 'SlowDown'],
    ...(['cloudfront', 'route53', 'iam', 'sts'] as const).map((s): [string, FakeService, string] => [
      'THROTTLED',
      s,
      'Throttling',
    ]),
    ['THROTTLED', 'sesv2', 'TooManyRequestsException'],
    // The newer services, where src/aws/errors.ts knows their names.
    ['ACCESS_DENIED', 'sqs', 'AccessDenied'],
    ['ACCESS_DENIED', 'cloudwatch', 'AccessDenied'],
    ['ACCESS_DENIED', 'eventbridge', 'AccessDeniedException'],
    ['ACCESS_DENIED', 'logs', 'AccessDeniedException'],
    ...(['sqs', 'cloudwatch', 'sns'] as const).map((s): [string, FakeService, string] => [
      'CREDENTIALS_INVALID',
      s,
      'InvalidClientTokenId',
    ]),
    ['CREDENTIALS_INVALID', 'eventbridge', 'UnrecognizedClientException'],
    ['CREDENTIALS_INVALID', 'logs', 'UnrecognizedClientException'],
    ['THROTTLED', 'cloudwatch', 'Throttling'],
    ['THROTTLED', 'eventbridge', 'ThrottlingException'],
    ['THROTTLED', 'logs', 'ThrottlingException'],
  ];
  it.each(alike)('%s: %s answers %s', async (expected, service, code) => {
    const wire = (WIRE_ERRORS[service] as Record<string, WireError>)[code] as WireError;
    const raised = await whatTheSdkRaises(service, code, wire, 'm');
    expect(toHmError(raised, 'do something').code).toBe(expected);
  });
});

describe("the SDK's standard retry strategy and S3's conditional requests", () => {
  /** A handler that answers `answer` every time, counting the attempts. */
  const counting = (answer: Answer) => {
    const handler = { attempts: 0, handle: async () => (handler.attempts++, answering(answer).handle()) };
    return handler;
  };
  const s3Answer = (code: string): Answer => {
    const wire = (WIRE_ERRORS.s3 as Record<string, WireError>)[code] as WireError;
    return WIRE.s3(code, wire, `the ${code} message`).answer;
  };
  const attempts = async (code: string, command: unknown) => {
    const requestHandler = counting(s3Answer(code));
    // The SDK's defaults: the standard strategy, three attempts.
    const client = new S3Client({ region: 'us-east-1', credentials: common.credentials, requestHandler });
    const raised = await client.send(command as never).then(
      () => undefined,
      (e: unknown) => e as Error & { $fault?: string; $retryable?: unknown; $metadata: { attempts?: number } },
    );
    return { attempts: requestHandler.attempts, raised };
  };

  it.each([
    ['PreconditionFailed', 412, () => new PutObjectCommand({ Bucket: 'b', Key: 'k.json', Body: '{}', IfMatch: '"e"' })],
    ['PreconditionFailed', 412, () => new DeleteObjectCommand({ Bucket: 'b', Key: 'k.lock', IfMatch: '"e"' })],
    [
      'ConditionalRequestConflict',
      409,
      () => new PutObjectCommand({ Bucket: 'b', Key: 'k.lock', Body: '{}', IfNoneMatch: '*' }),
    ],
    ['NoSuchKey', 404, () => new PutObjectCommand({ Bucket: 'b', Key: 'k.json', Body: '{}', IfMatch: '"e"' })],
  ])(
    '%s (%i) is raised after one attempt, as S3ServiceException or its modeled class, a client fault',
    async (code, status, command) => {
      const { attempts: sent, raised } = await attempts(code, command());
      expect(sent).toBe(1);
      expect(raised).toBeInstanceOf(BASE_EXCEPTIONS.s3);
      expect(raised).toMatchObject({
        name: code,
        $fault: 'client',
        $metadata: { httpStatusCode: status, attempts: 1 },
      });
      expect(raised?.$retryable).toBeUndefined();
    },
  );

  it('a 500 InternalError, by contrast, is sent three times (the counter counts retries)', async () => {
    const { attempts: sent, raised } = await attempts(
      'InternalError',
      new PutObjectCommand({ Bucket: 'b', Key: 'k.json', Body: '{}', IfMatch: '"e"' }),
    );
    expect(sent).toBe(3);
    expect(raised).toMatchObject({ name: 'InternalError', $metadata: { attempts: 3 } });
  });
});
