import type { CloudFrontClient, Distribution, DistributionConfig, Tag } from '@aws-sdk/client-cloudfront';
import * as z from 'zod/mini';
import { CloudFront } from '../../aws/sdk.js';
import type { Config } from '../../config/config.js';
import {
  type Doing,
  type ErrorMatch,
  attempt,
  defineResource,
  retryOnce,
  unlessNotFound,
} from '../../engine/resource.js';
import type { Change, StepContext } from '../../engine/types.js';
import { HmError } from '../../errors.js';
import { bucketOutputs } from '../s3/bucket.js';
import { waitForDeployment } from './deployment.js';
import {
  ASPECTS,
  type DistributionInputs,
  desiredDistributionConfig,
  diffDistribution,
  distributionComment,
  distributionTags,
  isOurs,
  missingDistributionTags,
} from './distribution-config.js';
import { oacName } from './oac.js';

/** What the plan lists of a distribution still to create. */
const CREATE_SUMMARY = [
  'comment',
  'origin',
  'default-behaviour',
  'avatars-behaviour',
  'price-class',
  'certificate',
  'aliases',
];

const outputsSchema = z.object({
  id: z.string(),
  arn: z.string(),
  /** `dxxxx.cloudfront.net` */
  domainName: z.string(),
  /** InProgress while CloudFront deploys a change (minutes), then Deployed. */
  status: z.string(),
  /** CLOUDFRONT_URL: https:// and the custom domain when there is one, else the CloudFront one. */
  url: z.string(),
  aliases: z.array(z.string()),
  /** What the app reads: CLOUDFRONT_URL (recorded by every version since it was added; not before). */
  env: z.optional(z.object({ CLOUDFRONT_URL: z.string() })),
});
export type DistributionOutputs = z.infer<typeof outputsSchema>;

declare module '../../engine/types.js' {
  interface StepOutputs {
    distribution: DistributionOutputs;
  }
}

export interface DistributionObserved {
  id: string;
  arn: string;
  domainName: string;
  status: string;
  etag: string | undefined;
  config: DistributionConfig;
  tags: Tag[];
}

const noSuchDistribution: ErrorMatch = (err) => err instanceof CloudFront.NoSuchDistribution;
const changedMeanwhile: ErrorMatch = (err) => err instanceof CloudFront.PreconditionFailed;

function inputsOf(ctx: StepContext): DistributionInputs {
  return { config: ctx.config, bucket: ctx.output('bucket'), oacId: ctx.output('oac').id };
}

function outputsOf(
  config: Config,
  d: { id: string; arn: string; domainName: string; status: string },
): DistributionOutputs {
  const { id, arn, domainName, status } = d;
  const url = `https://${config.cdnDomain ?? domainName}`;
  return {
    id,
    arn,
    domainName,
    status,
    url,
    aliases: config.cdnDomain !== undefined ? [config.cdnDomain] : [],
    env: { CLOUDFRONT_URL: url },
  };
}

function observedOf(
  distribution: Distribution | undefined,
  etag: string | undefined,
  tags: Tag[],
): DistributionObserved {
  const { Id, ARN, DomainName, Status, DistributionConfig: config } = distribution ?? {};
  if (!Id || !ARN || !config)
    throw new HmError(
      'CLOUDFRONT_INCOMPLETE',
      'CloudFront returned a distribution without id, ARN or configuration',
      'aws',
    );
  return { id: Id, arn: ARN, domainName: DomainName ?? '', status: Status ?? 'InProgress', etag, config, tags };
}

const tagsOf = (cf: CloudFrontClient, arn: string): Promise<Tag[]> =>
  attempt(
    async () => (await cf.send(new CloudFront.ListTagsForResourceCommand({ Resource: arn }))).Tags?.Items ?? [],
    `read the tags of distribution ${arn}`,
  );

/** The distribution with its config and ETag; its tags are read unless already known. */
async function getById(cf: CloudFrontClient, id: string, knownTags?: Tag[]): Promise<DistributionObserved | undefined> {
  const res = await unlessNotFound(
    () => cf.send(new CloudFront.GetDistributionCommand({ Id: id })),
    noSuchDistribution,
    `read distribution ${id}`,
  );
  if (!res) return undefined;
  const observed = observedOf(res.Distribution, res.ETag, []);
  return { ...observed, tags: knownTags ?? (await tagsOf(cf, observed.arn)) };
}

/**
 * A distribution of this app and environment that the state does not know (an earlier run
 * crashed before saving, or the state file was lost): tagged as ours, else carrying our comment.
 */
async function findOurs(ctx: StepContext): Promise<DistributionObserved | undefined> {
  const cf = ctx.aws.cloudfront();
  const comment = distributionComment(ctx.config);
  const origin = ctx.output('bucket').regionalDomainName;
  const candidates = await attempt(async () => {
    const found: Array<{ id: string; arn: string; commentMatches: boolean }> = [];
    for await (const page of CloudFront.paginateListDistributions({ client: cf, pageSize: 100 }, {})) {
      for (const d of page.DistributionList?.Items ?? []) {
        const commentMatches = d.Comment === comment;
        const servesBucket = d.Origins?.Items?.some((o) => o.DomainName === origin) === true;
        if (d.Id && d.ARN && (commentMatches || servesBucket)) found.push({ id: d.Id, arn: d.ARN, commentMatches });
      }
    }
    return found;
  }, 'list CloudFront distributions');

  const tagsById = new Map<string, Tag[]>();
  for (const candidate of candidates) tagsById.set(candidate.id, await tagsOf(cf, candidate.arn));
  const tagged = candidates.filter((c) => isOurs(tagsById.get(c.id) ?? [], ctx.config)).map((c) => c.id);
  const byComment = candidates.filter((c) => c.commentMatches).map((c) => c.id);
  const matches = tagged.length > 0 ? tagged : byComment;
  if (matches.length > 1) {
    throw new HmError(
      'DISTRIBUTION_AMBIGUOUS',
      `several CloudFront distributions belong to ${ctx.config.app} (${ctx.config.environment}): ${matches.join(', ')}`,
      'user',
      {
        hint: 'Delete the ones you do not use (disable, wait, delete in the CloudFront console), then re-run.',
      },
    );
  }
  const id = matches[0];
  if (id === undefined) return undefined;
  ctx.debug(`found distribution ${id} by its ${tagged.length > 0 ? 'tags' : 'comment'}`);
  return getById(cf, id, tagsById.get(id));
}

/**
 * The CallerReference of a create: the one an interrupted create saved, so that CloudFront
 * answers a re-run with the distribution it already made and never makes a second one; a new
 * one otherwise.
 */
function callerReference(ctx: StepContext): string {
  const recorded = ctx.recorded?.intent?.['callerReference'];
  return typeof recorded === 'string'
    ? recorded
    : `hm-infra-${ctx.config.app}-${ctx.config.environment}-${Date.now().toString(36)}`;
}

/** The configuration to send for what was observed: the live one with every owned field as it should be. */
const desiredFor = (inputs: DistributionInputs, observed: DistributionObserved) =>
  desiredDistributionConfig(inputs, observed.config, observed.config.CallerReference ?? '');

/** Sends the desired configuration with the ETag of the version it was derived from, when it differs. */
async function sendConfig(ctx: StepContext, observed: DistributionObserved): Promise<DistributionObserved> {
  const inputs = inputsOf(ctx);
  const desired = desiredFor(inputs, observed);
  if (diffDistribution(observed.config, desired, inputs).length === 0) return observed;
  const res = await ctx.aws.cloudfront().send(
    new CloudFront.UpdateDistributionCommand({
      Id: observed.id,
      IfMatch: observed.etag,
      DistributionConfig: desired,
    }),
  );
  return observedOf(res.Distribution, res.ETag, observed.tags);
}

/** Known answers of a create or an update, in the user's terms. */
function explain(config: Config, err: unknown, doing: Doing): HmError | undefined {
  if (doing !== 'create' && doing !== 'update') return undefined;
  if (err instanceof CloudFront.CNAMEAlreadyExists) {
    return new HmError(
      'CDN_DOMAIN_IN_USE',
      `${config.cdnDomain ?? 'the CDN domain'} is already an alternate domain of another CloudFront distribution`,
      'user',
      {
        hint: 'Remove it from the other distribution, or choose another --cdn-domain.',
        cause: err,
      },
    );
  }
  if (err instanceof CloudFront.InvalidViewerCertificate) {
    return new HmError(
      'CERTIFICATE_REJECTED',
      `CloudFront rejected certificate ${config.certificateArn ?? ''} for ${config.cdnDomain ?? ''}: ${(err as Error).message}`,
      'user',
      {
        hint: `Use an issued ACM certificate in us-east-1 whose names cover ${config.cdnDomain ?? 'the CDN domain'} (aws acm describe-certificate --region us-east-1).`,
        cause: err,
      },
    );
  }
  if (err instanceof CloudFront.TooManyDistributions && doing === 'create') {
    return new HmError(
      'TOO_MANY_DISTRIBUTIONS',
      'this AWS account has reached its limit of CloudFront distributions',
      'aws',
      {
        hint: 'Delete unused distributions or request a higher quota in Service Quotas, then re-run.',
        cause: err,
      },
    );
  }
  return undefined;
}

/**
 * The CDN in front of the bucket: S3 origin through the OAC, HTTPS only, the TTLs of docs/resources.md, an
 * `avatars/*` behaviour cached for a week, and an optional custom domain.
 */
export const distributionStep = defineResource<DistributionObserved, DistributionOutputs>({
  id: 'distribution',
  title: 'CloudFront distribution',
  service: 'CloudFront',
  dependsOn: ['bucket', 'oac'],
  describe: () => 'the CloudFront distribution',
  notFound: noSuchDistribution,
  outputsSchema,

  async find(ctx) {
    const recordedId = ctx.recorded?.outputs['id'];
    if (typeof recordedId === 'string') {
      const found = await getById(ctx.aws.cloudfront(), recordedId);
      if (found) return found;
      ctx.debug(`the recorded distribution ${recordedId} no longer exists; looking for it by tag and comment`);
    }
    return findOurs(ctx);
  },

  toCreate(ctx) {
    // Dependency outputs may not exist yet (plan before the first run): describe from config.
    const inputs = {
      config: ctx.config,
      bucket: bucketOutputs(ctx.config.bucketName, ctx.config.region),
      oacId: oacName(ctx.config),
    };
    const config = desiredDistributionConfig(inputs, undefined, '');
    return ASPECTS.filter((a) => CREATE_SUMMARY.includes(a.field)).map((a) => ({
      field: a.field,
      to: a.summary(a.view(config, inputs)),
      note: 'no distribution of this app and environment exists',
    }));
  },

  diff(ctx, observed) {
    const inputs = inputsOf(ctx);
    const changes: Change[] = diffDistribution(observed.config, desiredFor(inputs, observed), inputs).map((d) => ({
      field: d.field,
      action: 'update',
      from: d.from,
      to: d.to,
      note: `is ${d.from}; should be ${d.to}`,
    }));
    const tags = missingDistributionTags(observed.tags, ctx.config);
    if (tags.length > 0) {
      const to = tags.map((t) => `${t.Key}=${t.Value}`).join(', ');
      changes.push({ field: 'tags', action: 'update', to, note: `missing or different: ${to}` });
    }
    return changes;
  },

  intent: (ctx) => ({ callerReference: callerReference(ctx) }),

  /** Created with its tags; answered "already exists", our reference went through before: that one is it. */
  async create(ctx, intent) {
    const cf = ctx.aws.cloudfront();
    const config = desiredDistributionConfig(inputsOf(ctx), undefined, String(intent['callerReference']));
    const tags = distributionTags(ctx.config);
    const created = await retryOnce(
      async () => {
        const res = await cf.send(
          new CloudFront.CreateDistributionWithTagsCommand({
            DistributionConfigWithTags: { DistributionConfig: config, Tags: { Items: tags } },
          }),
        );
        return observedOf(res.Distribution, res.ETag, tags);
      },
      // Our reference with a different configuration: the earlier create went through.
      (err) => err instanceof CloudFront.DistributionAlreadyExists,
      () => findOurs(ctx),
    );
    ctx.report(`distribution ${created.id} is deploying to the edge (usually 5–15 minutes); it serves once Deployed`);
    return outputsOf(ctx.config, created);
  },

  /**
   * Sends the desired configuration with the ETag it was derived from, then adds missing tags.
   * When someone else changed the distribution in between (PreconditionFailed), the live
   * configuration is read again and the update retried once on top of it.
   */
  async update(ctx, observed) {
    const cf = ctx.aws.cloudfront();
    const updated = await attempt(
      () =>
        retryOnce(
          () => sendConfig(ctx, observed),
          changedMeanwhile,
          async () => {
            ctx.debug('the distribution changed while we updated it; reading its configuration again');
            const fresh = await attempt(
              () => cf.send(new CloudFront.GetDistributionConfigCommand({ Id: observed.id })),
              `read distribution ${observed.id}`,
            );
            if (!fresh.DistributionConfig) return undefined;
            return sendConfig(ctx, { ...observed, config: fresh.DistributionConfig, etag: fresh.ETag });
          },
        ),
      `update distribution ${observed.id}`,
      (err) => explain(ctx.config, err, 'update'),
    );
    const tags = missingDistributionTags(observed.tags, ctx.config);
    if (tags.length > 0) {
      await attempt(
        () => cf.send(new CloudFront.TagResourceCommand({ Resource: observed.arn, Tags: { Items: tags } })),
        `tag distribution ${observed.id}`,
      );
    }
    return outputsOf(ctx.config, updated);
  },

  outputs: (ctx, observed) => outputsOf(ctx.config, observed),

  pendingReason: (outputs) =>
    outputs.status === 'Deployed'
      ? undefined
      : `CloudFront is deploying it (${outputs.status}); it serves in about 5–15 minutes`,

  /**
   * Disable, wait (bounded) until CloudFront has deployed that, then delete with a fresh ETag.
   * Once disabled the record says `disabling`, so an interrupted or --no-wait teardown finishes
   * the job next time; the origin access control is removed only after this (the runner's order).
   */
  async remove(ctx, recorded) {
    const cf = ctx.aws.cloudfront();
    // Tags do not matter to a removal: none are read.
    let current = await getById(cf, recorded.id, []);
    if (!current) return undefined;
    if (current.config.Enabled) {
      ctx.report(`disabling distribution ${recorded.id}`);
      const { etag, config, tags } = current;
      const res = await attempt(
        () =>
          cf.send(
            new CloudFront.UpdateDistributionCommand({
              Id: recorded.id,
              IfMatch: etag,
              DistributionConfig: { ...config, Enabled: false },
            }),
          ),
        `disable distribution ${recorded.id}`,
      );
      current = observedOf(res.Distribution, res.ETag, tags);
    }
    if (current.status !== 'Deployed') {
      await ctx.markDisabling();
      const waitSeconds = ctx.flags.removalWaitSeconds;
      if (waitSeconds <= 0)
        return {
          pending: `CloudFront is disabling distribution ${recorded.id} (usually 5–15 minutes); run teardown again to delete it`,
        };
      ctx.report(`waiting for CloudFront to deploy the disabled distribution (usually 5–15 minutes)`);
      await waitForDeployment(ctx.aws, recorded.id, {
        maxWaitSeconds: waitSeconds,
        progressEverySeconds: 5,
        onProgress: (elapsed) => ctx.report(`waiting for CloudFront to deploy the disabled distribution… ${elapsed}`),
        timeoutHint:
          'It stays disabled and CloudFront finishes on its own. Run teardown again later to delete it (--wait-timeout waits longer).',
      });
      current = (await getById(cf, recorded.id, [])) ?? current;
    }
    const { etag } = current;
    await unlessNotFound(
      () => cf.send(new CloudFront.DeleteDistributionCommand({ Id: recorded.id, IfMatch: etag })),
      noSuchDistribution,
      `delete distribution ${recorded.id}`,
    );
    return undefined;
  },

  explain: (ctx, err, doing) => explain(ctx.config, err, doing),
});
