/** The CDN serves the uploaded object (trying while CloudFront deploys). */
import type { AwsContext } from '../../aws/context.js';
import { CloudFront } from '../../aws/sdk.js';
import { nextDelay } from '../../clock.js';
import {
  type CheckResult,
  type SmokeTarget,
  type SmokeDeps,
  CDN_RETRY_MS,
  DEPLOYED_TRIES,
  HTTP_TIMEOUT_MS,
  ok,
  failed,
  skipped,
  describeError,
  s3ErrorOf,
  commands,
} from './common.js';

type CdnTry = { status: number; code?: string; body?: Buffer } | { error: string };

const tryText = (t: CdnTry) => ('error' in t ? t.error : `HTTP ${t.status}${t.code ? ` ${t.code}` : ''}`);

async function fetchCdn(url: string, deps: SmokeDeps): Promise<CdnTry> {
  try {
    const response = await deps.fetch(url, {
      method: 'GET',
      signal: AbortSignal.any([deps.signal, AbortSignal.timeout(HTTP_TIMEOUT_MS)]),
    });
    if (response.status === 200) return { status: 200, body: Buffer.from(await response.arrayBuffer()) };
    const { code } = await s3ErrorOf(response);
    return { status: response.status, ...(code !== undefined ? { code } : {}) };
  } catch (err) {
    return { error: describeError(err) };
  }
}

/** InProgress / Deployed, read with the operator's credentials; undefined when it cannot be read. */
async function distributionStatus(aws: AwsContext, id: string): Promise<{ status?: string; error?: string }> {
  try {
    const { Distribution } = await aws.cloudfront().send(new CloudFront.GetDistributionCommand({ Id: id }));
    return { status: Distribution?.Status ?? 'unknown' };
  } catch (err) {
    return { error: describeError(err) };
  }
}

const keyPath = (key: string) => key.split('/').map(encodeURIComponent).join('/');

export async function checkCdn(
  aws: AwsContext,
  target: SmokeTarget,
  key: string,
  body: string,
  deps: SmokeDeps,
): Promise<CheckResult> {
  const cdn = target.cdn;
  if (!cdn) return skipped('cdn', 'this environment has no CDN (set up with --no-cdn)');
  const url = `${cdn.url.replace(/\/+$/, '')}/${keyPath(key)}`;
  const host = new URL(url).host;
  const c = commands(target);
  const started = deps.clock.now();
  const deadline = started + deps.cdnTimeoutMs;
  let attempt = 0;
  let triesSinceDeployed = 0;
  let last: CdnTry;
  let deploy: { status?: string; error?: string };
  for (;;) {
    last = await fetchCdn(url, deps);
    if (!('error' in last) && last.status === 200) {
      const expected = Buffer.from(body, 'utf8');
      if (last.body?.equals(expected))
        return ok('cdn', `${url} serves the uploaded ${expected.length} bytes`, { url, tries: attempt + 1 });
      return failed(
        'cdn',
        `${host} answers with ${last.body?.length ?? 0} bytes that are not the ones uploaded`,
        `Something between CloudFront and the bucket changes objects; check the distribution's origin and functions. ${c.repair}`,
        { url },
      );
    }
    if ('error' in last && target.endpointUrl !== undefined) {
      // An emulator records distributions but does not serve them on their cloudfront.net names.
      return skipped(
        'cdn',
        `${host} cannot be reached (${last.error}): the endpoint ${target.endpointUrl} does not serve its CloudFront distributions`,
        'The CDN is checked against AWS itself.',
      );
    }
    deploy = await distributionStatus(aws, cdn.distributionId);
    if (deploy.status !== 'InProgress') triesSinceDeployed += 1;
    const left = deadline - deps.clock.now();
    if (triesSinceDeployed >= DEPLOYED_TRIES || left <= 0 || deps.signal.aborted) break;
    const delay = Math.min(nextDelay(CDN_RETRY_MS, attempt), left);
    const state =
      deploy.status === 'InProgress' ? 'CloudFront is still deploying' : `${host} does not serve the object yet`;
    deps.onWait?.(`${state} (${tryText(last)}); trying again in ${Math.ceil(delay / 1000)} s`);
    await deps.clock.sleep(delay, deps.signal);
    attempt += 1;
    if (deps.signal.aborted) break;
  }
  const details = { url, tries: attempt + 1, last: tryText(last), distributionStatus: deploy.status ?? null };
  const waited = Math.round((deps.clock.now() - started) / 1000);
  if (deploy.status === 'InProgress') {
    return {
      id: 'cdn',
      status: 'pending',
      summary: `CloudFront is still deploying distribution ${cdn.distributionId}: ${host} did not serve the object within ${waited} s (last try: ${tryText(last)})`,
      fix: `A new or changed distribution deploys in 5–15 minutes on its own. Re-run \`hm-infra smoke-test ${c.env}\` then, or wait here longer with --cdn-timeout <minutes>.`,
      details,
    };
  }
  const statusNote = deploy.error !== undefined ? ` (its deployment status could not be read: ${deploy.error})` : '';
  if ('error' in last) {
    const fix = cdn.customDomain
      ? `Check that ${host} has a CNAME to the distribution's cloudfront.net name (\`hm-infra status ${c.env}\` shows it), and that the certificate covers it.`
      : c.network;
    return failed('cdn', `could not reach ${host}: ${last.error}${statusNote}`, fix, details);
  }
  if (last.status === 403) {
    return failed(
      'cdn',
      `CloudFront is refused the object by the bucket (403${last.code ? ` ${last.code}` : ''})${statusNote}`,
      `CloudFront reads the bucket through its origin access control, which the bucket policy must allow for this distribution. ${c.repair}`,
      details,
    );
  }
  return failed(
    'cdn',
    `${host} answers HTTP ${last.status}${last.code ? ` ${last.code}` : ''} for the uploaded object${statusNote}`,
    last.status >= 500 ? `CloudFront or its origin had a problem; re-run in a minute. ${c.repair}` : c.repair,
    details,
  );
}
