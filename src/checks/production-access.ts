/**
 * The request for SES production access (sesv2:PutAccountDetails), drafted from what the
 * environment really has, read live: the identity (verified, DKIM, MAIL FROM), the
 * configuration set (TLS, suppression list) and its event destinations, with the DMARC policy
 * of the configuration and the alarms, topic, queue and templates the state records. Each
 * fact is kept with whether it holds, so the command can show what is and is not in place;
 * the use-case text states only the facts that hold.
 */
import type {
  EventDestination,
  GetConfigurationSetCommandOutput,
  PutAccountDetailsCommandInput,
} from '@aws-sdk/client-sesv2';
import { SES, STS } from '../aws/sdk.js';
import type { AwsContext } from '../aws/context.js';
import { toHmError } from '../aws/errors.js';
import { emailSettings } from '../config/config.js';
import { unlessNotFound } from '../engine/resource.js';
import { HmError, inputError } from '../errors.js';
import { BOUNCE_RATE_THRESHOLD, COMPLAINT_RATE_THRESHOLD } from '../resources/cloudwatch/alarms.js';
import { configurationSetName } from '../resources/ses/configuration-set.js';
import { type IdentityObserved, getIdentity } from '../resources/ses/identity.js';
import type { State } from '../state/schema.js';
import type { AccountStatus } from './ses-account.js';

export type MailType = 'TRANSACTIONAL' | 'MARKETING';
export type ContactLanguage = 'EN' | 'JA';

/** Limits of PutAccountDetails' input in SES v2's model. */
export const ACCOUNT_DETAILS_LIMITS = {
  websiteUrl: 1000,
  useCase: 5000,
  contactEmails: 4,
  contactEmailLength: { min: 6, max: 254 },
} as const;

export interface ProductionAccessOptions {
  mailType: MailType;
  websiteUrl: string;
  contactLanguage: ContactLanguage;
  additionalContactEmails: string[];
  /** The use case in the user's own words (--use-case-file); without it, one is written from the facts. */
  useCase?: string | undefined;
  /** The account's status as just read (its account-level suppression list counts where the set has none). */
  account?: AccountStatus | undefined;
}

export type FactId =
  | 'domain-verified'
  | 'dkim'
  | 'mail-from'
  | 'dmarc'
  | 'configuration-set'
  | 'suppression'
  | 'bounce-handling'
  | 'metrics'
  | 'alarms'
  | 'templates';

/** One thing AWS's reviewers look for, and whether this environment has it. */
export interface Fact {
  id: FactId;
  ok: boolean;
  /** AWS denies a request without it (a domain not verified): the command refuses unless --force. */
  required: boolean;
  /** What is the case, in one sentence. */
  text: string;
  /** For a fact that does not hold: what to do. */
  fix?: string;
}

/** PutAccountDetails' input as hm-infra sends it: always asking for production access. */
export type ProductionAccessInput = PutAccountDetailsCommandInput & {
  MailType: MailType;
  WebsiteURL: string;
  ContactLanguage: ContactLanguage;
  UseCaseDescription: string;
  ProductionAccessEnabled: true;
};

export interface ProductionAccessDraft {
  region: string;
  input: ProductionAccessInput;
  facts: Fact[];
  /** Facts AWS denies a request without, that do not hold. */
  blockers: Fact[];
  /** The use case was written from the facts (false: it is the file's). */
  useCaseDrafted: boolean;
}

/** What was read live for the draft. */
interface Observed {
  identity: IdentityObserved | undefined;
  set: GetConfigurationSetCommandOutput | undefined;
  destinations: EventDestination[];
}

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const percent = (rate: number) => `${Number((rate * 100).toFixed(4))}%`;

async function observe(aws: AwsContext, domain: string, setName: string): Promise<Observed> {
  const isNotFound = (err: unknown) => err instanceof SES.NotFoundException;
  const [identity, set] = await Promise.all([
    getIdentity(aws.sesv2(), domain),
    unlessNotFound(
      () => aws.sesv2().send(new SES.GetConfigurationSetCommand({ ConfigurationSetName: setName })),
      isNotFound,
      `read SES configuration set ${setName}`,
    ),
  ]);
  const listing = set
    ? await unlessNotFound(
        () => aws.sesv2().send(new SES.GetConfigurationSetEventDestinationsCommand({ ConfigurationSetName: setName })),
        isNotFound,
        `read the event destinations of SES configuration set ${setName}`,
      )
    : undefined;
  return { identity, set, destinations: listing?.EventDestinations ?? [] };
}

const KEY_LENGTHS: Record<string, string> = { RSA_1024_BIT: '1024-bit', RSA_2048_BIT: '2048-bit' };

/** Each fact, read from what was observed and what the state records. */
function factsOf(state: State, observed: Observed, options: ProductionAccessOptions): Fact[] {
  const env = state.environment;
  const config = state.config;
  const out = (id: string) => state.resources[id]?.outputs ?? {};
  const domain = text(out('email-identity')['domain']) ?? config.domain;
  const { mailFromDomain, dmarcPolicy } = emailSettings(config);
  const setName = text(out('email-config-set')['name']) ?? configurationSetName(config);
  const { identity, set, destinations } = observed;
  const facts: Fact[] = [];

  const sesStatus = identity?.VerificationStatus ?? identity?.DkimAttributes?.Status ?? 'PENDING';
  facts.push(
    identity === undefined
      ? {
          id: 'domain-verified',
          ok: false,
          required: true,
          text: `SES has no identity for ${domain}`,
          fix: `Run \`hm-infra init --env ${env}\` to create it.`,
        }
      : identity.VerifiedForSendingStatus === true
        ? { id: 'domain-verified', ok: true, required: true, text: `${domain} is verified in SES for sending` }
        : {
            id: 'domain-verified',
            ok: false,
            required: true,
            text: `${domain} is not verified for sending yet (SES: ${sesStatus})`,
            fix: `Publish the DNS records and let SES verify the domain: \`hm-infra verify-dns --env ${env}\` shows what is missing. AWS denies requests for unverified domains.`,
          },
  );

  const dkim = identity?.DkimAttributes;
  const keyLength = KEY_LENGTHS[dkim?.CurrentSigningKeyLength ?? dkim?.NextSigningKeyLength ?? ''] ?? '';
  const dkimOk = dkim?.Status === 'SUCCESS' && dkim.SigningEnabled === true;
  facts.push({
    id: 'dkim',
    ok: dkimOk,
    required: false,
    text: dkimOk
      ? `DKIM signs every message (${dkim?.SigningAttributesOrigin === 'EXTERNAL' ? 'your own key' : 'Easy DKIM'}${keyLength ? `, ${keyLength}` : ''})`
      : dkim?.SigningEnabled === false
        ? 'DKIM signing is turned off for the identity'
        : `DKIM is not verified yet (SES: ${dkim?.Status ?? 'NOT_STARTED'})`,
    ...(dkimOk ? {} : { fix: `\`hm-infra verify-dns --env ${env}\` shows the DKIM records SES is waiting for.` }),
  });

  const mailFrom = identity?.MailFromAttributes;
  const mailFromOk = mailFrom?.MailFromDomainStatus === 'SUCCESS';
  facts.push({
    id: 'mail-from',
    ok: mailFromOk,
    required: false,
    text: mailFromOk
      ? `custom MAIL FROM domain ${mailFrom?.MailFromDomain ?? mailFromDomain} is verified (SPF passes for ${domain})`
      : mailFrom?.MailFromDomain
        ? `MAIL FROM domain ${mailFrom.MailFromDomain} is not verified yet (SES: ${mailFrom.MailFromDomainStatus ?? 'PENDING'})`
        : 'no custom MAIL FROM domain is set',
    ...(mailFromOk ? {} : { fix: `\`hm-infra verify-dns --env ${env}\` shows the MX and SPF records of it.` }),
  });

  const dns = out('dns-records');
  const dmarcWritten =
    dns['mode'] === 'route53' &&
    Array.isArray(dns['records']) &&
    (dns['records'] as Array<{ purpose?: unknown }>).some((r) => r.purpose === 'dmarc');
  const enforced = dmarcPolicy !== 'none';
  facts.push({
    id: 'dmarc',
    ok: enforced && dmarcWritten,
    required: false,
    text: !enforced
      ? `DMARC policy is p=none (monitoring only) at _dmarc.${domain}`
      : dmarcWritten
        ? `DMARC policy p=${dmarcPolicy} at _dmarc.${domain} (written to Route 53)`
        : `DMARC policy p=${dmarcPolicy} at _dmarc.${domain} is for your DNS host to publish; hm-infra did not write it`,
    ...(!enforced
      ? { fix: `Re-run \`hm-infra init --env ${env} --dmarc-policy quarantine\` to enforce it.` }
      : dmarcWritten
        ? {}
        : { fix: `Publish it at your DNS host; \`hm-infra verify-dns --env ${env}\` shows whether it resolves.` }),
  });

  const tls = set?.DeliveryOptions?.TlsPolicy === 'REQUIRE';
  const setOk = set !== undefined && identity?.ConfigurationSetName === setName;
  facts.push({
    id: 'configuration-set',
    ok: setOk,
    required: false,
    text: setOk
      ? `every email goes through configuration set ${setName} (the identity's default${tls ? '; TLS required' : ''})`
      : set === undefined
        ? `SES has no configuration set ${setName}`
        : `configuration set ${setName} is not the identity's default`,
    ...(setOk ? {} : { fix: `Run \`hm-infra init --env ${env}\` to put it back.` }),
  });

  const has = (reasons: readonly string[] | undefined) =>
    reasons !== undefined && reasons.includes('BOUNCE') && reasons.includes('COMPLAINT');
  const setReasons = set?.SuppressionOptions?.SuppressedReasons;
  const accountReasons = options.account?.suppressedReasons;
  const suppressed = has(setReasons) ? 'set' : setReasons === undefined && has(accountReasons) ? 'account' : undefined;
  facts.push({
    id: 'suppression',
    ok: suppressed !== undefined,
    required: false,
    text:
      suppressed === 'set'
        ? `addresses that bounce or complain are suppressed (the configuration set's suppression list: BOUNCE, COMPLAINT)`
        : suppressed === 'account'
          ? `addresses that bounce or complain are suppressed (the account's suppression list: BOUNCE, COMPLAINT)`
          : 'no suppression list covers both bounces and complaints',
    ...(suppressed
      ? {}
      : { fix: `Run \`hm-infra init --env ${env}\` with email events on (without --no-email-events).` }),
  });

  const matching = (d: EventDestination) =>
    d.Enabled === true && d.MatchingEventTypes?.includes('BOUNCE') && d.MatchingEventTypes.includes('COMPLAINT');
  const toEvents = destinations.find((d) => matching(d) && d.EventBridgeDestination !== undefined);
  const toSns = destinations.find((d) => matching(d) && d.SnsDestination !== undefined);
  const queue = text(out('email-events-queue')['name']);
  facts.push({
    id: 'bounce-handling',
    ok: toEvents !== undefined || toSns !== undefined,
    required: false,
    text: toEvents
      ? `bounces and complaints are published to EventBridge${queue ? ` and delivered to SQS queue ${queue}, which the app reads` : ''}`
      : toSns
        ? `bounces and complaints are published to SNS topic ${toSns.SnsDestination?.TopicArn ?? ''}`
        : 'no event destination receives bounces and complaints',
    ...(toEvents || toSns
      ? {}
      : { fix: `Run \`hm-infra init --env ${env}\` with email events on (without --no-email-events).` }),
  });

  const metrics = destinations.some((d) => matching(d) && d.CloudWatchDestination !== undefined);
  facts.push({
    id: 'metrics',
    ok: metrics,
    required: false,
    text: metrics
      ? 'bounce and complaint counts are published to CloudWatch'
      : 'no bounce and complaint counts go to CloudWatch',
    ...(metrics ? {} : { fix: `Run \`hm-infra init --env ${env}\` with email events on.` }),
  });

  const topic = text(out('alerts-topic')['name']);
  const alarms = ['alarm-bounce-rate', 'alarm-complaint-rate'].every((id) => state.resources[id] !== undefined);
  facts.push({
    id: 'alarms',
    ok: alarms && topic !== undefined,
    required: false,
    text:
      alarms && topic !== undefined
        ? `CloudWatch alarms on the bounce rate (at ${percent(BOUNCE_RATE_THRESHOLD)}) and the complaint rate (at ${percent(COMPLAINT_RATE_THRESHOLD)}) notify SNS topic ${topic}`
        : 'no alarms on the bounce and complaint rates',
    ...(alarms && topic !== undefined ? {} : { fix: `Run \`hm-infra init --env ${env}\` with email events on.` }),
  });

  const templates = ['template-email-verification', 'template-password-reset'].filter(
    (id) => state.resources[id] !== undefined,
  );
  facts.push({
    id: 'templates',
    ok: templates.length === 2,
    required: false,
    text:
      templates.length === 2
        ? 'SES templates for account verification and password reset'
        : 'the SES templates for account verification and password reset are not both in place',
    ...(templates.length === 2 ? {} : { fix: `Run \`hm-infra init --env ${env}\`.` }),
  });
  return facts;
}

/** The use case in plain words: what the app sends and to whom (the PRD), then only the facts that hold. */
function useCaseText(state: State, facts: Fact[], observed: Observed): string {
  const { fromEmail, productName, mailFromDomain, dmarcPolicy } = emailSettings(state.config);
  const holds = (id: FactId) => facts.find((f) => f.id === id)?.ok === true;
  const out = (id: string) => state.resources[id]?.outputs ?? {};
  const domain = text(out('email-identity')['domain']) ?? state.config.domain;
  const setName = text(out('email-config-set')['name']) ?? configurationSetName(state.config);
  const queue = text(out('email-events-queue')['name']);
  const topic = text(out('alerts-topic')['name']);
  const mailFrom = observed.identity?.MailFromAttributes?.MailFromDomain ?? mailFromDomain;
  const paragraphs = [
    `${productName} is a web application. It sends transactional email only, from ${fromEmail}: ` +
      'an account verification message when a user signs up, and a password reset message when a user asks for one. ' +
      'Recipients are the application’s own users, at the address they entered to sign up or to reset their password. ' +
      'It sends no marketing email.',
  ];
  const setup: string[] = [];
  if (holds('domain-verified')) {
    const signing = holds('dkim') ? ', with DKIM signing every message' : '';
    const bounceDomain = holds('mail-from') ? ` and a custom MAIL FROM domain (${mailFrom})` : '';
    setup.push(`The sending domain ${domain} is verified in Amazon SES${signing}${bounceDomain}.`);
  }
  if (holds('dmarc')) setup.push(`The domain publishes a DMARC policy of p=${dmarcPolicy}.`);
  if (holds('configuration-set')) {
    const tls = observed.set?.DeliveryOptions?.TlsPolicy === 'REQUIRE' ? ', which requires TLS' : '';
    setup.push(`All email is sent through the SES configuration set ${setName}${tls}.`);
  }
  if (holds('bounce-handling'))
    setup.push(
      queue
        ? `Bounces and complaints are published to Amazon EventBridge and delivered to an SQS queue (${queue}) that the application reads them from.`
        : 'Bounces and complaints are published as SES events for the application to process.',
    );
  if (holds('suppression'))
    setup.push('Addresses that bounce or complain are put on the SES suppression list and are not sent to again.');
  if (holds('metrics') && holds('alarms'))
    setup.push(
      `Bounce and complaint counts go to CloudWatch, and CloudWatch alarms on the bounce rate (at ${percent(BOUNCE_RATE_THRESHOLD)}) and the complaint rate (at ${percent(COMPLAINT_RATE_THRESHOLD)}) notify the team through the SNS topic ${topic ?? ''}.`,
    );
  else if (holds('alarms'))
    setup.push(
      `CloudWatch alarms on the bounce rate (at ${percent(BOUNCE_RATE_THRESHOLD)}) and the complaint rate (at ${percent(COMPLAINT_RATE_THRESHOLD)}) notify the team through the SNS topic ${topic ?? ''}.`,
    );
  if (setup.length > 0) paragraphs.push(setup.join(' '));
  return paragraphs.join('\n\n');
}

/**
 * The credentials must be for the account the state belongs to: a request for production
 * access is made for the account of the credentials, and should be for the environment's.
 */
export async function checkStateAccount(aws: AwsContext, state: State): Promise<void> {
  if (state.accountId === null) return;
  let accountId: string | undefined;
  try {
    accountId = (await aws.sts().send(new STS.GetCallerIdentityCommand({}))).Account;
  } catch (err) {
    throw toHmError(err, 'identify your AWS account (sts:GetCallerIdentity)');
  }
  if (accountId !== undefined && accountId !== state.accountId) {
    throw new HmError(
      'ACCOUNT_MISMATCH',
      `this environment's state belongs to AWS account ${state.accountId}, but your credentials are for account ${accountId}`,
      'user',
      {
        hint: 'Use the profile of the right account (--profile): production access is requested for the account of the credentials.',
      },
    );
  }
}

/**
 * Drafts the PutAccountDetails request for the environment's account and region from what
 * it really has: reads the identity, the configuration set and its event destinations, and
 * lists each fact with whether it holds. Nothing is written.
 */
export async function draftProductionAccessRequest(
  aws: AwsContext,
  state: State,
  options: ProductionAccessOptions,
): Promise<ProductionAccessDraft> {
  if (options.mailType === 'MARKETING' && options.useCase === undefined)
    throw inputError(
      'the use case hm-infra drafts describes transactional email (account verification and password reset), not marketing',
      'Describe the marketing email you send, to whom and how they signed up, in a file and pass --use-case-file <path>.',
    );
  const out = (id: string) => state.resources[id]?.outputs ?? {};
  const domain = text(out('email-identity')['domain']) ?? state.config.domain;
  const setName = text(out('email-config-set')['name']) ?? configurationSetName(state.config);
  const observed = await observe(aws, domain, setName);
  const facts = factsOf(state, observed, options);
  const useCase = options.useCase ?? useCaseText(state, facts, observed);
  return {
    region: state.region,
    input: {
      MailType: options.mailType,
      WebsiteURL: options.websiteUrl,
      ContactLanguage: options.contactLanguage,
      UseCaseDescription: useCase,
      ...(options.additionalContactEmails.length > 0
        ? { AdditionalContactEmailAddresses: [...options.additionalContactEmails] }
        : {}),
      ProductionAccessEnabled: true,
    },
    facts,
    blockers: facts.filter((f) => f.required && !f.ok),
    useCaseDrafted: options.useCase === undefined,
  };
}

/**
 * Sends the request. `under-review`: SES answered ConflictException, which its API reference
 * gives when a request is already under review (made meanwhile, elsewhere); nothing was sent.
 */
export async function submitProductionAccessRequest(
  aws: AwsContext,
  input: ProductionAccessInput,
): Promise<'submitted' | 'under-review'> {
  try {
    await aws.sesv2().send(new SES.PutAccountDetailsCommand(input));
    return 'submitted';
  } catch (err) {
    if (err instanceof SES.ConflictException) return 'under-review';
    if (err instanceof SES.BadRequestException)
      throw new HmError('AWS_ERROR', `SES refused the production-access request: ${err.message}`, 'aws', {
        cause: err,
        hint: 'Nothing was submitted. Check --website (your site, as AWS can open it), --contact-email and --use-case-file, then re-run.',
      });
    throw toHmError(err, 'request SES production access (sesv2:PutAccountDetails)');
  }
}
