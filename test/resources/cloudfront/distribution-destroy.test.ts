import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bucketOutputs } from '../../../src/resources/s3/bucket.js';
import { desiredDistributionConfig } from '../../../src/resources/cloudfront/distribution-config.js';
import { distributionStep } from '../../../src/resources/cloudfront/distribution.js';
import { FakeAccount } from '../../fakes/account.js';
import { type InstalledFake, installFakeAccount } from '../../fakes/install.js';
import { givenConfig, givenStepContext } from '../../support/context.js';

let installed: InstalledFake;

function givenDeployedDistribution() {
  const { cloudfront } = installed.fake;
  const oac = cloudfront.handlers()['cloudfront:CreateOriginAccessControl']!(
    { OriginAccessControlConfig: { Name: 'oac' } },
    'us-east-1',
    {},
  ) as { OriginAccessControl: { Id: string } };
  const inputs = {
    config: givenConfig(),
    bucket: bucketOutputs('healthmetrics-uploads-dev', 'us-east-1'),
    oacId: oac.OriginAccessControl.Id,
  };
  const created = cloudfront.createDistribution(desiredDistributionConfig(inputs, undefined, 'ref') as never, []);
  created.status = 'Deployed';
  return created;
}

describe('removing the distribution', () => {
  beforeEach(() => {
    installed = installFakeAccount(new FakeAccount());
    installed.fake.cloudfront.deployAfterPolls = 1;
  });
  afterEach(() => installed.restore());

  it('disables it, waits for that to deploy, then deletes it with the fresh ETag', async () => {
    const created = givenDeployedDistribution();
    // WHEN
    await distributionStep.destroy(givenStepContext(), { id: created.id } as never);
    // THEN
    expect(installed.fake.cloudfront.distributions.size).toBe(0);
    expect(installed.fake.calls.map((c) => c.command)).toEqual([
      'GetDistribution',
      'UpdateDistribution',
      'GetDistribution',
      'GetDistribution',
      'DeleteDistribution',
    ]);
  });

  it('is done when the distribution is already gone', async () => {
    // WHEN
    await distributionStep.destroy(givenStepContext(), { id: 'EGONE' } as never);
    // THEN
    expect(installed.fake.writes).toEqual([]);
  });

  it('with --no-wait disables it, records that, and leaves the deletion to the next teardown', async () => {
    const created = givenDeployedDistribution();
    installed.fake.cloudfront.deployAfterPolls = 5;
    const ctx = givenStepContext({ mode: 'destroy', flags: { removalWaitSeconds: 0 } });
    // WHEN
    const result = await distributionStep.destroy(ctx, { id: created.id } as never);
    // THEN
    expect(result).toMatchObject({ pending: expect.stringMatching(/run teardown again/) });
    expect(ctx.disabling).toBe(1);
    expect(installed.fake.cloudfront.distributions.get(created.id)?.config['Enabled']).toBe(false);
    expect(installed.fake.calls.map((c) => c.command)).toEqual(['GetDistribution', 'UpdateDistribution']);
  });

  it('deletes one that is already disabled and deployed without another update', async () => {
    const created = givenDeployedDistribution();
    created.config['Enabled'] = false;
    // WHEN
    await distributionStep.destroy(givenStepContext({ mode: 'destroy' }), { id: created.id } as never);
    // THEN
    expect(installed.fake.calls.map((c) => c.command)).toEqual(['GetDistribution', 'DeleteDistribution']);
    expect(installed.fake.cloudfront.distributions.size).toBe(0);
  });
});
