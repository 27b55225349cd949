/**
 * Seeded fault injection: a share of requests fails the way AWS and networks fail, so a test can
 * check that the CLI retries what AWS documents as retryable, and converges after an answer
 * was lost. The same seed and the same order of requests give the same faults.
 */
import { serviceError } from './errors.js';
import type { WireResponse } from './wire.js';

/**
 * - `server-error`: a 5xx in the service's own format (S3 InternalError 500 / SlowDown 503;
 *   IAM, STS, CloudFront, Route 53 ServiceUnavailable 503 / InternalFailure 500; SES v2
 *   InternalFailure 500 / ServiceUnavailable 503; SQS InternalFailure 500 / ServiceUnavailable
 *   503; CloudWatch InternalServiceFault 500 / ServiceUnavailable 503; EventBridge
 *   InternalException 500 / ServiceUnavailable 503; CloudWatch Logs ServiceUnavailableException
 *   500 / InternalFailure 500; SNS InternalError 500 / ServiceUnavailable 503);
 * - `throttle`: IAM, STS, CloudFront, Route 53 `Throttling` 400; SES v2 TooManyRequestsException
 *   429; S3 SlowDown 503; SQS RequestThrottled 403; CloudWatch Throttling 400 (JSON
 *   `ThrottlingException`); EventBridge and CloudWatch Logs ThrottlingException 400; SNS
 *   Throttled 429;
 * - `reset-before`: the connection is reset before the request reaches moto (nothing happened);
 * - `reset-after`: moto handles the request, then the connection is reset (it happened, the
 *   answer is lost).
 */
export type FaultKind = 'server-error' | 'throttle' | 'reset-before' | 'reset-after';

export const FAULT_KINDS: readonly FaultKind[] = ['server-error', 'throttle', 'reset-before', 'reset-after'];

/** What a fault rule sees of a request. */
export interface FaultTarget {
  service: string;
  operation: string;
  write: boolean;
}

export interface FaultOptions {
  /** Share of the requests that fail, 0 … 1. */
  rate: number;
  seed?: number;
  /** The kinds to choose from (all four by default). */
  kinds?: readonly FaultKind[];
  /** Only requests this accepts can fail (all by default). */
  only?: (target: FaultTarget) => boolean;
}

export interface Fault {
  kind: FaultKind;
  /** The error code answered (`SlowDown`), or `reset` for the connection resets. */
  code: string;
  /** The answer for `server-error` and `throttle`. */
  response?: WireResponse;
}

/** mulberry32: small, fast and good enough to spread faults evenly. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An answer: its status, code and message (and, for SQS and CloudWatch, the code of their query protocol). */
type Variant = [status: number, code: string, message: string, queryCode?: string];

const DEFAULT_SERVER_ERRORS: Variant[] = [
  [503, 'ServiceUnavailable', 'Service is unavailable. Please try again later.'],
  [500, 'InternalFailure', 'The request processing has failed because of an unknown error, exception or failure.'],
];
const DEFAULT_THROTTLE: Variant = [400, 'Throttling', 'Rate exceeded'];
const UNAVAILABLE: Variant = [503, 'ServiceUnavailable', 'Service is unavailable. Please try again later.'];
const INTERNAL_FAILURE: Variant = [
  500,
  'InternalFailure',
  'The request processing has failed because of an unknown error, exception or failure.',
];
const THROTTLING_EXCEPTION: Variant = [400, 'ThrottlingException', 'Rate exceeded'];

/**
 * By service (signing name), with the codes of each service's model where it has its own
 * (SQS RequestThrottled, CloudWatch InternalServiceFault, EventBridge InternalException, Logs
 * ServiceUnavailableException, SNS InternalError and Throttled) and the front end's common
 * ones otherwise; IAM, STS, CloudFront and Route 53 take the defaults.
 */
const SERVER_ERRORS: Record<string, Variant[]> = {
  s3: [
    [500, 'InternalError', 'We encountered an internal error. Please try again.'],
    [503, 'SlowDown', 'Please reduce your request rate.'],
  ],
  ses: [
    [500, 'InternalFailure', 'The request processing has failed because of an unknown error, exception or failure.'],
    [503, 'ServiceUnavailable', 'The request has failed due to a temporary failure of the server.'],
  ],
  sqs: [INTERNAL_FAILURE, UNAVAILABLE],
  monitoring: [[500, 'InternalServiceFault', 'Internal service error.', 'InternalServiceError'], UNAVAILABLE],
  events: [[500, 'InternalException', 'An internal error occurred.'], UNAVAILABLE],
  logs: [[500, 'ServiceUnavailableException', 'The service cannot complete the request.'], INTERNAL_FAILURE],
  sns: [[500, 'InternalError', 'Internal Error'], UNAVAILABLE],
};

const THROTTLES: Record<string, Variant> = {
  s3: [503, 'SlowDown', 'Please reduce your request rate.'],
  ses: [429, 'TooManyRequestsException', 'Too many requests have been made to the operation.'],
  sqs: [403, 'RequestThrottled', 'Request is throttled.'],
  // The JSON protocol's ThrottlingException, under CloudWatch's query code Throttling.
  monitoring: [400, 'ThrottlingException', 'Rate exceeded', 'Throttling'],
  events: THROTTLING_EXCEPTION,
  logs: THROTTLING_EXCEPTION,
  sns: [429, 'Throttled', 'Rate exceeded'],
};

export class FaultInjector {
  private random: () => number;
  private readonly kinds: readonly FaultKind[];

  constructor(private readonly options: FaultOptions) {
    if (!(options.rate >= 0 && options.rate <= 1))
      throw new Error(`fault rate must be within 0 … 1, got ${options.rate}`);
    this.kinds = options.kinds && options.kinds.length > 0 ? options.kinds : FAULT_KINDS;
    this.random = mulberry32(options.seed ?? 1);
  }

  /** Starts the sequence again from the seed. */
  restart(): void {
    this.random = mulberry32(this.options.seed ?? 1);
  }

  /** The fault for this request, if it is one of the unlucky ones. */
  next(target: FaultTarget): Fault | undefined {
    if (this.options.only && !this.options.only(target)) return undefined;
    if (this.random() >= this.options.rate) return undefined;
    const kind = this.kinds[Math.floor(this.random() * this.kinds.length)] ?? 'server-error';
    const pick = this.random();
    if (kind === 'reset-before' || kind === 'reset-after') return { kind, code: 'reset' };
    const variants =
      kind === 'throttle'
        ? [THROTTLES[target.service] ?? DEFAULT_THROTTLE]
        : (SERVER_ERRORS[target.service] ?? DEFAULT_SERVER_ERRORS);
    const [status, code, message, queryCode] = variants[Math.floor(pick * variants.length)] ?? DEFAULT_THROTTLE;
    // The code a client sees: the query protocol's, where the service sends one.
    return { kind, code: queryCode ?? code, response: serviceError(target.service, status, code, message, queryCode) };
  }
}
