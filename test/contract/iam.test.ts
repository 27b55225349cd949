/**
 * IAM steps against IAM's wire format (awsQuery): XML results, `<ErrorResponse>` errors with
 * IAM's codes (`NoSuchEntity` …), which the SDK raises as its own classes
 * (`NoSuchEntityException` …, the code kept in `Code`).
 */
import { describe, expect, it } from 'vitest';
import type { HmError } from '../../src/errors.js';
import { makeAccessKeyStep } from '../../src/resources/iam/access-key.js';
import { s3PolicyStep } from '../../src/resources/iam/policies.js';
import { s3UploadsPolicy } from '../../src/resources/iam/policy-document.js';
import { iamUserStep } from '../../src/resources/iam/user.js';
import { resourceTags } from '../../src/resources/tags.js';
import { converge, givenConfig, givenStepContext } from '../support/context.js';
import { IAM_NS, awsQueryError, givenWireAws, queryResult } from '../support/wire-aws.js';

const wire = givenWireAws();

const USER = 'healthmetrics-app-dev';
const USER_ARN = `arn:aws:iam::123456789012:user/${USER}`;
const BUCKET_ARN = 'arn:aws:s3:::healthmetrics-uploads-dev';
const outputs = {
  'iam-user': { name: USER, arn: USER_ARN, userId: 'AIDA2EXAMPLEUSERID01' },
  bucket: {
    name: 'healthmetrics-uploads-dev',
    arn: BUCKET_ARN,
    region: 'us-east-1',
    regionalDomainName: 'healthmetrics-uploads-dev.s3.us-east-1.amazonaws.com',
  },
};
const givenContext = () => givenStepContext({ aws: wire.aws(), outputs });

// ── IAM's answers ─────────────────────────────────────────────────────────────────────────

const result = (action: string, xml: string) => queryResult(IAM_NS, action, xml);
const noSuchUser = () => awsQueryError(404, 'NoSuchEntity', `The user with name ${USER} cannot be found.`);
const userXml = (userId: string) =>
  `<User><Path>/</Path><UserName>${USER}</UserName><UserId>${userId}</UserId><Arn>${USER_ARN}</Arn><CreateDate>2026-11-01T09:30:12Z</CreateDate></User>`;
const tagsXml = (tags: Array<{ Key: string; Value: string }>) =>
  tags.map((t) => `<member><Key>${t.Key}</Key><Value>${t.Value}</Value></member>`).join('');
const keyXml = (id: string) =>
  `<member><UserName>${USER}</UserName><AccessKeyId>${id}</AccessKeyId><Status>Active</Status><CreateDate>2026-11-01T09:31:00Z</CreateDate></member>`;
const keysResult = (ids: string[]) =>
  result(
    'ListAccessKeys',
    `<UserName>${USER}</UserName><AccessKeyMetadata>${ids.map(keyXml).join('')}</AccessKeyMetadata><IsTruncated>false</IsTruncated>`,
  );
/** IAM returns a policy document URL-encoded (RFC 3986: every reserved character, `*` too). */
const rfc3986 = (text: string) =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const policyResult = (document: unknown) =>
  result(
    'GetUserPolicy',
    `<UserName>${USER}</UserName><PolicyName>s3-uploads</PolicyName><PolicyDocument>${rfc3986(JSON.stringify(document))}</PolicyDocument>`,
  );

/** The form parameters of the requests of one action. */
const params = (action: string) => wire.sent('iam', action).map((r) => Object.fromEntries(new URLSearchParams(r.body)));

describe('IAM user', () => {
  it('reads a user IAM does not have (NoSuchEntity, 404) as absent', async () => {
    wire.on('iam', 'GetUser', noSuchUser());
    // WHEN
    const observed = await iamUserStep.read(givenContext());
    // THEN
    expect(observed).toBeUndefined();
    expect(params('GetUser')).toEqual([{ Action: 'GetUser', Version: '2010-05-08', UserName: USER }]);
  });

  it('reads a user with its tags, as IAM lists them', async () => {
    wire.on('iam', 'GetUser', result('GetUser', userXml('AIDA2EXAMPLEUSERID01')));
    wire.on(
      'iam',
      'ListUserTags',
      result(
        'ListUserTags',
        `<Tags>${tagsXml(resourceTags(givenConfig(), USER))}</Tags><IsTruncated>false</IsTruncated>`,
      ),
    );
    // WHEN
    const { changes, result: outcome } = await converge(iamUserStep, givenContext());
    // THEN
    expect(changes).toEqual([]);
    expect(outcome).toEqual({
      type: 'unchanged',
      outputs: { name: USER, arn: USER_ARN, userId: 'AIDA2EXAMPLEUSERID01' },
    });
  });

  it('adopts a user that appeared between read and create (EntityAlreadyExists, 409) once it is read again and carries our tags', async () => {
    wire.on('iam', 'GetUser', noSuchUser(), result('GetUser', userXml('AIDA2EXAMPLEUSERID02')));
    wire.on('iam', 'CreateUser', awsQueryError(409, 'EntityAlreadyExists', `User with name ${USER} already exists.`));
    wire.on(
      'iam',
      'ListUserTags',
      result(
        'ListUserTags',
        `<Tags>${tagsXml(resourceTags(givenConfig(), USER))}</Tags><IsTruncated>false</IsTruncated>`,
      ),
    );
    // WHEN
    const { result: outcome } = await converge(iamUserStep, givenContext());
    // THEN
    expect(outcome).toEqual({
      type: 'unchanged',
      outputs: { name: USER, arn: USER_ARN, userId: 'AIDA2EXAMPLEUSERID02' },
    });
    expect(params('CreateUser')).toHaveLength(1);
    expect(params('GetUser')).toHaveLength(2);
    expect(wire.sent('iam', 'TagUser')).toEqual([]);
  });

  it("turns the account's user quota (LimitExceeded on CreateUser, 409) into IAM_LIMIT", async () => {
    wire.on('iam', 'CreateUser', awsQueryError(409, 'LimitExceeded', 'Cannot exceed quota for UsersPerAccount: 5000'));
    // WHEN
    const error = (await iamUserStep.apply(givenContext(), undefined, []).catch((e: unknown) => e)) as HmError;
    // THEN
    expect(error).toMatchObject({ code: 'IAM_LIMIT' });
  });

  it('refuses to remove a user that still has keys or policies (DeleteConflict, 409): IAM_USER_IN_USE', async () => {
    wire.on(
      'iam',
      'DeleteUser',
      awsQueryError(409, 'DeleteConflict', 'Cannot delete entity, must delete access keys first.'),
    );
    // WHEN
    const error = (await iamUserStep.destroy(givenContext(), outputs['iam-user']).catch((e: unknown) => e)) as HmError;
    // THEN
    expect(error).toMatchObject({ code: 'IAM_USER_IN_USE' });
    expect(error.hint).toContain(`aws iam list-access-keys --user-name ${USER}`);
  });

  it('counts a user already gone (NoSuchEntity on DeleteUser) as removed', async () => {
    wire.on('iam', 'DeleteUser', noSuchUser());
    // WHEN
    const outcome = await iamUserStep.destroy(givenContext(), outputs['iam-user']);
    // THEN
    expect(outcome).toBeUndefined();
  });
});

describe('IAM inline policy', () => {
  it('reads a policy the user does not have (NoSuchEntity on GetUserPolicy) as absent', async () => {
    wire.on(
      'iam',
      'GetUserPolicy',
      awsQueryError(404, 'NoSuchEntity', `The user policy with name s3-uploads cannot be found.`),
    );
    // WHEN
    const observed = await s3PolicyStep.read(givenContext());
    // THEN
    expect(observed).toBeUndefined();
    expect(params('GetUserPolicy')).toEqual([
      { Action: 'GetUserPolicy', Version: '2010-05-08', UserName: USER, PolicyName: 's3-uploads' },
    ]);
  });

  it('plans nothing for a policy IAM returns URL-encoded that says what hm-infra wants', async () => {
    // IAM keeps the document as written, here with the statements in another order.
    const stored = { Version: '2012-10-17', Statement: [...s3UploadsPolicy(BUCKET_ARN).Statement].reverse() };
    wire.on('iam', 'GetUserPolicy', policyResult(stored));
    const ctx = givenContext();
    // WHEN
    const observed = await s3PolicyStep.read(ctx);
    // THEN
    expect(observed).toEqual({ document: stored });
    expect(s3PolicyStep.plan(ctx, observed)).toEqual([]);
  });

  it('plans an update for a URL-encoded policy that grants more than it should', async () => {
    const widened = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] };
    wire.on('iam', 'GetUserPolicy', policyResult(widened));
    const ctx = givenContext();
    // WHEN
    const changes = s3PolicyStep.plan(ctx, await s3PolicyStep.read(ctx));
    // THEN
    expect(changes).toEqual([expect.objectContaining({ field: 'policy', action: 'update', from: 's3:* on *' })]);
  });

  it("turns a policy IAM rejects (MalformedPolicyDocument, 400) into IAM_POLICY_REJECTED, with IAM's reason", async () => {
    wire.on(
      'iam',
      'PutUserPolicy',
      awsQueryError(400, 'MalformedPolicyDocument', 'Policy document should not specify a principal.'),
    );
    // WHEN
    const error = (await s3PolicyStep.apply(givenContext(), { document: {} }, []).catch((e: unknown) => e)) as HmError;
    // THEN
    expect(error).toMatchObject({ code: 'IAM_POLICY_REJECTED' });
    expect(error.message).toContain('Policy document should not specify a principal.');
    expect(params('PutUserPolicy')).toHaveLength(1);
  });

  it('waits for a user IAM does not show yet (NoSuchEntity on PutUserPolicy), then writes the policy', async () => {
    wire.on('iam', 'PutUserPolicy', noSuchUser(), result('PutUserPolicy', ''));
    // WHEN
    const outcome = await s3PolicyStep.apply(givenContext(), { document: {} }, []);
    // THEN
    expect(outcome).toEqual({ type: 'updated', outputs: { userName: USER, policyName: 's3-uploads' } });
    const sent = params('PutUserPolicy');
    expect(sent).toHaveLength(2);
    expect(JSON.parse(sent[1]?.['PolicyDocument'] ?? '')).toEqual(s3UploadsPolicy(BUCKET_ARN));
  });
});

describe('IAM access key', () => {
  it('turns a refused key (LimitExceeded on CreateAccessKey, 409) into the "two access keys" error, naming the keys IAM lists', async () => {
    // Listed empty; by the create, the user's two slots are taken (and stay so, whatever the step removes).
    wire.on('iam', 'ListAccessKeys', keysResult([]), keysResult(['AKIA2EXAMPLEKEY00001', 'AKIA2EXAMPLEKEY00002']));
    wire.on(
      'iam',
      'CreateAccessKey',
      awsQueryError(409, 'LimitExceeded', 'Cannot exceed quota for AccessKeysPerUser: 2'),
    );
    wire.on('iam', 'DeleteAccessKey', result('DeleteAccessKey', ''));
    // WHEN
    const error = (await converge(makeAccessKeyStep({ dependsOn: ['iam-user'] }), givenContext()).catch(
      (e: unknown) => e,
    )) as HmError;
    // THEN
    expect(error).toMatchObject({ code: 'IAM_KEY_LIMIT' });
    expect(error.message).toContain('AKIA2EXAMPLEKEY00001, AKIA2EXAMPLEKEY00002');
    // AND a create sent once made no key of its own: none is deleted
    expect(wire.sent('iam', 'DeleteAccessKey')).toEqual([]);
  });
});
