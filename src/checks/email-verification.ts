import type { Resolver } from 'node:dns/promises';

import type { AwsContext } from '../aws/context.js';
import type { Config } from '../config/config.js';
import { HmError } from '../errors.js';
import { type DnsRecord, emailDnsRecords, normalizeValue, route53Value } from '../resources/dns/values.js';
import { dkimOutputs, getIdentity } from '../resources/ses/identity.js';

/** The lookups verify-dns makes; node:dns's Resolver in the CLI, a fake in tests. */
export type DnsResolver = Pick<Resolver, 'resolveCname' | 'resolveMx' | 'resolveTxt'>;

export type VerificationStatus = 'SUCCESS' | 'PENDING' | 'FAILED' | 'TEMPORARY_FAILURE' | 'NOT_STARTED';

export interface ComponentCheck {
  id: 'domain' | 'dkim' | 'mail-from';
  label: string;
  status: VerificationStatus;
  /** Why SES says so, when it says (VerificationInfo.ErrorType, a missing setting). */
  detail?: string | undefined;
}

export interface RecordCheck {
  record: DnsRecord;
  /** What the resolver returned, in the form records are compared in. */
  found: string[];
  ok: boolean;
  /** A lookup error other than "no such record" (timeout, SERVFAIL). */
  error?: string | undefined;
}

export interface EmailCheck {
  domain: string;
  verifiedForSending: boolean;
  components: ComponentCheck[];
  records: RecordCheck[];
  outcome: 'verified' | 'pending' | 'failed';
}

const asStatus = (value: string | undefined): VerificationStatus =>
  value === 'SUCCESS' || value === 'FAILED' || value === 'TEMPORARY_FAILURE' || value === 'NOT_STARTED'
    ? value
    : 'PENDING';

const NOT_FOUND = ['ENODATA', 'ENOTFOUND', 'NXDOMAIN'];

async function lookUp(resolver: DnsResolver, record: DnsRecord): Promise<RecordCheck> {
  const want = normalizeValue(record.type, route53Value(record));
  try {
    let found: string[];
    if (record.type === 'CNAME')
      found = (await resolver.resolveCname(record.name)).map((v) => normalizeValue('CNAME', v));
    else if (record.type === 'MX')
      found = (await resolver.resolveMx(record.name)).map((mx) =>
        normalizeValue('MX', `${mx.priority} ${mx.exchange}`),
      );
    else found = (await resolver.resolveTxt(record.name)).map((chunks) => chunks.join(''));
    return { record, found, ok: found.includes(want) };
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    if (NOT_FOUND.includes(code)) return { record, found: [], ok: false };
    return { record, found: [], ok: false, error: `${code || 'lookup failed'}: ${(err as Error).message}` };
  }
}

/**
 * One look at the email setup: what SES says about the identity (domain, DKIM, MAIL FROM) and
 * what DNS answers for each record SES needs.
 */
export async function checkEmailSetup(aws: AwsContext, config: Config, resolver: DnsResolver): Promise<EmailCheck> {
  const identity = await getIdentity(aws.sesv2(), config.domain);
  if (!identity) {
    throw new HmError('SES_NO_IDENTITY', `SES has no identity for ${config.domain} in ${config.region}`, 'user', {
      hint: `Run \`hm-infra init --env ${config.environment}\` first (it creates the identity), then verify-dns.`,
    });
  }
  const dkim = dkimOutputs(identity.DkimAttributes);
  const records = emailDnsRecords(config, dkim);
  const mailFrom = identity.MailFromAttributes;
  const components: ComponentCheck[] = [
    {
      id: 'domain',
      label: 'Domain',
      status: identity.VerifiedForSendingStatus
        ? 'SUCCESS'
        : asStatus(identity.VerificationStatus ?? identity.DkimAttributes?.Status),
      detail: identity.VerificationInfo?.ErrorType,
    },
    { id: 'dkim', label: 'DKIM', status: asStatus(identity.DkimAttributes?.Status) },
    mailFrom?.MailFromDomain
      ? {
          id: 'mail-from',
          label: `MAIL FROM (${mailFrom.MailFromDomain})`,
          status: asStatus(mailFrom.MailFromDomainStatus),
        }
      : {
          id: 'mail-from',
          label: 'MAIL FROM',
          status: 'NOT_STARTED',
          detail: `no custom MAIL FROM domain is set: run \`hm-infra init --env ${config.environment}\``,
        },
  ];
  const checked = await Promise.all(records.map((record) => lookUp(resolver, record)));
  const outcome = components.some((c) => c.status === 'FAILED')
    ? 'failed'
    : identity.VerifiedForSendingStatus === true && components.every((c) => c.status === 'SUCCESS')
      ? 'verified'
      : 'pending';
  return {
    domain: config.domain,
    verifiedForSending: identity.VerifiedForSendingStatus === true,
    components,
    records: checked,
    outcome,
  };
}
