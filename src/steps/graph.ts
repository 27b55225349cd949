import { accountStep } from './account.js';
import { bucketPolicyStep } from './bucket-policy.js';
import { bucketSettingsStep } from './bucket-settings.js';
import { bucketStep } from './bucket.js';
import { distributionStep } from './distribution.js';
import { oacStep } from './oac.js';
import type { AnyStep } from './types.js';

/** Every step `init` runs, in the dependency graph of DESIGN.md. */
export function provisioningSteps(): AnyStep[] {
  return [accountStep, bucketStep, bucketSettingsStep, oacStep, distributionStep, bucketPolicyStep];
}
