import type { S3Client } from '@aws-sdk/client-s3';
import * as z from 'zod/mini';
import { isS3Code } from '../../aws/errors.js';
import { S3 } from '../../aws/sdk.js';
import { type ErrorMatch, attempt, defineResource, unlessNotFound } from '../../engine/resource.js';
import type { Change, Step, StepContext } from '../../engine/types.js';
import { HmError } from '../../errors.js';
import type { BucketSetting } from './bucket-settings.js';

/** One statement of an IAM policy document, as loosely as AWS accepts it. */
export interface Statement {
  Sid?: string;
  Effect: string;
  Principal?: unknown;
  Action?: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
  [key: string]: unknown;
}

export interface PolicyDocument {
  Version?: string;
  Id?: string;
  Statement: Statement[];
}

const outputsSchema = z.object({
  /** The statements this tool owns in the bucket policy. */
  sids: z.array(z.string()),
});
export type BucketPolicyOutputs = z.infer<typeof outputsSchema>;

declare module '../../engine/types.js' {
  interface StepOutputs {
    'bucket-policy': BucketPolicyOutputs;
  }
}

export const READ_SID = 'AllowCloudFrontRead';
export const TLS_SID = 'DenyInsecureTransport';
const sidsOf = (withCdn: boolean) => (withCdn ? [READ_SID, TLS_SID] : [TLS_SID]);

/**
 * The statement of docs/resources.md (CloudFront may read objects, only through this distribution), plus the
 * standard deny of plain-HTTP access to the bucket. Without a CDN, only the deny.
 */
export function ourStatements(bucketArn: string, distributionArn: string | undefined): Statement[] {
  const read: Statement[] =
    distributionArn === undefined
      ? []
      : [
          {
            Sid: READ_SID,
            Effect: 'Allow',
            Principal: { Service: 'cloudfront.amazonaws.com' },
            Action: 's3:GetObject',
            Resource: `${bucketArn}/*`,
            Condition: { StringEquals: { 'AWS:SourceArn': distributionArn } },
          },
        ];
  return [
    ...read,
    {
      Sid: TLS_SID,
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:*',
      Resource: [bucketArn, `${bucketArn}/*`],
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    },
  ];
}

const asList = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]).sort();

function canonicalPrincipal(p: unknown): unknown {
  if (p === undefined || typeof p === 'string') return p ?? null;
  return Object.fromEntries(
    Object.entries(p as Record<string, unknown>)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => [k, asList(v)]),
  );
}

/**
 * A statement in a form that ignores how AWS re-spells a policy it stores (a one-item list
 * becomes a string, keys are reordered), so an unchanged statement compares equal.
 */
export function canonicalStatement(s: Statement): string {
  const condition = Object.fromEntries(
    Object.entries(s.Condition ?? {})
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([op, entries]) => [
        op,
        Object.fromEntries(
          Object.entries(entries)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([k, v]) => [k.toLowerCase(), asList(v)]),
        ),
      ]),
  );
  return JSON.stringify({
    sid: s.Sid ?? null,
    effect: s.Effect,
    principal: canonicalPrincipal(s.Principal),
    action: asList(s.Action),
    resource: asList(s.Resource),
    condition,
  });
}

/** A statement in one line, for the plan. */
export function describeStatement(s: Statement): string {
  const conditions = Object.values(s.Condition ?? {}).flatMap((entries) =>
    Object.entries(entries).map(([k, v]) => `${k}=${asList(v).join('|')}`),
  );
  return `${s.Effect} ${asList(s.Action).join(',')}${conditions.length ? ` if ${conditions.join(' and ')}` : ''}`;
}

/** The document to write: the current statements with ours replaced by Sid (or added). */
export function mergePolicy(current: PolicyDocument | undefined, ours: Statement[]): PolicyDocument {
  const statements = [...(current?.Statement ?? [])];
  for (const statement of ours) {
    const index = statements.findIndex((s) => s.Sid === statement.Sid);
    if (index >= 0) statements[index] = statement;
    else statements.push(statement);
  }
  return { ...current, Version: current?.Version ?? '2012-10-17', Statement: statements };
}

function parsePolicy(text: string, bucket: string): PolicyDocument {
  try {
    const doc = JSON.parse(text) as PolicyDocument;
    // A single statement may be stored as an object rather than a list.
    const statements = doc.Statement as Statement[] | Statement | undefined;
    return { ...doc, Statement: Array.isArray(statements) ? statements : statements ? [statements] : [] };
  } catch {
    throw new HmError('BUCKET_POLICY_UNREADABLE', `the policy of bucket ${bucket} is not valid JSON`, 'aws');
  }
}

const noSuchBucket: ErrorMatch = (err) => err instanceof S3.NoSuchBucket;
const noPolicy: ErrorMatch = (err) => isS3Code(err, 'NoSuchBucketPolicy');

/** The bucket's policy; S3 answers NoSuchBucketPolicy when it has none. */
async function readPolicy(s3: S3Client, bucket: string): Promise<PolicyDocument | undefined> {
  const res = await s3.send(new S3.GetBucketPolicyCommand({ Bucket: bucket }));
  return res.Policy ? parsePolicy(res.Policy, bucket) : undefined;
}

/** True when every statement of `ours` is in the document, as it should be (compared by Sid, then by meaning). */
export function hasStatements(current: PolicyDocument | undefined, ours: readonly Statement[]): boolean {
  return ours.every((want) => {
    const have = current?.Statement.find((s) => s.Sid === want.Sid);
    return have !== undefined && canonicalStatement(have) === canonicalStatement(want);
  });
}

/**
 * The bucket policy as a `BucketSetting`, for a bucket whose policy has nothing to wait for (the
 * state bucket): the statements `ours` gives, merged by Sid into whatever policy the bucket has.
 */
export function policySetting<C>(ours: (config: C) => Statement[]): BucketSetting<PolicyDocument, C> {
  return {
    name: 'policy',
    read: (s3, bucket) => readPolicy(s3, bucket),
    notSet: noPolicy,
    desired: (config, current) => mergePolicy(current, ours(config)),
    satisfied: (current, config) => hasStatements(current, ours(config)),
    write: async (s3, Bucket, document) => {
      await s3.send(new S3.PutBucketPolicyCommand({ Bucket, Policy: JSON.stringify(document) }));
    },
    summary: (v) => (v?.Statement.length ? v.Statement.map((s) => s.Sid ?? '(no Sid)').join(', ') : 'none'),
  };
}

/**
 * Bucket policy: CloudFront (this distribution only) may read; plain HTTP is refused. Without
 * the CDN (--no-cdn) only the refusal, and the step does not wait for a distribution.
 */
export function makeBucketPolicyStep(withCdn: boolean): Step<PolicyDocument, BucketPolicyOutputs> {
  const sids = sidsOf(withCdn);
  const statements = (ctx: StepContext) =>
    ourStatements(ctx.output('bucket').arn, withCdn ? ctx.output('distribution').arn : undefined);

  /** Our statements merged into the current policy (or a new one). */
  const writePolicy = async (ctx: StepContext, current: PolicyDocument | undefined) => {
    const bucket = ctx.output('bucket').name;
    const document = mergePolicy(current, statements(ctx));
    await attempt(
      () => ctx.aws.s3().send(new S3.PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify(document) })),
      `set the policy of bucket ${bucket}`,
    );
    return { sids };
  };

  return defineResource<PolicyDocument, BucketPolicyOutputs>({
    id: 'bucket-policy',
    title: 'S3 bucket policy',
    service: 'S3',
    // After the distribution, whose ARN the policy names (so there is no cycle to break), and
    // after the other bucket settings: S3 may refuse concurrent configuration writes to a bucket.
    dependsOn: withCdn ? ['bucket', 'bucket-settings', 'distribution'] : ['bucket', 'bucket-settings'],
    describe: (ctx) => `the policy of bucket ${ctx.output('bucket').name}`,
    notFound: noPolicy,
    outputsSchema,

    find: (ctx) => readPolicy(ctx.aws.s3(), ctx.output('bucket').name),

    toCreate: () => ({ field: 'policy', to: sids.join(', '), note: 'the bucket has no policy' }),

    diff: (ctx, observed) =>
      statements(ctx).flatMap((want): Change[] => {
        const have = observed.Statement.find((s) => s.Sid === want.Sid);
        if (!have)
          return [
            {
              field: want.Sid ?? '',
              action: 'create',
              to: describeStatement(want),
              note: 'statement missing from the bucket policy',
            },
          ];
        if (canonicalStatement(have) === canonicalStatement(want)) return [];
        return [
          {
            field: want.Sid ?? '',
            action: 'update',
            from: describeStatement(have),
            to: describeStatement(want),
            note: 'statement differs from what the CDN needs',
          },
        ];
      }),

    // Our statements are ours to remove later, even if the answer to the write is lost.
    intent: () => ({ sids }),
    create: (ctx) => writePolicy(ctx, undefined),

    /** Our statements added to a policy that has others, or put back: ours to remove later too. */
    async update(ctx, observed) {
      if (!ctx.recorded?.owned) await ctx.intend({ sids });
      return writePolicy(ctx, observed);
    },

    outputs: () => ({ sids }),

    /** Removes our statements only; a policy left empty is deleted. */
    async remove(ctx, recorded) {
      const bucket = ctx.output('bucket').name;
      const s3 = ctx.aws.s3();
      const current = await unlessNotFound(
        () => readPolicy(s3, bucket),
        [noPolicy, noSuchBucket],
        `read the policy of bucket ${bucket}`,
      );
      if (!current) return;
      const rest = current.Statement.filter((s) => !recorded.sids.includes(s.Sid ?? ''));
      const removing = `remove the CDN statements from the policy of bucket ${bucket}`;
      if (rest.length === 0)
        await unlessNotFound(
          () => s3.send(new S3.DeleteBucketPolicyCommand({ Bucket: bucket })),
          noSuchBucket,
          removing,
        );
      else if (rest.length < current.Statement.length)
        await unlessNotFound(
          () =>
            s3.send(
              new S3.PutBucketPolicyCommand({
                Bucket: bucket,
                Policy: JSON.stringify({ ...current, Statement: rest }),
              }),
            ),
          noSuchBucket,
          removing,
        );
    },
  });
}

export const bucketPolicyStep = makeBucketPolicyStep(true);
