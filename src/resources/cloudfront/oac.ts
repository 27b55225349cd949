import { CloudFront } from '../../aws/sdk.js';
import type { CloudFrontClient, OriginAccessControlConfig } from '@aws-sdk/client-cloudfront';
import { toHmError } from '../../aws/errors.js';
import type { Config } from '../../config/config.js';
import { HmError } from '../../errors.js';
import type { Change, Step, StepContext } from '../../engine/types.js';

export interface OacOutputs {
  id: string;
  name: string;
}

declare module '../../engine/types.js' {
  interface StepOutputs {
    oac: OacOutputs;
  }
}

export interface OacObserved {
  id: string;
  config: OriginAccessControlConfig;
  /** Known when the OAC was read with Get; a list entry has none. */
  etag?: string | undefined;
}

/** OAC names are unique per account, so the name finds what an earlier run created. */
export const oacName = (config: Config) => `${config.app}-${config.environment}-uploads-oac`;

export function oacConfig(config: Config): OriginAccessControlConfig {
  return {
    Name: oacName(config),
    Description: `Lets the ${config.app} (${config.environment}) CDN read the uploads bucket (hm-infra)`,
    OriginAccessControlOriginType: 's3',
    SigningBehavior: 'always',
    SigningProtocol: 'sigv4',
  };
}

/** The settings this tool owns; the description is informational. */
const OWNED = ['OriginAccessControlOriginType', 'SigningBehavior', 'SigningProtocol'] as const;

async function getById(cf: CloudFrontClient, id: string): Promise<OacObserved | undefined> {
  try {
    const res = await cf.send(new CloudFront.GetOriginAccessControlCommand({ Id: id }));
    const config = res.OriginAccessControl?.OriginAccessControlConfig;
    return config ? { id, config, etag: res.ETag } : undefined;
  } catch (err) {
    if (err instanceof CloudFront.NoSuchOriginAccessControl) return undefined;
    throw toHmError(err, `read origin access control ${id}`);
  }
}

/** Every OAC of the account is listed (100 a page) until the one with our name turns up. */
async function findByName(cf: CloudFrontClient, name: string): Promise<OacObserved | undefined> {
  try {
    for await (const page of CloudFront.paginateListOriginAccessControls({ client: cf, pageSize: 100 }, {})) {
      const hit = page.OriginAccessControlList?.Items?.find((item) => item.Name === name);
      if (hit?.Id) {
        const { Id, Name, Description, OriginAccessControlOriginType, SigningBehavior, SigningProtocol } = hit;
        return {
          id: Id,
          config: { Name, Description, OriginAccessControlOriginType, SigningBehavior, SigningProtocol },
        };
      }
    }
  } catch (err) {
    throw toHmError(err, 'list CloudFront origin access controls');
  }
  return undefined;
}

async function update(ctx: StepContext, observed: OacObserved, retry = true): Promise<void> {
  const cf = ctx.aws.cloudfront();
  // A list entry has no ETag: read the OAC, so config and ETag come from the same version.
  const current = observed.etag ? observed : ((await getById(cf, observed.id)) ?? observed);
  try {
    await cf.send(
      new CloudFront.UpdateOriginAccessControlCommand({
        Id: current.id,
        IfMatch: current.etag,
        OriginAccessControlConfig: {
          ...current.config,
          ...pickOwned(oacConfig(ctx.config)),
          Name: oacName(ctx.config),
        },
      }),
    );
  } catch (err) {
    if (retry && err instanceof CloudFront.PreconditionFailed) {
      ctx.debug('the origin access control changed while we updated it; reading it again');
      const fresh = await getById(cf, observed.id);
      if (fresh) return update(ctx, fresh, false);
    }
    throw toHmError(err, `update origin access control ${observed.id}`);
  }
}

const pickOwned = (config: OriginAccessControlConfig) =>
  Object.fromEntries(OWNED.map((key) => [key, config[key]])) as Partial<OriginAccessControlConfig>;

/** Origin access control: CloudFront signs its requests to the private bucket (sigv4, always). */
export const oacStep: Step<OacObserved, OacOutputs> = {
  id: 'oac',
  title: 'CloudFront origin access',
  service: 'CloudFront',
  dependsOn: ['account'],

  async read(ctx) {
    const cf = ctx.aws.cloudfront();
    const recordedId = ctx.recorded?.outputs['id'];
    if (typeof recordedId === 'string') {
      const found = await getById(cf, recordedId);
      if (found) return found;
      ctx.debug(`the recorded origin access control ${recordedId} no longer exists; looking for it by name`);
    }
    return findByName(cf, oacName(ctx.config));
  },

  plan(ctx, observed) {
    if (!observed)
      return [
        {
          field: 'origin-access-control',
          action: 'create',
          to: oacName(ctx.config),
          note: 'no origin access control of that name exists',
        },
      ];
    const want = oacConfig(ctx.config);
    return OWNED.filter((key) => observed.config[key] !== want[key]).map((key): Change => ({
      field: key,
      action: 'update',
      from: observed.config[key],
      to: want[key],
      note: `is ${observed.config[key] ?? 'unset'}; should be ${want[key]}`,
    }));
  },

  async apply(ctx, observed) {
    const cf = ctx.aws.cloudfront();
    if (observed) {
      await update(ctx, observed);
      return { type: 'updated', outputs: { id: observed.id, name: oacName(ctx.config) } };
    }
    await ctx.intend({ create: oacName(ctx.config) });
    try {
      const res = await cf.send(
        new CloudFront.CreateOriginAccessControlCommand({ OriginAccessControlConfig: oacConfig(ctx.config) }),
      );
      const id = res.OriginAccessControl?.Id;
      if (!id) throw new HmError('NO_OAC_ID', 'CloudFront created the origin access control but returned no id', 'aws');
      return { type: 'created', outputs: { id, name: oacName(ctx.config) } };
    } catch (err) {
      if (err instanceof CloudFront.OriginAccessControlAlreadyExists) {
        // Created by a run whose answer was lost, or at the same moment by another tool.
        const found = await findByName(cf, oacName(ctx.config));
        if (found) return { type: 'unchanged', outputs: { id: found.id, name: oacName(ctx.config) } };
      }
      if (err instanceof CloudFront.TooManyOriginAccessControls) {
        throw new HmError(
          'TOO_MANY_OACS',
          'this AWS account has reached its limit of CloudFront origin access controls',
          'aws',
          {
            hint: 'Delete unused origin access controls in the CloudFront console, or request a higher quota, then re-run.',
          },
        );
      }
      throw toHmError(err, `create origin access control ${oacName(ctx.config)}`);
    }
  },

  outputs: (ctx, observed) => ({ id: observed.id, name: oacName(ctx.config) }),

  async destroy(ctx, recorded) {
    const cf = ctx.aws.cloudfront();
    const current = await getById(cf, recorded.id);
    if (!current) return;
    try {
      await cf.send(new CloudFront.DeleteOriginAccessControlCommand({ Id: recorded.id, IfMatch: current.etag }));
    } catch (err) {
      if (err instanceof CloudFront.NoSuchOriginAccessControl) return;
      if (err instanceof CloudFront.OriginAccessControlInUse) {
        throw new HmError(
          'OAC_IN_USE',
          `origin access control ${recorded.name} is still used by a distribution`,
          'aws',
          {
            hint: 'Delete (or detach from) the distribution first; teardown does this in order. Then re-run.',
          },
        );
      }
      throw toHmError(err, `delete origin access control ${recorded.name}`);
    }
  },
};
