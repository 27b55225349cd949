import type { AwsContext } from '../aws/context.js';
import { type Config, emailSettings } from '../config/config.js';
import { HmError } from '../errors.js';
import { type DnsRecord, emailDnsRecords } from '../resources/dns/values.js';
import { dkimOutputs, getIdentity } from '../resources/ses/identity.js';
import { MAIL_FROM_BEHAVIOR } from '../resources/ses/mail-from.js';
import type { Authority } from './dns/authority.js';
import { type DiagnoseOptions, type RecordDiagnosis, diagnoseRecords } from './dns/diagnose.js';
import type { DnsServer } from './dns/query.js';

export type VerificationStatus = 'SUCCESS' | 'PENDING' | 'FAILED' | 'TEMPORARY_FAILURE' | 'NOT_STARTED';

export interface ComponentCheck {
  id: 'domain' | 'dkim' | 'mail-from';
  label: string;
  status: VerificationStatus;
  /** Why SES says so, when it says (VerificationInfo.ErrorType, a missing setting), and how long it keeps trying. */
  detail?: string | undefined;
  /** What restarts a verification SES gave up on (FAILED). */
  restart?: string | undefined;
}

/** The DNS side of a check: where the records were looked up, and what each one shows. */
export interface DnsView {
  /** The zone the records live in, as its NS records say. */
  zone: string | undefined;
  nameservers: string[];
  /** Why the zone's nameservers could not be asked (the records were read at the resolver only). */
  problem?: string | undefined;
  /** The DNS host the nameservers belong to, by name. */
  provider?: string | undefined;
}

export interface EmailCheck {
  domain: string;
  verifiedForSending: boolean;
  components: ComponentCheck[];
  records: RecordDiagnosis[];
  dns: DnsView;
  outcome: 'verified' | 'pending' | 'failed';
}

const asStatus = (value: string | undefined): VerificationStatus =>
  value === 'SUCCESS' || value === 'FAILED' || value === 'TEMPORARY_FAILURE' || value === 'NOT_STARTED'
    ? value
    : 'PENDING';

/** SES looks for the records for 72 hours after verification starts, then gives up (FAILED). */
export const SES_WINDOW_MS = 72 * 3600_000;

/** How the DNS records are looked up: the resolver, the zone's nameservers, and how the DNS host's form names things. */
export interface DnsLookups {
  resolver: DnsServer;
  authority: Authority;
  /** The DNS host the nameservers belong to, by name. */
  provider?: string | undefined;
  options?: Omit<DiagnoseOptions, 'region'>;
}

export interface CheckOptions {
  /** When SES started verifying (the identity's creation, as state recorded it): the 72-hour window's start. */
  startedAt?: Date | undefined;
  now?: Date;
}

function hoursLeft(startedAt: Date | undefined, now: Date): string | undefined {
  if (!startedAt) return undefined;
  const left = startedAt.getTime() + SES_WINDOW_MS - now.getTime();
  // A start after now (clocks apart): nothing sensible to say.
  if (left > SES_WINDOW_MS) return undefined;
  if (left <= 0) return "SES's 72-hour window has ended; it reports FAILED soon";
  const total = Math.floor(left / 60_000);
  const hours = Math.floor(total / 60);
  const minutes = total % 60;
  return `SES keeps looking for ${hours > 0 ? `${hours} h ${minutes} min` : `${minutes} min`} more`;
}

/** What SES's state means, and for FAILED, the command that starts it again. */
function explain(
  component: Omit<ComponentCheck, 'detail' | 'restart'> & { reason?: string | undefined },
  config: Config,
  options: CheckOptions,
): ComponentCheck {
  const { reason, ...rest } = component;
  const region = config.region;
  const now = options.now ?? new Date();
  const because = reason ? `${reason}; ` : '';
  switch (component.status) {
    case 'PENDING':
      return {
        ...rest,
        detail: `${because}${hoursLeft(options.startedAt, now) ?? 'SES checks the records for up to 72 hours'}`,
      };
    case 'TEMPORARY_FAILURE':
      return {
        ...rest,
        detail: `${because}SES could not check the records this time (a DNS timeout or a problem on its side); it tries again on its own`,
      };
    case 'FAILED': {
      const { mailFromDomain } = emailSettings(config);
      const restart =
        component.id === 'mail-from'
          ? `aws sesv2 put-email-identity-mail-from-attributes --region ${region} --email-identity ${config.domain} --mail-from-domain ${mailFromDomain} --behavior-on-mx-failure ${MAIL_FROM_BEHAVIOR}`
          : `aws sesv2 put-email-identity-dkim-signing-attributes --region ${region} --email-identity ${config.domain} --signing-attributes-origin AWS_SES`;
      return { ...rest, detail: `${because}SES stopped looking for the records`, restart };
    }
    default:
      return { ...rest, ...(reason ? { detail: reason } : {}) };
  }
}

/**
 * One look at the email setup: what SES says about the identity (domain, DKIM, MAIL FROM) and
 * what DNS shows for each record SES needs, asked at the zone's nameservers and the resolver.
 */
export async function checkEmailSetup(
  aws: AwsContext,
  config: Config,
  dns: DnsLookups,
  options: CheckOptions = {},
): Promise<EmailCheck> {
  const identity = await getIdentity(aws.sesv2(), config.domain);
  if (!identity) {
    throw new HmError('SES_NO_IDENTITY', `SES has no identity for ${config.domain} in ${config.region}`, 'user', {
      hint: `Run \`hm-infra init --env ${config.environment}\` first (it creates the identity), then verify-dns.`,
    });
  }
  const dkim = dkimOutputs(identity.DkimAttributes);
  const records: DnsRecord[] = emailDnsRecords(config, dkim);
  const mailFrom = identity.MailFromAttributes;
  const components: ComponentCheck[] = [
    explain(
      {
        id: 'domain',
        label: 'Domain',
        status: identity.VerifiedForSendingStatus
          ? 'SUCCESS'
          : asStatus(identity.VerificationStatus ?? identity.DkimAttributes?.Status),
        reason: identity.VerificationInfo?.ErrorType,
      },
      config,
      options,
    ),
    explain({ id: 'dkim', label: 'DKIM', status: asStatus(identity.DkimAttributes?.Status) }, config, options),
    mailFrom?.MailFromDomain
      ? explain(
          {
            id: 'mail-from',
            label: `MAIL FROM (${mailFrom.MailFromDomain})`,
            status: asStatus(mailFrom.MailFromDomainStatus),
          },
          config,
          options,
        )
      : {
          id: 'mail-from',
          label: 'MAIL FROM',
          status: 'NOT_STARTED',
          detail: `no custom MAIL FROM domain is set: run \`hm-infra init --env ${config.environment}\``,
        },
  ];
  const checked = await diagnoseRecords(records, dns.resolver, dns.authority, {
    ...dns.options,
    region: config.region,
  });
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
    dns: {
      zone: dns.authority.zone,
      nameservers: dns.authority.nameservers,
      problem: dns.authority.problem,
      provider: dns.provider,
    },
    outcome,
  };
}
