import type { GetConfigurationSetCommandOutput } from '@aws-sdk/client-sesv2';
import * as z from 'zod/mini';
import { SES } from '../../aws/sdk.js';
import { type Config, emailEventsOn } from '../../config/config.js';
import { defineResource } from '../../engine/resource.js';
import type { Change, StepContext } from '../../engine/types.js';
import { HmError } from '../../errors.js';
import { missingTags, resourceTags, tagChanges } from '../tags.js';

const outputsSchema = z.object({ name: z.string(), arn: z.string() });
export type ConfigSetOutputs = z.infer<typeof outputsSchema>;

declare module '../../engine/types.js' {
  interface StepOutputs {
    'email-config-set': ConfigSetOutputs;
  }
}

export interface ConfigSetObserved {
  tlsPolicy: string | undefined;
  reputationMetrics: boolean;
  /** SuppressionOptions.SuppressedReasons; undefined when the set has none of its own (the account's list applies). */
  suppressed: string[] | undefined;
  tags: Array<{ Key?: string | undefined; Value?: string | undefined }>;
}

/** One configuration set per environment: `${app}-${env}`. */
export const configurationSetName = (config: Config) => `${config.app}-${config.environment}`;

/** The ARN of an SES resource of this account and region (partition from the caller's ARN). */
export function sesArn(ctx: StepContext, resource: string): string {
  const account = ctx.output('account');
  const partition = account.arn.split(':')[1] || 'aws';
  return `arn:${partition}:ses:${ctx.config.region}:${account.accountId}:${resource}`;
}

const configSetArn = (ctx: StepContext) => sesArn(ctx, `configuration-set/${configurationSetName(ctx.config)}`);

function observe(res: GetConfigurationSetCommandOutput): ConfigSetObserved {
  return {
    tlsPolicy: res.DeliveryOptions?.TlsPolicy,
    reputationMetrics: res.ReputationOptions?.ReputationMetricsEnabled === true,
    suppressed: res.SuppressionOptions?.SuppressedReasons,
    tags: res.Tags ?? [],
  };
}

/** With bounce handling on, an address that bounced or complained is not sent to again. */
export const SUPPRESSED_REASONS = ['BOUNCE', 'COMPLAINT'] as const;

const suppressionDiffers = (config: Config, observed: ConfigSetObserved) =>
  emailEventsOn(config) && [...(observed.suppressed ?? [])].sort().join(',') !== SUPPRESSED_REASONS.join(',');

const tagsToAdd = (ctx: StepContext, observed: ConfigSetObserved) =>
  missingTags(observed.tags, resourceTags(ctx.config, configurationSetName(ctx.config)));

/**
 * The configuration set every email is sent through (the identity's default): TLS required
 * to the receiving server, reputation metrics (bounce and complaint rates) on.
 */
export const configSetStep = defineResource<ConfigSetObserved, ConfigSetOutputs>({
  id: 'email-config-set',
  title: 'SES configuration set',
  service: 'SES',
  dependsOn: ['account'],
  describe: (ctx) => `SES configuration set ${configurationSetName(ctx.config)}`,
  notFound: (err) => err instanceof SES.NotFoundException,
  alreadyExists: (err) => err instanceof SES.AlreadyExistsException,
  outputsSchema,

  async find(ctx) {
    const name = configurationSetName(ctx.config);
    return observe(await ctx.aws.sesv2().send(new SES.GetConfigurationSetCommand({ ConfigurationSetName: name })));
  },

  toCreate: (ctx) => ({
    field: 'configuration-set',
    to: `${configurationSetName(ctx.config)} (TLS required, reputation metrics on${emailEventsOn(ctx.config) ? ', bounced and complained addresses suppressed' : ''})`,
    note: 'no configuration set of that name exists',
  }),

  diff(ctx, observed) {
    const changes: Change[] = [];
    if (observed.tlsPolicy !== 'REQUIRE')
      changes.push({
        field: 'tls-policy',
        action: 'update',
        from: observed.tlsPolicy ?? 'OPTIONAL',
        to: 'REQUIRE',
        note: 'mail must be delivered over TLS',
      });
    if (!observed.reputationMetrics)
      changes.push({
        field: 'reputation-metrics',
        action: 'update',
        from: 'off',
        to: 'on',
        note: 'bounce and complaint rates are tracked',
      });
    if (suppressionDiffers(ctx.config, observed))
      changes.push({
        field: 'suppression',
        action: 'update',
        from: observed.suppressed?.join(', ') || "the account's list",
        to: SUPPRESSED_REASONS.join(', '),
        note: 'an address that bounced or complained is not sent to again',
      });
    return [...changes, ...tagChanges(tagsToAdd(ctx, observed))];
  },

  intent: (ctx) => ({ create: configurationSetName(ctx.config) }),

  async create(ctx) {
    const name = configurationSetName(ctx.config);
    await ctx.aws.sesv2().send(
      new SES.CreateConfigurationSetCommand({
        ConfigurationSetName: name,
        DeliveryOptions: { TlsPolicy: 'REQUIRE' },
        ReputationOptions: { ReputationMetricsEnabled: true },
        SendingOptions: { SendingEnabled: true },
        ...(emailEventsOn(ctx.config) ? { SuppressionOptions: { SuppressedReasons: [...SUPPRESSED_REASONS] } } : {}),
        Tags: resourceTags(ctx.config, name),
      }),
    );
    return { name, arn: configSetArn(ctx) };
  },

  /** One call per differing setting; missing tags are added. */
  async update(ctx, observed, changes) {
    const ses = ctx.aws.sesv2();
    const name = configurationSetName(ctx.config);
    if (changes.some((c) => c.field === 'tls-policy')) {
      await ses.send(
        new SES.PutConfigurationSetDeliveryOptionsCommand({ ConfigurationSetName: name, TlsPolicy: 'REQUIRE' }),
      );
    }
    if (changes.some((c) => c.field === 'reputation-metrics')) {
      await ses.send(
        new SES.PutConfigurationSetReputationOptionsCommand({
          ConfigurationSetName: name,
          ReputationMetricsEnabled: true,
        }),
      );
    }
    if (changes.some((c) => c.field === 'suppression')) {
      await ses.send(
        new SES.PutConfigurationSetSuppressionOptionsCommand({
          ConfigurationSetName: name,
          SuppressedReasons: [...SUPPRESSED_REASONS],
        }),
      );
    }
    const tags = tagsToAdd(ctx, observed);
    if (tags.length > 0) await ses.send(new SES.TagResourceCommand({ ResourceArn: configSetArn(ctx), Tags: tags }));
  },

  outputs: (ctx) => ({ name: configurationSetName(ctx.config), arn: configSetArn(ctx) }),

  async remove(ctx, recorded) {
    await ctx.aws.sesv2().send(new SES.DeleteConfigurationSetCommand({ ConfigurationSetName: recorded.name }));
  },

  explain(_ctx, err, doing) {
    if (err instanceof SES.LimitExceededException && doing === 'create') {
      return new HmError(
        'SES_LIMIT',
        'this AWS account has reached its limit of SES configuration sets in this region',
        'aws',
        {
          hint: 'Delete unused configuration sets (`aws sesv2 list-configuration-sets`), then re-run.',
          cause: err,
        },
      );
    }
    return undefined;
  },
});
