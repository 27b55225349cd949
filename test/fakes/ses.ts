/**
 * SES (API v2) of the fake account, per region, to AWS's documented behaviour: names are
 * unique (AlreadyExistsException), missing things are NotFoundException, a new domain identity
 * gets three Easy DKIM tokens and stays PENDING until a test verifies it.
 *
 * Configuration sets carry suppression options and event destinations (at most 10; exactly one
 * destination each; an EventBridge destination only on the region's default bus, else
 * BadRequestException). A message sent through a set (named in SendEmail, or the sending
 * identity's default set) produces the events SES's mailbox simulator documents —
 * `bounce@simulator.amazonses.com` a permanent bounce, `complaint@…` a delivery then a
 * complaint, `suppressionlist@…` a bounce as if on the suppression list, `success@…` and any
 * other address a delivery, every message a send first — and each event whose type an enabled
 * destination matches is recorded in `events`; those for an EventBridge destination are handed,
 * in EventBridge's event shape, to `onEvent(region, event)` before SendEmail answers (a promise
 * it returns is awaited; its failure is kept in `eventFailures`, never SendEmail's).
 *
 * The account (GetAccount) starts in the sandbox (200 a day, 1 a second). PutAccountDetails is
 * checked as SES v2's model (botocore's service-2.json, 2019-09-27) defines its input: MailType
 * MARKETING | TRANSACTIONAL and WebsiteURL (1–1000 characters) required, ContactLanguage EN | JA,
 * UseCaseDescription at most 5000 characters (optional, deprecated in the model),
 * AdditionalContactEmailAddresses 1–4 addresses of 6–254 characters matching `^(.+)@(.+)$`; a
 * value outside them is BadRequestException (how SES v2 answers a constraint violation). With
 * ProductionAccessEnabled true it stores the details and opens a review: ReviewDetails
 * `{Status: 'PENDING', CaseId}`; while a review is PENDING another call is ConflictException
 * (409, "If there is already an ongoing account details update under review"). A test decides
 * the review with `decideReview(region, 'GRANTED' | 'DENIED' | 'FAILED')`; GRANTED turns on
 * production access with a production quota unless told to leave it off (AWS's delay).
 */
import { ConflictException } from '@aws-sdk/client-sesv2';
import { type Caller, type Handler, awsError } from './errors.js';

type Tag = { Key: string; Value: string };
type Status = 'PENDING' | 'SUCCESS' | 'FAILED' | 'TEMPORARY_FAILURE' | 'NOT_STARTED';

export interface FakeIdentity {
  domain: string;
  tokens: string[];
  signingHostedZone: string;
  dkimStatus: Status;
  verificationStatus: Status;
  verifiedForSending: boolean;
  signingEnabled: boolean;
  origin: 'AWS_SES' | 'EXTERNAL';
  nextKeyLength: string;
  /** When SES made the identity's current DKIM key (epoch seconds on the wire). */
  keyGeneratedAt: Date;
  configurationSetName?: string | undefined;
  tags: Tag[];
  mailFrom?: { domain: string; behavior: string; status: Status } | undefined;
}

export type SesEventType =
  | 'SEND'
  | 'REJECT'
  | 'BOUNCE'
  | 'COMPLAINT'
  | 'DELIVERY'
  | 'OPEN'
  | 'CLICK'
  | 'RENDERING_FAILURE'
  | 'DELIVERY_DELAY'
  | 'SUBSCRIPTION';

/** Each event type's detail-type on EventBridge and its detail.eventType. */
export const SES_EVENT_TYPES: Record<SesEventType, { detailType: string; eventType: string }> = {
  SEND: { detailType: 'Email Sent', eventType: 'Send' },
  REJECT: { detailType: 'Email Rejected', eventType: 'Reject' },
  BOUNCE: { detailType: 'Email Bounced', eventType: 'Bounce' },
  COMPLAINT: { detailType: 'Email Complaint Received', eventType: 'Complaint' },
  DELIVERY: { detailType: 'Email Delivered', eventType: 'Delivery' },
  OPEN: { detailType: 'Email Opened', eventType: 'Open' },
  CLICK: { detailType: 'Email Clicked', eventType: 'Click' },
  RENDERING_FAILURE: { detailType: 'Email Rendering Failed', eventType: 'Rendering Failure' },
  DELIVERY_DELAY: { detailType: 'Email Delivery Delayed', eventType: 'DeliveryDelay' },
  SUBSCRIPTION: { detailType: 'Email Subscribed', eventType: 'Subscription' },
};

/** An event destination as SES v2 keeps it (the definition's members, as sent). */
export interface FakeEventDestination {
  Name: string;
  Enabled: boolean;
  MatchingEventTypes: SesEventType[];
  KinesisFirehoseDestination?: unknown;
  CloudWatchDestination?: unknown;
  SnsDestination?: { TopicArn: string } | undefined;
  EventBridgeDestination?: { EventBusArn: string } | undefined;
  PinpointDestination?: unknown;
}

export interface FakeConfigSet {
  name: string;
  tlsPolicy?: string | undefined;
  reputationMetrics: boolean;
  sendingEnabled: boolean;
  /** The set's own suppression list reasons (SuppressionOptions); undefined: the account's apply. */
  suppressedReasons?: string[] | undefined;
  eventDestinations: FakeEventDestination[];
  tags: Tag[];
}

/** An SES event as EventBridge delivers it (the whole event: the target gets this as JSON). */
export interface SesEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: 'aws.ses';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: {
    eventType: string;
    mail: Record<string, unknown>;
    [key: string]: unknown;
  };
}

/** An event SES published to one destination. */
export interface PublishedEvent {
  region: string;
  configurationSet: string;
  destination: string;
  type: SesEventType;
  event: SesEvent;
}

export type FakeReviewStatus = 'PENDING' | 'FAILED' | 'GRANTED' | 'DENIED';

/** AccountDetails as GetAccount returns them: what PutAccountDetails stored, and the review of it. */
export interface FakeAccountDetails {
  MailType: string;
  WebsiteURL: string;
  ContactLanguage?: string | undefined;
  UseCaseDescription?: string | undefined;
  AdditionalContactEmailAddresses?: string[] | undefined;
  ReviewDetails?: { Status: FakeReviewStatus; CaseId: string } | undefined;
}

export interface FakeSesAccount {
  productionAccess: boolean;
  sendingEnabled: boolean;
  enforcementStatus: string;
  max24HourSend: number;
  maxSendRate: number;
  sentLast24Hours: number;
  details?: FakeAccountDetails | undefined;
}

/** The quota a granted request gets here (AWS sets it per account; 50,000 a day and 14 a second are common first values). */
export const PRODUCTION_QUOTA = { max24HourSend: 50_000, maxSendRate: 14 } as const;

interface RegionState {
  identities: Map<string, FakeIdentity>;
  configSets: Map<string, FakeConfigSet>;
  templates: Map<string, { Subject: string; Html: string; Text: string }>;
  account: FakeSesAccount;
}

const clone = <T>(v: T): T => structuredClone(v);
const notFound = (what: string) => awsError('sesv2', 'NotFoundException', `${what} does not exist.`);
/** SuppressionOptions' reasons, as SES checks them (BOUNCE, COMPLAINT). */
function suppressedReasonsOf(options: { SuppressedReasons?: string[] | undefined }): string[] {
  const reasons = options.SuppressedReasons ?? [];
  const wrong = reasons.find((r) => r !== 'BOUNCE' && r !== 'COMPLAINT');
  if (wrong !== undefined)
    throw awsError('sesv2', 'BadRequestException', `Invalid suppression reason ${wrong}: use BOUNCE or COMPLAINT.`);
  return [...reasons];
}

/** An email SES accepted. */
export interface SentEmail {
  messageId: string;
  region: string;
  from: string;
  to: string[];
  configurationSet?: string | undefined;
  template?: string | undefined;
  templateData?: unknown;
}

/** SES's mailbox simulator: accepted in the sandbox without verifying them. */
const SIMULATOR = /@simulator\.amazonses\.com$/i;
const addressOf = (from: string) => (/<([^>]+)>/.exec(from)?.[1] ?? from).trim();

const EVENT_TYPES = Object.keys(SES_EVENT_TYPES) as SesEventType[];
const DESTINATION_KINDS = [
  'KinesisFirehoseDestination',
  'CloudWatchDestination',
  'SnsDestination',
  'EventBridgeDestination',
  'PinpointDestination',
] as const;
const MAX_DESTINATIONS = 10;
const badRequest = (message: string) => awsError('sesv2', 'BadRequestException', message);

/** PutAccountDetails while a review is under way: the SDK's ConflictException, with AWS's status for it (409). */
const reviewConflict = () =>
  new ConflictException({
    message: 'There is already an ongoing account details update under review.',
    $metadata: { httpStatusCode: 409, requestId: 'fake-request', attempts: 1, totalRetryDelay: 0 },
  });

/** One member outside its constraint, in the words of SES v2's (Coral's) validation. */
const invalid = (member: string, value: unknown, constraint: string) =>
  badRequest(
    `1 validation error detected: Value ${JSON.stringify(value)} at '${member}' failed to satisfy constraint: ${constraint}`,
  );

/** PutAccountDetails' input checked against the SES v2 model's constraints (see the file's comment). */
function accountDetailsOf(input: Record<string, unknown>): Omit<FakeAccountDetails, 'ReviewDetails'> {
  const { MailType, WebsiteURL, ContactLanguage, UseCaseDescription, AdditionalContactEmailAddresses } = input;
  if (MailType === undefined || MailType === null) throw invalid('mailType', null, 'Member must not be null');
  if (MailType !== 'MARKETING' && MailType !== 'TRANSACTIONAL')
    throw invalid('mailType', MailType, 'Member must satisfy enum value set: [MARKETING, TRANSACTIONAL]');
  if (WebsiteURL === undefined || WebsiteURL === null) throw invalid('websiteURL', null, 'Member must not be null');
  if (typeof WebsiteURL !== 'string' || WebsiteURL.length < 1 || WebsiteURL.length > 1000)
    throw invalid('websiteURL', WebsiteURL, 'Member must have length between 1 and 1000');
  if (ContactLanguage !== undefined && ContactLanguage !== 'EN' && ContactLanguage !== 'JA')
    throw invalid('contactLanguage', ContactLanguage, 'Member must satisfy enum value set: [EN, JA]');
  if (UseCaseDescription !== undefined && (typeof UseCaseDescription !== 'string' || UseCaseDescription.length > 5000))
    throw invalid('useCaseDescription', '***', 'Member must have length less than or equal to 5000');
  const emails = AdditionalContactEmailAddresses as unknown[] | undefined;
  if (emails !== undefined) {
    if (!Array.isArray(emails) || emails.length < 1 || emails.length > 4)
      throw invalid('additionalContactEmailAddresses', '***', 'Member must have length between 1 and 4');
    for (const email of emails)
      if (typeof email !== 'string' || email.length < 6 || email.length > 254 || !/^(.+)@(.+)$/.test(email))
        throw invalid(
          'additionalContactEmailAddresses.member',
          '***',
          'Member must have length between 6 and 254, Member must satisfy regular expression pattern: ^(.+)@(.+)$',
        );
  }
  return {
    MailType,
    WebsiteURL,
    ...(ContactLanguage !== undefined ? { ContactLanguage: ContactLanguage as string } : {}),
    ...(UseCaseDescription !== undefined ? { UseCaseDescription: UseCaseDescription as string } : {}),
    ...(emails !== undefined ? { AdditionalContactEmailAddresses: [...(emails as string[])] } : {}),
  };
}

/** What the mailbox simulator makes of a message to an address (any other address: delivered). */
function outcomes(address: string): Array<'DELIVERY' | 'BOUNCE' | 'SUPPRESSED' | 'COMPLAINT'> {
  const local = address.toLowerCase().split('@')[0] ?? '';
  if (!SIMULATOR.test(address)) return ['DELIVERY'];
  if (local.startsWith('bounce')) return ['BOUNCE'];
  if (local.startsWith('complaint')) return ['DELIVERY', 'COMPLAINT'];
  if (local.startsWith('suppressionlist')) return ['SUPPRESSED'];
  return ['DELIVERY'];
}

export class FakeSes {
  private readonly regions = new Map<string, RegionState>();
  readonly sent: SentEmail[] = [];
  /** Every event SES published to a destination, in order. */
  readonly events: PublishedEvent[] = [];
  /** What `onEvent` threw or rejected with (SES sends on; the message is not refused). */
  readonly eventFailures: unknown[] = [];
  /**
   * Receives each event for an EventBridge destination, as EventBridge's event (SES publishes to
   * the region's default bus). FakeAccount delivers it to its FakeEventBridge; the e2e harness
   * forwards it where it needs it.
   */
  onEvent: ((region: string, event: SesEvent) => void | Promise<void>) | undefined;
  /** The IAM user (or role) name a caller signs as, for the `ses:caller-identity` tag. */
  callerName: (caller: Caller) => string = () => 'admin';
  /** The clock of events and their timestamps (ms). */
  now: () => number = () => Date.now();
  private counter = 0;
  private eventCounter = 0;
  private caseCounter = 0;

  constructor(private readonly accountId: () => string = () => '123456789012') {}

  region(name: string): RegionState {
    let state = this.regions.get(name);
    if (!state) {
      state = {
        identities: new Map(),
        configSets: new Map(),
        templates: new Map(),
        account: {
          productionAccess: false,
          sendingEnabled: true,
          enforcementStatus: 'HEALTHY',
          max24HourSend: 200,
          maxSendRate: 1,
          sentLast24Hours: 0,
        },
      };
      this.regions.set(name, state);
    }
    return state;
  }

  identity(region: string, domain: string): FakeIdentity | undefined {
    return this.region(region).identities.get(domain);
  }

  /** What SES concludes once it finds the DNS records (or gives up). */
  setStatus(region: string, domain: string, status: { dkim?: Status; mailFrom?: Status }): void {
    const identity = this.identity(region, domain);
    if (!identity) throw new Error(`no identity ${domain} in ${region}`);
    if (status.dkim) {
      identity.dkimStatus = status.dkim;
      identity.verificationStatus = status.dkim;
      identity.verifiedForSending = status.dkim === 'SUCCESS';
    }
    if (status.mailFrom && identity.mailFrom) identity.mailFrom.status = status.mailFrom;
  }

  /**
   * AWS's answer to the production-access request under review in the region: GRANTED turns on
   * production access with PRODUCTION_QUOTA (unless `productionAccess: false`, the moment before
   * AWS applies it); DENIED and FAILED leave the account in the sandbox.
   */
  decideReview(
    region: string,
    status: Exclude<FakeReviewStatus, 'PENDING'>,
    options: { productionAccess?: boolean } = {},
  ): void {
    const account = this.region(region).account;
    const review = account.details?.ReviewDetails;
    if (!review) throw new Error(`no production-access request in ${region} to decide`);
    review.Status = status;
    if (status === 'GRANTED' && options.productionAccess !== false) {
      account.productionAccess = true;
      account.max24HourSend = PRODUCTION_QUOTA.max24HourSend;
      account.maxSendRate = PRODUCTION_QUOTA.maxSendRate;
    }
  }

  snapshot(): unknown {
    // A region SES holds nothing in looks the same as one it was never used in.
    const regions = [...this.regions.entries()]
      .filter(([, r]) => r.identities.size + r.configSets.size + r.templates.size > 0)
      .sort(([a], [b]) => a.localeCompare(b));
    return clone(
      regions.map(([name, r]) => ({
        region: name,
        // When a key was made is the clock's, not the account's content.
        identities: [...r.identities.values()]
          .map(({ keyGeneratedAt: _made, ...identity }) => identity)
          .sort((a, b) => a.domain.localeCompare(b.domain)),
        configSets: [...r.configSets.values()].sort((a, b) => a.name.localeCompare(b.name)),
        templates: [...r.templates.entries()].sort(([a], [b]) => a.localeCompare(b)),
      })),
    );
  }

  private token(): string {
    this.counter += 1;
    return `tok${String(this.counter).padStart(4, '0')}${'x'.repeat(25)}`;
  }

  private getIdentity(region: string, domain: unknown): FakeIdentity {
    const identity = this.region(region).identities.get(String(domain));
    if (!identity) throw notFound(`Email identity ${String(domain)}`);
    return identity;
  }

  /** The events a message sent now produces, for each destination of the set that matches them. */
  private publish(
    region: string,
    setName: string,
    message: {
      messageId: string;
      from: string;
      fromHeader: string;
      to: string[];
      subject: string;
      tags: Record<string, string[]>;
    },
  ): SesEvent[] {
    const set = this.region(region).configSets.get(setName);
    const destinations = (set?.eventDestinations ?? []).filter((d) => d.Enabled);
    if (destinations.length === 0) return [];
    const account = this.accountId();
    const sentAt = this.now();
    const iso = (ms: number) => new Date(ms).toISOString();
    const domain = message.from.split('@')[1] ?? '';
    const mail = {
      timestamp: iso(sentAt),
      source: message.from,
      sourceArn: `arn:aws:ses:${region}:${account}:identity/${domain}`,
      sendingAccountId: account,
      messageId: message.messageId,
      destination: message.to,
      headersTruncated: false,
      commonHeaders: {
        from: [message.fromHeader],
        to: message.to,
        messageId: message.messageId,
        subject: message.subject,
      },
      tags: message.tags,
    };
    const feedbackId = (n: number) => `${message.messageId}-feedback-${n}`;
    // What happens, in order: the send, then each recipient's outcome a second later.
    const happenings: Array<{ type: SesEventType; at: number; detail: Record<string, unknown> }> = [
      { type: 'SEND', at: sentAt, detail: { send: {} } },
    ];
    message.to.forEach((address, i) => {
      const at = sentAt + 1000;
      for (const outcome of outcomes(address)) {
        if (outcome === 'DELIVERY')
          happenings.push({
            type: 'DELIVERY',
            at,
            detail: {
              delivery: {
                timestamp: iso(at),
                processingTimeMillis: 1000,
                recipients: [address],
                smtpResponse: '250 2.6.0 Message received',
                reportingMTA: 'a8-12.smtp-out.amazonses.com',
                remoteMtaIp: '198.51.100.25',
              },
            },
          });
        else if (outcome === 'BOUNCE' || outcome === 'SUPPRESSED')
          happenings.push({
            type: 'BOUNCE',
            at,
            detail: {
              bounce: {
                feedbackId: feedbackId(i),
                bounceType: 'Permanent',
                bounceSubType: outcome === 'BOUNCE' ? 'General' : 'OnAccountSuppressionList',
                bouncedRecipients: [
                  outcome === 'BOUNCE'
                    ? {
                        emailAddress: address,
                        action: 'failed',
                        status: '5.1.1',
                        diagnosticCode: 'smtp; 550 5.1.1 user unknown',
                      }
                    : {
                        emailAddress: address,
                        action: 'failed',
                        status: '5.1.1',
                        diagnosticCode:
                          'Amazon SES has suppressed sending to this address because it has a recent history of bouncing as an invalid address.',
                      },
                ],
                timestamp: iso(at),
                ...(outcome === 'BOUNCE' ? { reportingMTA: 'dns; amazonses.com' } : {}),
              },
            },
          });
        else
          happenings.push({
            type: 'COMPLAINT',
            at: at + 1000,
            detail: {
              complaint: {
                feedbackId: feedbackId(i),
                complaintSubType: null,
                complainedRecipients: [{ emailAddress: address }],
                timestamp: iso(at + 1000),
                userAgent: 'Amazon SES Mailbox Simulator',
                complaintFeedbackType: 'abuse',
                arrivalDate: iso(at + 1000),
              },
            },
          });
      }
    });
    const forEventBridge: SesEvent[] = [];
    for (const h of happenings) {
      const { detailType, eventType } = SES_EVENT_TYPES[h.type];
      this.eventCounter += 1;
      const event: SesEvent = {
        version: '0',
        id: `5e5e0000-0000-4000-8000-${this.eventCounter.toString(16).padStart(12, '0')}`,
        'detail-type': detailType,
        source: 'aws.ses',
        account,
        time: iso(h.at).replace(/\.\d{3}Z$/, 'Z'),
        region,
        resources: [`arn:aws:ses:${region}:${account}:configuration-set/${setName}`],
        detail: { eventType, mail: clone(mail), ...clone(h.detail) },
      };
      for (const d of destinations) {
        if (!d.MatchingEventTypes.includes(h.type)) continue;
        this.events.push({ region, configurationSet: setName, destination: d.Name, type: h.type, event: clone(event) });
        if (d.EventBridgeDestination) forEventBridge.push(clone(event));
      }
    }
    return forEventBridge;
  }

  /** A destination definition as SES checks it: one destination, known event types, EventBridge's default bus only. */
  private destination(region: string, name: string, definition: unknown): FakeEventDestination {
    const d = (definition ?? {}) as Record<string, unknown>;
    const types = (d['MatchingEventTypes'] as string[] | undefined) ?? [];
    if (types.length === 0) throw badRequest('MatchingEventTypes must contain at least one event type.');
    const unknown = types.find((t) => !(EVENT_TYPES as string[]).includes(t));
    if (unknown !== undefined) throw badRequest(`Invalid event type ${unknown}.`);
    const kinds = DESTINATION_KINDS.filter((k) => d[k] !== undefined);
    if (kinds.length !== 1)
      throw badRequest(
        'An event destination must have one, and only one, destination: CloudWatch, Kinesis Firehose, SNS, EventBridge or Pinpoint.',
      );
    const bus = (d['EventBridgeDestination'] as { EventBusArn?: string } | undefined)?.EventBusArn;
    if (
      kinds[0] === 'EventBridgeDestination' &&
      bus !== `arn:aws:events:${region}:${this.accountId()}:event-bus/default`
    )
      throw badRequest(`Invalid EventBusArn ${String(bus)}. Only the default event bus of the region is supported.`);
    const cloudWatch = d['CloudWatchDestination'] as
      { DimensionConfigurations?: Array<Record<string, unknown>> } | undefined;
    if (cloudWatch) {
      const dimensions = cloudWatch.DimensionConfigurations ?? [];
      if (dimensions.length === 0) throw badRequest('DimensionConfigurations must contain at least one dimension.');
      for (const dim of dimensions) {
        if (!['MESSAGE_TAG', 'EMAIL_HEADER', 'LINK_TAG'].includes(String(dim['DimensionValueSource'])))
          throw badRequest(`Invalid DimensionValueSource ${String(dim['DimensionValueSource'])}.`);
        if (typeof dim['DimensionName'] !== 'string' || typeof dim['DefaultDimensionValue'] !== 'string')
          throw badRequest('A dimension needs DimensionName and DefaultDimensionValue.');
      }
    }
    const sns = d['SnsDestination'] as { TopicArn?: string } | undefined;
    if (sns && typeof sns.TopicArn !== 'string') throw badRequest('SnsDestination needs a TopicArn.');
    return {
      Name: name,
      Enabled: d['Enabled'] === true,
      MatchingEventTypes: [...types] as SesEventType[],
      [kinds[0] as string]: clone(d[kinds[0] as string]),
    };
  }

  private getDestination(region: string, input: Record<string, unknown>): FakeEventDestination {
    const set = this.getSet(region, input['ConfigurationSetName']);
    const name = String(input['EventDestinationName']);
    const found = set.eventDestinations.find((d) => d.Name === name);
    if (!found) throw notFound(`Event destination ${name}`);
    return found;
  }

  private getSet(region: string, name: unknown): FakeConfigSet {
    const set = this.region(region).configSets.get(String(name));
    if (!set) throw notFound(`Configuration set <${String(name)}>`);
    return set;
  }

  private identityResponse(i: FakeIdentity) {
    return {
      IdentityType: 'DOMAIN',
      FeedbackForwardingStatus: true,
      VerifiedForSendingStatus: i.verifiedForSending,
      VerificationStatus: i.verificationStatus,
      DkimAttributes: {
        SigningEnabled: i.signingEnabled,
        Status: i.dkimStatus,
        Tokens: [...i.tokens],
        SigningHostedZone: i.signingHostedZone,
        SigningAttributesOrigin: i.origin,
        NextSigningKeyLength: i.nextKeyLength,
        CurrentSigningKeyLength: i.nextKeyLength,
        LastKeyGenerationTimestamp: i.keyGeneratedAt,
      },
      MailFromAttributes: i.mailFrom
        ? {
            MailFromDomain: i.mailFrom.domain,
            MailFromDomainStatus: i.mailFrom.status,
            BehaviorOnMxFailure: i.mailFrom.behavior,
          }
        : { MailFromDomain: undefined, MailFromDomainStatus: undefined, BehaviorOnMxFailure: 'USE_DEFAULT_VALUE' },
      ConfigurationSetName: i.configurationSetName,
      Tags: clone(i.tags),
    };
  }

  handlers(): Record<string, Handler> {
    return {
      'sesv2:CreateConfigurationSet': (input, region) => {
        const name = String(input['ConfigurationSetName']);
        const sets = this.region(region).configSets;
        if (sets.has(name))
          throw awsError('sesv2', 'AlreadyExistsException', `Configuration set <${name}> already exists.`);
        const delivery = input['DeliveryOptions'] as { TlsPolicy?: string } | undefined;
        const reputation = input['ReputationOptions'] as { ReputationMetricsEnabled?: boolean } | undefined;
        const suppression = input['SuppressionOptions'] as { SuppressedReasons?: string[] } | undefined;
        const suppressedReasons = suppression === undefined ? undefined : suppressedReasonsOf(suppression);
        sets.set(name, {
          name,
          tlsPolicy: delivery?.TlsPolicy,
          reputationMetrics: reputation?.ReputationMetricsEnabled === true,
          sendingEnabled: true,
          ...(suppressedReasons !== undefined ? { suppressedReasons } : {}),
          eventDestinations: [],
          tags: clone((input['Tags'] as Tag[]) ?? []),
        });
        return {};
      },
      'sesv2:GetConfigurationSet': (input, region) => {
        const set = this.getSet(region, input['ConfigurationSetName']);
        return {
          ConfigurationSetName: set.name,
          DeliveryOptions: { TlsPolicy: set.tlsPolicy ?? 'OPTIONAL' },
          ReputationOptions: { ReputationMetricsEnabled: set.reputationMetrics },
          SendingOptions: { SendingEnabled: set.sendingEnabled },
          ...(set.suppressedReasons !== undefined
            ? { SuppressionOptions: { SuppressedReasons: [...set.suppressedReasons] } }
            : {}),
          Tags: clone(set.tags),
        };
      },
      'sesv2:PutConfigurationSetSuppressionOptions': (input, region) => {
        const set = this.getSet(region, input['ConfigurationSetName']);
        set.suppressedReasons = suppressedReasonsOf({
          SuppressedReasons: input['SuppressedReasons'] as string[] | undefined,
        });
        return {};
      },
      'sesv2:CreateConfigurationSetEventDestination': (input, region) => {
        const set = this.getSet(region, input['ConfigurationSetName']);
        const name = String(input['EventDestinationName']);
        if (set.eventDestinations.some((d) => d.Name === name))
          throw awsError('sesv2', 'AlreadyExistsException', `Event destination ${name} already exists.`);
        if (set.eventDestinations.length >= MAX_DESTINATIONS)
          throw awsError(
            'sesv2',
            'LimitExceededException',
            `A configuration set can have at most ${MAX_DESTINATIONS} event destinations.`,
          );
        set.eventDestinations.push(this.destination(region, name, input['EventDestination']));
        return {};
      },
      'sesv2:GetConfigurationSetEventDestinations': (input, region) => ({
        EventDestinations: clone(this.getSet(region, input['ConfigurationSetName']).eventDestinations),
      }),
      'sesv2:UpdateConfigurationSetEventDestination': (input, region) => {
        const set = this.getSet(region, input['ConfigurationSetName']);
        const existing = this.getDestination(region, input);
        const updated = this.destination(region, existing.Name, input['EventDestination']);
        set.eventDestinations = set.eventDestinations.map((d) => (d === existing ? updated : d));
        return {};
      },
      'sesv2:DeleteConfigurationSetEventDestination': (input, region) => {
        const set = this.getSet(region, input['ConfigurationSetName']);
        const existing = this.getDestination(region, input);
        set.eventDestinations = set.eventDestinations.filter((d) => d !== existing);
        return {};
      },
      'sesv2:PutConfigurationSetDeliveryOptions': (input, region) => {
        this.getSet(region, input['ConfigurationSetName']).tlsPolicy = input['TlsPolicy'] as string | undefined;
        return {};
      },
      'sesv2:PutConfigurationSetReputationOptions': (input, region) => {
        this.getSet(region, input['ConfigurationSetName']).reputationMetrics =
          input['ReputationMetricsEnabled'] === true;
        return {};
      },
      'sesv2:DeleteConfigurationSet': (input, region) => {
        this.getSet(region, input['ConfigurationSetName']);
        this.region(region).configSets.delete(String(input['ConfigurationSetName']));
        return {};
      },
      'sesv2:CreateEmailIdentity': (input, region) => {
        const domain = String(input['EmailIdentity']);
        const state = this.region(region);
        if (state.identities.has(domain))
          throw awsError('sesv2', 'AlreadyExistsException', `Email identity ${domain} already exist.`);
        const setName = input['ConfigurationSetName'] as string | undefined;
        if (setName !== undefined) this.getSet(region, setName);
        const signing = input['DkimSigningAttributes'] as { NextSigningKeyLength?: string } | undefined;
        const identity: FakeIdentity = {
          domain,
          tokens: [this.token(), this.token(), this.token()],
          signingHostedZone: 'dkim.amazonses.com',
          dkimStatus: 'PENDING',
          verificationStatus: 'PENDING',
          verifiedForSending: false,
          signingEnabled: true,
          origin: 'AWS_SES',
          nextKeyLength: signing?.NextSigningKeyLength ?? 'RSA_2048_BIT',
          keyGeneratedAt: new Date(Math.floor(Date.now() / 1000) * 1000),
          configurationSetName: setName,
          tags: clone((input['Tags'] as Tag[]) ?? []),
        };
        state.identities.set(domain, identity);
        const { IdentityType, VerifiedForSendingStatus, DkimAttributes } = this.identityResponse(identity);
        return { IdentityType, VerifiedForSendingStatus, DkimAttributes };
      },
      'sesv2:GetEmailIdentity': (input, region) =>
        this.identityResponse(this.getIdentity(region, input['EmailIdentity'])),
      'sesv2:DeleteEmailIdentity': (input, region) => {
        this.getIdentity(region, input['EmailIdentity']);
        this.region(region).identities.delete(String(input['EmailIdentity']));
        return {};
      },
      'sesv2:PutEmailIdentityMailFromAttributes': (input, region) => {
        const identity = this.getIdentity(region, input['EmailIdentity']);
        const domain = input['MailFromDomain'] as string | undefined;
        if (!domain) identity.mailFrom = undefined;
        else {
          if (!domain.endsWith(`.${identity.domain}`))
            throw awsError('sesv2', 'BadRequestException', `Invalid MAIL FROM domain ${domain}.`);
          const status = identity.mailFrom?.domain === domain ? identity.mailFrom.status : 'PENDING';
          identity.mailFrom = { domain, behavior: String(input['BehaviorOnMxFailure'] ?? 'USE_DEFAULT_VALUE'), status };
        }
        return {};
      },
      'sesv2:PutEmailIdentityConfigurationSetAttributes': (input, region) => {
        const identity = this.getIdentity(region, input['EmailIdentity']);
        const setName = input['ConfigurationSetName'] as string | undefined;
        if (setName !== undefined) this.getSet(region, setName);
        identity.configurationSetName = setName;
        return {};
      },
      'sesv2:PutEmailIdentityDkimSigningAttributes': (input, region) => {
        const identity = this.getIdentity(region, input['EmailIdentity']);
        identity.origin = input['SigningAttributesOrigin'] as 'AWS_SES';
        identity.nextKeyLength = String(
          (input['SigningAttributes'] as { NextSigningKeyLength?: string } | undefined)?.NextSigningKeyLength ??
            identity.nextKeyLength,
        );
        return { DkimStatus: identity.dkimStatus, DkimTokens: [...identity.tokens] };
      },
      'sesv2:PutEmailIdentityDkimAttributes': (input, region) => {
        this.getIdentity(region, input['EmailIdentity']).signingEnabled = input['SigningEnabled'] === true;
        return {};
      },
      'sesv2:TagResource': (input, region) => {
        const arn = String(input['ResourceArn']);
        const match = /:(identity|configuration-set)\/(.+)$/.exec(arn);
        const target = match?.[1] === 'identity' ? this.getIdentity(region, match[2]) : this.getSet(region, match?.[2]);
        for (const tag of (input['Tags'] as Tag[]) ?? []) {
          target.tags = [...target.tags.filter((t) => t.Key !== tag.Key), tag];
        }
        return {};
      },
      'sesv2:CreateEmailTemplate': (input, region) => {
        const name = String(input['TemplateName']);
        const templates = this.region(region).templates;
        if (templates.has(name)) throw awsError('sesv2', 'AlreadyExistsException', `Template ${name} already exists.`);
        templates.set(name, clone(input['TemplateContent'] as { Subject: string; Html: string; Text: string }));
        return {};
      },
      'sesv2:GetEmailTemplate': (input, region) => {
        const name = String(input['TemplateName']);
        const content = this.region(region).templates.get(name);
        if (!content) throw notFound(`Template ${name}`);
        return { TemplateName: name, TemplateContent: clone(content) };
      },
      'sesv2:UpdateEmailTemplate': (input, region) => {
        const name = String(input['TemplateName']);
        const templates = this.region(region).templates;
        if (!templates.has(name)) throw notFound(`Template ${name}`);
        templates.set(name, clone(input['TemplateContent'] as { Subject: string; Html: string; Text: string }));
        return {};
      },
      'sesv2:DeleteEmailTemplate': (input, region) => {
        const name = String(input['TemplateName']);
        if (!this.region(region).templates.delete(name)) throw notFound(`Template ${name}`);
        return {};
      },
      // Checks in SES's order: sender identity verified, sandbox recipients, configuration set, template.
      'sesv2:SendEmail': async (input, region, caller) => {
        const state = this.region(region);
        const from = addressOf(String(input['FromEmailAddress'] ?? ''));
        const domain = from.split('@')[1] ?? '';
        const destination = input['Destination'] as { ToAddresses?: string[] } | undefined;
        const to = destination?.ToAddresses ?? [];
        const failed = (identities: string[]) =>
          awsError(
            'sesv2',
            'MessageRejected',
            `Email address is not verified. The following identities failed the check in region ${region.toUpperCase()}: ${identities.join(', ')}`,
          );
        if (!state.account.sendingEnabled)
          throw awsError('sesv2', 'SendingPausedException', 'Sending is paused for this account.');
        if (!state.identities.get(domain)?.verifiedForSending) throw failed([from]);
        if (!state.account.productionAccess) {
          const unverified = to.filter(
            (address) =>
              !SIMULATOR.test(address) && !state.identities.get(address.split('@')[1] ?? '')?.verifiedForSending,
          );
          if (unverified.length > 0) throw failed(unverified);
        }
        const setName = input['ConfigurationSetName'] as string | undefined;
        if (setName !== undefined && !state.configSets.has(setName)) throw notFound(`Configuration set <${setName}>`);
        const template = (
          input['Content'] as { Template?: { TemplateName?: string; TemplateData?: string } } | undefined
        )?.Template;
        if (template?.TemplateName !== undefined && !state.templates.has(template.TemplateName))
          throw notFound(`Template ${template.TemplateName}`);
        this.counter += 1;
        const messageId = `0100fake${String(this.counter).padStart(8, '0')}-smoke`;
        this.sent.push({
          messageId,
          region,
          from,
          to,
          configurationSet: setName,
          template: template?.TemplateName,
          templateData: template?.TemplateData === undefined ? undefined : JSON.parse(template.TemplateData),
        });
        // The identity's default configuration set applies when the call names none.
        const effectiveSet = setName ?? state.identities.get(domain)?.configurationSetName;
        if (effectiveSet !== undefined) {
          const copies = destination as { CcAddresses?: string[]; BccAddresses?: string[] } | undefined;
          const all = [...to, ...(copies?.CcAddresses ?? []), ...(copies?.BccAddresses ?? [])];
          const content = input['Content'] as
            { Simple?: { Subject?: { Data?: string } }; Template?: { TemplateName?: string } } | undefined;
          const subject =
            content?.Simple?.Subject?.Data ??
            (template?.TemplateName !== undefined ? (state.templates.get(template.TemplateName)?.Subject ?? '') : '');
          const tags: Record<string, string[]> = {
            'ses:operation': ['SendEmail'],
            'ses:configuration-set': [effectiveSet],
            'ses:source-ip': ['192.0.2.10'],
            'ses:from-domain': [domain],
            'ses:caller-identity': [this.callerName(caller)],
          };
          for (const tag of (input['EmailTags'] as Array<{ Name: string; Value: string }> | undefined) ?? [])
            tags[tag.Name] = [tag.Value];
          const events = this.publish(region, effectiveSet, {
            messageId,
            from,
            fromHeader: String(input['FromEmailAddress'] ?? ''),
            to: all,
            subject,
            tags,
          });
          const results = await Promise.allSettled(
            events.map(async (event) => {
              await this.onEvent?.(region, event);
            }),
          );
          for (const r of results) if (r.status === 'rejected') this.eventFailures.push(r.reason);
        }
        return { MessageId: messageId };
      },
      'sesv2:GetAccount': (_input, region) => {
        const a = this.region(region).account;
        return {
          ProductionAccessEnabled: a.productionAccess,
          SendingEnabled: a.sendingEnabled,
          EnforcementStatus: a.enforcementStatus,
          SendQuota: { Max24HourSend: a.max24HourSend, MaxSendRate: a.maxSendRate, SentLast24Hours: a.sentLast24Hours },
          ...(a.details ? { Details: clone(a.details) } : {}),
        };
      },
      // A request for production access opens a review (an AWS Support case); other details are only stored.
      'sesv2:PutAccountDetails': (input, region) => {
        const account = this.region(region).account;
        if (account.details?.ReviewDetails?.Status === 'PENDING') throw reviewConflict();
        const details = accountDetailsOf(input);
        const opensReview = input['ProductionAccessEnabled'] === true && !account.productionAccess;
        if (opensReview) this.caseCounter += 1;
        account.details = {
          ...details,
          ...(opensReview
            ? { ReviewDetails: { Status: 'PENDING', CaseId: String(17_700_000_000 + this.caseCounter) } }
            : account.details?.ReviewDetails
              ? { ReviewDetails: account.details.ReviewDetails }
              : {}),
        };
        return {};
      },
    };
  }
}
