import type { AwsContext } from '../aws/context.js';
import type { GlobalOptions } from './common.js';
import type { Io } from './io.js';

/** The endpoint of an AWS-compatible API, from --endpoint-url or AWS_ENDPOINT_URL. */
export function endpointFor(globals: GlobalOptions, io: Io): string | undefined {
  return globals.endpointUrl ?? (io.env['AWS_ENDPOINT_URL'] || undefined);
}

/**
 * Starts loading the AWS SDK (about 0.3 s of modules) in the background while the wizard asks
 * its questions; createAws then finds it loaded. A failure surfaces there, not here.
 */
export function preloadAws(): void {
  import('../aws/context.js').catch(() => undefined);
}

/** Cloudflare's API token and endpoint from the environment (the SDK's own variable names). */
export function cloudflareSettings(io: Io): { token: string | undefined; baseUrl: string | undefined } {
  return {
    token: io.env['CLOUDFLARE_API_TOKEN'] || undefined,
    baseUrl: io.env['CLOUDFLARE_BASE_URL'] || undefined,
  };
}

/** The AWS clients of this run; the SDK is loaded only by commands that call AWS. */
export async function createAws(globals: GlobalOptions, io: Io, region: string): Promise<AwsContext> {
  const { AwsContext } = await import('../aws/context.js');
  return new AwsContext({
    region,
    profile: globals.profile,
    endpointUrl: endpointFor(globals, io),
    cloudflare: cloudflareSettings(io),
  });
}
