/**
 * SES (API v2) of the fake account, per region, to AWS's documented behaviour: names are
 * unique (AlreadyExistsException), missing things are NotFoundException, a new domain identity
 * gets three Easy DKIM tokens and stays PENDING until a test verifies it.
 */
import { type Handler, awsError } from './errors.js';

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

export interface FakeConfigSet {
  name: string;
  tlsPolicy?: string | undefined;
  reputationMetrics: boolean;
  sendingEnabled: boolean;
  tags: Tag[];
}

export interface FakeSesAccount {
  productionAccess: boolean;
  sendingEnabled: boolean;
  enforcementStatus: string;
  max24HourSend: number;
  maxSendRate: number;
  sentLast24Hours: number;
}

interface RegionState {
  identities: Map<string, FakeIdentity>;
  configSets: Map<string, FakeConfigSet>;
  templates: Map<string, { Subject: string; Html: string; Text: string }>;
  account: FakeSesAccount;
}

const clone = <T>(v: T): T => structuredClone(v);
const notFound = (what: string) => awsError('sesv2', 'NotFoundException', `${what} does not exist.`);

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

export class FakeSes {
  private readonly regions = new Map<string, RegionState>();
  readonly sent: SentEmail[] = [];
  private counter = 0;

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
        sets.set(name, {
          name,
          tlsPolicy: delivery?.TlsPolicy,
          reputationMetrics: reputation?.ReputationMetricsEnabled === true,
          sendingEnabled: true,
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
          Tags: clone(set.tags),
        };
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
      'sesv2:SendEmail': (input, region) => {
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
        return { MessageId: messageId };
      },
      'sesv2:GetAccount': (_input, region) => {
        const a = this.region(region).account;
        return {
          ProductionAccessEnabled: a.productionAccess,
          SendingEnabled: a.sendingEnabled,
          EnforcementStatus: a.enforcementStatus,
          SendQuota: { Max24HourSend: a.max24HourSend, MaxSendRate: a.maxSendRate, SentLast24Hours: a.sentLast24Hours },
        };
      },
    };
  }
}
