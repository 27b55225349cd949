/**
 * Checks a SigV4 presigned URL the way S3 does, written from AWS's description of the
 * algorithm (not with the SDK's signer, so a test does not check the SDK against itself):
 * algorithm, credential scope, expiry, signed headers present and equal, then the signature
 * over method, path, query and those headers.
 */
import { createHash, createHmac } from 'node:crypto';

export interface PresignedRequest {
  method: string;
  url: URL;
  /** Request headers, names in lower case. */
  headers: Record<string, string>;
}

export type PresignCheck =
  | { ok: true; accessKeyId: string; region: string; signedHeaders: string[]; expiresSeconds: number; signedAt: number }
  | { ok: false; status: number; code: string; message: string; accessKeyId?: string };

/** RFC 3986 encoding, as SigV4 wants it (encodeURIComponent leaves !'()* alone). */
const rfc3986 = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const hmac = (key: Buffer | string, s: string) => createHmac('sha256', key).update(s, 'utf8').digest();

/** `20261122T055014Z` → epoch ms, or NaN. */
function amzDate(text: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  return m
    ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]))
    : Number.NaN;
}

const refuse = (status: number, code: string, message: string, accessKeyId?: string): PresignCheck => ({
  ok: false,
  status,
  code,
  message,
  ...(accessKeyId !== undefined ? { accessKeyId } : {}),
});

/**
 * `secretOf` gives the secret of an access key id (undefined: AWS does not know the key);
 * `now` is the server's time in ms.
 */
export function checkPresigned(
  request: PresignedRequest,
  secretOf: (accessKeyId: string) => string | undefined,
  now: number,
): PresignCheck {
  const q = request.url.searchParams;
  if (q.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256')
    return refuse(400, 'AuthorizationQueryParametersError', 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"');
  const credential = (q.get('X-Amz-Credential') ?? '').split('/');
  const [accessKeyId, day, region, service, terminator] = credential;
  if (credential.length !== 5 || !accessKeyId || !day || !region || service !== 's3' || terminator !== 'aws4_request') {
    return refuse(400, 'AuthorizationQueryParametersError', 'Error parsing the X-Amz-Credential parameter');
  }
  const signedAt = amzDate(q.get('X-Amz-Date') ?? '');
  const expires = Number(q.get('X-Amz-Expires'));
  if (Number.isNaN(signedAt) || (q.get('X-Amz-Date') ?? '').slice(0, 8) !== day)
    return refuse(
      400,
      'AuthorizationQueryParametersError',
      'X-Amz-Date must be in the ISO8601 Long Format and match the credential date',
    );
  if (!Number.isInteger(expires) || expires < 1 || expires > 604_800)
    return refuse(400, 'AuthorizationQueryParametersError', 'X-Amz-Expires must be between 1 and 604800 seconds');
  const secret = secretOf(accessKeyId);
  if (secret === undefined)
    return refuse(
      403,
      'InvalidAccessKeyId',
      'The AWS Access Key Id you provided does not exist in our records.',
      accessKeyId,
    );
  if (now > signedAt + expires * 1000) return refuse(403, 'AccessDenied', 'Request has expired', accessKeyId);
  if (now < signedAt - 15 * 60 * 1000) return refuse(403, 'AccessDenied', 'Request is not yet valid', accessKeyId);

  const signedHeaders = (q.get('X-Amz-SignedHeaders') ?? '').split(';').filter(Boolean);
  if (!signedHeaders.includes('host'))
    return refuse(400, 'AuthorizationQueryParametersError', 'X-Amz-SignedHeaders must include host');
  const headers: Record<string, string> = { ...request.headers, host: request.url.host };
  const missing = signedHeaders.filter((h) => headers[h] === undefined);
  if (missing.length > 0)
    return refuse(
      403,
      'SignatureDoesNotMatch',
      `There were headers present in the request which were not signed, or signed headers missing: ${missing.join(', ')}`,
      accessKeyId,
    );

  const query = [...q.entries()]
    .filter(([k]) => k !== 'X-Amz-Signature')
    .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonicalHeaders = [...signedHeaders]
    .sort()
    .map((h) => `${h}:${(headers[h] ?? '').trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  const payload = q.get('X-Amz-Content-Sha256') ?? 'UNSIGNED-PAYLOAD';
  const canonicalRequest = [
    request.method.toUpperCase(),
    request.url.pathname,
    query,
    canonicalHeaders,
    [...signedHeaders].sort().join(';'),
    payload,
  ].join('\n');
  const scope = `${day}/${region}/s3/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', q.get('X-Amz-Date'), scope, sha256(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, day), region), 's3'), 'aws4_request');
  const expected = createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
  if (expected !== q.get('X-Amz-Signature')) {
    return refuse(
      403,
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      accessKeyId,
    );
  }
  return { ok: true, accessKeyId, region, signedHeaders, expiresSeconds: expires, signedAt };
}
