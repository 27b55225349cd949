/** The test object removed, every version of it. */
import type { AwsContext } from '../../aws/context.js';
import { S3 } from '../../aws/sdk.js';
import { type CheckResult, type SmokeTarget, ok, failed, describeError } from './common.js';

/** Removes every version and delete marker of the test object, with the operator's credentials. */
export async function cleanUp(aws: AwsContext, target: SmokeTarget, key: string): Promise<CheckResult> {
  try {
    // One key written once has a version or two: one page holds them all.
    const page = await aws
      .s3()
      .send(new S3.ListObjectVersionsCommand({ Bucket: target.bucket, Prefix: key, MaxKeys: 1000 }));
    const found = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])]
      .filter((v) => v.Key === key)
      .map((v) => ({ Key: key, ...(v.VersionId !== undefined ? { VersionId: v.VersionId } : {}) }));
    if (found.length === 0) return ok('cleanup', `nothing to remove: ${key} was not stored`);
    const { Errors } = await aws
      .s3()
      .send(new S3.DeleteObjectsCommand({ Bucket: target.bucket, Delete: { Objects: found, Quiet: true } }));
    if (Errors && Errors.length > 0)
      throw new Error(Errors.map((e) => `${e.VersionId ?? ''} ${e.Code ?? ''} ${e.Message ?? ''}`.trim()).join('; '));
    return ok('cleanup', `removed ${key} (${found.length} version${found.length === 1 ? '' : 's'})`, {
      key,
      versions: found.length,
    });
  } catch (err) {
    return failed(
      'cleanup',
      `could not remove the test object ${key}: ${describeError(err)}`,
      `Delete every version of s3://${target.bucket}/${key} (S3 console, "Show versions"), with credentials that may; \`hm-infra teardown --force\` also removes it with the bucket.`,
      { key },
    );
  }
}
