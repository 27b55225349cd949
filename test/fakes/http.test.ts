import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { describe, expect, it } from 'vitest';
import { FakeAccount } from './account.js';

const BUCKET = 'uploads-test';
const REGION = 'eu-west-1';

/** An account with a bucket and an app user whose key may put objects in it. */
async function givenAccount() {
  const fake = new FakeAccount();
  await fake.call(
    's3',
    'CreateBucket',
    { Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: REGION } },
    REGION,
  );
  const user = fake.iam.addUser('app', { keys: 1 });
  user.policies.set(
    's3',
    JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['s3:PutObject'], Resource: [`arn:aws:s3:::${BUCKET}/*`] }],
    }),
  );
  const key = user.keys[0];
  if (!key) throw new Error('no key');
  return { fake, credentials: { accessKeyId: key.id, secretAccessKey: key.secret } };
}

const presign = (credentials: { accessKeyId: string; secretAccessKey: string }, extra: Record<string, unknown> = {}) =>
  getSignedUrl(
    new S3Client({ region: REGION, credentials, ...extra }),
    new PutObjectCommand({ Bucket: BUCKET, Key: 'a/b.txt', ContentType: 'text/plain' }),
    {
      expiresIn: 300,
      signableHeaders: new Set(['content-type']),
    },
  );

const put = async (fake: FakeAccount, url: string, body = 'hello') => {
  const response = await fake.http.fetch(url, { method: 'PUT', headers: { 'content-type': 'text/plain' }, body });
  return `${response.status} ${/<Code>([^<]+)/.exec(await response.text())?.[1] ?? ''}`.trim();
};

describe('the fake account over HTTP (presigned S3 URLs)', () => {
  it('takes an upload through a URL the SDK presigned with the app key, and stores its content type', async () => {
    const { fake, credentials } = await givenAccount();
    expect(await put(fake, await presign(credentials, { requestChecksumCalculation: 'WHEN_REQUIRED' }))).toBe('200');
    expect(fake.currentObject(BUCKET, 'a/b.txt')).toMatchObject({ body: 'hello', contentType: 'text/plain' });
  });

  it('refuses, as S3 does, a URL presigned with the SDK default: the checksum of an empty body', async () => {
    const { fake, credentials } = await givenAccount();
    const url = await presign(credentials);
    expect(new URL(url).searchParams.get('x-amz-checksum-crc32')).toBe('AAAAAA==');
    expect(await put(fake, url)).toBe('400 BadDigest');
    expect(await put(fake, url, '')).toBe('200');
  });

  it('refuses a wrong secret, an unknown key, and a user without s3:PutObject', async () => {
    const { fake, credentials } = await givenAccount();
    const options = { requestChecksumCalculation: 'WHEN_REQUIRED' };
    expect(await put(fake, await presign({ ...credentials, secretAccessKey: 'not-the-secret' }, options))).toBe(
      '403 SignatureDoesNotMatch',
    );
    expect(await put(fake, await presign({ accessKeyId: 'AKIANOBODY', secretAccessKey: 'x' }, options))).toBe(
      '403 InvalidAccessKeyId',
    );
    fake.iam.user('app')?.policies.clear();
    expect(await put(fake, await presign(credentials, options))).toBe('403 AccessDenied');
  });
});
