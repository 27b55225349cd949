/** The bucket refuses anonymous reads of the object. */
import { randomBytes } from 'node:crypto';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { AwsContext } from '../../aws/context.js';
import { S3 } from '../../aws/sdk.js';
import {
  type CheckResult,
  type SmokeTarget,
  type SmokeDeps,
  HTTP_TIMEOUT_MS,
  ok,
  failed,
  skipped,
  describeError,
  s3ErrorOf,
  commands,
} from './common.js';

/**
 * Signs with credentials no account has: an endpoint that accepts such a call checks no
 * credentials at all (an emulator without IAM), so nothing can be refused there. Asked once
 * per run, by whichever check needs it first.
 */
export function acceptsAnyKey(aws: AwsContext): () => Promise<boolean> {
  let answer: Promise<boolean> | undefined;
  return () => {
    answer ??= aws
      .as(
        {
          accessKeyId: `AKIA${randomBytes(8).toString('hex').toUpperCase()}`,
          secretAccessKey: randomBytes(30).toString('base64'),
        },
        { maxAttempts: 1 },
      )
      .s3()
      .send(new S3.ListBucketsCommand({}))
      .then(
        () => true,
        () => false,
      );
    return answer;
  };
}

export const NO_IAM_FIX =
  'LocalStack checks credentials and IAM policies with ENFORCE_IAM=1; moto does not check them. On AWS itself this check runs as it should.';

export async function checkPrivate(
  app: AwsContext,
  target: SmokeTarget,
  key: string,
  deps: SmokeDeps,
  anyKey: () => Promise<boolean>,
): Promise<CheckResult> {
  // The object's plain address, as the SDK builds it for this region or endpoint, without a signature.
  const url = new URL(
    await getSignedUrl(app.s3(), new S3.GetObjectCommand({ Bucket: target.bucket, Key: key }), { expiresIn: 60 }),
  );
  url.search = '';
  const plain = url.toString();
  let response: Response;
  try {
    response = await deps.fetch(plain, { method: 'GET', signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
  } catch (err) {
    return failed(
      'private-bucket',
      `could not reach S3 at ${url.host} to check: ${describeError(err)}`,
      commands(target).network,
      { url: plain },
    );
  }
  if (response.status === 403) {
    const { code } = await s3ErrorOf(response);
    return ok('private-bucket', `a direct, unsigned GET of the object is refused (403${code ? ` ${code}` : ''})`, {
      url: plain,
    });
  }
  await response.body?.cancel();
  if (response.ok && target.endpointUrl !== undefined && (await anyKey())) {
    return skipped(
      'private-bucket',
      `the endpoint ${target.endpointUrl} answers unsigned requests, as it does not check credentials at all`,
      NO_IAM_FIX,
    );
  }
  if (response.ok || response.status === 404) {
    return failed(
      'private-bucket',
      `anyone can read objects straight from the bucket: an unsigned GET of ${plain} answers HTTP ${response.status}`,
      `Block Public Access or the bucket policy of ${target.bucket} was changed. ${commands(target).repair}`,
      { url: plain, httpStatus: response.status },
    );
  }
  return failed(
    'private-bucket',
    `an unsigned GET of the object answers HTTP ${response.status}, so it is unclear whether the bucket is private`,
    'Re-run in a minute.',
    {
      url: plain,
      httpStatus: response.status,
    },
  );
}
