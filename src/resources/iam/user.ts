import type { IAMClient, Tag } from '@aws-sdk/client-iam';
import * as z from 'zod/mini';
import { IAM } from '../../aws/sdk.js';
import type { Config } from '../../config/config.js';
import { defineResource } from '../../engine/resource.js';
import type { StepContext } from '../../engine/types.js';
import { HmError } from '../../errors.js';
import { missingTags, resourceTags, tagChanges } from '../tags.js';

const outputsSchema = z.object({ name: z.string(), arn: z.string(), userId: z.string() });
export type IamUserOutputs = z.infer<typeof outputsSchema>;

declare module '../../engine/types.js' {
  interface StepOutputs {
    'iam-user': IamUserOutputs;
  }
}

export interface IamUserObserved extends IamUserOutputs {
  tags: Tag[];
}

/** The app's own user (docs/resources.md): `${app}-app-${env}` (at most 53 characters; IAM allows 64). */
export const appUserName = (config: Config) => `${config.app}-app-${config.environment}`;

const wantedTags = (config: Config) => resourceTags(config, appUserName(config));

async function listTags(iam: IAMClient, userName: string): Promise<Tag[]> {
  const tags: Tag[] = [];
  for await (const page of IAM.paginateListUserTags({ client: iam }, { UserName: userName })) {
    tags.push(...(page.Tags ?? []));
  }
  return tags;
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
      { hint: 'Use another --app or --env, or fix the Project and Environment tags of the user if they are wrong.' },
    );
  }
}

const outputsOf = ({ name, arn, userId }: IamUserOutputs): IamUserOutputs => ({ name, arn, userId });

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
export const iamUserStep = defineResource<IamUserObserved, IamUserOutputs>({
  id: 'iam-user',
  title: 'IAM user',
  service: 'IAM',
  dependsOn: ['account'],
  describe: (ctx) => `IAM user ${appUserName(ctx.config)}`,
  notFound: (err) => err instanceof IAM.NoSuchEntityException,
  alreadyExists: (err) => err instanceof IAM.EntityAlreadyExistsException,
  outputsSchema,

  async find(ctx) {
    const iam = ctx.aws.iam();
    const name = appUserName(ctx.config);
    const { User } = await iam.send(new IAM.GetUserCommand({ UserName: name }));
    if (!User?.Arn || !User.UserId) return undefined;
    return { name, arn: User.Arn, userId: User.UserId, tags: await listTags(iam, name) };
  },

  toCreate: (ctx) => ({ field: 'user', to: appUserName(ctx.config), note: 'IAM has no user of that name' }),

  diff(ctx, observed) {
    refuseForeignUser(ctx, observed);
    return tagChanges(missingTags(observed.tags, wantedTags(ctx.config)));
  },

  intent: (ctx) => ({ create: appUserName(ctx.config) }),

  async create(ctx) {
    const name = appUserName(ctx.config);
    const { User } = await ctx.aws
      .iam()
      .send(new IAM.CreateUserCommand({ UserName: name, Tags: wantedTags(ctx.config) }));
    if (!User?.Arn || !User.UserId) {
      throw new HmError('IAM_USER_ANSWER', `IAM created user ${name} but did not return its ARN`, 'aws');
    }
    return outputsOf({ name, arn: User.Arn, userId: User.UserId });
  },

  async update(ctx, observed) {
    const tags = missingTags(observed.tags, wantedTags(ctx.config));
    await ctx.aws.iam().send(new IAM.TagUserCommand({ UserName: observed.name, Tags: tags }));
  },

  outputs: (_ctx, observed) => outputsOf(observed),

  /** Removes the user; its access keys and inline policies go first (their own steps). */
  async remove(ctx, recorded) {
    await ctx.aws.iam().send(new IAM.DeleteUserCommand({ UserName: recorded.name }));
  },

  explain(_ctx, err, doing) {
    if (err instanceof IAM.LimitExceededException && doing === 'create') {
      return new HmError('IAM_LIMIT', 'this AWS account has reached its limit of IAM users', 'aws', {
        hint: 'Delete unused IAM users, or ask AWS for a higher quota, then re-run.',
        cause: err,
      });
    }
    if (err instanceof IAM.DeleteConflictException) {
      const name = appUserName(_ctx.config);
      return new HmError(
        'IAM_USER_IN_USE',
        `IAM user ${name} still has access keys, policies or other attachments`,
        'aws',
        {
          hint: `Remove what is still attached (\`aws iam list-access-keys --user-name ${name}\`, \`aws iam list-user-policies\`, \`list-attached-user-policies\`, \`list-groups-for-user\`), then re-run.`,
          cause: err,
        },
      );
    }
    return undefined;
  },
});
