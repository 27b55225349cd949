import * as z from 'zod/mini';
import { STS } from '../../aws/sdk.js';
import { attempt } from '../../engine/resource.js';
import type { Step } from '../../engine/types.js';
import { HmError } from '../../errors.js';

const outputsSchema = z.object({
  accountId: z.string(),
  /** The caller's ARN: shows which identity ran the tool. */
  arn: z.string(),
});
export type AccountOutputs = z.infer<typeof outputsSchema>;

declare module '../../engine/types.js' {
  interface StepOutputs {
    account: AccountOutputs;
  }
}

/**
 * Who are we? Every other step depends on this one, so credentials are checked, and a state
 * file of another account refused, before anything is created. It only reads: nothing to
 * create or remove, so it is a plain step rather than a declared resource.
 */
export const accountStep: Step<AccountOutputs, AccountOutputs> = {
  id: 'account',
  title: 'AWS account',
  service: 'Account',
  dependsOn: [],
  readOnly: true,
  outputsSchema,

  async read(ctx) {
    const identity = await attempt(
      () => ctx.aws.sts().send(new STS.GetCallerIdentityCommand({})),
      'identify your AWS account (sts:GetCallerIdentity)',
    );
    const accountId = identity.Account;
    if (!accountId) throw new HmError('NO_ACCOUNT', 'sts:GetCallerIdentity returned no account id', 'aws');
    if (ctx.recordedAccountId !== null && ctx.recordedAccountId !== accountId) {
      throw new HmError(
        'ACCOUNT_MISMATCH',
        `this environment's state belongs to AWS account ${ctx.recordedAccountId}, but your credentials are for account ${accountId}`,
        'user',
        {
          hint: 'Use the profile of the right account (--profile), or a separate environment (--env) or state file (--state) for this account.',
        },
      );
    }
    ctx.debug(`credentials are ${identity.Arn ?? 'unknown'} in account ${accountId}`);
    return { accountId, arn: identity.Arn ?? '' };
  },

  plan: () => [],
  apply: async (_ctx, observed) => ({ type: 'unchanged', outputs: observed as AccountOutputs }),
  outputs: (_ctx, observed) => observed,
  destroy: async () => undefined,
};
