/** The app user's key works (STS, signed with it). */
import type { AwsContext } from '../../aws/context.js';
import { awsErrorName, isInvalidKey } from '../../aws/errors.js';
import { STS } from '../../aws/sdk.js';
import { type CheckResult, type SmokeTarget, ok, failed, describeError, commands } from './common.js';

export async function checkAppKey(app: AwsContext, target: SmokeTarget): Promise<CheckResult> {
  const { accessKeyId } = target.credentials;
  try {
    const who = await app.sts().send(new STS.GetCallerIdentityCommand({}));
    return ok('app-key', `AWS accepts the app user's key ${accessKeyId} (${who.Arn ?? 'no ARN given'})`, {
      accessKeyId,
      arn: who.Arn ?? null,
    });
  } catch (err) {
    if (isInvalidKey(err)) {
      return failed(
        'app-key',
        `AWS does not accept the app user's key ${accessKeyId} (${awsErrorName(err)}): it has been deleted or made inactive`,
        commands(target).rotate,
        { accessKeyId },
      );
    }
    return failed(
      'app-key',
      `could not check the app user's key ${accessKeyId}: ${describeError(err)}`,
      commands(target).network,
      { accessKeyId },
    );
  }
}
