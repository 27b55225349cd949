/** A presigned PUT, as the app makes it, uploads; the object is stored as sent. */
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { AwsContext } from '../../aws/context.js';
import { S3 } from '../../aws/sdk.js';
import {
  type CheckResult,
  type SmokeTarget,
  type SmokeDeps,
  UPLOAD_EXPIRY_SECONDS,
  TEST_CONTENT_TYPE,
  HTTP_TIMEOUT_MS,
  isRefused,
  ok,
  failed,
  describeError,
  s3ErrorOf,
  commands,
} from './common.js';

export interface Upload {
  result: CheckResult;
  /** The PUT was sent: something may need removing. */
  sent: boolean;
  /** The object is in the bucket, as uploaded. */
  stored: boolean;
}

/** What an S3 refusal of the upload means and what to do. */
function uploadRefusal(target: SmokeTarget, status: number, code: string, message: string): CheckResult {
  const c = commands(target);
  const details = { httpStatus: status, code, message };
  switch (code) {
    case 'AccessDenied':
      if (target.endpointUrl !== undefined && /^http:/i.test(target.endpointUrl)) {
        return failed(
          'upload',
          `S3 refused the upload (403 AccessDenied) sent over plain HTTP to ${target.endpointUrl}`,
          `The bucket policy hm-infra sets refuses every request that is not made over TLS (aws:SecureTransport); use an https:// endpoint (--endpoint-url / AWS_ENDPOINT_URL).`,
          details,
        );
      }
      return failed(
        'upload',
        `S3 refused the upload (403 AccessDenied): the app user may not put objects in ${target.bucket}`,
        `Its S3 policy should allow s3:PutObject on ${target.bucket}/*. ${c.repair}`,
        details,
      );
    case 'InvalidAccessKeyId':
      return failed(
        'upload',
        `S3 does not know the app user's key ${target.credentials.accessKeyId} (InvalidAccessKeyId)`,
        c.rotate,
        details,
      );
    case 'SignatureDoesNotMatch':
      return failed(
        'upload',
        'S3 did not accept the signature of the presigned URL (SignatureDoesNotMatch): the secret in the state file does not belong to its key',
        c.rotate,
        details,
      );
    case 'NoSuchBucket':
      return failed('upload', `bucket ${target.bucket} does not exist`, c.repair, details);
    case 'BadDigest':
    case 'XAmzContentChecksumMismatch':
      return failed(
        'upload',
        `S3 refused the upload's checksum (${code}): the URL was signed with the checksum of another body`,
        'Presign PUT URLs with `requestChecksumCalculation: "WHEN_REQUIRED"` on the S3 client (see README, "Application integration").',
        details,
      );
    default:
      return failed(
        'upload',
        `S3 refused the upload (${status} ${code}: ${message})`,
        status >= 500 ? 'S3 had a problem; re-run in a minute.' : c.repair,
        details,
      );
  }
}

export async function checkUpload(
  app: AwsContext,
  target: SmokeTarget,
  key: string,
  body: string,
  deps: SmokeDeps,
): Promise<Upload> {
  const details = {
    key,
    contentType: TEST_CONTENT_TYPE,
    expiresInSeconds: UPLOAD_EXPIRY_SECONDS,
    bytes: Buffer.byteLength(body),
  };
  let url: string;
  try {
    // The content type is signed: S3 then takes the upload only with that Content-Type, as the app's own URLs should.
    url = await getSignedUrl(
      app.s3(),
      new S3.PutObjectCommand({ Bucket: target.bucket, Key: key, ContentType: TEST_CONTENT_TYPE }),
      {
        expiresIn: UPLOAD_EXPIRY_SECONDS,
        signableHeaders: new Set(['content-type']),
      },
    );
  } catch (err) {
    return {
      result: failed(
        'upload',
        `could not make a presigned upload URL: ${describeError(err)}`,
        commands(target).rotate,
        details,
      ),
      sent: false,
      stored: false,
    };
  }
  let response: Response;
  try {
    response = await deps.fetch(url, {
      method: 'PUT',
      headers: { 'content-type': TEST_CONTENT_TYPE },
      body,
      signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
    });
  } catch (err) {
    return {
      result: failed(
        'upload',
        `could not reach S3 at ${new URL(url).host}: ${describeError(err)}`,
        commands(target).network,
        details,
      ),
      sent: true,
      stored: false,
    };
  }
  if (!response.ok) {
    const { code, message } = await s3ErrorOf(response);
    return {
      result: uploadRefusal(target, response.status, code ?? `HTTP ${response.status}`, message),
      sent: true,
      stored: false,
    };
  }
  // Read back as the app would before handing out the CDN link.
  try {
    const head = await app.s3().send(new S3.HeadObjectCommand({ Bucket: target.bucket, Key: key }));
    if (head.ContentLength !== details.bytes || head.ContentType !== TEST_CONTENT_TYPE) {
      const found = `${head.ContentLength ?? '?'} bytes of ${head.ContentType ?? 'no type'}`;
      return {
        result: failed(
          'upload',
          `S3 took the upload but holds ${found}, not ${details.bytes} bytes of ${TEST_CONTENT_TYPE}`,
          'Something rewrites uploads in this bucket (an S3 event or Object Lambda?); check the bucket in the S3 console.',
          details,
        ),
        sent: true,
        stored: false,
      };
    }
  } catch (err) {
    const why = isRefused(err) ? 'the app user may not read it back (s3:GetObject)' : describeError(err);
    return {
      result: failed(
        'upload',
        `S3 took the upload, but ${key} cannot be read back: ${why}`,
        commands(target).repair,
        details,
      ),
      sent: true,
      stored: false,
    };
  }
  return {
    result: ok(
      'upload',
      `presigned PUT (${TEST_CONTENT_TYPE}, valid ${UPLOAD_EXPIRY_SECONDS / 60} min) stored ${details.bytes} bytes at ${key}`,
      details,
    ),
    sent: true,
    stored: true,
  };
}
