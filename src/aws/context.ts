import * as cloudfrontSdk from '@aws-sdk/client-cloudfront';
import * as cloudwatchSdk from '@aws-sdk/client-cloudwatch';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import * as logsSdk from '@aws-sdk/client-cloudwatch-logs';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import * as eventbridgeSdk from '@aws-sdk/client-eventbridge';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import * as snsSdk from '@aws-sdk/client-sns';
import { SNSClient } from '@aws-sdk/client-sns';
import * as sqsSdk from '@aws-sdk/client-sqs';
import { SQSClient } from '@aws-sdk/client-sqs';
import { CloudFrontClient } from '@aws-sdk/client-cloudfront';
import * as iamSdk from '@aws-sdk/client-iam';
import { IAMClient } from '@aws-sdk/client-iam';
import * as route53Sdk from '@aws-sdk/client-route-53';
import { Route53Client } from '@aws-sdk/client-route-53';
import * as s3Sdk from '@aws-sdk/client-s3';
import { S3Client } from '@aws-sdk/client-s3';
import * as sesv2Sdk from '@aws-sdk/client-sesv2';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import * as stsSdk from '@aws-sdk/client-sts';
import { STSClient } from '@aws-sdk/client-sts';
import type { CloudflareDns, CloudflareSettings } from './cloudflare.js';
import { markPlainHttp } from './errors.js';
import { provideSdk } from './sdk.js';

// Steps reach the SDK's commands through src/aws/sdk.ts; they are usable from here on.
provideSdk({
  s3: s3Sdk,
  cloudfront: cloudfrontSdk,
  sesv2: sesv2Sdk,
  route53: route53Sdk,
  iam: iamSdk,
  sts: stsSdk,
  sqs: sqsSdk,
  eventbridge: eventbridgeSdk,
  cloudwatch: cloudwatchSdk,
  sns: snsSdk,
  logs: logsSdk,
});

/** How every SDK client of one run is configured. */
export interface AwsSettings {
  region: string;
  /** Named profile of the shared config files; undefined uses the default credential chain. */
  profile?: string | undefined;
  /** AWS-compatible endpoint (LocalStack, moto); S3 then uses path-style addressing. */
  endpointUrl?: string | undefined;
  /** Attempts per call, first try included, with the SDK's standard back-off. */
  maxAttempts?: number;
  /** These credentials instead of the profile or the default chain (the app user's key). */
  credentials?: { accessKeyId: string; secretAccessKey: string } | undefined;
  /**
   * S3 request checksums only where the API requires one. A presigned PUT URL made with the
   * SDK's default carries the CRC32 of an empty body, and S3 refuses the real upload.
   */
  s3ChecksumsWhenRequired?: boolean;
  /** S3 follows a bucket's region when it is not this one (the state bucket, wherever it is). */
  s3FollowRegionRedirects?: boolean;
  /** Cloudflare's API token and endpoint, for `--dns cloudflare` (from CLOUDFLARE_API_TOKEN, CLOUDFLARE_BASE_URL). */
  cloudflare?: CloudflareSettings | undefined;
}

/** One retry strategy for every client: standard mode, exponential back-off with jitter. */
export const DEFAULT_MAX_ATTEMPTS = 5;

interface Destroyable {
  destroy(): void;
}

/**
 * Builds each SDK client once per run, all from the same settings. Steps get clients from
 * here and never construct their own, so region, credentials, endpoint and retries are
 * decided in one place.
 */
export class AwsContext {
  readonly settings: AwsSettings;
  private readonly clients = new Map<string, Destroyable>();

  constructor(settings: AwsSettings) {
    this.settings = settings;
  }

  get region(): string {
    return this.settings.region;
  }

  private cloudflareApi: Promise<CloudflareDns> | undefined;

  /** Cloudflare's DNS API (its SDK loaded on first use); refused with a clear error without a token. */
  cloudflare(): Promise<CloudflareDns> {
    this.cloudflareApi ??= import('./cloudflare.js').then((m) =>
      m.cloudflareDns(this.settings.cloudflare ?? { token: undefined }),
    );
    return this.cloudflareApi;
  }

  s3(): S3Client {
    const checksums = this.settings.s3ChecksumsWhenRequired
      ? { requestChecksumCalculation: 'WHEN_REQUIRED' as const }
      : {};
    return this.client('s3', () => {
      const client = new S3Client({
        ...this.common(),
        ...checksums,
        forcePathStyle: this.settings.endpointUrl !== undefined,
        ...(this.settings.s3FollowRegionRedirects ? { followRegionRedirects: true } : {}),
      });
      const endpoint = this.settings.endpointUrl;
      // The bucket policy refuses requests without TLS: a refusal over http:// says so (toHmError).
      if (endpoint !== undefined && /^http:/i.test(endpoint)) {
        client.middlewareStack.add(
          (next) => async (args) => {
            try {
              return await next(args);
            } catch (err) {
              markPlainHttp(err, endpoint);
              throw err;
            }
          },
          { step: 'initialize', name: 'hmInfraPlainHttpRefusal' },
        );
      }
      return client;
    });
  }

  /** CloudFront is a global service whose API lives in us-east-1, whatever the stack's region. */
  cloudfront(): CloudFrontClient {
    return this.client('cloudfront', () => new CloudFrontClient({ ...this.common(), region: 'us-east-1' }));
  }

  /** SES lives in the stack's region: identities, configuration sets and templates are regional. */
  sesv2(): SESv2Client {
    return this.client('sesv2', () => new SESv2Client(this.common()));
  }

  /** Route 53 is global; its API is signed for us-east-1. */
  route53(): Route53Client {
    return this.client('route53', () => new Route53Client({ ...this.common(), region: 'us-east-1' }));
  }

  /** IAM is global; its API is signed for us-east-1. */
  iam(): IAMClient {
    return this.client('iam', () => new IAMClient({ ...this.common(), region: 'us-east-1' }));
  }

  sts(): STSClient {
    return this.client('sts', () => new STSClient(this.common()));
  }

  /** The email-events and app-events queues, in the stack's region. */
  sqs(): SQSClient {
    return this.client('sqs', () => new SQSClient(this.common()));
  }

  /** Event buses and rules, in the stack's region (SES publishes to its default bus). */
  eventbridge(): EventBridgeClient {
    return this.client('eventbridge', () => new EventBridgeClient(this.common()));
  }

  /** Alarms on SES's metrics, in the stack's region (where SES publishes them). */
  cloudwatch(): CloudWatchClient {
    return this.client('cloudwatch', () => new CloudWatchClient(this.common()));
  }

  /** The alarms' topic, in the stack's region. */
  sns(): SNSClient {
    return this.client('sns', () => new SNSClient(this.common()));
  }

  /** The email handler's log group, in the stack's region. */
  logs(): CloudWatchLogsClient {
    return this.client('logs', () => new CloudWatchLogsClient(this.common()));
  }

  /**
   * The same region, endpoint and retries, signed with other credentials: the app user's key,
   * to check that it works and what it may do. No profile, so nothing else is mixed in; S3
   * presigns as an app should (see `s3ChecksumsWhenRequired`). Closed with this context.
   */
  as(
    credentials: { accessKeyId: string; secretAccessKey: string },
    options: { maxAttempts?: number } = {},
  ): AwsContext {
    // A copy: the SDK marks the credentials object it is given (`$source`).
    const { accessKeyId, secretAccessKey } = credentials;
    const { region, endpointUrl } = this.settings;
    const maxAttempts = options.maxAttempts ?? this.settings.maxAttempts;
    return this.client(
      `as:${accessKeyId}:${maxAttempts ?? ''}`,
      () =>
        new AwsContext({
          region,
          endpointUrl,
          ...(maxAttempts !== undefined ? { maxAttempts } : {}),
          credentials: { accessKeyId, secretAccessKey },
          s3ChecksumsWhenRequired: true,
        }),
    );
  }

  /** Closes every client's sockets, so the process can exit promptly. */
  destroy(): void {
    for (const client of this.clients.values()) client.destroy();
    this.clients.clear();
  }

  private common() {
    const { region, profile, endpointUrl, maxAttempts, credentials } = this.settings;
    return {
      region,
      maxAttempts: maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
      retryMode: 'standard',
      ...(credentials !== undefined ? { credentials: { ...credentials } } : profile !== undefined ? { profile } : {}),
      ...(endpointUrl !== undefined ? { endpoint: endpointUrl } : {}),
    };
  }

  private client<T extends Destroyable>(key: string, make: () => T): T {
    let client = this.clients.get(key) as T | undefined;
    if (!client) {
      client = make();
      this.clients.set(key, client);
    }
    return client;
  }
}

/**
 * The region the SDK would pick for a profile (AWS_REGION, then the profile's `region`),
 * or undefined when none is configured. Reads local files only; no network.
 */
export async function regionFromEnvironment(profile: string | undefined): Promise<string | undefined> {
  const probe = new STSClient(profile !== undefined ? { profile } : {});
  try {
    return await probe.config.region();
  } catch {
    return undefined;
  } finally {
    probe.destroy();
  }
}
