import { IAM } from '../../aws/sdk.js';
import type { IAMClient, Tag } from '@aws-sdk/client-iam';
import { toHmError } from '../../aws/errors.js';
import type { Config } from '../../config/config.js';
import { HmError } from '../../errors.js';
import { missingTags, resourceTags } from '../tags.js';
import type { Step, StepContext } from '../../engine/types.js';

export interface IamUserOutputs {
  name: string;
  arn: string;
  userId: string;
}

declare module '../../engine/types.js' {
  interface StepOutputs {
    'iam-user': IamUserOutputs;
  }
}

export interface IamUserObserved {
  name: string;
  arn: string;
  userId: string;
  tags: Tag[];
}

/** The app's own user, as in the PRD: `${app}-app-${env}` (at most 53 characters; IAM allows 64). */
export const appUserName = (config: Config) => `${config.app}-app-${config.environment}`;

const wantedTags = (config: Config) => resourceTags(config, appUserName(config));

async function listTags(iam: IAMClient, userName: string): Promise<Tag[]> {
  const tags: Tag[] = [];
  for await (const page of IAM.paginateListUserTags({ client: iam }, { UserName: userName }))
    tags.push(...(page.Tags ?? []));
  return tags;
}

async function read(ctx: StepContext): Promise<IamUserObserved | undefined> {
  const iam = ctx.aws.iam();
  const name = appUserName(ctx.config);
  try {
    const { User } = await iam.send(new IAM.GetUserCommand({ UserName: name }));
    if (!User?.Arn || !User.UserId) return undefined;
    return { name, arn: User.Arn, userId: User.UserId, tags: await listTags(iam, name) };
  } catch (err) {
    if (err instanceof IAM.NoSuchEntityException) return undefined;
    throw toHmError(err, `read IAM user ${name}`);
  }
}

/**
 * A user of our name is taken over only when this tool made it: recorded in state, or tagged
 * ManagedBy=hm-infra for this app and environment. Anyone else's user keeps its keys and
 * policies; giving our policies to it would widen what it may do.
 */
function refuseForeignUser(ctx: StepContext, observed: IamUserObserved): void {
  // The ARN only names the user; its id tells a user re-created by someone else apart.
  if (ctx.recorded?.outputs['userId'] === observed.userId) return;
  const tag = (key: string) => observed.tags.find((t) => t.Key === key)?.Value;
  const name = observed.name;
  if (tag('ManagedBy') !== 'hm-infra') {
    throw new HmError(
      'IAM_USER_NOT_OURS',
      `an IAM user named ${name} already exists and was not created by hm-infra (it has no ManagedBy=hm-infra tag)`,
      'user',
      {
        hint: `If it is the app user of an earlier setup, tag it (\`aws iam tag-user --user-name ${name} --tags Key=ManagedBy,Value=hm-infra Key=Project,Value=${ctx.config.app} Key=Environment,Value=${ctx.config.environment}\`) and re-run; otherwise use another --app or --env.`,
      },
    );
  }
  if (tag('Project') !== ctx.config.app || tag('Environment') !== ctx.config.environment) {
    throw new HmError(
      'IAM_USER_IN_USE',
      `IAM user ${name} belongs to app "${tag('Project') ?? '?'}", environment "${tag('Environment') ?? '?'}" of hm-infra`,
      'user',
      {
        hint: 'Use another --app or --env, or fix the Project and Environment tags of the user if they are wrong.',
      },
    );
  }
}

const outputsOf = (observed: Pick<IamUserObserved, 'name' | 'arn' | 'userId'>): IamUserOutputs => ({
  name: observed.name,
  arn: observed.arn,
  userId: observed.userId,
});

/**
 * IAM is eventually consistent: a user created a moment ago may not be visible yet to the
 * next call (NoSuchEntity). Retries such a call a few times, with growing pauses.
 */
export async function whileUserPropagates<T>(
  call: () => Promise<T>,
  options: { attempts?: number; firstDelayMs?: number } = {},
): Promise<T> {
  const attempts = options.attempts ?? 6;
  let delay = options.firstDelayMs ?? 500;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call();
    } catch (err) {
      if (!(err instanceof IAM.NoSuchEntityException) || attempt >= attempts) throw err;
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay *= 2;
    }
  }
}

/** The app's IAM user: no console password, no managed policies; its rights are the inline policies. */
export const iamUserStep: Step<IamUserObserved, IamUserOutputs> = {
  id: 'iam-user',
  title: 'IAM user',
  service: 'IAM',
  dependsOn: ['account'],
  read,

  plan(ctx, observed) {
    const name = appUserName(ctx.config);
    if (!observed) return [{ field: 'user', action: 'create', to: name, note: 'IAM has no user of that name' }];
    refuseForeignUser(ctx, observed);
    const tags = missingTags(observed.tags, wantedTags(ctx.config));
    if (tags.length === 0) return [];
    return [
      {
        field: 'tags',
        action: 'update',
        to: tags.map((t) => `${t.Key}=${t.Value}`).join(', '),
        note: 'tags that identify it are missing',
      },
    ];
  },

  async apply(ctx, observed) {
    const iam = ctx.aws.iam();
    const name = appUserName(ctx.config);
    if (observed) {
      const tags = missingTags(observed.tags, wantedTags(ctx.config));
      try {
        await iam.send(new IAM.TagUserCommand({ UserName: name, Tags: tags }));
      } catch (err) {
        throw toHmError(err, `tag IAM user ${name}`);
      }
      return { type: 'updated', outputs: outputsOf(observed) };
    }
    await ctx.intend({ create: name });
    try {
      const { User } = await iam.send(new IAM.CreateUserCommand({ UserName: name, Tags: wantedTags(ctx.config) }));
      if (!User?.Arn || !User.UserId)
        throw new HmError('IAM_USER_ANSWER', `IAM created user ${name} but did not return its ARN`, 'aws');
      return { type: 'created', outputs: outputsOf({ name, arn: User.Arn, userId: User.UserId }) };
    } catch (err) {
      if (err instanceof IAM.EntityAlreadyExistsException) {
        // Created by a run whose answer was lost (its intent is in state), or by someone else.
        const found = await read(ctx);
        if (found) {
          const changes = iamUserStep.plan(ctx, found);
          return changes.length === 0
            ? { type: 'unchanged', outputs: outputsOf(found) }
            : iamUserStep.apply(ctx, found, changes);
        }
      }
      if (err instanceof IAM.LimitExceededException) {
        throw new HmError('IAM_LIMIT', 'this AWS account has reached its limit of IAM users', 'aws', {
          hint: 'Delete unused IAM users, or ask AWS for a higher quota, then re-run.',
          cause: err,
        });
      }
      throw toHmError(err, `create IAM user ${name}`);
    }
  },

  outputs: (_ctx, observed) => outputsOf(observed),

  /** Removes the user; its access keys and inline policies go first (their own steps). */
  async destroy(ctx, recorded) {
    try {
      await ctx.aws.iam().send(new IAM.DeleteUserCommand({ UserName: recorded.name }));
    } catch (err) {
      if (err instanceof IAM.NoSuchEntityException) return;
      if (err instanceof IAM.DeleteConflictException) {
        throw new HmError(
          'IAM_USER_IN_USE',
          `IAM user ${recorded.name} still has access keys, policies or other attachments`,
          'aws',
          {
            hint: `Remove what is still attached (\`aws iam list-access-keys --user-name ${recorded.name}\`, \`aws iam list-user-policies\`, \`list-attached-user-policies\`, \`list-groups-for-user\`), then re-run.`,
            cause: err,
          },
        );
      }
      throw toHmError(err, `delete IAM user ${recorded.name}`);
    }
  },
};
