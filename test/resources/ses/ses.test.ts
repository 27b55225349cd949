import { GetHostedZoneCommand, ListHostedZonesByNameCommand, Route53Client } from '@aws-sdk/client-route-53';
import {
  CreateConfigurationSetCommand,
  CreateEmailIdentityCommand,
  CreateEmailTemplateCommand,
  GetConfigurationSetCommand,
  GetEmailIdentityCommand,
  GetEmailTemplateCommand,
  PutConfigurationSetDeliveryOptionsCommand,
  PutConfigurationSetReputationOptionsCommand,
  PutEmailIdentityConfigurationSetAttributesCommand,
  PutEmailIdentityMailFromAttributesCommand,
  SESv2Client,
  TagResourceCommand,
  UpdateEmailTemplateCommand,
} from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { type HmError } from '../../../src/errors.js';
import { dnsZoneStep } from '../../../src/resources/dns/zone.js';
import { configSetStep } from '../../../src/resources/ses/configuration-set.js';
import { identityStep } from '../../../src/resources/ses/identity.js';
import { mailFromStep } from '../../../src/resources/ses/mail-from.js';
import { TEMPLATES, makeTemplateStep, templateContent } from '../../../src/resources/ses/templates.js';
import { resourceTags } from '../../../src/resources/tags.js';
import { awsError } from '../../fakes/account.js';
import { converge, givenConfig, givenStepContext } from '../../support/context.js';

const ses = mockClient(SESv2Client);
const r53 = mockClient(Route53Client);
const account = { accountId: '123456789012', arn: 'arn:aws:iam::123456789012:user/admin' };
const givenContext = (config = givenConfig()) => givenStepContext({ config, outputs: { account } });
const notFound = () => awsError('sesv2', 'NotFoundException', 'not found');
const OURS = resourceTags(givenConfig(), 'healthmetrics-dev');

describe('SES configuration set step', () => {
  beforeEach(() => ses.reset());

  it('creates healthmetrics-dev with TLS required, reputation metrics on and tags, saying so first', async () => {
    ses.on(GetConfigurationSetCommand).rejects(notFound());
    ses.on(CreateConfigurationSetCommand).resolves({});
    const ctx = givenContext();
    // WHEN
    const { result } = await converge(configSetStep, ctx);
    // THEN
    expect(result).toEqual({
      type: 'created',
      outputs: {
        name: 'healthmetrics-dev',
        arn: 'arn:aws:ses:us-east-1:123456789012:configuration-set/healthmetrics-dev',
      },
    });
    expect(ses).toHaveReceivedCommandWith(CreateConfigurationSetCommand, {
      ConfigurationSetName: 'healthmetrics-dev',
      DeliveryOptions: { TlsPolicy: 'REQUIRE' },
      ReputationOptions: { ReputationMetricsEnabled: true },
      SuppressionOptions: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'] },
      Tags: OURS,
    });
    expect(ctx.intents).toEqual([{ create: 'healthmetrics-dev' }]);
  });

  it('changes only the TLS policy when that is all that drifted', async () => {
    ses.on(GetConfigurationSetCommand).resolves({
      DeliveryOptions: { TlsPolicy: 'OPTIONAL' },
      ReputationOptions: { ReputationMetricsEnabled: true },
      SuppressionOptions: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'] },
      Tags: OURS,
    });
    // WHEN
    const { changes, result } = await converge(configSetStep, givenContext());
    // THEN
    expect(changes.map((c) => [c.field, c.from, c.to])).toEqual([['tls-policy', 'OPTIONAL', 'REQUIRE']]);
    expect(result.type).toBe('updated');
    expect(ses).toHaveReceivedCommandTimes(PutConfigurationSetDeliveryOptionsCommand, 1);
    expect(ses).not.toHaveReceivedCommand(PutConfigurationSetReputationOptionsCommand);
    expect(ses).not.toHaveReceivedCommand(TagResourceCommand);
  });

  it('leaves an equal configuration set alone', async () => {
    ses.on(GetConfigurationSetCommand).resolves({
      DeliveryOptions: { TlsPolicy: 'REQUIRE' },
      ReputationOptions: { ReputationMetricsEnabled: true },
      SuppressionOptions: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'] },
      Tags: OURS,
    });
    // WHEN
    const { changes } = await converge(configSetStep, givenContext());
    // THEN
    expect(changes).toEqual([]);
    expect(ses).not.toHaveReceivedCommand(CreateConfigurationSetCommand);
  });
});

describe('SES identity step', () => {
  beforeEach(() => ses.reset());

  it('creates the domain identity with 2048-bit Easy DKIM, the configuration set as default, and tags; records the DKIM tokens', async () => {
    ses.on(GetEmailIdentityCommand).rejects(notFound());
    ses.on(CreateEmailIdentityCommand).resolves({
      IdentityType: 'DOMAIN',
      VerifiedForSendingStatus: false,
      DkimAttributes: { Status: 'PENDING', Tokens: ['t1', 't2', 't3'], SigningHostedZone: 'dkim.amazonses.com' },
    });
    const ctx = givenContext();
    // WHEN
    const { result } = await converge(identityStep, ctx);
    // THEN
    expect(ses).toHaveReceivedCommandWith(CreateEmailIdentityCommand, {
      EmailIdentity: 'example.com',
      DkimSigningAttributes: { NextSigningKeyLength: 'RSA_2048_BIT' },
      ConfigurationSetName: 'healthmetrics-dev',
      Tags: resourceTags(givenConfig(), 'example.com'),
    });
    expect(result).toMatchObject({
      type: 'created',
      outputs: {
        arn: 'arn:aws:ses:us-east-1:123456789012:identity/example.com',
        verifiedForSending: false,
        dkim: { tokens: ['t1', 't2', 't3'], signingHostedZone: 'dkim.amazonses.com', status: 'PENDING' },
        env: { SES_FROM_EMAIL: 'noreply@example.com', SES_REGION: 'us-east-1' },
      },
    });
    expect(ctx.intents).toEqual([{ create: 'example.com' }]);
  });

  it('reads the identity when SES says it already exists, and only sets the missing default configuration set', async () => {
    const existing = {
      IdentityType: 'DOMAIN' as const,
      DkimAttributes: {
        Status: 'SUCCESS' as const,
        Tokens: ['t1'],
        SigningEnabled: true,
        NextSigningKeyLength: 'RSA_2048_BIT' as const,
      },
      Tags: resourceTags(givenConfig(), 'example.com'),
    };
    ses.on(GetEmailIdentityCommand).rejectsOnce(notFound()).resolves(existing);
    ses.on(CreateEmailIdentityCommand).rejects(awsError('sesv2', 'AlreadyExistsException', 'exists'));
    // WHEN
    const { result } = await converge(identityStep, givenContext());
    // THEN
    expect(result.type).toBe('updated');
    expect(ses).toHaveReceivedCommandWith(PutEmailIdentityConfigurationSetAttributesCommand, {
      EmailIdentity: 'example.com',
      ConfigurationSetName: 'healthmetrics-dev',
    });
    expect(result.outputs.dkim.tokens).toEqual(['t1']);
  });

  it('refuses an identity that another environment of this tool set up, before changing it', async () => {
    ses.on(GetEmailIdentityCommand).resolves({
      IdentityType: 'DOMAIN',
      ConfigurationSetName: 'healthmetrics-prod',
      Tags: resourceTags(givenConfig({ environment: 'prod' }), 'example.com'),
    });
    // WHEN
    const error = (await converge(identityStep, givenContext()).catch((e: unknown) => e)) as HmError;
    // THEN
    expect(error.code).toBe('SES_IDENTITY_IN_USE');
    expect(error.message).toContain('environment "prod"');
    expect(error.hint).toContain('dev.example.com');
    expect(ses).not.toHaveReceivedCommand(PutEmailIdentityConfigurationSetAttributesCommand);
  });

  it('refuses an email-address identity of the same name', async () => {
    ses.on(GetEmailIdentityCommand).resolves({ IdentityType: 'EMAIL_ADDRESS' });
    // WHEN
    const error = (await converge(identityStep, givenContext()).catch((e: unknown) => e)) as HmError;
    // THEN
    expect(error.code).toBe('SES_IDENTITY_TYPE');
  });
});

describe('SES MAIL FROM step', () => {
  beforeEach(() => ses.reset());

  it('sets mail.<domain> with USE_DEFAULT_VALUE on MX failure, and leaves it when already so', async () => {
    ses
      .on(GetEmailIdentityCommand)
      .resolvesOnce({ MailFromAttributes: undefined })
      .resolves({
        MailFromAttributes: {
          MailFromDomain: 'mail.example.com',
          MailFromDomainStatus: 'PENDING',
          BehaviorOnMxFailure: 'USE_DEFAULT_VALUE',
        },
      });
    ses.on(PutEmailIdentityMailFromAttributesCommand).resolves({});
    // WHEN
    const first = await converge(mailFromStep, givenContext());
    const second = await converge(mailFromStep, givenContext());
    // THEN
    expect(first.result).toEqual({
      type: 'created',
      outputs: { domain: 'mail.example.com', status: 'PENDING', behaviorOnMxFailure: 'USE_DEFAULT_VALUE' },
    });
    expect(second.changes).toEqual([]);
    expect(ses).toHaveReceivedCommandTimes(PutEmailIdentityMailFromAttributesCommand, 1);
    expect(ses).toHaveReceivedCommandWith(PutEmailIdentityMailFromAttributesCommand, {
      EmailIdentity: 'example.com',
      MailFromDomain: 'mail.example.com',
      BehaviorOnMxFailure: 'USE_DEFAULT_VALUE',
    });
  });
});

describe('SES template steps', () => {
  const [verification, reset] = TEMPLATES;
  const step = makeTemplateStep(verification as (typeof TEMPLATES)[number]);
  beforeEach(() => ses.reset());

  it('have the subjects of docs/resources.md, the product name and the variables the app fills in', () => {
    const config = givenConfig({ productName: 'HealthMetrics' });
    // WHEN
    const a = templateContent(verification as (typeof TEMPLATES)[number], config);
    const b = templateContent(reset as (typeof TEMPLATES)[number], config);
    // THEN
    expect(a.Subject).toBe('Verify your HealthMetrics account');
    expect(a.Html).toContain('<a href="{{verification_url}}" class="button">Verify Email</a>');
    expect(a.Text).toBe('Welcome to HealthMetrics! Please verify your email by visiting: {{verification_url}}');
    expect(b.Subject).toBe('Reset your HealthMetrics password');
    expect(b.Html).toContain('{{reset_url}}');
    expect(b.Text).toBe('Reset your password by visiting: {{reset_url}}');
  });

  it('creates a missing template', async () => {
    ses.on(GetEmailTemplateCommand).rejects(notFound());
    ses.on(CreateEmailTemplateCommand).resolves({});
    // WHEN
    const { result } = await converge(step, givenContext());
    // THEN
    expect(result.type).toBe('created');
    expect(ses).toHaveReceivedCommandWith(CreateEmailTemplateCommand, {
      TemplateName: 'email-verification',
      TemplateContent: templateContent(verification as (typeof TEMPLATES)[number], givenConfig()),
    });
  });

  it('updates a template whose HTML was edited by hand with one UpdateEmailTemplate, and shows the differing line', async () => {
    const want = templateContent(verification as (typeof TEMPLATES)[number], givenConfig());
    ses.on(GetEmailTemplateCommand).resolves({
      TemplateName: 'email-verification',
      TemplateContent: { ...want, Html: want.Html.replace('24 hours', '48 hours') },
    });
    ses.on(UpdateEmailTemplateCommand).resolves({});
    // WHEN
    const { changes, result } = await converge(step, givenContext());
    // THEN
    expect(changes).toEqual([
      expect.objectContaining({
        field: 'html',
        from: '<p>This link expires in 48 hours.</p>',
        to: '<p>This link expires in 24 hours.</p>',
      }),
    ]);
    expect(result.type).toBe('updated');
    expect(ses).toHaveReceivedCommandTimes(UpdateEmailTemplateCommand, 1);
    expect(ses).toHaveReceivedCommandWith(UpdateEmailTemplateCommand, {
      TemplateName: 'email-verification',
      TemplateContent: want,
    });
  });

  it('leaves an equal template alone', async () => {
    ses.on(GetEmailTemplateCommand).resolves({
      TemplateName: 'email-verification',
      TemplateContent: templateContent(verification as (typeof TEMPLATES)[number], givenConfig()),
    });
    // WHEN
    const { changes } = await converge(step, givenContext());
    // THEN
    expect(changes).toEqual([]);
    expect(ses).not.toHaveReceivedCommand(UpdateEmailTemplateCommand);
  });
});

describe('DNS zone step', () => {
  beforeEach(() => r53.reset());
  const zone = (Id: string, Name: string, PrivateZone = false) => ({
    Id: `/hostedzone/${Id}`,
    Name,
    CallerReference: Id,
    Config: { PrivateZone },
  });

  it('picks the public zone named exactly like the domain, ignoring private and longer-named ones', async () => {
    r53.on(ListHostedZonesByNameCommand).resolves({
      HostedZones: [
        zone('ZPRIV', 'example.com.', true),
        zone('ZPUB', 'example.com.'),
        zone('ZSUB', 'app.example.com.'),
      ],
      IsTruncated: false,
      MaxItems: 20,
    });
    // WHEN
    const observed = await dnsZoneStep.read(givenContext());
    // THEN
    expect(observed).toEqual({ mode: 'route53', zoneId: 'ZPUB', zoneName: 'example.com' });
  });

  it('prints the records when no public zone matches (auto), and refuses with --dns route53', async () => {
    r53
      .on(ListHostedZonesByNameCommand)
      .resolves({ HostedZones: [zone('ZOTHER', 'example.org.')], IsTruncated: false, MaxItems: 20 });
    // WHEN
    const auto = await dnsZoneStep.read(givenContext());
    const forced = (await dnsZoneStep
      .read(givenContext(givenConfig({ dns: 'route53' })))
      .catch((e: unknown) => e)) as HmError;
    // THEN
    expect(auto).toEqual({ mode: 'external', reason: 'no public Route 53 hosted zone named example.com' });
    expect(forced.code).toBe('ROUTE53_NO_ZONE');
    expect(forced.hint).toContain('--dns external');
  });

  it('asks for --hosted-zone-id when two public zones have the name, and checks the one given', async () => {
    r53.on(ListHostedZonesByNameCommand).resolves({
      HostedZones: [zone('ZA', 'example.com.'), zone('ZB', 'example.com.')],
      IsTruncated: false,
      MaxItems: 20,
    });
    r53
      .on(GetHostedZoneCommand)
      .resolves({ HostedZone: zone('ZB', 'example.com.'), DelegationSet: { NameServers: [] } });
    // WHEN
    const ambiguous = (await dnsZoneStep.read(givenContext()).catch((e: unknown) => e)) as HmError;
    const chosen = await dnsZoneStep.read(givenContext(givenConfig({ hostedZoneId: 'ZB' })));
    // THEN
    expect(ambiguous.code).toBe('ROUTE53_AMBIGUOUS');
    expect(ambiguous.hint).toContain('--hosted-zone-id');
    expect(chosen).toEqual({ mode: 'route53', zoneId: 'ZB', zoneName: 'example.com' });
  });

  it('makes no call at all with --dns external', async () => {
    // WHEN
    const observed = await dnsZoneStep.read(givenContext(givenConfig({ dns: 'external' })));
    // THEN
    expect(observed).toEqual({ mode: 'external', reason: '--dns external' });
    expect(r53.calls()).toHaveLength(0);
  });
});
