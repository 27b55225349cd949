/**
 * IAM of the fake account (global), to AWS's documented behaviour: names are unique
 * (EntityAlreadyExists), missing things are NoSuchEntity, a user has at most two access keys
 * (LimitExceeded), a user with keys or inline policies cannot be deleted (DeleteConflict),
 * GetUserPolicy returns the document URL-encoded, and a new key is accepted by STS only after
 * `keyPropagationPolls` refused calls.
 */
import { randomBytes } from 'node:crypto';
import { type Handler, awsError } from './errors.js';

type Tag = { Key: string; Value: string };

export interface FakeAccessKey {
  id: string;
  secret: string;
  status: 'Active' | 'Inactive';
  createDate: Date;
  /** STS calls with this key so far (for propagation). */
  uses: number;
}

export interface FakeUser {
  name: string;
  arn: string;
  userId: string;
  tags: Tag[];
  /** Inline policies: name → the document as sent. */
  policies: Map<string, string>;
  keys: FakeAccessKey[];
}

const noUser = (name: string) => awsError('iam', 'NoSuchEntity', `The user with name ${name} cannot be found.`);

export class FakeIam {
  readonly users = new Map<string, FakeUser>();
  /** Keys deleted from a user: AWS refuses them from then on. */
  readonly deletedKeyIds = new Set<string>();
  /** STS calls a new key is refused (InvalidClientTokenId) before it works. */
  keyPropagationPolls = 0;
  private counter = 0;

  constructor(private readonly accountId: () => string) {}

  private nextId(prefix: string, length: number): string {
    this.counter += 1;
    return `${prefix}${String(this.counter).padStart(length - prefix.length, '0')}`;
  }

  user(name: string): FakeUser | undefined {
    return this.users.get(name);
  }

  /** A user made outside this tool (by hand, or by another tool). */
  addUser(name: string, options: { tags?: Tag[]; keys?: number } = {}): FakeUser {
    const user: FakeUser = {
      name,
      arn: `arn:aws:iam::${this.accountId()}:user/${name}`,
      userId: this.nextId('AIDA', 21),
      tags: options.tags ?? [],
      policies: new Map(),
      keys: [],
    };
    this.users.set(name, user);
    for (let i = 0; i < (options.keys ?? 0); i += 1) this.createKey(user);
    return user;
  }

  /** The user and key an access key id belongs to. */
  findKey(accessKeyId: string): { user: FakeUser; key: FakeAccessKey } | undefined {
    for (const user of this.users.values()) {
      const key = user.keys.find((k) => k.id === accessKeyId);
      if (key) return { user, key };
    }
    return undefined;
  }

  private mustUser(input: Record<string, unknown>): FakeUser {
    const name = String(input['UserName']);
    const user = this.users.get(name);
    if (!user) throw noUser(name);
    return user;
  }

  private createKey(user: FakeUser): FakeAccessKey {
    if (user.keys.length >= 2) throw awsError('iam', 'LimitExceeded', 'Cannot exceed quota for AccessKeysPerUser: 2');
    const key: FakeAccessKey = {
      id: this.nextId('AKIA', 20),
      secret: randomBytes(30).toString('base64'),
      status: 'Active',
      createDate: new Date(),
      uses: 0,
    };
    user.keys.push(key);
    return key;
  }

  snapshot(): unknown {
    return [...this.users.values()]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((u) => ({
        name: u.name,
        tags: u.tags,
        policies: [...u.policies.entries()]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([name, doc]) => [name, JSON.parse(doc) as unknown]),
        // Key ids and secrets differ between runs by nature; how many and in which state does not.
        keys: u.keys.map((k) => k.status).sort(),
      }));
  }

  handlers(): Record<string, Handler> {
    return {
      'iam:CreateUser': (input) => {
        const name = String(input['UserName']);
        if (!/^[\w+=,.@-]{1,64}$/.test(name))
          throw awsError(
            'iam',
            'ValidationError',
            `1 validation error detected: Value '${name}' at 'userName' failed to satisfy constraint`,
          );
        if (this.users.has(name))
          throw awsError('iam', 'EntityAlreadyExists', `User with name ${name} already exists.`);
        const user = this.addUser(name, { tags: (input['Tags'] as Tag[] | undefined) ?? [] });
        return {
          User: {
            UserName: name,
            Arn: user.arn,
            UserId: user.userId,
            Path: '/',
            CreateDate: new Date(),
            Tags: user.tags,
          },
        };
      },
      'iam:GetUser': (input) => {
        const user = this.mustUser(input);
        return {
          User: {
            UserName: user.name,
            Arn: user.arn,
            UserId: user.userId,
            Path: '/',
            CreateDate: new Date(0),
            Tags: user.tags.length > 0 ? user.tags : undefined,
          },
        };
      },
      'iam:ListUserTags': (input) => ({ Tags: this.mustUser(input).tags, IsTruncated: false }),
      'iam:TagUser': (input) => {
        const user = this.mustUser(input);
        for (const tag of input['Tags'] as Tag[]) {
          user.tags = [...user.tags.filter((t) => t.Key !== tag.Key), tag];
        }
        return {};
      },
      'iam:DeleteUser': (input) => {
        const user = this.mustUser(input);
        if (user.keys.length > 0)
          throw awsError('iam', 'DeleteConflict', 'Cannot delete entity, must delete access keys first.');
        if (user.policies.size > 0)
          throw awsError('iam', 'DeleteConflict', 'Cannot delete entity, must delete policies first.');
        this.users.delete(user.name);
        return {};
      },
      'iam:PutUserPolicy': (input) => {
        const user = this.mustUser(input);
        const doc = String(input['PolicyDocument']);
        let parsed: { Statement?: unknown };
        try {
          parsed = JSON.parse(doc) as { Statement?: unknown };
        } catch {
          throw awsError('iam', 'MalformedPolicyDocument', 'Syntax errors in policy.');
        }
        if (!parsed.Statement) throw awsError('iam', 'MalformedPolicyDocument', 'Policy document should not be empty.');
        user.policies.set(String(input['PolicyName']), doc);
        return {};
      },
      'iam:GetUserPolicy': (input) => {
        const user = this.mustUser(input);
        const name = String(input['PolicyName']);
        const doc = user.policies.get(name);
        if (doc === undefined)
          throw awsError('iam', 'NoSuchEntity', `The user policy with name ${name} cannot be found.`);
        // IAM returns the document URL-encoded (RFC 3986).
        return { UserName: user.name, PolicyName: name, PolicyDocument: encodeURIComponent(doc) };
      },
      'iam:ListUserPolicies': (input) => ({
        PolicyNames: [...this.mustUser(input).policies.keys()],
        IsTruncated: false,
      }),
      'iam:DeleteUserPolicy': (input) => {
        const user = this.mustUser(input);
        const name = String(input['PolicyName']);
        if (!user.policies.delete(name))
          throw awsError('iam', 'NoSuchEntity', `The user policy with name ${name} cannot be found.`);
        return {};
      },
      'iam:CreateAccessKey': (input) => {
        const user = this.mustUser(input);
        const key = this.createKey(user);
        return {
          AccessKey: {
            UserName: user.name,
            AccessKeyId: key.id,
            Status: key.status,
            SecretAccessKey: key.secret,
            CreateDate: key.createDate,
          },
        };
      },
      'iam:ListAccessKeys': (input) => {
        const user = this.mustUser(input);
        return {
          AccessKeyMetadata: user.keys.map((k) => ({
            UserName: user.name,
            AccessKeyId: k.id,
            Status: k.status,
            CreateDate: k.createDate,
          })),
          IsTruncated: false,
        };
      },
      'iam:UpdateAccessKey': (input) => {
        const user = this.mustUser(input);
        const key = user.keys.find((k) => k.id === input['AccessKeyId']);
        if (!key)
          throw awsError(
            'iam',
            'NoSuchEntity',
            `The Access Key with id ${String(input['AccessKeyId'])} cannot be found.`,
          );
        key.status = input['Status'] as 'Active' | 'Inactive';
        return {};
      },
      'iam:DeleteAccessKey': (input) => {
        const user = this.mustUser(input);
        const before = user.keys.length;
        user.keys = user.keys.filter((k) => k.id !== input['AccessKeyId']);
        if (user.keys.length < before) this.deletedKeyIds.add(String(input['AccessKeyId']));
        if (user.keys.length === before)
          throw awsError(
            'iam',
            'NoSuchEntity',
            `The Access Key with id ${String(input['AccessKeyId'])} cannot be found.`,
          );
        return {};
      },
    };
  }

  /** STS GetCallerIdentity signed with one of this account's app keys. */
  callerIdentity(accessKeyId: string): { Account: string; Arn: string; UserId: string } | undefined {
    const found = this.findKey(accessKeyId);
    if (!found) return undefined;
    const { user, key } = found;
    key.uses += 1;
    if (key.status !== 'Active' || key.uses <= this.keyPropagationPolls) {
      throw awsError('sts', 'InvalidClientTokenId', 'The security token included in the request is invalid.');
    }
    return { Account: this.accountId(), Arn: user.arn, UserId: user.userId };
  }
}
