/**
 * The checks of `hm-infra smoke-test`: the stack used as the app uses it, with the app user's
 * key — a presigned upload, the CDN serving it, the bucket closed to everyone else, the key
 * refused what the app does not need, an email through the template and configuration set —
 * then the test object removed. Each check ends in one result; none throws.
 */
import { randomUUID } from 'node:crypto';
import type { AwsContext } from '../aws/context.js';
import { checkAppKey } from './smoke/app-key.js';
import { checkCdn } from './smoke/cdn.js';
import { cleanUp } from './smoke/cleanup.js';
import {
  type CheckId,
  CHECK_IDS,
  type CheckResult,
  type SmokeTarget,
  type SmokeDeps,
  failed,
  skipped,
  describeError,
} from './smoke/common.js';
import { checkBounce } from './smoke/bounce.js';
import { checkEmail } from './smoke/email.js';
import { checkEvents } from './smoke/events.js';
import { checkLeastPrivilege } from './smoke/least-privilege.js';
import { acceptsAnyKey, checkPrivate } from './smoke/private-bucket.js';
import { type Upload, checkUpload } from './smoke/upload.js';

export type { CheckId, CheckResult, CheckStatus, SmokeDeps, SmokeTarget } from './smoke/common.js';
export { CHECK_IDS, TEST_CONTENT_TYPE, UPLOAD_EXPIRY_SECONDS, describeError } from './smoke/common.js';

/** Runs every check (independent ones at the same time); the results in report order. */
export async function runSmokeChecks(aws: AwsContext, target: SmokeTarget, deps: SmokeDeps): Promise<CheckResult[]> {
  const results = new Map<CheckId, CheckResult>();
  const record = (result: CheckResult) => {
    results.set(result.id, result);
    deps.onResult?.(result);
  };
  const guarded = async (id: CheckId, check: () => Promise<CheckResult>) => {
    try {
      record(await check());
    } catch (err) {
      record(
        failed(
          id,
          `the check itself failed: ${describeError(err)}`,
          'Re-run with --verbose; if it happens again, report it with that output.',
        ),
      );
    }
  };
  const app = aws.as(target.credentials);
  const anyKey = acceptsAnyKey(aws);
  await guarded('app-key', () => checkAppKey(app, target));
  if (results.get('app-key')?.status !== 'ok') {
    for (const id of CHECK_IDS.slice(1)) record(skipped(id, "not run: the app user's key does not work"));
    return CHECK_IDS.flatMap((id) => results.get(id) ?? []);
  }
  const key = `avatars/smoke-test/${deps.clock.now()}.txt`;
  const body = `hm-infra smoke test of ${target.environment}, ${new Date(deps.clock.now()).toISOString()}, ${randomUUID()}\n`;
  const uploadAndServe = async () => {
    let upload: Upload;
    try {
      upload = await checkUpload(app, target, key, body, deps);
    } catch (err) {
      upload = {
        result: failed(
          'upload',
          `the check itself failed: ${describeError(err)}`,
          'Re-run with --verbose; if it happens again, report it with that output.',
        ),
        sent: true,
        stored: false,
      };
    }
    record(upload.result);
    try {
      if (upload.stored) {
        await Promise.all([
          guarded('cdn', () => checkCdn(aws, target, key, body, deps)),
          guarded('private-bucket', () => checkPrivate(app, target, key, deps, anyKey)),
        ]);
      } else {
        record(skipped('cdn', 'not run: no test object to fetch'));
        record(skipped('private-bucket', 'not run: no test object to fetch'));
      }
    } finally {
      // Even after a failure or Ctrl-C: nothing of the test is left in the bucket.
      if (upload.sent) await guarded('cleanup', () => cleanUp(aws, target, key));
      else record(skipped('cleanup', 'nothing was uploaded'));
    }
  };
  await Promise.all([
    uploadAndServe(),
    guarded('least-privilege', () => checkLeastPrivilege(app, target, anyKey)),
    guarded('email', () => checkEmail(app, target)),
    guarded('bounce', () => checkBounce(app, target, deps)),
    guarded('events', () => checkEvents(aws, app, target, deps)),
  ]);
  return CHECK_IDS.flatMap((id) => results.get(id) ?? []);
}
