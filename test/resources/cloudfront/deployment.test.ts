import { CloudFrontClient, GetDistributionCommand } from '@aws-sdk/client-cloudfront';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AwsContext } from '../../../src/aws/context.js';
import type { HmError } from '../../../src/errors.js';
import { waitForDeployment } from '../../../src/resources/cloudfront/deployment.js';

const cf = mockClient(CloudFrontClient);

describe('waiting for deployment', () => {
  beforeEach(() => cf.reset());

  it('returns once the distribution is Deployed', async () => {
    cf.on(GetDistributionCommand)
      .resolvesOnce({ Distribution: { Status: 'InProgress' } as never })
      .resolves({ Distribution: { Status: 'Deployed' } as never });
    // WHEN
    await waitForDeployment(new AwsContext({ region: 'us-east-1' }), 'EDIST', {
      maxWaitSeconds: 5,
      minDelaySeconds: 0.01,
      maxDelaySeconds: 0.02,
    });
    // THEN
    expect(cf).toHaveReceivedCommandTimes(GetDistributionCommand, 2);
  });

  it('stops at its time limit with exit code 3 and says the deployment goes on', async () => {
    cf.on(GetDistributionCommand).resolves({ Distribution: { Status: 'InProgress' } as never });
    const progress: string[] = [];
    // WHEN
    const error = (await waitForDeployment(new AwsContext({ region: 'us-east-1' }), 'EDIST', {
      maxWaitSeconds: 0.3,
      minDelaySeconds: 0.05,
      maxDelaySeconds: 0.1,
      progressEverySeconds: 0.05,
      onProgress: (e) => progress.push(e),
    }).catch((e: unknown) => e)) as HmError;
    // THEN
    expect(error.code).toBe('DEPLOY_PENDING');
    expect(error.exitCode).toBe(3);
    expect(error.hint).toContain('finishes on its own');
    expect(progress.length).toBeGreaterThan(0);
  });

  it('stops when the user interrupts', async () => {
    cf.on(GetDistributionCommand).resolves({ Distribution: { Status: 'InProgress' } as never });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    // WHEN
    const error = (await waitForDeployment(new AwsContext({ region: 'us-east-1' }), 'EDIST', {
      maxWaitSeconds: 10,
      minDelaySeconds: 0.02,
      maxDelaySeconds: 0.05,
      signal: controller.signal,
    }).catch((e: unknown) => e)) as HmError;
    // THEN
    expect(error.code).toBe('WAIT_ABORTED');
    expect(error.exitCode).toBe(130);
  });
});
