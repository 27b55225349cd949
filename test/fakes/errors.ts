/**
 * The errors the fake account (and the unit tests' mocks) throw, as the SDK itself raises them.
 *
 * A fake that hand-builds errors with the names the code expects proves nothing: AWS's IAM
 * answers `<Code>NoSuchEntity</Code>` and the SDK raises `NoSuchEntityException`. So each error
 * here is named by the code AWS puts on the wire, with the HTTP status AWS documents for it,
 * and is constructed from the client package: the SDK's own exception class where the SDK
 * models one, else the service's base exception named by the code (what the SDK raises for
 * codes it does not model). test/contract/fake-errors.test.ts feeds every entry, as a wire
 * response, through a real client and proves the SDK raises exactly this.
 */
import * as CloudFront from '@aws-sdk/client-cloudfront';
import * as CloudWatch from '@aws-sdk/client-cloudwatch';
import * as Logs from '@aws-sdk/client-cloudwatch-logs';
import * as EventBridge from '@aws-sdk/client-eventbridge';
import * as IAM from '@aws-sdk/client-iam';
import * as Route53 from '@aws-sdk/client-route-53';
import * as S3 from '@aws-sdk/client-s3';
import * as SESv2 from '@aws-sdk/client-sesv2';
import * as SNS from '@aws-sdk/client-sns';
import * as SQS from '@aws-sdk/client-sqs';
import * as STS from '@aws-sdk/client-sts';

type ExceptionClass = new (options: {
  message: string;
  $metadata: object;
  name?: string;
  $fault?: 'client' | 'server';
}) => Error;

/** How AWS answers with one error code, and what the SDK makes of it. */
export interface WireError {
  status: number;
  /**
   * The SDK's class for the code, where the SDK models one (IAM's `NoSuchEntity` is
   * `NoSuchEntityException`); absent, the SDK raises the service's base exception named by the code.
   */
  modeled?: abstract new (...args: never[]) => Error;
  /**
   * A HEAD answer has no body, so nothing names the error but its status: the SDK raises its
   * class for the status where the API models one (HeadBucket 404: `NotFound`), else a base
   * exception named `Unknown`.
   */
  head?: true;
  /**
   * SQS and CloudWatch speak AWS JSON 1.0 with the awsQueryCompatible trait: AWS names the
   * error's shape in the body's `__type` and sends its old awsQuery code in a header,
   * `x-amzn-query-error: <code>;<Sender|Receiver>`. The SDK names the error by that code (the
   * modeled class whose awsQueryError is the code: `AWS.SimpleQueueService.NonExistentQueue` is
   * `QueueDoesNotExist`; else the base exception named by the code) and copies the code and the
   * fault type into `Code`, `Type` and `Error`. `query` is that code where it is not the key.
   */
  query?: string;
  /** The body's `__type` for such a service, where it is not `<namespace>#<key>` (AWS's common errors). */
  type?: string;
}

/** Every error code the fakes may throw, per service, with AWS's status for it. */
export const WIRE_ERRORS = {
  s3: {
    AccessDenied: { status: 403, modeled: S3.AccessDenied },
    BucketAlreadyExists: { status: 409, modeled: S3.BucketAlreadyExists },
    BucketAlreadyOwnedByYou: { status: 409, modeled: S3.BucketAlreadyOwnedByYou },
    BucketNotEmpty: { status: 409 },
    // A conditional write (PutObject, CopyObject) that raced another operation on the key; nothing was written.
    ConditionalRequestConflict: { status: 409 },
    IllegalLocationConstraintException: { status: 400 },
    InternalError: { status: 500 },
    InvalidAccessKeyId: { status: 403 },
    InvalidBucketName: { status: 400 },
    InvalidLocationConstraint: { status: 400 },
    InvalidRequest: { status: 400, modeled: S3.InvalidRequest },
    InvalidTag: { status: 400 },
    MalformedPolicy: { status: 400 },
    MalformedXML: { status: 400 },
    NoSuchBucket: { status: 404, modeled: S3.NoSuchBucket },
    NoSuchBucketPolicy: { status: 404 },
    NoSuchCORSConfiguration: { status: 404 },
    // GetObject / CopyObject of a missing key, and a PutObject or DeleteObject with If-Match on one.
    NoSuchKey: { status: 404, modeled: S3.NoSuchKey },
    NoSuchLifecycleConfiguration: { status: 404 },
    NoSuchPublicAccessBlockConfiguration: { status: 404 },
    NoSuchTagSet: { status: 404 },
    NoSuchVersion: { status: 404 },
    // If-Match / If-None-Match: * not met on a write or a delete, If-Match not met on a read.
    PreconditionFailed: { status: 412 },
    ServerSideEncryptionConfigurationNotFoundError: { status: 404 },
    SlowDown: { status: 503 },
    TooManyBuckets: { status: 400 },
    // HeadBucket: a missing bucket, someone else's, one in another region.
    NotFound: { status: 404, modeled: S3.NotFound, head: true },
    Forbidden: { status: 403, head: true },
    MovedPermanently: { status: 301, head: true },
    // HeadObject's If-Match not met: PreconditionFailed, but a HEAD answer has no body to name it.
    HeadPreconditionFailed: { status: 412, head: true },
    // GetObject / HeadObject's If-None-Match met: 304 never has a body, so it arrives unnamed too.
    NotModified: { status: 304, head: true },
  },
  cloudfront: {
    AccessDenied: { status: 403, modeled: CloudFront.AccessDenied },
    CNAMEAlreadyExists: { status: 409, modeled: CloudFront.CNAMEAlreadyExists },
    DistributionAlreadyExists: { status: 409, modeled: CloudFront.DistributionAlreadyExists },
    DistributionNotDisabled: { status: 409, modeled: CloudFront.DistributionNotDisabled },
    IllegalOriginAccessConfiguration: { status: 400, modeled: CloudFront.IllegalOriginAccessConfiguration },
    IllegalUpdate: { status: 400, modeled: CloudFront.IllegalUpdate },
    InconsistentQuantities: { status: 400, modeled: CloudFront.InconsistentQuantities },
    InvalidArgument: { status: 400, modeled: CloudFront.InvalidArgument },
    InvalidClientTokenId: { status: 403 },
    InvalidIfMatchVersion: { status: 400, modeled: CloudFront.InvalidIfMatchVersion },
    InvalidTTLOrder: { status: 400, modeled: CloudFront.InvalidTTLOrder },
    InvalidViewerCertificate: { status: 400, modeled: CloudFront.InvalidViewerCertificate },
    NoSuchDistribution: { status: 404, modeled: CloudFront.NoSuchDistribution },
    NoSuchOrigin: { status: 404, modeled: CloudFront.NoSuchOrigin },
    NoSuchOriginAccessControl: { status: 404, modeled: CloudFront.NoSuchOriginAccessControl },
    NoSuchResource: { status: 404, modeled: CloudFront.NoSuchResource },
    OriginAccessControlAlreadyExists: { status: 409, modeled: CloudFront.OriginAccessControlAlreadyExists },
    OriginAccessControlInUse: { status: 409, modeled: CloudFront.OriginAccessControlInUse },
    PreconditionFailed: { status: 412, modeled: CloudFront.PreconditionFailed },
    Throttling: { status: 400 },
    TooManyDistributions: { status: 400, modeled: CloudFront.TooManyDistributions },
    TooManyOriginAccessControls: { status: 400, modeled: CloudFront.TooManyOriginAccessControls },
    InternalFailure: { status: 500 },
  },
  route53: {
    AccessDenied: { status: 403 },
    InvalidChangeBatch: { status: 400, modeled: Route53.InvalidChangeBatch },
    InvalidClientTokenId: { status: 403 },
    NoSuchChange: { status: 404, modeled: Route53.NoSuchChange },
    NoSuchHostedZone: { status: 404, modeled: Route53.NoSuchHostedZone },
    Throttling: { status: 400 },
    // The fault injected by failCall (the account's internalError): the fake had none for Route 53.
    InternalFailure: { status: 500 },
  },
  sesv2: {
    AccessDeniedException: { status: 403 },
    AlreadyExistsException: { status: 400, modeled: SESv2.AlreadyExistsException },
    BadRequestException: { status: 400, modeled: SESv2.BadRequestException },
    LimitExceededException: { status: 400, modeled: SESv2.LimitExceededException },
    MessageRejected: { status: 400, modeled: SESv2.MessageRejected },
    NotFoundException: { status: 404, modeled: SESv2.NotFoundException },
    SendingPausedException: { status: 400, modeled: SESv2.SendingPausedException },
    TooManyRequestsException: { status: 429, modeled: SESv2.TooManyRequestsException },
    UnrecognizedClientException: { status: 403 },
    InternalFailure: { status: 500 },
  },
  iam: {
    AccessDenied: { status: 403 },
    DeleteConflict: { status: 409, modeled: IAM.DeleteConflictException },
    EntityAlreadyExists: { status: 409, modeled: IAM.EntityAlreadyExistsException },
    InvalidClientTokenId: { status: 403 },
    LimitExceeded: { status: 409, modeled: IAM.LimitExceededException },
    MalformedPolicyDocument: { status: 400, modeled: IAM.MalformedPolicyDocumentException },
    NoSuchEntity: { status: 404, modeled: IAM.NoSuchEntityException },
    ServiceFailure: { status: 500, modeled: IAM.ServiceFailureException },
    Throttling: { status: 400 },
    ValidationError: { status: 400 },
  },
  sts: {
    AccessDenied: { status: 403 },
    ExpiredToken: { status: 400 },
    InvalidClientTokenId: { status: 403 },
    SignatureDoesNotMatch: { status: 403 },
    Throttling: { status: 400 },
    InternalFailure: { status: 500 },
  },
  // Keyed by the name the SDK raises (the code of x-amzn-query-error for the unmodeled ones).
  sqs: {
    AccessDenied: { status: 403, type: 'com.amazon.coral.service#AccessDeniedException' },
    InternalFailure: { status: 500, type: 'com.amazon.coral.service#InternalFailure' },
    InvalidAttributeName: { status: 400, modeled: SQS.InvalidAttributeName },
    InvalidAttributeValue: { status: 400, modeled: SQS.InvalidAttributeValue },
    InvalidClientTokenId: { status: 403, type: 'com.amazon.coral.service#UnrecognizedClientException' },
    InvalidParameterValue: { status: 400, type: 'com.amazon.coral.validate#ValidationException' },
    MessageNotInflight: {
      status: 400,
      modeled: SQS.MessageNotInflight,
      query: 'AWS.SimpleQueueService.MessageNotInflight',
    },
    MissingParameter: { status: 400, type: 'com.amazon.coral.validate#ValidationException' },
    QueueDeletedRecently: {
      status: 400,
      modeled: SQS.QueueDeletedRecently,
      query: 'AWS.SimpleQueueService.QueueDeletedRecently',
    },
    QueueDoesNotExist: {
      status: 400,
      modeled: SQS.QueueDoesNotExist,
      query: 'AWS.SimpleQueueService.NonExistentQueue',
    },
    QueueNameExists: { status: 400, modeled: SQS.QueueNameExists, query: 'QueueAlreadyExists' },
    ReceiptHandleIsInvalid: { status: 404, modeled: SQS.ReceiptHandleIsInvalid },
    RequestThrottled: { status: 403, modeled: SQS.RequestThrottled },
  },
  cloudwatch: {
    AccessDenied: { status: 403, type: 'com.amazon.coral.service#AccessDeniedException' },
    InternalServiceFault: { status: 500, modeled: CloudWatch.InternalServiceFault, query: 'InternalServiceError' },
    InvalidClientTokenId: { status: 403, type: 'com.amazon.coral.service#UnrecognizedClientException' },
    InvalidParameterCombinationException: {
      status: 400,
      modeled: CloudWatch.InvalidParameterCombinationException,
      query: 'InvalidParameterCombination',
    },
    InvalidParameterValueException: {
      status: 400,
      modeled: CloudWatch.InvalidParameterValueException,
      query: 'InvalidParameterValue',
    },
    LimitExceededFault: { status: 400, modeled: CloudWatch.LimitExceededFault, query: 'LimitExceeded' },
    MissingRequiredParameterException: {
      status: 400,
      modeled: CloudWatch.MissingRequiredParameterException,
      query: 'MissingParameter',
    },
    // DeleteAlarms' documented error; AWS does not answer it for a name it does not know (see cloudwatch.ts).
    ResourceNotFound: { status: 404, modeled: CloudWatch.ResourceNotFound },
    ResourceNotFoundException: { status: 404, modeled: CloudWatch.ResourceNotFoundException },
    Throttling: { status: 400, type: 'com.amazon.coral.availability#ThrottlingException' },
    ValidationException: { status: 400, modeled: CloudWatch.ValidationException, query: 'ValidationError' },
  },
  // AWS JSON 1.1: the code in `__type`, every client error 400.
  eventbridge: {
    AccessDeniedException: { status: 400, modeled: EventBridge.AccessDeniedException },
    ConcurrentModificationException: { status: 400, modeled: EventBridge.ConcurrentModificationException },
    InternalException: { status: 500, modeled: EventBridge.InternalException },
    InvalidEventPatternException: { status: 400, modeled: EventBridge.InvalidEventPatternException },
    LimitExceededException: { status: 400, modeled: EventBridge.LimitExceededException },
    ResourceAlreadyExistsException: { status: 400, modeled: EventBridge.ResourceAlreadyExistsException },
    ResourceNotFoundException: { status: 400, modeled: EventBridge.ResourceNotFoundException },
    ThrottlingException: { status: 400, modeled: EventBridge.ThrottlingException },
    UnrecognizedClientException: { status: 400 },
    ValidationException: { status: 400 },
  },
  logs: {
    AccessDeniedException: { status: 400, modeled: Logs.AccessDeniedException },
    InvalidParameterException: { status: 400, modeled: Logs.InvalidParameterException },
    LimitExceededException: { status: 400, modeled: Logs.LimitExceededException },
    OperationAbortedException: { status: 400, modeled: Logs.OperationAbortedException },
    ResourceAlreadyExistsException: { status: 400, modeled: Logs.ResourceAlreadyExistsException },
    ResourceNotFoundException: { status: 400, modeled: Logs.ResourceNotFoundException },
    ServiceUnavailableException: { status: 500, modeled: Logs.ServiceUnavailableException },
    ThrottlingException: { status: 400, modeled: Logs.ThrottlingException },
    UnrecognizedClientException: { status: 400, modeled: Logs.UnrecognizedClientException },
  },
  // awsQuery, as IAM: keyed by the wire code, the SDK's class named `<code>Exception`.
  sns: {
    AuthorizationError: { status: 403, modeled: SNS.AuthorizationErrorException },
    InternalError: { status: 500, modeled: SNS.InternalErrorException },
    InvalidClientTokenId: { status: 403 },
    InvalidParameter: { status: 400, modeled: SNS.InvalidParameterException },
    NotFound: { status: 404, modeled: SNS.NotFoundException },
    ResourceNotFound: { status: 404, modeled: SNS.ResourceNotFoundException },
    TagPolicy: { status: 400, modeled: SNS.TagPolicyException },
    Throttled: { status: 429, modeled: SNS.ThrottledException },
  },
} as const satisfies Record<string, Record<string, WireError>>;

export type FakeService = keyof typeof WIRE_ERRORS;
export type WireCode<S extends FakeService> = keyof (typeof WIRE_ERRORS)[S] & string;

/** Each client package's base exception: what the SDK raises for a code it models no class for. */
export const BASE_EXCEPTIONS = {
  s3: S3.S3ServiceException,
  cloudfront: CloudFront.CloudFrontServiceException,
  route53: Route53.Route53ServiceException,
  sesv2: SESv2.SESv2ServiceException,
  iam: IAM.IAMServiceException,
  sts: STS.STSServiceException,
  sqs: SQS.SQSServiceException,
  cloudwatch: CloudWatch.CloudWatchServiceException,
  eventbridge: EventBridge.EventBridgeServiceException,
  logs: Logs.CloudWatchLogsServiceException,
  sns: SNS.SNSServiceException,
} satisfies Record<FakeService, unknown>;

/**
 * What the protocols of the newer fakes' services add to an error, reproduced by awsError and
 * compared by the contract test: awsQuery (SNS) and the query-compatible JSON services (SQS,
 * CloudWatch) copy the code and fault type into `Code`, `Type` and `Error`; the JSON services
 * keep the body's `__type` (`<namespace>#<shape>` where `shapes` names the namespace, else the
 * bare code). The older fakes' services add such fields too; their errors do not carry them.
 */
export const DECORATIONS: Partial<Record<FakeService, { query?: true; shapes?: string }>> = {
  sqs: { query: true, shapes: 'com.amazonaws.sqs' },
  cloudwatch: { query: true, shapes: 'com.amazonaws.cloudwatch' },
  sns: { query: true },
  eventbridge: { shapes: '' },
  logs: { shapes: '' },
};

/** What the SDK names a HEAD answer it models no class for, and the message it gives any HEAD error. */
const UNNAMED_HEAD = 'Unknown';
const HEAD_MESSAGE = 'UnknownError';

/**
 * An error exactly as the SDK raises it when AWS answers `code` (with its documented status):
 * the modeled class, or the service's base exception named by the code; `$fault` and
 * `$metadata` as the SDK sets them. `status` only for what an emulator answers instead of AWS
 * (LocalStack's `InternalFailure` with 501 for an API it lacks).
 */
export function awsError<S extends FakeService>(
  service: S,
  code: WireCode<S>,
  message: string = code,
  options: { status?: number } = {},
): Error {
  const wire = (WIRE_ERRORS[service] as Record<string, WireError>)[code];
  if (!wire) throw new Error(`no wire error ${service}:${code}`);
  const status = options.status ?? wire.status;
  const $fault = status >= 500 ? 'server' : 'client';
  const $metadata = {
    httpStatusCode: status,
    requestId: 'fake-request',
    extendedRequestId: undefined,
    cfId: undefined,
    attempts: 1,
    totalRetryDelay: 0,
  };
  // A HEAD answer has no body: the SDK has only the status, and the message is its own.
  const text = wire.head ? HEAD_MESSAGE : message;
  const base = BASE_EXCEPTIONS[service] as unknown as ExceptionClass;
  const error = wire.modeled
    ? new (wire.modeled as unknown as ExceptionClass)({ message: text, $metadata })
    : new base({ name: wire.head ? UNNAMED_HEAD : code, $fault, $metadata, message: text });
  const decorations = DECORATIONS[service];
  if (decorations?.query) {
    const Code = wire.query ?? code;
    const Type = status >= 500 ? 'Receiver' : 'Sender';
    Object.assign(error, { Code, Type, Error: { Code, Type, Message: text }, RequestId: $metadata.requestId });
  }
  if (decorations?.shapes !== undefined)
    Object.assign(error, { __type: wire.type ?? (decorations.shapes ? `${decorations.shapes}#${code}` : code) });
  return error;
}

/** Who signed a call: the access key id of the client's credentials (resolved for STS only). */
export interface Caller {
  accessKeyId?: string | undefined;
}

/** What a fake API call does: input, the client's region and the caller in, the answer out (or a throw). */
export type Handler = (input: Record<string, unknown>, region: string, caller: Caller) => unknown;
