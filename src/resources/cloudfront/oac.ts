import type { CloudFrontClient, OriginAccessControlConfig } from '@aws-sdk/client-cloudfront';
import * as z from 'zod/mini';
import { CloudFront } from '../../aws/sdk.js';
import type { Config } from '../../config/config.js';
import { type ErrorMatch, attempt, defineResource, retryOnce, unlessNotFound } from '../../engine/resource.js';
import type { Change, StepContext } from '../../engine/types.js';
import { HmError } from '../../errors.js';

const outputsSchema = z.object({ id: z.string(), name: z.string() });
export type OacOutputs = z.infer<typeof outputsSchema>;

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

const pickOwned = (config: OriginAccessControlConfig) =>
  Object.fromEntries(OWNED.map((key) => [key, config[key]])) as Partial<OriginAccessControlConfig>;

const noSuchOac: ErrorMatch = (err) => err instanceof CloudFront.NoSuchOriginAccessControl;
const changedMeanwhile: ErrorMatch = (err) => err instanceof CloudFront.PreconditionFailed;

async function getById(cf: CloudFrontClient, id: string): Promise<OacObserved | undefined> {
  const res = await unlessNotFound(
    () => cf.send(new CloudFront.GetOriginAccessControlCommand({ Id: id })),
    noSuchOac,
    `read origin access control ${id}`,
  );
  const config = res?.OriginAccessControl?.OriginAccessControlConfig;
  return config ? { id, config, etag: res?.ETag } : undefined;
}

/** Every OAC of the account is listed (100 a page) until the one with our name turns up. */
function findByName(cf: CloudFrontClient, name: string): Promise<OacObserved | undefined> {
  return attempt(async () => {
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
    return undefined;
  }, 'list CloudFront origin access controls');
}

/** Sends the owned settings on top of the OAC's own, with the ETag of the version they came from. */
async function putOwnedSettings(ctx: StepContext, observed: OacObserved) {
  const cf = ctx.aws.cloudfront();
  // A list entry has no ETag: read the OAC, so config and ETag come from the same version.
  const current = observed.etag ? observed : ((await getById(cf, observed.id)) ?? observed);
  return cf.send(
    new CloudFront.UpdateOriginAccessControlCommand({
      Id: current.id,
      IfMatch: current.etag,
      OriginAccessControlConfig: { ...current.config, ...pickOwned(oacConfig(ctx.config)), Name: oacName(ctx.config) },
    }),
  );
}

/** Origin access control: CloudFront signs its requests to the private bucket (sigv4, always). */
export const oacStep = defineResource<OacObserved, OacOutputs>({
  id: 'oac',
  title: 'CloudFront origin access',
  service: 'CloudFront',
  dependsOn: ['account'],
  describe: (ctx) => `origin access control ${oacName(ctx.config)}`,
  notFound: noSuchOac,
  alreadyExists: (err) => err instanceof CloudFront.OriginAccessControlAlreadyExists,
  outputsSchema,

  async find(ctx) {
    const cf = ctx.aws.cloudfront();
    const recordedId = ctx.recorded?.outputs['id'];
    if (typeof recordedId === 'string') {
      const found = await getById(cf, recordedId);
      if (found) return found;
      ctx.debug(`the recorded origin access control ${recordedId} no longer exists; looking for it by name`);
    }
    return findByName(cf, oacName(ctx.config));
  },

  toCreate: (ctx) => ({
    field: 'origin-access-control',
    to: oacName(ctx.config),
    note: 'no origin access control of that name exists',
  }),

  diff(ctx, observed) {
    const want = oacConfig(ctx.config);
    return OWNED.filter((key) => observed.config[key] !== want[key]).map((key): Change => ({
      field: key,
      action: 'update',
      from: observed.config[key],
      to: want[key],
      note: `is ${observed.config[key] ?? 'unset'}; should be ${want[key]}`,
    }));
  },

  intent: (ctx) => ({ create: oacName(ctx.config) }),

  async create(ctx) {
    const res = await ctx.aws
      .cloudfront()
      .send(new CloudFront.CreateOriginAccessControlCommand({ OriginAccessControlConfig: oacConfig(ctx.config) }));
    const id = res.OriginAccessControl?.Id;
    if (!id) throw new HmError('NO_OAC_ID', 'CloudFront created the origin access control but returned no id', 'aws');
    return { id, name: oacName(ctx.config) };
  },

  /** When someone else changed the OAC in between (PreconditionFailed), it is read again and the update sent once more. */
  async update(ctx, observed) {
    await attempt(
      () =>
        retryOnce(
          () => putOwnedSettings(ctx, observed),
          changedMeanwhile,
          async () => {
            ctx.debug('the origin access control changed while we updated it; reading it again');
            const fresh = await getById(ctx.aws.cloudfront(), observed.id);
            return fresh && putOwnedSettings(ctx, fresh);
          },
        ),
      `update origin access control ${observed.id}`,
    );
  },

  outputs: (ctx, observed) => ({ id: observed.id, name: oacName(ctx.config) }),

  /** Deleted with the ETag just read; the distribution that uses it goes first (the runner's order). */
  async remove(ctx, recorded) {
    const cf = ctx.aws.cloudfront();
    const current = await getById(cf, recorded.id);
    if (!current) return;
    await cf.send(new CloudFront.DeleteOriginAccessControlCommand({ Id: recorded.id, IfMatch: current.etag }));
  },

  explain(ctx, err, doing) {
    if (err instanceof CloudFront.TooManyOriginAccessControls && doing === 'create') {
      return new HmError(
        'TOO_MANY_OACS',
        'this AWS account has reached its limit of CloudFront origin access controls',
        'aws',
        {
          hint: 'Delete unused origin access controls in the CloudFront console, or request a higher quota, then re-run.',
        },
      );
    }
    if (err instanceof CloudFront.OriginAccessControlInUse && doing === 'delete') {
      return new HmError(
        'OAC_IN_USE',
        `origin access control ${oacName(ctx.config)} is still used by a distribution`,
        'aws',
        { hint: 'Delete (or detach from) the distribution first; teardown does this in order. Then re-run.' },
      );
    }
    return undefined;
  },
});
