/**
 * The answers every service gives alike — to a key it does not know, to throttling, to a failure
 * on its side — in each newer service's own codes, as the SDK raises them.
 */
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeEventBusCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { ListTopicsCommand, SNSClient } from '@aws-sdk/client-sns';
import { ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeAccount } from './account.js';
import { type InstalledFake, installFakeAccount } from './install.js';

const REGION = 'us-east-1';
const stranger = { accessKeyId: 'AKIANOTISSUEDBYIAM01', secretAccessKey: 'x' };

const CALLS = {
  sqs: (credentials?: typeof stranger) =>
    new SQSClient({ region: REGION, credentials }).send(new ListQueuesCommand({})),
  cloudwatch: (credentials?: typeof stranger) =>
    new CloudWatchClient({ region: REGION, credentials }).send(new DescribeAlarmsCommand({})),
  eventbridge: (credentials?: typeof stranger) =>
    new EventBridgeClient({ region: REGION, credentials }).send(new DescribeEventBusCommand({})),
  logs: (credentials?: typeof stranger) =>
    new CloudWatchLogsClient({ region: REGION, credentials }).send(new DescribeLogGroupsCommand({})),
  sns: (credentials?: typeof stranger) =>
    new SNSClient({ region: REGION, credentials }).send(new ListTopicsCommand({})),
};

/** Each service's name for: an unknown key, throttling, its own failure (with the status). */
const EXPECTED = [
  ['sqs', 'InvalidClientTokenId', 'RequestThrottled', ['InternalFailure', 500]],
  ['cloudwatch', 'InvalidClientTokenId', 'Throttling', ['InternalServiceFault', 500]],
  ['eventbridge', 'UnrecognizedClientException', 'ThrottlingException', ['InternalException', 500]],
  ['logs', 'UnrecognizedClientException', 'ThrottlingException', ['ServiceUnavailableException', 500]],
  ['sns', 'InvalidClientTokenId', 'ThrottledException', ['InternalErrorException', 500]],
] as const;

describe('the common answers of the newer services', () => {
  let installed: InstalledFake;
  beforeEach(() => {
    installed = installFakeAccount(new FakeAccount());
  });
  afterEach(() => installed.restore());

  it.each(EXPECTED)('%s: %s, %s, %s', async (service, invalidKey, throttled, [internal, status]) => {
    const call = CALLS[service];
    installed.fake.rejectUnknownKeys = true;
    await expect(call(stranger)).rejects.toMatchObject({ name: invalidKey });
    installed.fake.throttle(1);
    await expect(call()).rejects.toMatchObject({ name: throttled });
    installed.fake.failCall(1);
    await expect(call()).rejects.toMatchObject({
      name: internal,
      $fault: 'server',
      $metadata: { httpStatusCode: status },
    });
    await expect(call()).resolves.toBeDefined();
  });
});
