import type { Config } from '../config/config.js';
import { accountStep } from './account.js';
import { makeBucketPolicyStep } from './bucket-policy.js';
import { bucketSettingsStep } from './bucket-settings.js';
import { bucketStep } from './bucket.js';
import { distributionStep } from './distribution.js';
import { dnsRecordsStep } from './dns-records.js';
import { dnsZoneStep } from './dns-zone.js';
import { configSetStep } from './email-config-set.js';
import { identityStep } from './email-identity.js';
import { mailFromStep } from './email-mail-from.js';
import { templateSteps } from './email-templates.js';
import { oacStep } from './oac.js';
import type { AnyStep } from './types.js';

/**
 * Every step `init` runs, in the dependency graph of DESIGN.md; --no-cdn leaves out CloudFront,
 * --no-email leaves out SES and its DNS records.
 */
export function provisioningSteps(config: Pick<Config, 'cdn' | 'email'>): AnyStep[] {
  const storage = [accountStep, bucketStep, bucketSettingsStep];
  const cdn = config.cdn ? [oacStep, distributionStep, makeBucketPolicyStep(true)] : [makeBucketPolicyStep(false)];
  const email = config.email ? [configSetStep, identityStep, mailFromStep, ...templateSteps, dnsZoneStep, dnsRecordsStep] : [];
  return [...storage, ...cdn, ...email];
}
