import { CloudFront } from '../../aws/sdk.js';
import type { CloudFrontClient, Distribution, DistributionConfig, Tag } from '@aws-sdk/client-cloudfront';
import { toHmError } from '../../aws/errors.js';
import type { Config } from '../../config/config.js';
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
import type { Change, Step, StepContext } from '../../engine/types.js';

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

export interface DistributionOutputs {
  id: string;
  arn: string;
  /** `dxxxx.cloudfront.net` */
  domainName: string;
  /** InProgress while CloudFront deploys a change (minutes), then Deployed. */
  status: string;
  /** CLOUDFRONT_URL: https:// and the custom domain when there is one, else the CloudFront one. */
  url: string;
  aliases: string[];
  /** What the app reads: the PRD's CLOUDFRONT_URL. */
  env: { CLOUDFRONT_URL: string };
}

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

async function tagsOf(cf: CloudFrontClient, arn: string): Promise<Tag[]> {
  try {
    return (await cf.send(new CloudFront.ListTagsForResourceCommand({ Resource: arn }))).Tags?.Items ?? [];
  } catch (err) {
    throw toHmError(err, `read the tags of distribution ${arn}`);
  }
}

/** The distribution with its config and ETag; its tags are read unless already known. */
async function getById(cf: CloudFrontClient, id: string, knownTags?: Tag[]): Promise<DistributionObserved | undefined> {
  let res;
  try {
    res = await cf.send(new CloudFront.GetDistributionCommand({ Id: id }));
  } catch (err) {
    if (err instanceof CloudFront.NoSuchDistribution) return undefined;
    throw toHmError(err, `read distribution ${id}`);
  }
  const observed = observedOf(res.Distribution, res.ETag, []);
  return { ...observed, tags: knownTags ?? (await tagsOf(cf, observed.arn)) };
}

/**
 * A distribution of this app and environment that the state does not know (an earlier run
 * crashed before saving, or the state file was lost): tagged as ours, else carrying our comment.
 */
async function find(ctx: StepContext): Promise<DistributionObserved | undefined> {
  const cf = ctx.aws.cloudfront();
  const comment = distributionComment(ctx.config);
  const origin = ctx.output('bucket').regionalDomainName;
  const candidates: Array<{ id: string; arn: string; commentMatches: boolean }> = [];
  try {
    for await (const page of CloudFront.paginateListDistributions({ client: cf, pageSize: 100 }, {})) {
      for (const d of page.DistributionList?.Items ?? []) {
        const commentMatches = d.Comment === comment;
        const servesBucket = d.Origins?.Items?.some((o) => o.DomainName === origin) === true;
        if (d.Id && d.ARN && (commentMatches || servesBucket))
          candidates.push({ id: d.Id, arn: d.ARN, commentMatches });
      }
    }
  } catch (err) {
    throw toHmError(err, 'list CloudFront distributions');
  }

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

function createError(err: unknown, config: Config): HmError {
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
  if (err instanceof CloudFront.TooManyDistributions) {
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
  return toHmError(err, 'create the CloudFront distribution');
}

async function create(ctx: StepContext): Promise<DistributionObserved> {
  const cf = ctx.aws.cloudfront();
  // Saved before the call: a re-run after a lost answer sends the same reference, which
  // CloudFront answers with the distribution it already made, never a second one.
  const recordedReference = ctx.recorded?.intent?.['callerReference'];
  const callerReference =
    typeof recordedReference === 'string'
      ? recordedReference
      : `hm-infra-${ctx.config.app}-${ctx.config.environment}-${Date.now().toString(36)}`;
  await ctx.intend({ callerReference });
  const config = desiredDistributionConfig(inputsOf(ctx), undefined, callerReference);
  try {
    const res = await cf.send(
      new CloudFront.CreateDistributionWithTagsCommand({
        DistributionConfigWithTags: { DistributionConfig: config, Tags: { Items: distributionTags(ctx.config) } },
      }),
    );
    return observedOf(res.Distribution, res.ETag, distributionTags(ctx.config));
  } catch (err) {
    if (err instanceof CloudFront.DistributionAlreadyExists) {
      // Our reference with a different configuration: the earlier create went through.
      const found = await find(ctx);
      if (found) return found;
    }
    throw createError(err, ctx.config);
  }
}

/**
 * Sends the desired configuration with the ETag it was derived from. When someone else changed
 * the distribution in between (PreconditionFailed), the live configuration is read again and
 * the update retried once on top of it.
 */
async function update(ctx: StepContext, observed: DistributionObserved, retry = true): Promise<DistributionObserved> {
  const cf = ctx.aws.cloudfront();
  const inputs = inputsOf(ctx);
  const desired = desiredDistributionConfig(inputs, observed.config, observed.config.CallerReference ?? '');
  if (diffDistribution(observed.config, desired, inputs).length === 0) return observed;
  try {
    const res = await cf.send(
      new CloudFront.UpdateDistributionCommand({
        Id: observed.id,
        IfMatch: observed.etag,
        DistributionConfig: desired,
      }),
    );
    return observedOf(res.Distribution, res.ETag, observed.tags);
  } catch (err) {
    if (retry && err instanceof CloudFront.PreconditionFailed) {
      ctx.debug('the distribution changed while we updated it; reading its configuration again');
      let fresh;
      try {
        fresh = await cf.send(new CloudFront.GetDistributionConfigCommand({ Id: observed.id }));
      } catch (readErr) {
        throw toHmError(readErr, `read distribution ${observed.id}`);
      }
      if (fresh.DistributionConfig)
        return update(ctx, { ...observed, config: fresh.DistributionConfig, etag: fresh.ETag }, false);
    }
    if (err instanceof CloudFront.CNAMEAlreadyExists || err instanceof CloudFront.InvalidViewerCertificate)
      throw createError(err, ctx.config);
    throw toHmError(err, `update distribution ${observed.id}`);
  }
}

/**
 * The CDN in front of the bucket: S3 origin through the OAC, HTTPS only, the PRD's TTLs, an
 * `avatars/*` behaviour cached for a week, and an optional custom domain.
 */
export const distributionStep: Step<DistributionObserved, DistributionOutputs> = {
  id: 'distribution',
  title: 'CloudFront distribution',
  service: 'CloudFront',
  dependsOn: ['bucket', 'oac'],

  async read(ctx) {
    const recordedId = ctx.recorded?.outputs['id'];
    if (typeof recordedId === 'string') {
      const found = await getById(ctx.aws.cloudfront(), recordedId);
      if (found) return found;
      ctx.debug(`the recorded distribution ${recordedId} no longer exists; looking for it by tag and comment`);
    }
    return find(ctx);
  },

  plan(ctx, observed) {
    if (!observed) {
      // Dependency outputs may not exist yet (plan before the first run): describe from config.
      const inputs = {
        config: ctx.config,
        bucket: bucketOutputs(ctx.config.bucketName, ctx.config.region),
        oacId: oacName(ctx.config),
      };
      const config = desiredDistributionConfig(inputs, undefined, '');
      return ASPECTS.filter((a) => CREATE_SUMMARY.includes(a.field)).map((a) => ({
        field: a.field,
        action: 'create',
        to: a.summary(a.view(config, inputs)),
        note: 'no distribution of this app and environment exists',
      }));
    }
    const inputs = inputsOf(ctx);
    const desired = desiredDistributionConfig(inputs, observed.config, observed.config.CallerReference ?? '');
    const changes: Change[] = diffDistribution(observed.config, desired, inputs).map((d) => ({
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

  async apply(ctx, observed) {
    if (!observed) {
      const created = await create(ctx);
      ctx.report(`distribution ${created.id} is deploying to the edge (usually 5–15 minutes); it serves once Deployed`);
      return { type: 'created', outputs: outputsOf(ctx.config, created) };
    }
    const updated = await update(ctx, observed);
    const tags = missingDistributionTags(observed.tags, ctx.config);
    if (tags.length > 0) {
      try {
        await ctx.aws
          .cloudfront()
          .send(new CloudFront.TagResourceCommand({ Resource: observed.arn, Tags: { Items: tags } }));
      } catch (err) {
        throw toHmError(err, `tag distribution ${observed.id}`);
      }
    }
    return { type: 'updated', outputs: outputsOf(ctx.config, updated) };
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
  async destroy(ctx, recorded) {
    const cf = ctx.aws.cloudfront();
    // Tags do not matter to a removal: none are read.
    let current = await getById(cf, recorded.id, []);
    if (!current) return undefined;
    if (current.config.Enabled) {
      ctx.report(`disabling distribution ${recorded.id}`);
      try {
        const res = await cf.send(
          new CloudFront.UpdateDistributionCommand({
            Id: recorded.id,
            IfMatch: current.etag,
            DistributionConfig: { ...current.config, Enabled: false },
          }),
        );
        current = observedOf(res.Distribution, res.ETag, current.tags);
      } catch (err) {
        throw toHmError(err, `disable distribution ${recorded.id}`);
      }
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
    try {
      await cf.send(new CloudFront.DeleteDistributionCommand({ Id: recorded.id, IfMatch: current.etag }));
    } catch (err) {
      if (err instanceof CloudFront.NoSuchDistribution) return undefined;
      throw toHmError(err, `delete distribution ${recorded.id}`);
    }
    return undefined;
  },
};
