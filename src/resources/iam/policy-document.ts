/**
 * IAM policy documents as typed values: built from fields, compared by meaning. No SDK here.
 */
import type { Change } from '../../engine/types.js';

export type ConditionBlock = Record<string, Record<string, string | string[]>>;

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  /** Resource policies only (a queue's): who the statement is about. */
  Principal?: { Service?: string | string[]; AWS?: string | string[] };
  Action: string[];
  /** Absent only in a trust policy, which is about the role itself. */
  Resource?: string[];
  Condition?: ConditionBlock;
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
}

/** What the app user may do with the uploads bucket: objects read/write/delete, and list the bucket itself. */
export function s3UploadsPolicy(bucketArn: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'UploadObjects',
        Effect: 'Allow',
        Action: ['s3:PutObject', 's3:GetObject', 's3:DeleteObject'],
        Resource: [`${bucketArn}/*`],
      },
      { Sid: 'ListUploads', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: [bucketArn] },
    ],
  };
}

export interface SesSendingResources {
  identityArn: string;
  configurationSetArn: string;
  templateArns: string[];
  fromAddress: string;
}

/** Sending through this environment's identity, configuration set and templates, from the one sender. */
export function sesSendingPolicy(r: SesSendingResources): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'SendFromConfiguredSender',
        Effect: 'Allow',
        Action: ['ses:SendEmail', 'ses:SendRawEmail', 'ses:SendTemplatedEmail'],
        Resource: [r.identityArn, r.configurationSetArn, ...r.templateArns],
        Condition: { StringEquals: { 'ses:FromAddress': r.fromAddress } },
      },
    ],
  };
}

/** The app processes its own bounces and complaints: it receives and deletes, nothing else. */
export function emailEventsConsumerPolicy(queueArn: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'ProcessEmailEvents',
        Effect: 'Allow',
        Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage'],
        Resource: [queueArn],
      },
    ],
  };
}

/** The app puts its domain events on its own bus only. */
export function appEventsPublisherPolicy(busArn: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [{ Sid: 'PutAppEvents', Effect: 'Allow', Action: ['events:PutEvents'], Resource: [busArn] }],
  };
}

/** Who may assume the email handler's role: the Lambda service, nothing else. */
export function lambdaTrustPolicy(): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: 'lambda.amazonaws.com' },
        Action: ['sts:AssumeRole'],
      },
    ],
  };
}

export interface EmailHandlerResources {
  queueArn: string;
  logGroupArn: string;
  sending: SesSendingResources;
}

/**
 * The email handler Lambda: reads its queue as an SQS event source needs (GetQueueAttributes
 * included: Lambda's event source mapping calls it), sends exactly as the app user may, and
 * writes to its own log group.
 */
export function emailHandlerPolicy(r: EmailHandlerResources): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'ReadEventsQueue',
        Effect: 'Allow',
        Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes'],
        Resource: [r.queueArn],
      },
      ...sesSendingPolicy(r.sending).Statement,
      {
        Sid: 'WriteOwnLogs',
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: [`${r.logGroupArn}:*`],
      },
    ],
  };
}

/**
 * The document IAM returns (GetUserPolicy: URL-encoded JSON; some emulators send it plain);
 * null when it cannot be read as either, which compares unequal to any document we want.
 */
export function parsePolicyDocument(raw: string): unknown {
  try {
    const text = raw.trimStart().startsWith('{') ? raw : decodeURIComponent(raw);
    return JSON.parse(text) as unknown;
  } catch (err) {
    if (err instanceof SyntaxError || err instanceof URIError) return null;
    throw err;
  }
}

const LIST_KEYS = new Set(['Action', 'NotAction', 'Resource', 'NotResource']);
const toList = (v: unknown): unknown[] => (Array.isArray(v) ? v : [v]);
const sortedUnique = (values: unknown[]): unknown[] =>
  [...new Set(values.map((v) => JSON.stringify(canonical(v))))].sort().map((v) => JSON.parse(v) as unknown);

function canonicalCondition(block: unknown): unknown {
  if (typeof block !== 'object' || block === null) return block;
  const out: Record<string, unknown> = {};
  for (const [op, keys] of Object.entries(block).sort(([a], [b]) => a.localeCompare(b))) {
    const inner: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(keys as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      inner[key] = sortedUnique(toList(value));
    out[op] = inner;
  }
  return out;
}

function canonicalStatement(statement: unknown): unknown {
  if (typeof statement !== 'object' || statement === null) return statement;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(statement).sort(([a], [b]) => a.localeCompare(b))) {
    out[key] = LIST_KEYS.has(key)
      ? sortedUnique(toList(value))
      : key === 'Condition'
        ? canonicalCondition(value)
        : canonical(value);
  }
  return out;
}

/**
 * One form per meaning: keys sorted, a single value and a one-element list alike, lists of
 * actions, resources and condition values as sets, statements in any order.
 */
export function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value !== 'object' || value === null) return value;
  const doc = value as Record<string, unknown>;
  if ('Statement' in doc) {
    const statements = toList(doc['Statement'])
      .map((s) => JSON.stringify(canonicalStatement(s)))
      .sort();
    return { Statement: statements.map((s) => JSON.parse(s) as unknown), Version: doc['Version'] ?? null };
  }
  return Object.fromEntries(
    Object.entries(doc)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => [k, canonical(v)]),
  );
}

/**
 * The plan's change for a policy document that does not grant what it should (none when it
 * does): what it grants now and what it will, in short.
 */
export function policyChanges(live: unknown, wanted: PolicyDocument, note: string): Change[] {
  if (samePolicy(live, wanted)) return [];
  return [
    { field: 'policy', action: 'update', from: describePolicy(live) || 'unreadable', to: describePolicy(wanted), note },
  ];
}

/** True when two policy documents grant the same. */
export function samePolicy(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

/** A short account of a document for the plan: `s3:GetObject, s3:PutObject on arn:…/*; …`. */
export function describePolicy(doc: unknown): string {
  const statements = typeof doc === 'object' && doc !== null ? toList((doc as { Statement?: unknown }).Statement) : [];
  return statements
    .map((s) => {
      const st = (s ?? {}) as Record<string, unknown>;
      const actions = toList(st['Action'] ?? st['NotAction'] ?? []).join(', ');
      const resources = toList(st['Resource'] ?? st['NotResource'] ?? []).join(', ');
      return `${st['Effect'] === 'Deny' ? 'deny ' : ''}${actions} on ${resources}${st['Condition'] ? ' (with conditions)' : ''}`;
    })
    .join('; ');
}
