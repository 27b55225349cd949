import * as z from 'zod/mini';
import { IAM } from '../../aws/sdk.js';
import { type Config, emailSettings } from '../../config/config.js';
import { attempt, defineResource } from '../../engine/resource.js';
import { HmError } from '../../errors.js';
import { sesArn } from '../ses/configuration-set.js';
import { appUserName, whileUserPropagates } from './user.js';
import { eventNames } from '../names.js';
import {
  type PolicyDocument,
  appEventsPublisherPolicy,
  emailEventsConsumerPolicy,
  parsePolicyDocument,
  s3UploadsPolicy,
  policyChanges,
  sesSendingPolicy,
} from './policy-document.js';
import type { Step, StepContext, StepId } from '../../engine/types.js';

const outputsSchema = z.object({ userName: z.string(), policyName: z.string() });
export type UserPolicyOutputs = z.infer<typeof outputsSchema>;

declare module '../../engine/types.js' {
  interface StepOutputs {
    'iam-policy-s3': UserPolicyOutputs;
    'iam-policy-ses': UserPolicyOutputs;
    'iam-policy-email-events': UserPolicyOutputs;
    'iam-policy-app-events': UserPolicyOutputs;
  }
}

export interface UserPolicyObserved {
  /** The document as IAM holds it, parsed (null when it cannot be read). */
  document: unknown;
}

interface UserPolicySpec {
  id: StepId;
  title: string;
  policyName: string;
  dependsOn: StepId[];
  /** The policy in words, from the configuration alone (a plan before anything exists). */
  summary(config: Config): string;
  /** What the policy must say; needs the dependencies' outputs. */
  document(ctx: StepContext): PolicyDocument;
}

function makeUserPolicyStep(spec: UserPolicySpec): Step<UserPolicyObserved, UserPolicyOutputs> {
  const outputs = (ctx: StepContext): UserPolicyOutputs => ({
    userName: appUserName(ctx.config),
    policyName: spec.policyName,
  });

  /** Writes the policy as it should be; a user made a moment ago may not be visible to IAM yet. */
  const write = async (ctx: StepContext): Promise<UserPolicyOutputs> => {
    const userName = appUserName(ctx.config);
    await attempt(
      () =>
        whileUserPropagates(() =>
          ctx.aws.iam().send(
            new IAM.PutUserPolicyCommand({
              UserName: userName,
              PolicyName: spec.policyName,
              PolicyDocument: JSON.stringify(spec.document(ctx)),
            }),
          ),
        ),
      `write policy ${spec.policyName} of IAM user ${userName}`,
      (err) =>
        err instanceof IAM.MalformedPolicyDocumentException
          ? new HmError('IAM_POLICY_REJECTED', `IAM rejected policy ${spec.policyName}: ${err.message}`, 'internal', {
              cause: err,
            })
          : undefined,
    );
    return outputs(ctx);
  };

  return defineResource<UserPolicyObserved, UserPolicyOutputs>({
    id: spec.id,
    title: spec.title,
    service: 'IAM',
    dependsOn: spec.dependsOn,
    describe: (ctx) => `policy ${spec.policyName} of IAM user ${appUserName(ctx.config)}`,
    notFound: (err) => err instanceof IAM.NoSuchEntityException,
    outputsSchema,

    async find(ctx) {
      const res = await ctx.aws
        .iam()
        .send(new IAM.GetUserPolicyCommand({ UserName: appUserName(ctx.config), PolicyName: spec.policyName }));
      return { document: parsePolicyDocument(res.PolicyDocument ?? '{}') };
    },

    toCreate: (ctx) => ({
      field: 'policy',
      to: spec.summary(ctx.config),
      note: `user ${appUserName(ctx.config)} has no inline policy ${spec.policyName}`,
    }),

    diff: (ctx, observed) =>
      policyChanges(
        observed.document,
        spec.document(ctx),
        'the policy was changed outside hm-infra; it is set back to the least-privilege one',
      ),

    intent: () => ({ create: spec.policyName }),
    create: write,
    update: write,
    outputs,

    async remove(ctx, recorded) {
      await ctx.aws
        .iam()
        .send(new IAM.DeleteUserPolicyCommand({ UserName: recorded.userName, PolicyName: recorded.policyName }));
    },
  });
}

/** Objects of the uploads bucket, and listing it: nothing else in S3. */
export const s3PolicyStep = makeUserPolicyStep({
  id: 'iam-policy-s3',
  title: 'IAM policy: S3 uploads',
  policyName: 's3-uploads',
  dependsOn: ['iam-user', 'bucket'],
  summary: (config) => `put, get and delete objects of ${config.bucketName}; list it`,
  document: (ctx) => s3UploadsPolicy(ctx.output('bucket').arn),
});

export const SES_TEMPLATE_STEPS = ['template-email-verification', 'template-password-reset'] as const;

/** Sending as the configured sender through this environment's identity, configuration set and templates. */
export const sesPolicyStep = makeUserPolicyStep({
  id: 'iam-policy-ses',
  title: 'IAM policy: SES sending',
  policyName: 'ses-sending',
  dependsOn: ['iam-user', 'email-identity', 'email-config-set', ...SES_TEMPLATE_STEPS],
  summary: (config) =>
    `send as ${emailSettings(config).fromEmail} through identity ${config.domain}, its configuration set and templates`,
  document: (ctx) =>
    sesSendingPolicy({
      identityArn: ctx.output('email-identity').arn,
      configurationSetArn: ctx.output('email-config-set').arn,
      templateArns: SES_TEMPLATE_STEPS.map((id) => sesArn(ctx, `template/${ctx.output(id).name}`)),
      fromAddress: emailSettings(ctx.config).fromEmail,
    }),
});

/** The app processes its own bounces and complaints: receive and delete on the email-events queue only. */
export const emailEventsPolicyStep = makeUserPolicyStep({
  id: 'iam-policy-email-events',
  title: 'IAM policy: email events',
  policyName: 'email-events',
  dependsOn: ['iam-user', 'email-events-queue'],
  summary: (config) => `receive and delete messages of ${eventNames.emailEventsQueue(config)}`,
  document: (ctx) => emailEventsConsumerPolicy(ctx.output('email-events-queue').arn),
});

/** The app puts its domain events on its own bus only. */
export const appEventsPolicyStep = makeUserPolicyStep({
  id: 'iam-policy-app-events',
  title: 'IAM policy: app events',
  policyName: 'app-events',
  dependsOn: ['iam-user', 'events-bus'],
  summary: (config) => `put events on bus ${eventNames.eventBus(config)}`,
  document: (ctx) => appEventsPublisherPolicy(ctx.output('events-bus').arn),
});
