import type { Tag } from '@aws-sdk/client-iam';
import * as z from 'zod/mini';
import { IAM } from '../../aws/sdk.js';
import { emailSettings } from '../../config/config.js';
import { attempt, defineResource } from '../../engine/resource.js';
import type { Change, StepContext } from '../../engine/types.js';
import { HmError } from '../../errors.js';
import { eventNames } from '../names.js';
import { sesArn } from '../ses/configuration-set.js';
import { missingTags, resourceTags, tagChanges } from '../tags.js';
import { SES_TEMPLATE_STEPS } from './policies.js';
import {
  describePolicy,
  emailHandlerPolicy,
  lambdaTrustPolicy,
  parsePolicyDocument,
  policyChanges,
  samePolicy,
} from './policy-document.js';

const outputsSchema = z.object({ name: z.string(), arn: z.string(), roleId: z.string() });
export type RoleOutputs = z.infer<typeof outputsSchema>;

const rolePolicyOutputsSchema = z.object({ roleName: z.string(), policyName: z.string() });
export type RolePolicyOutputs = z.infer<typeof rolePolicyOutputsSchema>;

declare module '../../engine/types.js' {
  interface StepOutputs {
    'email-handler-role': RoleOutputs;
    'email-handler-role-policy': RolePolicyOutputs;
  }
}

export interface RoleObserved extends RoleOutputs {
  trust: unknown;
  tags: Tag[];
}

const roleName = eventNames.emailHandler;

/** A role of our name is taken over only when this tool made it (recorded, or tagged for this app and environment). */
function refuseForeignRole(ctx: StepContext, observed: RoleObserved): void {
  if (ctx.recorded?.outputs['roleId'] === observed.roleId) return;
  const tag = (key: string) => observed.tags.find((t) => t.Key === key)?.Value;
  if (
    tag('ManagedBy') === 'hm-infra' &&
    tag('Project') === ctx.config.app &&
    tag('Environment') === ctx.config.environment
  )
    return;
  throw new HmError(
    'IAM_ROLE_NOT_OURS',
    `an IAM role named ${observed.name} already exists and was not created by hm-infra for ${ctx.config.app} (${ctx.config.environment})`,
    'user',
    {
      hint: `If it is the email handler role of an earlier setup, tag it (\`aws iam tag-role --role-name ${observed.name} --tags Key=ManagedBy,Value=hm-infra Key=Project,Value=${ctx.config.app} Key=Environment,Value=${ctx.config.environment}\`) and re-run; otherwise use another --app or --env.`,
    },
  );
}

const tagsToAdd = (ctx: StepContext, observed: RoleObserved) =>
  missingTags(observed.tags, resourceTags(ctx.config, roleName(ctx.config)));

/** The role the app's email handler Lambda runs as: only Lambda may assume it. */
export const emailHandlerRoleStep = defineResource<RoleObserved, RoleOutputs>({
  id: 'email-handler-role',
  title: 'IAM role: email handler',
  service: 'IAM',
  dependsOn: ['account'],
  describe: (ctx) => `IAM role ${roleName(ctx.config)}`,
  notFound: (err) => err instanceof IAM.NoSuchEntityException,
  alreadyExists: (err) => err instanceof IAM.EntityAlreadyExistsException,
  outputsSchema,

  async find(ctx) {
    const { Role: role } = await ctx.aws.iam().send(new IAM.GetRoleCommand({ RoleName: roleName(ctx.config) }));
    if (!role?.Arn || !role.RoleId) return undefined;
    return {
      name: role.RoleName ?? roleName(ctx.config),
      arn: role.Arn,
      roleId: role.RoleId,
      trust: parsePolicyDocument(role.AssumeRolePolicyDocument ?? '{}'),
      tags: role.Tags ?? [],
    };
  },

  toCreate: (ctx) => ({
    field: 'role',
    to: `${roleName(ctx.config)} (assumed by lambda.amazonaws.com only)`,
    note: 'the email handler Lambda runs as this role',
  }),

  diff(ctx, observed) {
    refuseForeignRole(ctx, observed);
    const changes: Change[] = [];
    if (!samePolicy(observed.trust, lambdaTrustPolicy()))
      changes.push({
        field: 'trust-policy',
        action: 'update',
        from: describePolicy(observed.trust) || 'unreadable',
        to: 'sts:AssumeRole by lambda.amazonaws.com',
        note: 'only Lambda may assume the role',
      });
    return [...changes, ...tagChanges(tagsToAdd(ctx, observed))];
  },

  intent: (ctx) => ({ create: roleName(ctx.config) }),

  async create(ctx) {
    const name = roleName(ctx.config);
    const res = await ctx.aws.iam().send(
      new IAM.CreateRoleCommand({
        RoleName: name,
        AssumeRolePolicyDocument: JSON.stringify(lambdaTrustPolicy()),
        Description: `The email handler Lambda of ${ctx.config.app} (${ctx.config.environment}); made by hm-infra`,
        Tags: resourceTags(ctx.config, name),
      }),
    );
    if (!res.Role?.Arn || !res.Role.RoleId)
      throw new HmError('AWS_ERROR', `IAM created role ${name} but returned no ARN`, 'aws');
    return { name, arn: res.Role.Arn, roleId: res.Role.RoleId };
  },

  async update(ctx, observed, changes) {
    const iam = ctx.aws.iam();
    if (changes.some((c) => c.field === 'trust-policy'))
      await iam.send(
        new IAM.UpdateAssumeRolePolicyCommand({
          RoleName: observed.name,
          PolicyDocument: JSON.stringify(lambdaTrustPolicy()),
        }),
      );
    const tags = tagsToAdd(ctx, observed);
    if (tags.length > 0) await iam.send(new IAM.TagRoleCommand({ RoleName: observed.name, Tags: tags }));
  },

  outputs: (_ctx, { name, arn, roleId }) => ({ name, arn, roleId }),

  async remove(ctx, recorded) {
    await ctx.aws.iam().send(new IAM.DeleteRoleCommand({ RoleName: recorded.name }));
  },

  explain(ctx, err, doing) {
    if (doing === 'delete' && err instanceof IAM.DeleteConflictException)
      return new HmError(
        'IAM_ROLE_IN_USE',
        `IAM role ${roleName(ctx.config)} still has policies or instance profiles that hm-infra did not add`,
        'aws',
        {
          hint: `See them with \`aws iam list-attached-role-policies --role-name ${roleName(ctx.config)}\` and \`aws iam list-role-policies\`, remove them, then re-run teardown.`,
          cause: err,
        },
      );
    if (doing === 'create' && err instanceof IAM.LimitExceededException)
      return new HmError('IAM_LIMIT', 'this AWS account has reached its quota of IAM roles', 'aws', {
        hint: 'Delete unused roles, then re-run.',
        cause: err,
      });
    return undefined;
  },
});

const ROLE_POLICY = 'email-handler';

const handlerPolicy = (ctx: StepContext) =>
  emailHandlerPolicy({
    queueArn: ctx.output('events-queue').arn,
    logGroupArn: ctx.output('email-handler-log-group').arn,
    sending: {
      identityArn: ctx.output('email-identity').arn,
      configurationSetArn: ctx.output('email-config-set').arn,
      templateArns: SES_TEMPLATE_STEPS.map((id) => sesArn(ctx, `template/${ctx.output(id).name}`)),
      fromAddress: emailSettings(ctx.config).fromEmail,
    },
  });

/** Retries a call while IAM does not see a role made a moment ago (eventual consistency). */
async function whileRolePropagates<T>(call: () => Promise<T>): Promise<T> {
  let delay = 500;
  for (let attemptNo = 1; ; attemptNo += 1) {
    try {
      return await call();
    } catch (err) {
      if (!(err instanceof IAM.NoSuchEntityException) || attemptNo >= 6) throw err;
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay *= 2;
    }
  }
}

/** What the email handler may do: read its queue, send as the app does, write its logs. */
export const emailHandlerRolePolicyStep = defineResource<{ document: unknown }, RolePolicyOutputs>({
  id: 'email-handler-role-policy',
  title: 'IAM policy: email handler',
  service: 'IAM',
  dependsOn: [
    'email-handler-role',
    'events-queue',
    'email-handler-log-group',
    'email-identity',
    'email-config-set',
    ...SES_TEMPLATE_STEPS,
  ],
  describe: (ctx) => `policy ${ROLE_POLICY} of IAM role ${roleName(ctx.config)}`,
  notFound: (err) => err instanceof IAM.NoSuchEntityException,
  outputsSchema: rolePolicyOutputsSchema,

  async find(ctx) {
    const res = await ctx.aws
      .iam()
      .send(new IAM.GetRolePolicyCommand({ RoleName: roleName(ctx.config), PolicyName: ROLE_POLICY }));
    return { document: parsePolicyDocument(res.PolicyDocument ?? '{}') };
  },

  toCreate: (ctx) => ({
    field: 'policy',
    to: `receive, delete and change visibility on ${eventNames.eventsQueue(ctx.config)}; send as ${emailSettings(ctx.config).fromEmail}; write to ${eventNames.emailHandlerLogGroup(ctx.config)}`,
    note: `role ${roleName(ctx.config)} has no inline policy ${ROLE_POLICY}`,
  }),

  diff: (ctx, observed) =>
    policyChanges(
      observed.document,
      handlerPolicy(ctx),
      'the policy was changed outside hm-infra; it is set back to the least-privilege one',
    ),

  intent: () => ({ create: ROLE_POLICY }),

  async create(ctx) {
    const name = roleName(ctx.config);
    await attempt(
      () =>
        whileRolePropagates(() =>
          ctx.aws.iam().send(
            new IAM.PutRolePolicyCommand({
              RoleName: name,
              PolicyName: ROLE_POLICY,
              PolicyDocument: JSON.stringify(handlerPolicy(ctx)),
            }),
          ),
        ),
      `write policy ${ROLE_POLICY} of IAM role ${name}`,
      (err) =>
        err instanceof IAM.MalformedPolicyDocumentException
          ? new HmError('IAM_POLICY_REJECTED', `IAM rejected policy ${ROLE_POLICY}: ${err.message}`, 'internal', {
              cause: err,
            })
          : undefined,
    );
    return { roleName: name, policyName: ROLE_POLICY };
  },

  async update(ctx) {
    await ctx.aws.iam().send(
      new IAM.PutRolePolicyCommand({
        RoleName: roleName(ctx.config),
        PolicyName: ROLE_POLICY,
        PolicyDocument: JSON.stringify(handlerPolicy(ctx)),
      }),
    );
  },

  outputs: (ctx) => ({ roleName: roleName(ctx.config), policyName: ROLE_POLICY }),

  async remove(ctx, recorded) {
    await ctx.aws
      .iam()
      .send(new IAM.DeleteRolePolicyCommand({ RoleName: recorded.roleName, PolicyName: recorded.policyName }));
  },
});
