import { IAM } from '../../aws/sdk.js';
import { toHmError } from '../../aws/errors.js';
import { type Config, emailSettings } from '../../config/config.js';
import { HmError } from '../../errors.js';
import { sesArn } from '../ses/configuration-set.js';
import { appUserName, whileUserPropagates } from './user.js';
import {
  type PolicyDocument,
  describePolicy,
  parsePolicyDocument,
  s3UploadsPolicy,
  samePolicy,
  sesSendingPolicy,
} from './policy-document.js';
import type { Step, StepContext, StepId } from '../../engine/types.js';

export interface UserPolicyOutputs {
  userName: string;
  policyName: string;
}

declare module '../../engine/types.js' {
  interface StepOutputs {
    'iam-policy-s3': UserPolicyOutputs;
    'iam-policy-ses': UserPolicyOutputs;
  }
}

export interface UserPolicyObserved {
  /** The document as IAM holds it, parsed. */
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
  return {
    id: spec.id,
    title: spec.title,
    service: 'IAM',
    dependsOn: spec.dependsOn,

    async read(ctx) {
      const userName = appUserName(ctx.config);
      try {
        const res = await ctx.aws
          .iam()
          .send(new IAM.GetUserPolicyCommand({ UserName: userName, PolicyName: spec.policyName }));
        return { document: parsePolicyDocument(res.PolicyDocument ?? '{}') };
      } catch (err) {
        if (err instanceof IAM.NoSuchEntityException) return undefined;
        if (err instanceof SyntaxError || err instanceof URIError) return { document: null };
        throw toHmError(err, `read policy ${spec.policyName} of IAM user ${userName}`);
      }
    },

    plan(ctx, observed) {
      if (!observed)
        return [
          {
            field: 'policy',
            action: 'create',
            to: spec.summary(ctx.config),
            note: `user ${appUserName(ctx.config)} has no inline policy ${spec.policyName}`,
          },
        ];
      const wanted = spec.document(ctx);
      if (samePolicy(observed.document, wanted)) return [];
      return [
        {
          field: 'policy',
          action: 'update',
          from: describePolicy(observed.document) || 'unreadable',
          to: describePolicy(wanted),
          note: 'the policy was changed outside hm-infra; it is set back to the least-privilege one',
        },
      ];
    },

    async apply(ctx, observed) {
      const userName = appUserName(ctx.config);
      if (!observed) await ctx.intend({ create: spec.policyName });
      try {
        await whileUserPropagates(() =>
          ctx.aws
            .iam()
            .send(
              new IAM.PutUserPolicyCommand({
                UserName: userName,
                PolicyName: spec.policyName,
                PolicyDocument: JSON.stringify(spec.document(ctx)),
              }),
            ),
        );
      } catch (err) {
        if (err instanceof IAM.MalformedPolicyDocumentException) {
          throw new HmError(
            'IAM_POLICY_REJECTED',
            `IAM rejected policy ${spec.policyName}: ${(err as Error).message}`,
            'internal',
            { cause: err },
          );
        }
        throw toHmError(err, `write policy ${spec.policyName} of IAM user ${userName}`);
      }
      return { type: observed ? 'updated' : 'created', outputs: outputs(ctx) };
    },

    outputs,

    async destroy(ctx, recorded) {
      try {
        await ctx.aws
          .iam()
          .send(new IAM.DeleteUserPolicyCommand({ UserName: recorded.userName, PolicyName: recorded.policyName }));
      } catch (err) {
        if (err instanceof IAM.NoSuchEntityException) return;
        throw toHmError(err, `delete policy ${recorded.policyName} of IAM user ${recorded.userName}`);
      }
    },
  };
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
