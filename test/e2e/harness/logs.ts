/**
 * CloudWatch Logs (awsJson1_1) as its API reference documents it, in front of moto's (see
 * README.md here):
 *
 * - PutRetentionPolicy accepts only the retention periods Logs offers (1, 3, 5, 7, 14, 30, 60,
 *   90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653 days);
 *   anything else is `InvalidParameterException`. moto stores any number (0, 15, …);
 * - DescribeLogGroups reports each group's `logGroupClass` (`STANDARD` unless created with
 *   another); moto drops it;
 * - ListTagsForResource, TagResource and UntagResource of a log group that does not exist are
 *   `ResourceNotFoundException`; moto answers an empty tag map and tags nothing.
 */
import { jsonRpcError } from './errors.js';
import type { Exchange, ServiceLayer, Upstream } from './upstream.js';
import { bodyText, withBody } from './upstream.js';
import type { WireResponse } from './wire.js';

export const RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(text === '' ? '{}' : text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

type LogGroup = Record<string, unknown>;

export class LogsLayer implements ServiceLayer {
  /** The class each log group was created with, by `REGION NAME`, when it was not STANDARD. */
  private readonly classes = new Map<string, string>();

  reset(): void {
    this.classes.clear();
  }

  async handle(x: Exchange, moto: Upstream): Promise<WireResponse> {
    if (!x.req.headers['x-amz-target']) return moto.forward(x.req);
    const input = parseJson(x.req.body.toString('utf8'));
    if (!input) return moto.forward(x.req);
    switch (x.operation) {
      case 'PutRetentionPolicy': {
        const days = input['retentionInDays'];
        if (typeof days !== 'number' || !RETENTION_DAYS.includes(days))
          return jsonRpcError(
            'logs',
            400,
            'InvalidParameterException',
            `1 validation error detected: Value '${String(days)}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [${RETENTION_DAYS.join(', ')}]`,
          );
        return moto.forward(x.req);
      }
      case 'CreateLogGroup': {
        const answer = await moto.forward(x.req);
        const logGroupClass = input['logGroupClass'];
        if (answer.status === 200 && typeof logGroupClass === 'string' && logGroupClass !== 'STANDARD')
          this.classes.set(`${x.req.region} ${String(input['logGroupName'])}`, logGroupClass);
        return answer;
      }
      case 'DeleteLogGroup': {
        const answer = await moto.forward(x.req);
        if (answer.status === 200) this.classes.delete(`${x.req.region} ${String(input['logGroupName'])}`);
        return answer;
      }
      case 'DescribeLogGroups':
        return this.describeLogGroups(x, await moto.forward(x.req));
      case 'ListTagsForResource':
      case 'TagResource':
      case 'UntagResource':
        return (await this.missingGroup(x, moto, String(input['resourceArn'] ?? ''))) ?? moto.forward(x.req);
      default:
        return moto.forward(x.req);
    }
  }

  private describeLogGroups(x: Exchange, answer: WireResponse): WireResponse {
    if (answer.status !== 200) return answer;
    const output = parseJson(bodyText(answer));
    const groups = output?.['logGroups'] as LogGroup[] | undefined;
    if (!output || !groups) return answer;
    for (const group of groups) {
      group['logGroupClass'] ??= this.classes.get(`${x.req.region} ${String(group['logGroupName'])}`) ?? 'STANDARD';
    }
    return withBody(answer, JSON.stringify(output));
  }

  /** ResourceNotFoundException for the ARN of a log group moto does not have. */
  private async missingGroup(x: Exchange, moto: Upstream, arn: string): Promise<WireResponse | undefined> {
    const name = /^arn:[^:]+:logs:[^:]*:\d*:log-group:(.+?)(:\*)?$/.exec(arn)?.[1];
    if (name === undefined) return undefined;
    const res = await moto.call(x, 'logs', 'POST', '/', {
      body: JSON.stringify({ logGroupNamePrefix: name }),
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'Logs_20140328.DescribeLogGroups' },
    });
    if (res.status !== 200) return undefined;
    const groups = (parseJson(bodyText(res))?.['logGroups'] as LogGroup[] | undefined) ?? [];
    if (groups.some((g) => g['logGroupName'] === name)) return undefined;
    return jsonRpcError('logs', 400, 'ResourceNotFoundException', 'The specified log group does not exist.');
  }
}
