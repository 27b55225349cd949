import { accountStep } from './account.js';
import { bucketSettingsStep } from './bucket-settings.js';
import { bucketStep } from './bucket.js';
import type { AnyStep } from './types.js';

/** Every step `init` runs, in the dependency graph of DESIGN.md. */
export function provisioningSteps(): AnyStep[] {
  return [accountStep, bucketStep, bucketSettingsStep];
}
