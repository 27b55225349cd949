import type { DkimAttributes, GetEmailIdentityCommandOutput, SESv2Client } from '@aws-sdk/client-sesv2';
import * as z from 'zod/mini';
import { SES } from '../../aws/sdk.js';
import { emailSettings } from '../../config/config.js';
import { defineResource, unlessNotFound } from '../../engine/resource.js';
import type { Change, StepContext } from '../../engine/types.js';
import { HmError } from '../../errors.js';
import { DEFAULT_SIGNING_ZONE } from '../dns/values.js';
import { missingTags, resourceTags, tagChanges } from '../tags.js';
import { configurationSetName, sesArn } from './configuration-set.js';

const dkimSchema = z.object({
  /** NOT_STARTED | PENDING | SUCCESS | FAILED | TEMPORARY_FAILURE */
  status: z.string(),
  /** Easy DKIM tokens: one CNAME each. Empty with Bring-Your-Own-DKIM. */
  tokens: z.array(z.string()),
  signingHostedZone: z.string(),
});
export type DkimOutputs = z.infer<typeof dkimSchema>;

const outputsSchema = z.object({
  domain: z.string(),
  arn: z.string(),
  verifiedForSending: z.boolean(),
  /** PENDING | SUCCESS | FAILED | TEMPORARY_FAILURE | NOT_STARTED */
  verificationStatus: z.string(),
  dkim: dkimSchema,
  configurationSet: z.string(),
  env: z.object({ SES_FROM_EMAIL: z.string(), SES_REGION: z.string() }),
});
export type IdentityOutputs = z.infer<typeof outputsSchema>;

declare module '../../engine/types.js' {
  interface StepOutputs {
    'email-identity': IdentityOutputs;
  }
}

export type IdentityObserved = Pick<
  GetEmailIdentityCommandOutput,
  | 'IdentityType'
  | 'VerifiedForSendingStatus'
  | 'VerificationStatus'
  | 'VerificationInfo'
  | 'DkimAttributes'
  | 'MailFromAttributes'
  | 'ConfigurationSetName'
  | 'Tags'
>;

/**
 * The run's one read of the domain's SES identity: this step and the MAIL FROM step both need
 * it, and whatever this step changes makes it read again.
 */
export const readIdentity = (ctx: StepContext): Promise<IdentityObserved | undefined> =>
  ctx.reads.once(`sesv2:GetEmailIdentity:${ctx.config.domain}`, () => getIdentity(ctx.aws.sesv2(), ctx.config.domain));
/** Whoever changes the identity (its settings, its MAIL FROM) makes the next reader read it again. */
export const identityChanged = (ctx: StepContext): void =>
  ctx.reads.forget(`sesv2:GetEmailIdentity:${ctx.config.domain}`);

/** Reads an SES identity; undefined when SES has none of that name. */
export function getIdentity(ses: SESv2Client, domain: string): Promise<IdentityObserved | undefined> {
  return unlessNotFound(
    () => ses.send(new SES.GetEmailIdentityCommand({ EmailIdentity: domain })),
    isNotFound,
    `read SES identity ${domain}`,
  );
}

const isNotFound = (err: unknown) => err instanceof SES.NotFoundException;

/** Easy DKIM (keys held by SES); Bring-Your-Own-DKIM identities are the owner's business. */
const easyDkim = (dkim: DkimAttributes | undefined) =>
  dkim?.SigningAttributesOrigin === undefined || dkim.SigningAttributesOrigin === 'AWS_SES';

export function dkimOutputs(dkim: DkimAttributes | undefined): DkimOutputs {
  return {
    status: dkim?.Status ?? 'NOT_STARTED',
    tokens: easyDkim(dkim) ? [...(dkim?.Tokens ?? [])] : [],
    signingHostedZone: dkim?.SigningHostedZone ?? DEFAULT_SIGNING_ZONE,
  };
}

function identityOutputs(ctx: StepContext, observed: IdentityObserved): IdentityOutputs {
  const { domain, region } = ctx.config;
  return {
    domain,
    arn: sesArn(ctx, `identity/${domain}`),
    verifiedForSending: observed.VerifiedForSendingStatus === true,
    verificationStatus: observed.VerificationStatus ?? observed.DkimAttributes?.Status ?? 'PENDING',
    dkim: dkimOutputs(observed.DkimAttributes),
    configurationSet: observed.ConfigurationSetName ?? configurationSetName(ctx.config),
    env: { SES_FROM_EMAIL: emailSettings(ctx.config).fromEmail, SES_REGION: region },
  };
}

const tagsToAdd = (ctx: StepContext, observed: IdentityObserved) =>
  missingTags(observed.Tags ?? [], resourceTags(ctx.config, ctx.config.domain));

/**
 * An identity exists once per account and region. One that another environment (or app) of
 * this tool set up is not taken over: its default configuration set and templates would
 * flip between the environments on every run.
 */
function refuseOtherEnvironment(ctx: StepContext, observed: IdentityObserved): void {
  const tag = (key: string) => observed.Tags?.find((t) => t.Key === key)?.Value;
  if (tag('ManagedBy') !== 'hm-infra') return;
  const app = tag('Project');
  const env = tag('Environment');
  if (app === ctx.config.app && env === ctx.config.environment) return;
  throw new HmError(
    'SES_IDENTITY_IN_USE',
    `SES identity ${ctx.config.domain} in ${ctx.config.region} belongs to app "${app ?? '?'}", environment "${env ?? '?'}" of hm-infra`,
    'user',
    {
      hint: `Each environment needs its own email domain in one account and region: pass --domain <sub-domain> (for example ${ctx.config.environment}.${ctx.config.domain}), or use another account or region.`,
    },
  );
}

/**
 * The SES domain identity with Easy DKIM (2048-bit keys) and the environment's configuration
 * set as its default. Its DKIM tokens become three CNAME records (dns-records).
 */
export const identityStep = defineResource<IdentityObserved, IdentityOutputs>({
  id: 'email-identity',
  title: 'SES domain identity',
  service: 'SES',
  dependsOn: ['account', 'email-config-set'],
  describe: (ctx) => `SES identity ${ctx.config.domain}`,
  notFound: isNotFound,
  alreadyExists: (err) => err instanceof SES.AlreadyExistsException,
  outputsSchema,

  find: readIdentity,

  toCreate: (ctx) => ({
    field: 'identity',
    to: `${ctx.config.domain} (Easy DKIM 2048-bit, configuration set ${configurationSetName(ctx.config)})`,
    note: 'SES has no identity for the domain',
  }),

  diff(ctx, observed) {
    if (observed.IdentityType !== undefined && observed.IdentityType !== 'DOMAIN') {
      throw new HmError(
        'SES_IDENTITY_TYPE',
        `SES identity ${ctx.config.domain} is a ${observed.IdentityType}, not a domain`,
        'user',
        { hint: 'Check --domain: it must be a domain name such as example.com.' },
      );
    }
    refuseOtherEnvironment(ctx, observed);
    const setName = configurationSetName(ctx.config);
    const changes: Change[] = [];
    if (observed.ConfigurationSetName !== setName) {
      changes.push({
        field: 'configuration-set',
        action: 'update',
        from: observed.ConfigurationSetName ?? 'none',
        to: setName,
        note: "the identity sends through this environment's configuration set by default",
      });
    }
    const dkim = observed.DkimAttributes;
    if (!easyDkim(dkim)) {
      ctx.debug('the identity uses Bring-Your-Own-DKIM; its signing keys are left as they are');
    } else if (dkim?.NextSigningKeyLength !== undefined && dkim.NextSigningKeyLength !== 'RSA_2048_BIT') {
      changes.push({
        field: 'dkim-key-length',
        action: 'update',
        from: dkim.NextSigningKeyLength,
        to: 'RSA_2048_BIT',
        note: 'DKIM keys should be 2048-bit',
      });
    }
    if (dkim?.SigningEnabled === false)
      changes.push({
        field: 'dkim-signing',
        action: 'update',
        from: 'off',
        to: 'on',
        note: 'mail must be DKIM-signed',
      });
    return [...changes, ...tagChanges(tagsToAdd(ctx, observed))];
  },

  intent: (ctx) => ({ create: ctx.config.domain }),

  async create(ctx) {
    const domain = ctx.config.domain;
    identityChanged(ctx);
    const res = await ctx.aws.sesv2().send(
      new SES.CreateEmailIdentityCommand({
        EmailIdentity: domain,
        DkimSigningAttributes: { NextSigningKeyLength: 'RSA_2048_BIT' },
        ConfigurationSetName: configurationSetName(ctx.config),
        Tags: resourceTags(ctx.config, domain),
      }),
    );
    return identityOutputs(ctx, {
      ...res,
      ConfigurationSetName: configurationSetName(ctx.config),
      VerificationStatus: 'PENDING',
    });
  },

  /** One call per differing setting, then the identity as SES now reports it. */
  async update(ctx, observed, changes) {
    const ses = ctx.aws.sesv2();
    const domain = ctx.config.domain;
    const has = (field: string) => changes.some((c) => c.field === field);
    identityChanged(ctx);
    if (has('configuration-set')) {
      await ses.send(
        new SES.PutEmailIdentityConfigurationSetAttributesCommand({
          EmailIdentity: domain,
          ConfigurationSetName: configurationSetName(ctx.config),
        }),
      );
    }
    if (has('dkim-key-length')) {
      await ses.send(
        new SES.PutEmailIdentityDkimSigningAttributesCommand({
          EmailIdentity: domain,
          SigningAttributesOrigin: 'AWS_SES',
          SigningAttributes: { NextSigningKeyLength: 'RSA_2048_BIT' },
        }),
      );
    }
    if (has('dkim-signing'))
      await ses.send(new SES.PutEmailIdentityDkimAttributesCommand({ EmailIdentity: domain, SigningEnabled: true }));
    const tags = tagsToAdd(ctx, observed);
    if (has('tags') && tags.length > 0)
      await ses.send(new SES.TagResourceCommand({ ResourceArn: sesArn(ctx, `identity/${domain}`), Tags: tags }));
    return identityOutputs(ctx, (await getIdentity(ses, domain)) ?? observed);
  },

  outputs: identityOutputs,

  pendingReason: (outputs) =>
    outputs.verifiedForSending
      ? undefined
      : `SES has not verified the domain yet (${outputs.verificationStatus.toLowerCase()}): \`hm-infra verify-dns\` waits for it`,

  async remove(ctx, recorded) {
    await ctx.aws.sesv2().send(new SES.DeleteEmailIdentityCommand({ EmailIdentity: recorded.domain }));
  },

  explain(_ctx, err, doing) {
    if (err instanceof SES.LimitExceededException && doing === 'create') {
      return new HmError(
        'SES_LIMIT',
        'this AWS account has reached its limit of SES identities in this region',
        'aws',
        {
          hint: 'Delete unused identities (`aws sesv2 list-email-identities`), then re-run.',
          cause: err,
        },
      );
    }
    return undefined;
  },
});
