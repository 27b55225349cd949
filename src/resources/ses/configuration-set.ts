import { SES } from '../../aws/sdk.js';
import type { GetConfigurationSetCommandOutput } from '@aws-sdk/client-sesv2';
import { toHmError } from '../../aws/errors.js';
import type { Config } from '../../config/config.js';
import { HmError } from '../../errors.js';
import { missingTags, resourceTags } from '../tags.js';
import type { Change, Step, StepContext } from '../../engine/types.js';

export interface ConfigSetOutputs {
  name: string;
  arn: string;
}

declare module '../../engine/types.js' {
  interface StepOutputs {
    'email-config-set': ConfigSetOutputs;
  }
}

export interface ConfigSetObserved {
  tlsPolicy: string | undefined;
  reputationMetrics: boolean;
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
    tags: res.Tags ?? [],
  };
}

const tagsToAdd = (ctx: StepContext, observed: ConfigSetObserved) =>
  missingTags(observed.tags, resourceTags(ctx.config, configurationSetName(ctx.config)));

async function read(ctx: StepContext): Promise<ConfigSetObserved | undefined> {
  try {
    return observe(
      await ctx.aws
        .sesv2()
        .send(new SES.GetConfigurationSetCommand({ ConfigurationSetName: configurationSetName(ctx.config) })),
    );
  } catch (err) {
    if (err instanceof SES.NotFoundException) return undefined;
    throw toHmError(err, `read SES configuration set ${configurationSetName(ctx.config)}`);
  }
}

/**
 * The configuration set every email is sent through (the identity's default): TLS required
 * to the receiving server, reputation metrics (bounce and complaint rates) on.
 */
export const configSetStep: Step<ConfigSetObserved, ConfigSetOutputs> = {
  id: 'email-config-set',
  title: 'SES configuration set',
  service: 'SES',
  dependsOn: ['account'],
  read,

  plan(ctx, observed) {
    const name = configurationSetName(ctx.config);
    if (!observed)
      return [
        {
          field: 'configuration-set',
          action: 'create',
          to: `${name} (TLS required, reputation metrics on)`,
          note: 'no configuration set of that name exists',
        },
      ];
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
    const tags = tagsToAdd(ctx, observed);
    if (tags.length > 0)
      changes.push({
        field: 'tags',
        action: 'update',
        to: tags.map((t) => `${t.Key}=${t.Value}`).join(', '),
        note: 'tags that identify it are missing',
      });
    return changes;
  },

  async apply(ctx, observed, changes) {
    const ses = ctx.aws.sesv2();
    const name = configurationSetName(ctx.config);
    const outputs = { name, arn: configSetArn(ctx) };
    if (!observed) {
      await ctx.intend({ create: name });
      try {
        await ses.send(
          new SES.CreateConfigurationSetCommand({
            ConfigurationSetName: name,
            DeliveryOptions: { TlsPolicy: 'REQUIRE' },
            ReputationOptions: { ReputationMetricsEnabled: true },
            SendingOptions: { SendingEnabled: true },
            Tags: resourceTags(ctx.config, name),
          }),
        );
        return { type: 'created', outputs };
      } catch (err) {
        if (err instanceof SES.AlreadyExistsException) {
          // Created by a run whose answer was lost, or by someone else: compare it next run.
          ctx.debug(`configuration set ${name} already exists; using it`);
          const found = await read(ctx);
          if (found) return configSetStep.apply(ctx, found, configSetStep.plan(ctx, found));
        }
        if (err instanceof SES.LimitExceededException) {
          throw new HmError(
            'SES_LIMIT',
            'this AWS account has reached its limit of SES configuration sets in this region',
            'aws',
            {
              hint: 'Delete unused configuration sets (`aws sesv2 list-configuration-sets`), then re-run.',
              cause: err,
            },
          );
        }
        throw toHmError(err, `create SES configuration set ${name}`);
      }
    }
    if (changes.length === 0) return { type: 'unchanged', outputs };
    try {
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
      const tags = tagsToAdd(ctx, observed);
      if (tags.length > 0) await ses.send(new SES.TagResourceCommand({ ResourceArn: outputs.arn, Tags: tags }));
    } catch (err) {
      throw toHmError(err, `update SES configuration set ${name}`);
    }
    return { type: 'updated', outputs };
  },

  outputs: (ctx) => ({ name: configurationSetName(ctx.config), arn: configSetArn(ctx) }),

  async destroy(ctx, recorded) {
    try {
      await ctx.aws.sesv2().send(new SES.DeleteConfigurationSetCommand({ ConfigurationSetName: recorded.name }));
    } catch (err) {
      if (err instanceof SES.NotFoundException) return;
      throw toHmError(err, `delete SES configuration set ${recorded.name}`);
    }
  },
};
