import type { EmailTemplateContent } from '@aws-sdk/client-sesv2';
import * as z from 'zod/mini';
import { SES } from '../../aws/sdk.js';
import { type Config, emailSettings } from '../../config/config.js';
import { defineResource } from '../../engine/resource.js';
import type { Change, Step } from '../../engine/types.js';

const outputsSchema = z.object({
  name: z.string(),
  /** The variable the app fills in (`{{verification_url}}`). */
  variables: z.array(z.string()),
});
export type TemplateOutputs = z.infer<typeof outputsSchema>;

declare module '../../engine/types.js' {
  interface StepOutputs {
    'template-email-verification': TemplateOutputs;
    'template-password-reset': TemplateOutputs;
  }
}

type TemplateContent = Required<Pick<EmailTemplateContent, 'Subject' | 'Html' | 'Text'>>;

interface TemplateDefinition {
  name: 'email-verification' | 'password-reset';
  title: string;
  variables: string[];
  content(product: string): TemplateContent;
}

/** The page around both templates, as docs/resources.md shows it. */
function page(heading: string, body: string): string {
  return `<!DOCTYPE html>
<html>
<head>
  <style>
    body { font-family: -apple-system, BlinkMacSystemFont, 'Segoe UI', Roboto, sans-serif; }
    .container { max-width: 600px; margin: 0 auto; padding: 20px; }
    .button { display: inline-block; padding: 12px 24px; background: #10b981; color: white; text-decoration: none; border-radius: 6px; }
  </style>
</head>
<body>
  <div class="container">
    <h1>${heading}</h1>
${body}
  </div>
</body>
</html>
`;
}

export const TEMPLATES: readonly TemplateDefinition[] = [
  {
    name: 'email-verification',
    title: 'SES template: verification',
    variables: ['verification_url'],
    content: (product) => ({
      Subject: `Verify your ${product} account`,
      Html: page(
        `Welcome to ${product}!`,
        [
          '    <p>Please verify your email address by clicking the button below:</p>',
          '    <p><a href="{{verification_url}}" class="button">Verify Email</a></p>',
          '    <p>This link expires in 24 hours.</p>',
          "    <p>If you didn't create an account, you can ignore this email.</p>",
        ].join('\n'),
      ),
      Text: `Welcome to ${product}! Please verify your email by visiting: {{verification_url}}`,
    }),
  },
  {
    name: 'password-reset',
    title: 'SES template: password reset',
    variables: ['reset_url'],
    content: (product) => ({
      Subject: `Reset your ${product} password`,
      Html: page(
        'Password Reset',
        [
          '    <p>You requested to reset your password. Click the button below:</p>',
          '    <p><a href="{{reset_url}}" class="button">Reset Password</a></p>',
          '    <p>This link expires in 1 hour.</p>',
          "    <p>If you didn't request this, you can ignore this email.</p>",
        ].join('\n'),
      ),
      Text: 'Reset your password by visiting: {{reset_url}}',
    }),
  },
];

/** The template content for this configuration (product name filled in). */
export function templateContent(definition: TemplateDefinition, config: Config): TemplateContent {
  return definition.content(emailSettings(config).productName);
}

const FIELDS = ['Subject', 'Html', 'Text'] as const;

/** What a change of a long field looks like in a plan: its first differing line. */
function firstDifference(from: string, to: string): { from: string; to: string } {
  const a = from.split('\n');
  const b = to.split('\n');
  const i = a.findIndex((line, k) => line !== b[k]);
  const at = i === -1 ? a.length : i;
  return { from: (a[at] ?? '(end)').trim(), to: (b[at] ?? '(end)').trim() };
}

/** One SES template as a step: created when missing, updated when any field differs. */
export function makeTemplateStep(definition: TemplateDefinition): Step<TemplateContent, TemplateOutputs> {
  const { name } = definition;
  const outputs: TemplateOutputs = { name, variables: definition.variables };
  return defineResource<TemplateContent, TemplateOutputs>({
    id: `template-${name}`,
    title: definition.title,
    service: 'SES',
    // After the identity: a domain another environment uses stops the run before its templates change.
    dependsOn: ['email-identity'],
    describe: () => `SES template ${name}`,
    notFound: (err) => err instanceof SES.NotFoundException,
    alreadyExists: (err) => err instanceof SES.AlreadyExistsException,
    outputsSchema,

    async find(ctx) {
      const res = await ctx.aws.sesv2().send(new SES.GetEmailTemplateCommand({ TemplateName: name }));
      const c = res.TemplateContent;
      return { Subject: c?.Subject ?? '', Html: c?.Html ?? '', Text: c?.Text ?? '' };
    },

    toCreate: (ctx) => ({
      field: 'template',
      to: `${name}: "${templateContent(definition, ctx.config).Subject}"`,
      note: 'SES has no template of that name',
    }),

    diff(ctx, observed) {
      const want = templateContent(definition, ctx.config);
      return FIELDS.filter((field) => observed[field] !== want[field]).map((field): Change => {
        const diff =
          field === 'Subject'
            ? { from: observed.Subject, to: want.Subject }
            : firstDifference(observed[field], want[field]);
        return {
          field: field.toLowerCase(),
          action: 'update',
          ...diff,
          note: `the template's ${field.toLowerCase()} differs`,
        };
      });
    },

    intent: () => ({ create: name }),

    async create(ctx) {
      const TemplateContent = templateContent(definition, ctx.config);
      await ctx.aws.sesv2().send(new SES.CreateEmailTemplateCommand({ TemplateName: name, TemplateContent }));
      return outputs;
    },

    /** One call replaces every field. */
    async update(ctx) {
      const TemplateContent = templateContent(definition, ctx.config);
      await ctx.aws.sesv2().send(new SES.UpdateEmailTemplateCommand({ TemplateName: name, TemplateContent }));
    },

    outputs: () => outputs,

    async remove(ctx, recorded) {
      await ctx.aws.sesv2().send(new SES.DeleteEmailTemplateCommand({ TemplateName: recorded.name }));
    },
  });
}

export const templateSteps = TEMPLATES.map(makeTemplateStep);
