import type { Config } from '../config/config.js';
import { accountStep } from './account/account.js';
import { makeBucketPolicyStep } from './s3/bucket-policy.js';
import { bucketSettingsStep } from './s3/bucket-settings.js';
import { bucketStep } from './s3/bucket.js';
import { distributionStep } from './cloudfront/distribution.js';
import { dnsRecordsStep } from './dns/records.js';
import { dnsZoneStep } from './dns/zone.js';
import { configSetStep } from './ses/configuration-set.js';
import { identityStep } from './ses/identity.js';
import { mailFromStep } from './ses/mail-from.js';
import { templateSteps } from './ses/templates.js';
import { makeAccessKeyStep } from './iam/access-key.js';
import { s3PolicyStep, sesPolicyStep } from './iam/policies.js';
import { iamUserStep } from './iam/user.js';
import { oacStep } from './cloudfront/oac.js';
import type { AnyStep } from '../engine/types.js';

/**
 * Every step `init` runs, in the dependency graph of docs/resources.md; --no-cdn leaves out CloudFront,
 * --no-email leaves out SES, its DNS records and the sending policy. The access key comes
 * last: a key exists only once its user may do exactly what the app needs.
 */
export function provisioningSteps(config: Pick<Config, 'cdn' | 'email'>): AnyStep[] {
  const storage = [accountStep, bucketStep, bucketSettingsStep];
  const cdn = config.cdn ? [oacStep, distributionStep, makeBucketPolicyStep(true)] : [makeBucketPolicyStep(false)];
  const email = config.email
    ? [configSetStep, identityStep, mailFromStep, ...templateSteps, dnsZoneStep, dnsRecordsStep]
    : [];
  const policies = config.email ? [s3PolicyStep, sesPolicyStep] : [s3PolicyStep];
  const iam = [iamUserStep, ...policies, makeAccessKeyStep({ dependsOn: ['iam-user', ...policies.map((p) => p.id)] })];
  return [...storage, ...cdn, ...email, ...iam];
}
