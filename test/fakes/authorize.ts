/**
 * What IAM checks when an app user's key makes a call: the action(s) and resource(s) AWS's
 * service authorization reference names for it, with the condition keys the app's policies
 * use. Evaluated against the user's inline policies with the test evaluator.
 */
import { type Request, isAllowed } from '../support/policy.js';

export interface Principal {
  arn: string;
  /** The user's inline policies, as sent. */
  policies: string[];
}

const s3Object = (input: Record<string, unknown>) => `arn:aws:s3:::${String(input['Bucket'])}/${String(input['Key'])}`;
const s3Bucket = (input: Record<string, unknown>) => `arn:aws:s3:::${String(input['Bucket'])}`;
/** An If-Match naming an ETag (not `*`, which only asks whether the object exists). */
const etagCondition = (input: Record<string, unknown>) => input['IfMatch'] !== undefined && input['IfMatch'] !== '*';
/** CopyObject's source object, `bucket/key`, without a leading slash or version id. */
const copySource = (input: Record<string, unknown>) =>
  decodeURIComponent(
    String(input['CopySource'] ?? '')
      .replace(/^\//, '')
      .split('?')[0] ?? '',
  );
const addressOf = (from: string) => (/<([^>]+)>/.exec(from)?.[1] ?? from).trim();

/** The IAM prefix of each service's actions, where it is not the service's key. */
const ACTION_PREFIX: Record<string, string> = { sesv2: 'ses', eventbridge: 'events' };

/** The queue a call names: its QueueUrl (`…/ACCOUNT/NAME`, the region in the host), or QueueName in the call's region. */
function queueArn(input: Record<string, unknown>, region: string, accountId: string): string {
  const url = input['QueueUrl'];
  if (typeof url === 'string') {
    const match = /^https?:\/\/([^/]+)\/(\d{12})\/([^/?]+)/.exec(url);
    const urlRegion = /^sqs\.([a-z0-9-]+)\.amazonaws\.com$/.exec(match?.[1] ?? '')?.[1] ?? region;
    return `arn:aws:sqs:${urlRegion}:${match?.[2] ?? accountId}:${match?.[3] ?? ''}`;
  }
  const owner = typeof input['QueueOwnerAWSAccountId'] === 'string' ? input['QueueOwnerAWSAccountId'] : accountId;
  return `arn:aws:sqs:${region}:${owner}:${String(input['QueueName'] ?? '')}`;
}

/** The bus a PutEvents entry goes to: its EventBusName (a name or an ARN), the default bus when absent. */
function busArn(name: unknown, region: string, accountId: string): string {
  const text = typeof name === 'string' && name !== '' ? name : 'default';
  return text.startsWith('arn:') ? text : `arn:aws:events:${region}:${accountId}:event-bus/${text}`;
}

/** The requests IAM evaluates for one API call (all must be allowed). */
export function requestsFor(
  service: string,
  command: string,
  input: Record<string, unknown>,
  region: string,
  accountId: string,
  userArn: string,
): Request[] {
  if (service === 's3') {
    switch (command) {
      case 'HeadObject':
      case 'GetObject':
        return [{ action: 's3:GetObject', resource: s3Object(input) }];
      // A write or delete with If-Match: <etag> reads the object's ETag, so also needs s3:GetObject.
      case 'PutObject':
        return [
          { action: 's3:PutObject', resource: s3Object(input) },
          ...(etagCondition(input) ? [{ action: 's3:GetObject', resource: s3Object(input) }] : []),
        ];
      case 'CopyObject':
        return [
          { action: 's3:GetObject', resource: `arn:aws:s3:::${copySource(input)}` },
          { action: 's3:PutObject', resource: s3Object(input) },
        ];
      case 'DeleteObject':
        return [
          {
            action: input['VersionId'] === undefined ? 's3:DeleteObject' : 's3:DeleteObjectVersion',
            resource: s3Object(input),
          },
          ...(etagCondition(input) ? [{ action: 's3:GetObject', resource: s3Object(input) }] : []),
        ];
      case 'HeadBucket':
      case 'ListObjectsV2':
        return [{ action: 's3:ListBucket', resource: s3Bucket(input) }];
      case 'ListObjectVersions':
        return [{ action: 's3:ListBucketVersions', resource: s3Bucket(input) }];
      case 'ListBuckets':
        return [{ action: 's3:ListAllMyBuckets', resource: 'arn:aws:s3:::*' }];
      default:
        // Bucket configuration: GetBucketPolicy → s3:GetBucketPolicy on the bucket, and so on.
        return [{ action: `s3:${command}`, resource: s3Bucket(input) }];
    }
  }
  if (service === 'sesv2') {
    const arn = (type: string, name: string) => `arn:aws:ses:${region}:${accountId}:${type}/${name}`;
    if (command === 'SendEmail') {
      const from = addressOf(String(input['FromEmailAddress'] ?? ''));
      const context = { 'ses:FromAddress': from };
      const content = input['Content'] as { Template?: { TemplateName?: string } } | undefined;
      const resources = [arn('identity', from.split('@')[1] ?? from)];
      if (input['ConfigurationSetName'] !== undefined)
        resources.push(arn('configuration-set', String(input['ConfigurationSetName'])));
      if (content?.Template?.TemplateName !== undefined) resources.push(arn('template', content.Template.TemplateName));
      return resources.map((resource) => ({ action: 'ses:SendEmail', resource, context }));
    }
    return [{ action: `${ACTION_PREFIX[service]}:${command}`, resource: '*' }];
  }
  if (service === 'sqs')
    return [
      {
        action: `sqs:${command}`,
        resource: command === 'ListQueues' ? '*' : queueArn(input, region, accountId),
      },
    ];
  if (service === 'eventbridge' && command === 'PutEvents')
    return ((input['Entries'] as Array<Record<string, unknown>> | undefined) ?? []).map((entry) => ({
      action: 'events:PutEvents',
      resource: busArn(entry['EventBusName'], region, accountId),
      context: {
        ...(typeof entry['Source'] === 'string' ? { 'events:source': entry['Source'] } : {}),
        ...(typeof entry['DetailType'] === 'string' ? { 'events:detail-type': entry['DetailType'] } : {}),
      },
    }));
  if (service === 'iam')
    return [
      {
        action: `iam:${command}`,
        resource:
          input['UserName'] === undefined ? '*' : userArn.replace(/user\/.*$/, `user/${String(input['UserName'])}`),
      },
    ];
  return [{ action: `${ACTION_PREFIX[service] ?? service}:${command}`, resource: '*' }];
}

/** The first request the principal's policies do not allow, or undefined when all are. */
export function deniedRequest(principal: Principal, requests: Request[]): Request | undefined {
  const documents = principal.policies.map((p) => JSON.parse(p) as unknown);
  return requests.find((r) => !isAllowed(documents, r));
}

/** The AccessDenied message AWS gives for an identity-based refusal. */
export function deniedMessage(principal: Principal, request: Request): string {
  return `User: ${principal.arn} is not authorized to perform: ${request.action} on resource: ${request.resource} because no identity-based policy allows the ${request.action} action`;
}
