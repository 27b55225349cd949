import { EventBridge } from '../../aws/sdk.js';
import type { Doing } from '../../engine/resource.js';
import type { StepContext } from '../../engine/types.js';
import { HmError } from '../../errors.js';

/** The tags of an EventBridge bus or rule. */
export async function eventBridgeTags(
  ctx: StepContext,
  arn: string,
): Promise<Array<{ Key?: string | undefined; Value?: string | undefined }>> {
  const res = await ctx.aws.eventbridge().send(new EventBridge.ListTagsForResourceCommand({ ResourceARN: arn }));
  return res.Tags ?? [];
}

/** A create refused for a quota, in words. */
export function limitReached(err: unknown, doing: Doing, what: string): HmError | undefined {
  if (doing !== 'create' || !(err instanceof EventBridge.LimitExceededException)) return undefined;
  return new HmError('LIMIT_REACHED', `this AWS account has reached its quota of ${what} in this region`, 'aws', {
    hint: 'Delete unused ones, or ask for a higher quota in the Service Quotas console, then re-run.',
    cause: err,
  });
}
