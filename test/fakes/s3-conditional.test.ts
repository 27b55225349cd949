/**
 * S3 objects in the fake account as the state file on S3 uses them (issue 20), through SDK
 * clients: real ETags, conditional writes (If-None-Match: * for the lock, If-Match for each
 * state write), conditional deletes and reads, versions, listing and copies. Each rule as the
 * S3 user guide (conditional writes, conditional deletes, conditional requests) documents it.
 */
import { createHash } from 'node:crypto';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutBucketEncryptionCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  type PutObjectCommandInput,
  S3Client,
  type S3ServiceException,
} from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeAccount, awsError } from './account.js';
import { type InstalledFake, installFakeAccount } from './install.js';

const REGION = 'eu-west-1';
const BUCKET = 'hm-state-test';
const VERSIONED = 'hm-state-versioned';
const STATE = 'hm-infra/dev.json';
const LOCK = 'hm-infra/dev.lock';

const md5 = (body: string) => `"${createHash('md5').update(body).digest('hex')}"`;

let installed: InstalledFake;
let fake: FakeAccount;
let s3: S3Client;

beforeEach(async () => {
  installed = installFakeAccount(new FakeAccount());
  fake = installed.fake;
  s3 = new S3Client({ region: REGION });
  for (const Bucket of [BUCKET, VERSIONED])
    await s3.send(new CreateBucketCommand({ Bucket, CreateBucketConfiguration: { LocationConstraint: REGION } }));
  await s3.send(new PutBucketVersioningCommand({ Bucket: VERSIONED, VersioningConfiguration: { Status: 'Enabled' } }));
});
afterEach(() => installed.restore());

const put = (input: Partial<PutObjectCommandInput> & { Body: string }) =>
  s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: STATE, ContentType: 'application/json', ...input }));
const read = async (Key = STATE, Bucket = BUCKET) => {
  const answer = await s3.send(new GetObjectCommand({ Bucket, Key }));
  return { etag: answer.ETag, body: await answer.Body?.transformToString() };
};
/** What a failed call raised: class, name, status and fault, as the code sees them. */
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => 'succeeded',
    (e: S3ServiceException) => ({
      class: e.constructor.name,
      name: e.name,
      status: e.$metadata.httpStatusCode,
      fault: e.$fault,
    }),
  );
const PRECONDITION_FAILED = { class: 'S3ServiceException', name: 'PreconditionFailed', status: 412, fault: 'client' };
const NO_SUCH_KEY = { class: 'NoSuchKey', name: 'NoSuchKey', status: 404, fault: 'client' };
const CONFLICT = { class: 'S3ServiceException', name: 'ConditionalRequestConflict', status: 409, fault: 'client' };

describe('ETags', () => {
  it('is the quoted MD5 hex of the body, the same in PutObject, GetObject, HeadObject and ListObjectsV2', async () => {
    const body = '{"version":1}';
    // WHEN
    const written = await put({ Body: body });
    // THEN
    expect(written.ETag).toBe(md5(body));
    expect(await read()).toEqual({ etag: md5(body), body });
    expect((await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: STATE }))).ETag).toBe(md5(body));
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'hm-infra/' }));
    expect(listed.Contents?.map((c) => [c.Key, c.ETag, c.Size])).toEqual([[STATE, md5(body), body.length]]);
    expect(fake.currentObject(BUCKET, STATE)?.etag).toBe(md5(body));
  });

  it('changes with the body, and a byte body has the ETag of its text', async () => {
    const first = await put({ Body: '{"n":1}' });
    const second = await s3.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: STATE, Body: Buffer.from('{"n":2}', 'utf8') }),
    );
    expect(second.ETag).toBe(md5('{"n":2}'));
    expect(second.ETag).not.toBe(first.ETag);
    expect((await read()).body).toBe('{"n":2}');
  });

  it('with SSE-KMS is not the MD5 (as on AWS), but stable for one body and key and new for a new body', async () => {
    const kms = { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'alias/hm-state' } as const;
    const first = await put({ Body: 'a', ...kms });
    const again = await put({ Body: 'a', ...kms });
    const other = await put({ Body: 'b', ...kms });
    expect(first).toMatchObject({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'alias/hm-state' });
    expect(first.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(first.ETag).not.toBe(md5('a'));
    expect(again.ETag).toBe(first.ETag);
    expect(other.ETag).not.toBe(first.ETag);
    // SSE-S3 (asked for, or the bucket's default) keeps the MD5.
    expect((await put({ Body: 'a', ServerSideEncryption: 'AES256' })).ETag).toBe(md5('a'));
    expect(await put({ Body: 'a' })).toMatchObject({ ETag: md5('a'), ServerSideEncryption: 'AES256' });
  });

  it("follows the bucket's default encryption when the write names none: SSE-KMS with the bucket's key", async () => {
    await s3.send(
      new PutBucketEncryptionCommand({
        Bucket: BUCKET,
        ServerSideEncryptionConfiguration: {
          Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: 'alias/default' } }],
        },
      }),
    );
    const written = await put({ Body: 'a' });
    expect(written).toMatchObject({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'alias/default' });
    expect(written.ETag).not.toBe(md5('a'));
    expect(await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: STATE }))).toMatchObject({
      ETag: written.ETag,
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: 'alias/default',
    });
  });
});

describe('PutObject with If-None-Match: * (the lock, the first state write)', () => {
  it('creates an object the key does not have', async () => {
    const written = await put({ Key: LOCK, Body: '{"pid":1}', IfNoneMatch: '*' });
    expect(written.ETag).toBe(md5('{"pid":1}'));
    expect(await read(LOCK)).toEqual({ etag: md5('{"pid":1}'), body: '{"pid":1}' });
  });

  it('refuses a key that has an object with 412 PreconditionFailed, and leaves the object as it was', async () => {
    await put({ Key: LOCK, Body: 'held', IfNoneMatch: '*' });
    // WHEN
    const raised = await failure(put({ Key: LOCK, Body: 'mine', IfNoneMatch: '*' }));
    // THEN
    expect(raised).toEqual(PRECONDITION_FAILED);
    expect((await read(LOCK)).body).toBe('held');
  });

  it('takes a key whose current version is a delete marker (the check is on the current version)', async () => {
    await put({ Bucket: VERSIONED, Key: LOCK, Body: 'held', IfNoneMatch: '*' });
    await s3.send(new DeleteObjectCommand({ Bucket: VERSIONED, Key: LOCK }));
    // WHEN
    await put({ Bucket: VERSIONED, Key: LOCK, Body: 'mine', IfNoneMatch: '*' });
    // THEN
    expect((await read(LOCK, VERSIONED)).body).toBe('mine');
    expect(fake.objectVersions(VERSIONED, LOCK).map((v) => (v.isDeleteMarker ? 'marker' : v.body))).toEqual([
      'mine',
      'marker',
      'held',
    ]);
  });
});

describe('PutObject with If-Match (every later state write)', () => {
  it('writes when the ETag is the current one, and answers the new ETag', async () => {
    const first = await put({ Body: '{"n":1}', IfNoneMatch: '*' });
    // WHEN
    const second = await put({ Body: '{"n":2}', IfMatch: first.ETag });
    // THEN
    expect(second.ETag).toBe(md5('{"n":2}'));
    expect(await read()).toEqual({ etag: md5('{"n":2}'), body: '{"n":2}' });
  });

  it('takes the ETag with or without its quotes', async () => {
    await put({ Body: '{"n":1}' });
    await put({ Body: '{"n":2}', IfMatch: md5('{"n":1}').replace(/"/g, '') });
    expect((await read()).body).toBe('{"n":2}');
  });

  it('refuses a stale ETag (someone wrote since) with 412 PreconditionFailed, writing nothing', async () => {
    const first = await put({ Body: '{"n":1}' });
    await put({ Body: '{"n":2}', IfMatch: first.ETag });
    // WHEN the first writer writes with the ETag it last read
    const raised = await failure(put({ Body: '{"n":3}', IfMatch: first.ETag }));
    // THEN
    expect(raised).toEqual(PRECONDITION_FAILED);
    expect((await read()).body).toBe('{"n":2}');
  });

  it('refuses a key without an object with 404 NoSuchKey (the modeled class), as AWS does', async () => {
    const raised = put({ Body: '{}', IfMatch: md5('{}') });
    await expect(raised).rejects.toBeInstanceOf(NoSuchKey);
    expect(await failure(put({ Body: '{}', IfMatch: md5('{}') }))).toEqual(NO_SUCH_KEY);
    expect(fake.objectVersions(BUCKET, STATE)).toEqual([]);
  });

  it('refuses a key whose current version is a delete marker with 404 NoSuchKey', async () => {
    const first = await put({ Bucket: VERSIONED, Body: '{"n":1}' });
    await s3.send(new DeleteObjectCommand({ Bucket: VERSIONED, Key: STATE }));
    expect(await failure(put({ Bucket: VERSIONED, Body: '{"n":2}', IfMatch: first.ETag }))).toEqual(NO_SUCH_KEY);
  });

  it('in a versioned bucket keeps each conditional write as a version, newest first, each with its ETag', async () => {
    const v1 = await put({ Bucket: VERSIONED, Body: '{"n":1}', IfNoneMatch: '*' });
    const v2 = await put({ Bucket: VERSIONED, Body: '{"n":2}', IfMatch: v1.ETag });
    const v3 = await put({ Bucket: VERSIONED, Body: '{"n":3}', IfMatch: v2.ETag });
    // THEN
    expect([v1, v2, v3].map((v) => v.VersionId)).toEqual(
      fake
        .objectVersions(VERSIONED, STATE)
        .map((v) => v.versionId)
        .reverse(),
    );
    expect(fake.objectVersions(VERSIONED, STATE).map((v) => [v.body, v.etag])).toEqual([
      ['{"n":3}', md5('{"n":3}')],
      ['{"n":2}', md5('{"n":2}')],
      ['{"n":1}', md5('{"n":1}')],
    ]);
    const listed = await s3.send(new ListObjectVersionsCommand({ Bucket: VERSIONED, Prefix: STATE }));
    expect(listed.Versions?.map((v) => [v.VersionId, v.ETag, v.IsLatest])).toEqual([
      [v3.VersionId, v3.ETag, true],
      [v2.VersionId, v2.ETag, false],
      [v1.VersionId, v1.ETag, false],
    ]);
    const old = await s3.send(new GetObjectCommand({ Bucket: VERSIONED, Key: STATE, VersionId: v1.VersionId }));
    expect([old.ETag, await old.Body?.transformToString()]).toEqual([v1.ETag, '{"n":1}']);
    await expect(
      s3.send(new GetObjectCommand({ Bucket: VERSIONED, Key: STATE, VersionId: 'v999' })),
    ).rejects.toMatchObject({ name: 'NoSuchVersion', $metadata: { httpStatusCode: 404 } });
  });
});

describe('concurrent conditional writes to one key', () => {
  beforeEach(() => {
    // Each call reaches S3 a moment later, so both are in flight together.
    fake.delayMs = 5;
  });

  it('two If-None-Match: * (two runs taking the lock): exactly one wins, the other gets 412', async () => {
    const outcomes = await Promise.allSettled(
      ['run-a', 'run-b'].map((Body) => put({ Key: LOCK, Body, IfNoneMatch: '*' })),
    );
    // THEN
    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
    const lost = outcomes.find((o) => o.status === 'rejected');
    expect(lost?.reason).toMatchObject({ name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } });
    const winner = outcomes.findIndex((o) => o.status === 'fulfilled');
    expect((await read(LOCK)).body).toBe(['run-a', 'run-b'][winner]);
  });

  it('two If-Match with the same ETag (two writers from one read): exactly one wins, the other gets 412', async () => {
    const { ETag } = await put({ Bucket: VERSIONED, Body: '{"n":1}' });
    // WHEN
    const outcomes = await Promise.allSettled(
      ['{"by":"a"}', '{"by":"b"}'].map((Body) => put({ Bucket: VERSIONED, Body, IfMatch: ETag })),
    );
    // THEN
    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(outcomes.find((o) => o.status === 'rejected')?.reason).toMatchObject({ name: 'PreconditionFailed' });
    expect(fake.objectVersions(VERSIONED, STATE)).toHaveLength(2);
  });
});

describe('409 ConditionalRequestConflict, injected', () => {
  it('conflictNextConditionalPut(key): the next conditional write to the key answers 409 and writes nothing', async () => {
    const { ETag } = await put({ Body: '{"n":1}' });
    fake.conflictNextConditionalPut(STATE);
    // WHEN
    const raised = await failure(put({ Body: '{"n":2}', IfMatch: ETag }));
    // THEN
    expect(raised).toEqual(CONFLICT);
    expect((await read()).body).toBe('{"n":1}');
    // AND the retry S3's documentation advises (with the ETag read again) goes through
    await put({ Body: '{"n":2}', IfMatch: (await read()).etag });
    expect((await read()).body).toBe('{"n":2}');
  });

  it('leaves unconditional writes and other keys alone, and counts the conflicts asked for', async () => {
    fake.conflictNextConditionalPut(LOCK, 2);
    await put({ Key: LOCK, Body: 'plain' });
    await put({ Key: 'hm-infra/prod.lock', Body: 'other', IfNoneMatch: '*' });
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: LOCK }));
    expect(await failure(put({ Key: LOCK, Body: 'a', IfNoneMatch: '*' }))).toEqual(CONFLICT);
    expect(await failure(put({ Key: LOCK, Body: 'b', IfNoneMatch: '*' }))).toEqual(CONFLICT);
    await put({ Key: LOCK, Body: 'c', IfNoneMatch: '*' });
    expect((await read(LOCK)).body).toBe('c');
  });

  it('also through failNext, as the registry builds it', async () => {
    fake.failNext('s3', 'PutObject', () => awsError('s3', 'ConditionalRequestConflict'));
    expect(await failure(put({ Key: LOCK, Body: 'a', IfNoneMatch: '*' }))).toEqual(CONFLICT);
    expect(fake.currentObject(BUCKET, LOCK)).toBeUndefined();
  });
});

describe('DeleteObject with If-Match (releasing the lock)', () => {
  it('deletes the object when the ETag is the current one', async () => {
    const { ETag } = await put({ Key: LOCK, Body: 'mine', IfNoneMatch: '*' });
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: LOCK, IfMatch: ETag }));
    expect(fake.objectVersions(BUCKET, LOCK)).toEqual([]);
  });

  it("refuses another's lock (another ETag) with 412 PreconditionFailed, deleting nothing", async () => {
    const mine = await put({ Key: LOCK, Body: 'mine' });
    await put({ Key: LOCK, Body: 'theirs' });
    // WHEN
    const raised = await failure(s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: LOCK, IfMatch: mine.ETag })));
    // THEN
    expect(raised).toEqual(PRECONDITION_FAILED);
    expect((await read(LOCK)).body).toBe('theirs');
  });

  it('refuses a key without an object with 404 NoSuchKey (a delete without If-Match answers 204)', async () => {
    const raised = await failure(s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: LOCK, IfMatch: md5('x') })));
    expect(raised).toEqual(NO_SUCH_KEY);
    await expect(s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: LOCK }))).resolves.toBeDefined();
  });

  it('takes If-Match: * as "if it exists", and in a versioned bucket adds a delete marker', async () => {
    await put({ Bucket: VERSIONED, Key: LOCK, Body: 'mine' });
    const deleted = await s3.send(new DeleteObjectCommand({ Bucket: VERSIONED, Key: LOCK, IfMatch: '*' }));
    expect(deleted).toMatchObject({
      DeleteMarker: true,
      VersionId: fake.objectVersions(VERSIONED, LOCK)[0]?.versionId,
    });
    expect(fake.currentObject(VERSIONED, LOCK)).toBeUndefined();
    expect(await failure(s3.send(new DeleteObjectCommand({ Bucket: VERSIONED, Key: LOCK, IfMatch: '*' })))).toEqual(
      NO_SUCH_KEY,
    );
  });
});

describe('GetObject and HeadObject', () => {
  it('answer a missing key: GetObject NoSuchKey (404), HeadObject NotFound (404, no body)', async () => {
    expect(await failure(s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: STATE })))).toEqual(NO_SUCH_KEY);
    expect(await failure(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: STATE })))).toEqual({
      class: 'NotFound',
      name: 'NotFound',
      status: 404,
      fault: 'client',
    });
  });

  it('with If-Match not met answer 412: PreconditionFailed from GET, unnamed from HEAD (no body)', async () => {
    await put({ Body: '{"n":1}' });
    const stale = md5('{"n":0}');
    expect(await failure(s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: STATE, IfMatch: stale })))).toEqual(
      PRECONDITION_FAILED,
    );
    expect(await failure(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: STATE, IfMatch: stale })))).toEqual({
      class: 'S3ServiceException',
      name: 'Unknown',
      status: 412,
      fault: 'client',
    });
    const current = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: STATE, IfMatch: md5('{"n":1}') }));
    expect(await current.Body?.transformToString()).toBe('{"n":1}');
  });

  it('with If-None-Match met answer 304 Not Modified (no body, so unnamed), and the object otherwise', async () => {
    await put({ Body: '{"n":1}' });
    const notModified = { class: 'S3ServiceException', name: 'Unknown', status: 304, fault: 'client' };
    expect(
      await failure(s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: STATE, IfNoneMatch: md5('{"n":1}') }))),
    ).toEqual(notModified);
    expect(
      await failure(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: STATE, IfNoneMatch: md5('{"n":1}') }))),
    ).toEqual(notModified);
    const changed = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: STATE, IfNoneMatch: md5('{"n":0}') }));
    expect(changed).toMatchObject({ ETag: md5('{"n":1}'), ContentType: 'application/json', ContentLength: 7 });
  });
});

describe('ListObjectsV2', () => {
  it('lists the keys under a prefix in pages (ContinuationToken), leaving out deleted objects', async () => {
    for (const env of ['dev', 'prod', 'staging', 'test'])
      await put({ Bucket: VERSIONED, Key: `hm-infra/${env}.json`, Body: env });
    await put({ Bucket: VERSIONED, Key: 'other/x.json', Body: 'x' });
    await s3.send(new DeleteObjectCommand({ Bucket: VERSIONED, Key: 'hm-infra/staging.json' }));
    // WHEN
    const keys: string[] = [];
    let ContinuationToken: string | undefined;
    let pages = 0;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: VERSIONED, Prefix: 'hm-infra/', MaxKeys: 2, ContinuationToken }),
      );
      keys.push(...(page.Contents ?? []).map((c) => `${c.Key} ${c.ETag}`));
      ContinuationToken = page.NextContinuationToken;
      pages += 1;
    } while (ContinuationToken !== undefined && pages < 10);
    // THEN
    expect(keys).toEqual(['dev', 'prod', 'test'].map((env) => `hm-infra/${env}.json ${md5(env)}`));
    expect(pages).toBe(2);
  });

  it('rolls keys below a Delimiter up into CommonPrefixes', async () => {
    await put({ Key: 'hm-infra/dev.json', Body: 'a' });
    await put({ Key: 'hm-infra/old/dev.json', Body: 'b' });
    await put({ Key: 'hm-infra/old/prod.json', Body: 'c' });
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'hm-infra/', Delimiter: '/' }));
    expect(listed.Contents?.map((c) => c.Key)).toEqual(['hm-infra/dev.json']);
    expect(listed.CommonPrefixes).toEqual([{ Prefix: 'hm-infra/old/' }]);
    expect(listed.KeyCount).toBe(2);
  });
});

describe('CopyObject', () => {
  it('copies the current version, with its ETag and content type', async () => {
    await put({ Body: '{"n":1}' });
    const copied = await s3.send(
      new CopyObjectCommand({ Bucket: BUCKET, Key: 'hm-infra/dev.json.bak', CopySource: `${BUCKET}/${STATE}` }),
    );
    expect(copied.CopyObjectResult?.ETag).toBe(md5('{"n":1}'));
    expect(fake.currentObject(BUCKET, 'hm-infra/dev.json.bak')).toMatchObject({
      body: '{"n":1}',
      contentType: 'application/json',
    });
  });

  it('checks If-None-Match on the destination and CopySourceIfMatch on the source (412), and a missing source (404)', async () => {
    await put({ Body: 'source' });
    await put({ Key: 'dest.json', Body: 'dest' });
    const copy = (input: Partial<ConstructorParameters<typeof CopyObjectCommand>[0]>) =>
      failure(
        s3.send(
          new CopyObjectCommand({ Bucket: BUCKET, Key: 'dest.json', CopySource: `${BUCKET}/${STATE}`, ...input }),
        ),
      );
    expect(await copy({ IfNoneMatch: '*' })).toEqual(PRECONDITION_FAILED);
    expect(await copy({ CopySourceIfMatch: md5('stale') })).toEqual(PRECONDITION_FAILED);
    expect(await copy({ CopySource: `${BUCKET}/missing.json` })).toEqual(NO_SUCH_KEY);
    expect((await read('dest.json')).body).toBe('dest');
    await copy({ IfMatch: md5('dest'), CopySourceIfMatch: md5('source') });
    expect((await read('dest.json')).body).toBe('source');
  });
});

describe('who may write conditionally', () => {
  it('an app user needs s3:GetObject as well as s3:PutObject to write with If-Match, not with If-None-Match', async () => {
    const user = fake.iam.addUser('app', { keys: 1 });
    user.policies.set(
      's3',
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 's3:PutObject', Resource: `arn:aws:s3:::${BUCKET}/*` }],
      }),
    );
    const key = user.keys[0];
    if (!key) throw new Error('no key');
    const app = new S3Client({ region: REGION, credentials: { accessKeyId: key.id, secretAccessKey: key.secret } });
    const { ETag } = await app.send(new PutObjectCommand({ Bucket: BUCKET, Key: STATE, Body: 'a', IfNoneMatch: '*' }));
    await expect(
      app.send(new PutObjectCommand({ Bucket: BUCKET, Key: STATE, Body: 'b', IfMatch: ETag })),
    ).rejects.toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
  });
});
