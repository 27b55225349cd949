import type * as CloudFrontModule from '@aws-sdk/client-cloudfront';
import type * as CloudWatchModule from '@aws-sdk/client-cloudwatch';
import type * as LogsModule from '@aws-sdk/client-cloudwatch-logs';
import type * as EventBridgeModule from '@aws-sdk/client-eventbridge';
import type * as SnsModule from '@aws-sdk/client-sns';
import type * as SqsModule from '@aws-sdk/client-sqs';
import type * as IamModule from '@aws-sdk/client-iam';
import type * as Route53Module from '@aws-sdk/client-route-53';
import type * as S3Module from '@aws-sdk/client-s3';
import type * as SesModule from '@aws-sdk/client-sesv2';
import type * as StsModule from '@aws-sdk/client-sts';
import { HmError } from '../errors.js';

/**
 * The SDK's service modules as the steps use them (`new S3.HeadBucketCommand(…)`), without
 * loading them: the AWS context, which every AWS call needs first, hands them over when it
 * loads. So `plan --offline` and the commands that read only the state file never load the
 * SDK, which is hundreds of modules and most of their start-up time otherwise.
 */
export interface SdkModules {
  s3: typeof S3Module;
  cloudfront: typeof CloudFrontModule;
  sesv2: typeof SesModule;
  route53: typeof Route53Module;
  iam: typeof IamModule;
  sts: typeof StsModule;
  sqs: typeof SqsModule;
  eventbridge: typeof EventBridgeModule;
  cloudwatch: typeof CloudWatchModule;
  sns: typeof SnsModule;
  logs: typeof LogsModule;
}

const loaded: Partial<SdkModules> = {};

/** Called by the AWS context as it loads. */
export function provideSdk(modules: SdkModules): void {
  Object.assign(loaded, modules);
}

function lazy<K extends keyof SdkModules>(key: K): SdkModules[K] {
  return new Proxy({} as SdkModules[K], {
    get(_target, name) {
      const module: object | undefined = loaded[key];
      if (!module)
        throw new HmError(
          'SDK_NOT_LOADED',
          `the AWS SDK for ${key} was used before any AWS client existed`,
          'internal',
        );
      return (module as Record<string | symbol, unknown>)[name];
    },
  });
}

export const S3 = lazy('s3');
export const CloudFront = lazy('cloudfront');
export const SES = lazy('sesv2');
export const Route53 = lazy('route53');
export const IAM = lazy('iam');
export const STS = lazy('sts');
export const SQS = lazy('sqs');
export const EventBridge = lazy('eventbridge');
export const CloudWatch = lazy('cloudwatch');
export const SNS = lazy('sns');
export const Logs = lazy('logs');
