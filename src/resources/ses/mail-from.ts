import { SES } from '../../aws/sdk.js';
import { toHmError } from '../../aws/errors.js';
import { emailSettings } from '../../config/config.js';
import { identityChanged, readIdentity } from './identity.js';
import type { Change, Step, StepContext } from '../../engine/types.js';

export interface MailFromOutputs {
  domain: string;
  /** PENDING | SUCCESS | FAILED | TEMPORARY_FAILURE */
  status: string;
  behaviorOnMxFailure: string;
}

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

const BEHAVIOR = 'USE_DEFAULT_VALUE';

const outputs = (ctx: StepContext, status: string | undefined): MailFromOutputs => ({
  domain: emailSettings(ctx.config).mailFromDomain,
  status: status ?? 'PENDING',
  behaviorOnMxFailure: BEHAVIOR,
});

/**
 * Custom MAIL FROM domain (`mail.<domain>`): bounces go there and SPF aligns with the sender.
 * Until its MX record resolves, SES falls back to amazonses.com (USE_DEFAULT_VALUE), so
 * sending never stops because of DNS.
 */
export const mailFromStep: Step<MailFromObserved, MailFromOutputs> = {
  id: 'email-mail-from',
  title: 'SES MAIL FROM domain',
  service: 'SES',
  dependsOn: ['email-identity'],

  async read(ctx) {
    const identity = await readIdentity(ctx);
    if (!identity) return undefined;
    const attrs = identity.MailFromAttributes;
    if (!attrs?.MailFromDomain) return undefined;
    return {
      domain: attrs.MailFromDomain,
      status: attrs.MailFromDomainStatus,
      behaviorOnMxFailure: attrs.BehaviorOnMxFailure,
    };
  },

  plan(ctx, observed) {
    const want = emailSettings(ctx.config).mailFromDomain;
    if (!observed)
      return [
        {
          field: 'mail-from',
          action: 'create',
          to: `${want} (on MX failure: ${BEHAVIOR})`,
          note: 'the identity has no custom MAIL FROM domain',
        },
      ];
    const changes: Change[] = [];
    if (observed.domain !== want)
      changes.push({
        field: 'mail-from-domain',
        action: 'update',
        from: observed.domain,
        to: want,
        note: 'a different MAIL FROM domain is set',
      });
    if (observed.behaviorOnMxFailure !== BEHAVIOR) {
      changes.push({
        field: 'behavior-on-mx-failure',
        action: 'update',
        from: observed.behaviorOnMxFailure,
        to: BEHAVIOR,
        note: 'sending should fall back, not stop, when the MX record is missing',
      });
    }
    return changes;
  },

  async apply(ctx, observed) {
    const mailFrom = emailSettings(ctx.config).mailFromDomain;
    identityChanged(ctx);
    try {
      await ctx.aws
        .sesv2()
        .send(
          new SES.PutEmailIdentityMailFromAttributesCommand({
            EmailIdentity: ctx.config.domain,
            MailFromDomain: mailFrom,
            BehaviorOnMxFailure: BEHAVIOR,
          }),
        );
    } catch (err) {
      throw toHmError(err, `set the SES MAIL FROM domain ${mailFrom}`);
    }
    // A changed domain is verified anew: SES reports it as pending until the MX resolves.
    const keepStatus = observed?.domain === mailFrom ? observed.status : undefined;
    return { type: observed ? 'updated' : 'created', outputs: outputs(ctx, keepStatus) };
  },

  outputs: (ctx, observed) => outputs(ctx, observed.status),

  pendingReason: (recorded) =>
    recorded.status === 'SUCCESS'
      ? undefined
      : `SES has not verified the MAIL FROM domain yet (${recorded.status.toLowerCase()})`,

  async destroy(ctx) {
    try {
      await ctx.aws
        .sesv2()
        .send(new SES.PutEmailIdentityMailFromAttributesCommand({ EmailIdentity: ctx.config.domain }));
    } catch (err) {
      // Deleting the identity removed its MAIL FROM setting too.
      if (err instanceof SES.NotFoundException) return;
      throw toHmError(err, `remove the SES MAIL FROM domain of ${ctx.config.domain}`);
    }
  },
};
