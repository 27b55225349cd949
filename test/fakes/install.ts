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
import { type AwsStub, mockClient } from 'aws-sdk-client-mock';
import { FakeAccount } from './account.js';

/** SDK modules the fake answers for: every command of each is routed to FakeAccount.call. */
const SERVICES = [
  { service: 'cloudfront', module: CloudFront as Record<string, unknown>, client: CloudFront.CloudFrontClient },
  { service: 'iam', module: IAM as Record<string, unknown>, client: IAM.IAMClient },
  { service: 'route53', module: Route53 as Record<string, unknown>, client: Route53.Route53Client },
  { service: 's3', module: S3 as Record<string, unknown>, client: S3.S3Client },
  { service: 'sesv2', module: SESv2 as Record<string, unknown>, client: SESv2.SESv2Client },
  { service: 'sts', module: STS as Record<string, unknown>, client: STS.STSClient },
  { service: 'sqs', module: SQS as Record<string, unknown>, client: SQS.SQSClient },
  { service: 'eventbridge', module: EventBridge as Record<string, unknown>, client: EventBridge.EventBridgeClient },
  { service: 'cloudwatch', module: CloudWatch as Record<string, unknown>, client: CloudWatch.CloudWatchClient },
  { service: 'sns', module: SNS as Record<string, unknown>, client: SNS.SNSClient },
  { service: 'logs', module: Logs as Record<string, unknown>, client: Logs.CloudWatchLogsClient },
] as const;

interface ClientConfig {
  region: () => Promise<string>;
  credentials: () => Promise<{ accessKeyId?: string } | undefined>;
}

export interface InstalledFake {
  fake: FakeAccount;
  restore(): void;
}

/**
 * Routes every command of every client class to the fake account (an unimplemented command
 * fails loudly), so production code runs unchanged against it. One fake behind each client's
 * `send`, which looks the command's class up, rather than a matcher per command: matchers are
 * tried one by one on every call, which made the fake slower than the code it serves.
 */
export function installFakeAccount(fake: FakeAccount = new FakeAccount()): InstalledFake {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const stubs: Array<AwsStub<any, any, any>> = [];
  for (const { service, module, client } of SERVICES) {
    const commands = new Map<unknown, string>();
    for (const [name, value] of Object.entries(module)) {
      if (name.endsWith('Command') && !name.startsWith('$') && typeof value === 'function')
        commands.set(value, name.slice(0, -'Command'.length));
    }
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const stub = mockClient(client as any);
    stub.send.callsFake(async function send(this: { config: ClientConfig }, command: { input: object }) {
      const name = commands.get(command.constructor);
      if (name === undefined)
        throw new Error(`the fake account got a command it does not know: ${command.constructor.name}`);
      const region = await this.config.region();
      // Who signed decides what the call may do (the operator, or an app user's key).
      const caller = { accessKeyId: (await this.config.credentials())?.accessKeyId };
      return fake.call(service, name, command.input as Record<string, unknown>, region, caller) as never;
    });
    stubs.push(stub);
  }
  return { fake, restore: () => stubs.forEach((s) => s.restore()) };
}
