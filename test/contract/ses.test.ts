/**
 * SES v2 steps against SES v2's wire format (restJson1): JSON bodies with timestamps in epoch
 * seconds, errors named in the `x-amzn-ErrorType` header with `{"message": …}` in the body.
 */
import { describe, expect, it } from 'vitest';
import type { HmError } from '../../src/errors.js';
import { dnsRecordsStep } from '../../src/resources/dns/records.js';
import { configSetStep } from '../../src/resources/ses/configuration-set.js';
import { type IdentityOutputs, identityStep } from '../../src/resources/ses/identity.js';
import { TEMPLATES, templateContent, templateSteps } from '../../src/resources/ses/templates.js';
import { resourceTags } from '../../src/resources/tags.js';
import { converge, givenConfig, givenStepContext } from '../support/context.js';
import { givenWireAws, json, restJsonError } from '../support/wire-aws.js';

const wire = givenWireAws();

const config = givenConfig();
const account = { accountId: '123456789012', arn: 'arn:aws:iam::123456789012:user/admin' };
const givenContext = () => givenStepContext({ aws: wire.aws(), outputs: { account } as never });
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (e: unknown) => e as HmError,
  );
const [verification] = templateSteps;
const verificationStep = verification as NonNullable<typeof verification>;

// ── SES's answers ─────────────────────────────────────────────────────────────────────────

const TOKENS = [
  't4qoirbwcwexkkvb3jl2quj7bmdyaqbd',
  'ozx5f5h6rm3tbvbr4s2a6fn4lxkf3v2m',
  'kzbq4ib2l5ugw7sfgxnnywrzi5x5wa3p',
];

/** GetEmailIdentity of a domain hm-infra set up, DKIM still pending, as SES v2 returns it. */
const identityBody = {
  IdentityType: 'DOMAIN',
  FeedbackForwardingStatus: true,
  VerifiedForSendingStatus: false,
  DkimAttributes: {
    SigningEnabled: true,
    Status: 'PENDING',
    Tokens: TOKENS,
    SigningHostedZone: 'dkim.amazonses.com',
    SigningAttributesOrigin: 'AWS_SES',
    NextSigningKeyLength: 'RSA_2048_BIT',
    CurrentSigningKeyLength: 'RSA_2048_BIT',
    LastKeyGenerationTimestamp: 1761991231.184,
  },
  MailFromAttributes: {
    MailFromDomain: 'mail.example.com',
    MailFromDomainStatus: 'PENDING',
    BehaviorOnMxFailure: 'USE_DEFAULT_VALUE',
  },
  Policies: {},
  Tags: resourceTags(config, 'example.com'),
  ConfigurationSetName: 'healthmetrics-dev',
  VerificationStatus: 'PENDING',
  VerificationInfo: {
    LastCheckedTimestamp: 1761991531.5,
    ErrorType: 'HOST_NOT_FOUND',
    SOARecord: {
      PrimaryNameServer: 'ns-1234.awsdns-26.org',
      AdminEmail: 'awsdns-hostmaster.amazon.com',
      SerialNumber: 1,
    },
  },
};

const configSetBody = {
  ConfigurationSetName: 'healthmetrics-dev',
  DeliveryOptions: { TlsPolicy: 'REQUIRE', MaxDeliverySeconds: 50400 },
  ReputationOptions: { ReputationMetricsEnabled: true, LastFreshStart: 1761990000 },
  SendingOptions: { SendingEnabled: true },
  SuppressionOptions: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'] },
  Tags: resourceTags(config, 'healthmetrics-dev'),
};

describe('SES domain identity', () => {
  it('reads an identity SES does not have (NotFoundException, 404) as absent', async () => {
    wire.on(
      'ses',
      'GetEmailIdentity',
      restJsonError(404, 'NotFoundException', 'Email identity example.com does not exist.'),
    );
    // WHEN
    const observed = await identityStep.read(givenContext());
    // THEN
    expect(observed).toBeUndefined();
    expect(wire.sent('ses', 'GetEmailIdentity').map((r) => `${r.method} ${r.url}`)).toEqual([
      'GET /v2/email/identities/example.com',
    ]);
  });

  it('reads the three DKIM tokens as SES returns them into the outputs, and from them the DNS records to publish', async () => {
    wire.on('ses', 'GetEmailIdentity', json(identityBody));
    const ctx = givenContext();
    // WHEN
    const { observed, changes, result } = await converge(identityStep, ctx);
    // THEN
    expect(changes).toEqual([]);
    expect(observed?.DkimAttributes?.LastKeyGenerationTimestamp).toEqual(new Date(1761991231184));
    expect(result.outputs).toMatchObject({
      domain: 'example.com',
      arn: 'arn:aws:ses:us-east-1:123456789012:identity/example.com',
      verifiedForSending: false,
      verificationStatus: 'PENDING',
      dkim: { status: 'PENDING', tokens: TOKENS, signingHostedZone: 'dkim.amazonses.com' },
      configurationSet: 'healthmetrics-dev',
    });
    const dns = givenStepContext({
      config: givenConfig({ dns: 'external' }),
      outputs: {
        'email-identity': result.outputs as IdentityOutputs,
        'dns-zone': { mode: 'external', reason: '--dns external' },
      },
    });
    const records = dnsRecordsStep.plan(dns, undefined).filter((c) => c.field.startsWith('CNAME'));
    expect(records.map((c) => `${c.field} → ${String(c.to)}`)).toEqual(
      TOKENS.map((t) => `CNAME ${t}._domainkey.example.com → ${t}.dkim.amazonses.com`),
    );
  });

  it('uses an identity that appeared between read and create (AlreadyExistsException, 400) once it is read again', async () => {
    wire.on(
      'ses',
      'CreateEmailIdentity',
      restJsonError(400, 'AlreadyExistsException', 'Email identity example.com already exist.'),
    );
    wire.on('ses', 'GetEmailIdentity', json(identityBody));
    // WHEN
    const outcome = await identityStep.apply(givenContext(), undefined, []);
    // THEN
    expect(outcome).toMatchObject({ type: 'unchanged', outputs: { dkim: { tokens: TOKENS } } });
    expect(JSON.parse(wire.sent('ses', 'CreateEmailIdentity')[0]?.body ?? '')).toMatchObject({
      EmailIdentity: 'example.com',
      DkimSigningAttributes: { NextSigningKeyLength: 'RSA_2048_BIT' },
    });
  });

  it("turns the account's identity quota (LimitExceededException, 400) into SES_LIMIT", async () => {
    wire.on(
      'ses',
      'CreateEmailIdentity',
      restJsonError(400, 'LimitExceededException', 'Maximum number of identities reached.'),
    );
    // WHEN
    const error = await failure(identityStep.apply(givenContext(), undefined, []));
    // THEN
    expect(error).toMatchObject({ code: 'SES_LIMIT', message: expect.stringContaining('identities') });
  });

  it('counts an identity already gone (NotFoundException on DeleteEmailIdentity) as removed', async () => {
    wire.on(
      'ses',
      'DeleteEmailIdentity',
      restJsonError(404, 'NotFoundException', 'Email identity example.com does not exist.'),
    );
    // WHEN
    const outcome = await identityStep.destroy(givenContext(), { domain: 'example.com' } as IdentityOutputs);
    // THEN
    expect(outcome).toBeUndefined();
  });
});

describe('SES configuration set', () => {
  it('reads a configuration set SES does not have (NotFoundException, 404) as absent', async () => {
    wire.on(
      'ses',
      'GetConfigurationSet',
      restJsonError(404, 'NotFoundException', 'Configuration set <healthmetrics-dev> does not exist.'),
    );
    // WHEN
    const observed = await configSetStep.read(givenContext());
    // THEN
    expect(observed).toBeUndefined();
    expect(wire.sent('ses', 'GetConfigurationSet')[0]?.url).toBe('/v2/email/configuration-sets/healthmetrics-dev');
  });

  it('uses a configuration set made meanwhile (AlreadyExistsException, 400) that is as hm-infra wants it, changing nothing', async () => {
    wire.on(
      'ses',
      'CreateConfigurationSet',
      restJsonError(400, 'AlreadyExistsException', 'Configuration set <healthmetrics-dev> already exists.'),
    );
    wire.on('ses', 'GetConfigurationSet', json(configSetBody));
    // WHEN
    const outcome = await configSetStep.apply(givenContext(), undefined, []);
    // THEN
    expect(outcome).toEqual({
      type: 'unchanged',
      outputs: {
        name: 'healthmetrics-dev',
        arn: 'arn:aws:ses:us-east-1:123456789012:configuration-set/healthmetrics-dev',
      },
    });
  });

  it("turns the account's configuration set quota (LimitExceededException, 400) into SES_LIMIT", async () => {
    wire.on(
      'ses',
      'CreateConfigurationSet',
      restJsonError(400, 'LimitExceededException', 'Maximum number of configuration sets reached.'),
    );
    // WHEN
    const error = await failure(configSetStep.apply(givenContext(), undefined, []));
    // THEN
    expect(error).toMatchObject({ code: 'SES_LIMIT', message: expect.stringContaining('configuration sets') });
  });
});

describe('SES templates', () => {
  const definition = TEMPLATES[0] as (typeof TEMPLATES)[number];
  const content = templateContent(definition, config);

  it('reads a template SES does not have (NotFoundException, 404) as absent', async () => {
    wire.on(
      'ses',
      'GetEmailTemplate',
      restJsonError(404, 'NotFoundException', 'Template email-verification does not exist.'),
    );
    // WHEN
    const observed = await verificationStep.read(givenContext());
    // THEN
    expect(observed).toBeUndefined();
    expect(wire.sent('ses', 'GetEmailTemplate')[0]?.url).toBe('/v2/email/templates/email-verification');
  });

  it('uses a template made meanwhile (AlreadyExistsException, 400) whose content is ours, writing nothing', async () => {
    wire.on(
      'ses',
      'CreateEmailTemplate',
      restJsonError(400, 'AlreadyExistsException', 'Template email-verification already exists.'),
    );
    wire.on('ses', 'GetEmailTemplate', json({ TemplateName: 'email-verification', TemplateContent: content }));
    // WHEN
    const outcome = await verificationStep.apply(givenContext(), undefined, []);
    // THEN
    expect(outcome).toEqual({
      type: 'unchanged',
      outputs: { name: 'email-verification', variables: ['verification_url'] },
    });
    expect(wire.sent('ses', 'UpdateEmailTemplate')).toEqual([]);
  });
});
