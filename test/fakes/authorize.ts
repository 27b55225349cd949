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
const addressOf = (from: string) => (/<([^>]+)>/.exec(from)?.[1] ?? from).trim();

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
      case 'PutObject':
        return [{ action: 's3:PutObject', resource: s3Object(input) }];
      case 'DeleteObject':
        return [
          {
            action: input['VersionId'] === undefined ? 's3:DeleteObject' : 's3:DeleteObjectVersion',
            resource: s3Object(input),
          },
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
    return [{ action: `ses:${command}`, resource: '*' }];
  }
  if (service === 'iam')
    return [
      {
        action: `iam:${command}`,
        resource:
          input['UserName'] === undefined ? '*' : userArn.replace(/user\/.*$/, `user/${String(input['UserName'])}`),
      },
    ];
  return [{ action: `${service}:${command}`, resource: '*' }];
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
