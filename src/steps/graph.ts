import type { Config } from '../config/config.js';
import { accountStep } from './account.js';
import { makeBucketPolicyStep } from './bucket-policy.js';
import { bucketSettingsStep } from './bucket-settings.js';
import { bucketStep } from './bucket.js';
import { distributionStep } from './distribution.js';
import { oacStep } from './oac.js';
import type { AnyStep } from './types.js';

/** Every step `init` runs, in the dependency graph of DESIGN.md; --no-cdn leaves out CloudFront. */
export function provisioningSteps(config: Pick<Config, 'cdn'>): AnyStep[] {
  const storage = [accountStep, bucketStep, bucketSettingsStep];
  if (!config.cdn) return [...storage, makeBucketPolicyStep(false)];
  return [...storage, oacStep, distributionStep, makeBucketPolicyStep(true)];
}
