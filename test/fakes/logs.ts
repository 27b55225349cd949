/**
 * CloudWatch Logs log groups of the fake account, per region (service key `logs`, as the IAM
 * actions and ARNs name it), to AWS's documented behaviour:
 *
 * - CreateLogGroup of a name that exists is ResourceAlreadyExistsException; a name outside
 *   `[.-_/#A-Za-z0-9]{1,512}` is InvalidParameterException.
 * - DescribeLogGroups lists by name (logGroupNamePrefix, or logGroupNamePattern: a
 *   case-insensitive substring; not both), each with `arn` (ending in `:*`, the form IAM
 *   policies use) and `logGroupArn` (without it, the form the tagging APIs take),
 *   creationTime in ms, retentionInDays when set.
 * - PutRetentionPolicy takes only AWS's values (1, 3, 5, 7, 14, 30, … 3653), else
 *   InvalidParameterException; a missing group is ResourceNotFoundException, for
 *   DeleteLogGroup too.
 * - ListTagsForResource / TagResource / UntagResource take the ARN without `:*`; any other ARN
 *   (the `:*` form included) names no resource: ResourceNotFoundException. The legacy
 *   ListTagsLogGroup / TagLogGroup / UntagLogGroup take the group's name.
 */
import { type Handler, awsError } from './errors.js';

export interface FakeLogGroup {
  name: string;
  region: string;
  createdAt: number;
  retentionInDays?: number | undefined;
  kmsKeyId?: string | undefined;
  logGroupClass: string;
  tags: Record<string, string>;
}

export const RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];
const NAME = /^[.\-_/#A-Za-z0-9]{1,512}$/;

const clone = <T>(v: T): T => structuredClone(v);
const noGroup = () => awsError('logs', 'ResourceNotFoundException', 'The specified log group does not exist.');
const invalid = (message: string) => awsError('logs', 'InvalidParameterException', message);

export class FakeLogs {
  /** Log groups by `region/name`. */
  private readonly groups = new Map<string, FakeLogGroup>();

  constructor(
    private readonly accountId: () => string,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** The ARN without `:*` (what the tagging APIs take). */
  groupArn(region: string, name: string): string {
    return `arn:aws:logs:${region}:${this.accountId()}:log-group:${name}`;
  }

  group(region: string, name: string): FakeLogGroup | undefined {
    return this.groups.get(`${region}/${name}`);
  }

  snapshot(): unknown {
    return clone(
      [...this.groups.values()]
        .sort((a, b) => `${a.region}/${a.name}`.localeCompare(`${b.region}/${b.name}`))
        .map(({ createdAt: _created, ...group }) => group),
    );
  }

  private mustGroup(region: string, name: unknown): FakeLogGroup {
    const group = this.group(region, String(name ?? ''));
    if (!group) throw noGroup();
    return group;
  }

  private byArn(region: string, arn: unknown): FakeLogGroup {
    const match = /^arn:aws[a-z-]*:logs:([^:]+):(\d{12}):log-group:([^:]+)$/.exec(String(arn ?? ''));
    const group = match && match[2] === this.accountId() ? this.group(match[1] ?? region, match[3] ?? '') : undefined;
    if (!group) throw awsError('logs', 'ResourceNotFoundException', 'The specified resource does not exist.');
    return group;
  }

  private described(g: FakeLogGroup) {
    const arn = this.groupArn(g.region, g.name);
    return {
      logGroupName: g.name,
      creationTime: g.createdAt,
      ...(g.retentionInDays !== undefined ? { retentionInDays: g.retentionInDays } : {}),
      metricFilterCount: 0,
      arn: `${arn}:*`,
      storedBytes: 0,
      ...(g.kmsKeyId !== undefined ? { kmsKeyId: g.kmsKeyId } : {}),
      logGroupClass: g.logGroupClass,
      logGroupArn: arn,
    };
  }

  private static tag(group: FakeLogGroup, tags: unknown): void {
    Object.assign(group.tags, (tags as Record<string, string> | undefined) ?? {});
  }

  private static untag(group: FakeLogGroup, keys: unknown): void {
    for (const key of (keys as string[] | undefined) ?? []) delete group.tags[key];
  }

  handlers(): Record<string, Handler> {
    return {
      'logs:CreateLogGroup': (input, region) => {
        const name = String(input['logGroupName'] ?? '');
        if (!NAME.test(name))
          throw invalid(
            `1 validation error detected: Value '${name}' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+`,
          );
        const key = `${region}/${name}`;
        if (this.groups.has(key))
          throw awsError('logs', 'ResourceAlreadyExistsException', 'The specified log group already exists');
        this.groups.set(key, {
          name,
          region,
          createdAt: this.now(),
          kmsKeyId: input['kmsKeyId'] as string | undefined,
          logGroupClass: String(input['logGroupClass'] ?? 'STANDARD'),
          tags: { ...((input['tags'] as Record<string, string> | undefined) ?? {}) },
        });
        return {};
      },
      'logs:DescribeLogGroups': (input, region) => {
        const prefix = input['logGroupNamePrefix'] as string | undefined;
        const pattern = input['logGroupNamePattern'] as string | undefined;
        if (prefix !== undefined && pattern !== undefined)
          throw invalid('LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.');
        const limit = Number(input['limit'] ?? 50);
        if (!Number.isInteger(limit) || limit < 1 || limit > 50)
          throw invalid(
            `1 validation error detected: Value '${String(input['limit'])}' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 50`,
          );
        const all = [...this.groups.values()]
          .filter((g) => g.region === region)
          .filter((g) => prefix === undefined || g.name.startsWith(prefix))
          .filter((g) => pattern === undefined || g.name.toLowerCase().includes(pattern.toLowerCase()))
          .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        const start = input['nextToken'] === undefined ? 0 : Number(input['nextToken']);
        const page = all.slice(start, start + limit);
        const next = start + limit < all.length ? String(start + limit) : undefined;
        return { logGroups: page.map((g) => this.described(g)), ...(next !== undefined ? { nextToken: next } : {}) };
      },
      'logs:PutRetentionPolicy': (input, region) => {
        const days = input['retentionInDays'];
        if (typeof days !== 'number' || !RETENTION_DAYS.includes(days))
          throw invalid(
            `1 validation error detected: Value '${String(days)}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [${RETENTION_DAYS.join(', ')}]`,
          );
        this.mustGroup(region, input['logGroupName']).retentionInDays = days;
        return {};
      },
      'logs:DeleteRetentionPolicy': (input, region) => {
        this.mustGroup(region, input['logGroupName']).retentionInDays = undefined;
        return {};
      },
      'logs:DeleteLogGroup': (input, region) => {
        const group = this.mustGroup(region, input['logGroupName']);
        this.groups.delete(`${region}/${group.name}`);
        return {};
      },
      'logs:ListTagsForResource': (input, region) => ({ tags: { ...this.byArn(region, input['resourceArn']).tags } }),
      'logs:TagResource': (input, region) => {
        FakeLogs.tag(this.byArn(region, input['resourceArn']), input['tags']);
        return {};
      },
      'logs:UntagResource': (input, region) => {
        FakeLogs.untag(this.byArn(region, input['resourceArn']), input['tagKeys']);
        return {};
      },
      'logs:ListTagsLogGroup': (input, region) => ({ tags: { ...this.mustGroup(region, input['logGroupName']).tags } }),
      'logs:TagLogGroup': (input, region) => {
        FakeLogs.tag(this.mustGroup(region, input['logGroupName']), input['tags']);
        return {};
      },
      'logs:UntagLogGroup': (input, region) => {
        FakeLogs.untag(this.mustGroup(region, input['logGroupName']), input['tags']);
        return {};
      },
    };
  }
}
