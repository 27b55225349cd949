import * as z from 'zod/mini';
import { SES } from '../../aws/sdk.js';
import { emailSettings } from '../../config/config.js';
import { attempt, defineResource, unlessNotFound } from '../../engine/resource.js';
import type { Change, StepContext } from '../../engine/types.js';
import { identityChanged, readIdentity } from './identity.js';

const outputsSchema = z.object({
  domain: z.string(),
  /** PENDING | SUCCESS | FAILED | TEMPORARY_FAILURE */
  status: z.string(),
  behaviorOnMxFailure: z.string(),
});
export type MailFromOutputs = z.infer<typeof outputsSchema>;

declare module '../../engine/types.js' {
  interface StepOutputs {
    'email-mail-from': MailFromOutputs;
  }
}

export interface MailFromObserved {
  domain: string | undefined;
  status: string | undefined;
  behaviorOnMxFailure: string | undefined;
}

export const MAIL_FROM_BEHAVIOR = 'USE_DEFAULT_VALUE';

const mailFromDomain = (ctx: StepContext) => emailSettings(ctx.config).mailFromDomain;

const outputs = (ctx: StepContext, status: string | undefined): MailFromOutputs => ({
  domain: mailFromDomain(ctx),
  status: status ?? 'PENDING',
  behaviorOnMxFailure: MAIL_FROM_BEHAVIOR,
});

const isNotFound = (err: unknown) => err instanceof SES.NotFoundException;

/** Sets the MAIL FROM domain and its fallback on the identity (the same call creates and changes it). */
async function setMailFrom(ctx: StepContext): Promise<void> {
  const domain = mailFromDomain(ctx);
  identityChanged(ctx);
  await attempt(
    () =>
      ctx.aws.sesv2().send(
        new SES.PutEmailIdentityMailFromAttributesCommand({
          EmailIdentity: ctx.config.domain,
          MailFromDomain: domain,
          BehaviorOnMxFailure: MAIL_FROM_BEHAVIOR,
        }),
      ),
    `set the SES MAIL FROM domain ${domain}`,
  );
}

/**
 * Custom MAIL FROM domain (`mail.<domain>`): bounces go there and SPF aligns with the sender.
 * Until its MX record resolves, SES falls back to amazonses.com (USE_DEFAULT_VALUE), so
 * sending never stops because of DNS.
 */
export const mailFromStep = defineResource<MailFromObserved, MailFromOutputs>({
  id: 'email-mail-from',
  title: 'SES MAIL FROM domain',
  service: 'SES',
  dependsOn: ['email-identity'],
  describe: (ctx) => `SES MAIL FROM domain ${mailFromDomain(ctx)}`,
  notFound: isNotFound,
  outputsSchema,

  /** A setting of the identity, read with it: absent while the identity has no MAIL FROM domain. */
  async find(ctx) {
    const attrs = (await readIdentity(ctx))?.MailFromAttributes;
    if (!attrs?.MailFromDomain) return undefined;
    return {
      domain: attrs.MailFromDomain,
      status: attrs.MailFromDomainStatus,
      behaviorOnMxFailure: attrs.BehaviorOnMxFailure,
    };
  },

  toCreate: (ctx) => ({
    field: 'mail-from',
    to: `${mailFromDomain(ctx)} (on MX failure: ${MAIL_FROM_BEHAVIOR})`,
    note: 'the identity has no custom MAIL FROM domain',
  }),

  diff(ctx, observed) {
    const want = mailFromDomain(ctx);
    const changes: Change[] = [];
    if (observed.domain !== want)
      changes.push({
        field: 'mail-from-domain',
        action: 'update',
        from: observed.domain,
        to: want,
        note: 'a different MAIL FROM domain is set',
      });
    if (observed.behaviorOnMxFailure !== MAIL_FROM_BEHAVIOR) {
      changes.push({
        field: 'behavior-on-mx-failure',
        action: 'update',
        from: observed.behaviorOnMxFailure,
        to: MAIL_FROM_BEHAVIOR,
        note: 'sending should fall back, not stop, when the MX record is missing',
      });
    }
    return changes;
  },

  intent: (ctx) => ({ create: mailFromDomain(ctx) }),

  async create(ctx) {
    await setMailFrom(ctx);
    return outputs(ctx, undefined);
  },

  async update(ctx, observed) {
    await setMailFrom(ctx);
    // A changed domain is verified anew: SES reports it as pending until the MX resolves.
    return outputs(ctx, observed.domain === mailFromDomain(ctx) ? observed.status : undefined);
  },

  outputs: (ctx, observed) => outputs(ctx, observed.status),

  pendingReason: (recorded) =>
    recorded.status === 'SUCCESS'
      ? undefined
      : `SES has not verified the MAIL FROM domain yet (${recorded.status.toLowerCase()})`,

  /** Takes the MAIL FROM domain off the identity; deleting the identity removed it too. */
  async remove(ctx) {
    await unlessNotFound(
      () =>
        ctx.aws.sesv2().send(new SES.PutEmailIdentityMailFromAttributesCommand({ EmailIdentity: ctx.config.domain })),
      isNotFound,
      `remove the SES MAIL FROM domain of ${ctx.config.domain}`,
    );
  },
});
