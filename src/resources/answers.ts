import { toHmError } from '../aws/errors.js';
import { type ErrorMatch, matches } from '../engine/resource.js';
import { HmError } from '../errors.js';

/**
 * An AWS call whose exact answer `answer` means something other than failure (S3's
 * BucketAlreadyOwnedByYou to a create: the bucket is ours already; IAM's LimitExceeded to a new
 * access key: no slot is free): that answer becomes `undefined`, for the caller to act on. Any
 * other becomes an HmError saying what was being done, a known one first explained by `explain`.
 */
export async function unlessAnswered<T>(
  call: () => Promise<T>,
  answer: ErrorMatch | readonly ErrorMatch[],
  doing: string,
  explain?: (err: unknown) => HmError | undefined,
): Promise<T | undefined> {
  try {
    return await call();
  } catch (err) {
    if (matches(err, answer)) return undefined;
    if (err instanceof HmError) throw err;
    throw explain?.(err) ?? toHmError(err, doing);
  }
}
