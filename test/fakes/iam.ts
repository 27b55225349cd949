/**
 * IAM of the fake account (global), to AWS's documented behaviour: names are unique
 * (EntityAlreadyExists), missing things are NoSuchEntity, a user has at most two access keys
 * (LimitExceeded), a user with keys or inline policies cannot be deleted (DeleteConflict),
 * GetUserPolicy returns the document URL-encoded, and a new key is accepted by STS only after
 * `keyPropagationPolls` refused calls. Roles: a trust policy must name a Principal and no
 * Resource (MalformedPolicyDocument), GetRole / CreateRole / GetRolePolicy return documents
 * URL-encoded, a role with inline or attached managed policies cannot be deleted
 * (DeleteConflict), only AWS managed policies (`arn:aws:iam::aws:policy/…`) can be attached.
 */
import { randomBytes } from 'node:crypto';
import { type Handler, awsError } from './errors.js';

type Tag = { Key: string; Value: string };
const clone = <T>(v: T): T => structuredClone(v);

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
const noRole = (name: string) => awsError('iam', 'NoSuchEntity', `The role with name ${name} cannot be found.`);
const NAME = /^[\w+=,.@-]{1,64}$/;
const POLICY_NAME = /^[\w+=,.@-]{1,128}$/;
const nameError = (name: string, member: string) =>
  awsError(
    'iam',
    'ValidationError',
    `1 validation error detected: Value '${name}' at '${member}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+`,
  );

/** IAM returns policy documents URL-encoded as RFC 3986 says (every reserved character, `*` too). */
export const rfc3986 = (text: string) =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

type PolicyStatement = Record<string, unknown>;
const malformed = (message: string) => awsError('iam', 'MalformedPolicyDocument', message);

/** The statements of a policy document, or MalformedPolicyDocument as IAM words it. */
function statementsOf(doc: string): PolicyStatement[] {
  let parsed: { Statement?: unknown };
  try {
    parsed = JSON.parse(doc) as { Statement?: unknown };
  } catch {
    throw malformed('This policy contains invalid Json');
  }
  if (typeof parsed !== 'object' || parsed === null || parsed.Statement === undefined)
    throw malformed('Policy document should not be empty.');
  const statements = Array.isArray(parsed.Statement) ? parsed.Statement : [parsed.Statement];
  if (statements.length === 0) throw malformed('Policy document should not be empty.');
  return statements as PolicyStatement[];
}

/** A role's trust policy: who may assume it, on no resource. */
function checkTrustPolicy(doc: string): void {
  for (const s of statementsOf(doc)) {
    if ('Resource' in s || 'NotResource' in s) throw malformed('Has prohibited field Resource');
    if (!('Principal' in s) && !('NotPrincipal' in s)) throw malformed('Missing required field Principal');
    if (!('Action' in s) && !('NotAction' in s)) throw malformed('Policy statement must contain actions.');
  }
}

/** An identity policy: actions on resources, no principal. */
function checkIdentityPolicy(doc: string): void {
  for (const s of statementsOf(doc)) {
    if ('Principal' in s || 'NotPrincipal' in s) throw malformed('Policy document should not specify a principal.');
    if (!('Action' in s) && !('NotAction' in s)) throw malformed('Policy statement must contain actions.');
    if (!('Resource' in s) && !('NotResource' in s)) throw malformed('Policy statement must contain resources.');
  }
}

export interface FakeRole {
  name: string;
  path: string;
  arn: string;
  roleId: string;
  createDate: Date;
  description?: string | undefined;
  maxSessionDuration: number;
  /** The trust policy, as sent. */
  assumeRolePolicy: string;
  tags: Tag[];
  /** Inline policies: name → the document as sent. */
  policies: Map<string, string>;
  /** Managed policies attached, by ARN. */
  attached: string[];
}

export class FakeIam {
  readonly users = new Map<string, FakeUser>();
  readonly roles = new Map<string, FakeRole>();
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

  role(name: string): FakeRole | undefined {
    return this.roles.get(name);
  }

  snapshot(): unknown {
    const policies = (map: Map<string, string>) =>
      [...map.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, doc]) => [name, JSON.parse(doc) as unknown]);
    return {
      users: [...this.users.values()]
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((u) => ({
          name: u.name,
          tags: u.tags,
          policies: policies(u.policies),
          // Key ids and secrets differ between runs by nature; how many and in which state does not.
          keys: u.keys.map((k) => k.status).sort(),
        })),
      roles: [...this.roles.values()]
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((r) => ({
          name: r.name,
          path: r.path,
          description: r.description,
          maxSessionDuration: r.maxSessionDuration,
          trust: JSON.parse(r.assumeRolePolicy) as unknown,
          tags: r.tags,
          policies: policies(r.policies),
          attached: [...r.attached].sort(),
        })),
    };
  }

  private mustRole(input: Record<string, unknown>): FakeRole {
    const name = String(input['RoleName']);
    const role = this.roles.get(name);
    if (!role) throw noRole(name);
    return role;
  }

  private roleOut(r: FakeRole) {
    return {
      Path: r.path,
      RoleName: r.name,
      RoleId: r.roleId,
      Arn: r.arn,
      CreateDate: r.createDate,
      AssumeRolePolicyDocument: rfc3986(r.assumeRolePolicy),
      Description: r.description,
      MaxSessionDuration: r.maxSessionDuration,
      Tags: r.tags.length > 0 ? clone(r.tags) : undefined,
    };
  }

  private roleHandlers(): Record<string, Handler> {
    return {
      'iam:CreateRole': (input) => {
        const name = String(input['RoleName']);
        if (!NAME.test(name)) throw nameError(name, 'roleName');
        const path = String(input['Path'] ?? '/');
        if (!/^\/([\x21-\x7E]*\/)?$/.test(path))
          throw awsError(
            'iam',
            'ValidationError',
            `1 validation error detected: Value '${path}' at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)`,
          );
        const doc = input['AssumeRolePolicyDocument'];
        if (typeof doc !== 'string')
          throw awsError(
            'iam',
            'ValidationError',
            "1 validation error detected: Value null at 'assumeRolePolicyDocument' failed to satisfy constraint: Member must not be null",
          );
        if (this.roles.has(name))
          throw awsError('iam', 'EntityAlreadyExists', `Role with name ${name} already exists.`);
        checkTrustPolicy(doc);
        const maxSession = Number(input['MaxSessionDuration'] ?? 3600);
        if (!Number.isInteger(maxSession) || maxSession < 3600 || maxSession > 43200)
          throw awsError(
            'iam',
            'ValidationError',
            `The requested MaxSessionDuration ${String(input['MaxSessionDuration'])} is not between 3600 and 43200 seconds.`,
          );
        const role: FakeRole = {
          name,
          path,
          arn: `arn:aws:iam::${this.accountId()}:role${path}${name}`,
          roleId: this.nextId('AROA', 21),
          createDate: new Date(),
          description: input['Description'] as string | undefined,
          maxSessionDuration: maxSession,
          assumeRolePolicy: doc,
          tags: clone((input['Tags'] as Tag[] | undefined) ?? []),
          policies: new Map(),
          attached: [],
        };
        this.roles.set(name, role);
        const { MaxSessionDuration: _max, ...out } = this.roleOut(role);
        return { Role: out };
      },
      'iam:GetRole': (input) => ({ Role: { ...this.roleOut(this.mustRole(input)), RoleLastUsed: {} } }),
      'iam:UpdateRole': (input) => {
        const role = this.mustRole(input);
        if (input['Description'] !== undefined) role.description = String(input['Description']);
        if (input['MaxSessionDuration'] !== undefined) role.maxSessionDuration = Number(input['MaxSessionDuration']);
        return {};
      },
      'iam:UpdateAssumeRolePolicy': (input) => {
        const role = this.mustRole(input);
        const doc = String(input['PolicyDocument']);
        checkTrustPolicy(doc);
        role.assumeRolePolicy = doc;
        return {};
      },
      'iam:TagRole': (input) => {
        const role = this.mustRole(input);
        for (const tag of (input['Tags'] as Tag[] | undefined) ?? [])
          role.tags = [...role.tags.filter((t) => t.Key !== tag.Key), tag];
        return {};
      },
      'iam:UntagRole': (input) => {
        const role = this.mustRole(input);
        const keys = new Set((input['TagKeys'] as string[] | undefined) ?? []);
        role.tags = role.tags.filter((t) => !keys.has(t.Key));
        return {};
      },
      'iam:ListRoleTags': (input) => ({ Tags: clone(this.mustRole(input).tags), IsTruncated: false }),
      'iam:DeleteRole': (input) => {
        const role = this.mustRole(input);
        if (role.policies.size > 0)
          throw awsError('iam', 'DeleteConflict', 'Cannot delete entity, must delete policies first.');
        if (role.attached.length > 0)
          throw awsError('iam', 'DeleteConflict', 'Cannot delete entity, must detach all policies first.');
        this.roles.delete(role.name);
        return {};
      },
      'iam:PutRolePolicy': (input) => {
        const role = this.mustRole(input);
        const name = String(input['PolicyName']);
        if (!POLICY_NAME.test(name)) throw nameError(name, 'policyName');
        const doc = String(input['PolicyDocument']);
        checkIdentityPolicy(doc);
        role.policies.set(name, doc);
        return {};
      },
      'iam:GetRolePolicy': (input) => {
        const role = this.mustRole(input);
        const name = String(input['PolicyName']);
        const doc = role.policies.get(name);
        if (doc === undefined)
          throw awsError('iam', 'NoSuchEntity', `The role policy with name ${name} cannot be found.`);
        return { RoleName: role.name, PolicyName: name, PolicyDocument: rfc3986(doc) };
      },
      'iam:ListRolePolicies': (input) => ({
        PolicyNames: [...this.mustRole(input).policies.keys()],
        IsTruncated: false,
      }),
      'iam:DeleteRolePolicy': (input) => {
        const role = this.mustRole(input);
        const name = String(input['PolicyName']);
        if (!role.policies.delete(name))
          throw awsError('iam', 'NoSuchEntity', `The role policy with name ${name} cannot be found.`);
        return {};
      },
      'iam:AttachRolePolicy': (input) => {
        const role = this.mustRole(input);
        const arn = String(input['PolicyArn']);
        if (!/^arn:aws:iam::aws:policy\/.+/.test(arn))
          throw awsError('iam', 'NoSuchEntity', `Policy ${arn} does not exist or is not attachable.`);
        if (!role.attached.includes(arn)) role.attached.push(arn);
        return {};
      },
      'iam:DetachRolePolicy': (input) => {
        const role = this.mustRole(input);
        const arn = String(input['PolicyArn']);
        if (!role.attached.includes(arn)) throw awsError('iam', 'NoSuchEntity', `Policy ${arn} was not found.`);
        role.attached = role.attached.filter((a) => a !== arn);
        return {};
      },
      'iam:ListAttachedRolePolicies': (input) => ({
        AttachedPolicies: this.mustRole(input).attached.map((arn) => ({
          PolicyArn: arn,
          PolicyName: arn.split('/').pop(),
        })),
        IsTruncated: false,
      }),
    };
  }

  handlers(): Record<string, Handler> {
    return {
      ...this.roleHandlers(),
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
        return { UserName: user.name, PolicyName: name, PolicyDocument: rfc3986(doc) };
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
