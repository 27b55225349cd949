import { type Config, inputProblems, resolveConfig } from '../config/config.js';
import { CONFIG_FLAG_KEYS, type ConfigFlags } from '../config/options.js';
import { checkEndpointUrl, checkEnvName, checkRegion } from '../config/validate.js';
import { inputError } from '../errors.js';
import type { State } from '../state/schema.js';
import type { StateBackend } from '../state/backend.js';
import { endpointFor } from './aws.js';
import type { Io } from './io.js';
import { checkEnvironment, remoteLocation, stateProblem, storeFor } from './state.js';

/** Options every command honours (see `hm-infra --help`). */
export interface GlobalOptions {
  env: string;
  region?: string;
  profile?: string;
  endpointUrl?: string;
  state?: string;
  /** --state-kms-key: SSE-KMS for the state object on S3 (default SSE-S3). */
  stateKmsKey?: string;
  json?: boolean;
  yes?: boolean;
  verbose?: boolean;
  /** --env was typed (or set by --config), not commander's default. */
  envGiven?: boolean;
}

export type { ConfigFlags } from '../config/options.js';

/** The settings typed as configuring flags (not --config itself). */
function typedSettings(flags: ConfigFlags): ConfigFlags {
  return Object.fromEntries(CONFIG_FLAG_KEYS.map((key) => [key, flags[key]]));
}

/** True when no configuration flag was typed (a bare `hm-infra init`). */
export function noConfigFlags(flags: ConfigFlags): boolean {
  return flags.config === undefined && CONFIG_FLAG_KEYS.every((key) => flags[key] === undefined);
}

/**
 * Merges a --config file under the typed flags: a typed flag wins over the file, the file over
 * the state and the defaults. Its environment, region and profile count as typed.
 */
export async function withConfigFile<F extends ConfigFlags>(
  globals: GlobalOptions,
  flags: F,
  io: Io,
): Promise<{ globals: GlobalOptions; flags: F }> {
  if (flags.config === undefined) return { globals, flags };
  const { loadConfigFile } = await import('../config/file.js');
  const file = await loadConfigFile(flags.config, io.cwd);
  const envFromFile = !globals.envGiven && file.environment !== undefined;
  return {
    globals: {
      ...globals,
      env: envFromFile ? (file.environment as string) : globals.env,
      envGiven: globals.envGiven === true || envFromFile,
      region: globals.region ?? file.region,
      profile: globals.profile ?? file.profile,
      state: globals.state ?? file.state,
    },
    flags: { ...flags, ...Object.fromEntries(CONFIG_FLAG_KEYS.map((key) => [key, flags[key] ?? file[key]])) },
  };
}

/**
 * Problems with the global flags that need no state or AWS. The environment name is checked
 * on its own first, as it becomes part of a file path.
 */
export function globalProblems(globals: GlobalOptions, io: Io): string[] {
  const envProblem = checkEnvName(globals.env);
  if (envProblem) throw inputError(envProblem);
  const endpoint = endpointFor(globals, io);
  return [
    globals.region !== undefined ? checkRegion(globals.region) : undefined,
    endpoint !== undefined ? checkEndpointUrl(endpoint) : undefined,
    globals.profile !== undefined && globals.profile.trim() === ''
      ? 'profile name is empty: pass --profile <name> as listed in ~/.aws/config'
      : undefined,
    stateProblem(globals, io),
  ].filter((p) => p !== undefined);
}

/** Refuses flags that would silently turn an existing environment into a different one. */
function checkAgainstState(flags: ConfigFlags, globals: GlobalOptions, state: State, store: StateBackend): void {
  const fresh = 'To start over, run `hm-infra teardown` first, or use another environment with --env.';
  checkEnvironment(globals, state, store);
  if (flags.app !== undefined && flags.app !== state.app) {
    throw inputError(`environment "${globals.env}" was set up for app "${state.app}", not "${flags.app}"`, fresh);
  }
  if (globals.region !== undefined && globals.region !== state.region) {
    throw inputError(
      `environment "${globals.env}" lives in ${state.region}; moving it to ${globals.region} is not supported`,
      fresh,
    );
  }
  if (flags.cdn === false && state.config.cdn && state.resources['distribution'] !== undefined) {
    throw inputError(
      `environment "${globals.env}" has a CloudFront distribution; --no-cdn would leave it unmanaged`,
      'Keep the CDN (drop --no-cdn), or remove the environment with `hm-infra teardown` and set it up again with --no-cdn.',
    );
  }
  if (flags.email === false && state.config.email && state.resources['email-identity'] !== undefined) {
    throw inputError(
      `environment "${globals.env}" has an SES identity; --no-email would leave it unmanaged`,
      'Keep email (drop --no-email), or remove the environment with `hm-infra teardown` and set it up again with --no-email.',
    );
  }
  if (flags.bucketName !== undefined && flags.bucketName !== state.config.bucketName) {
    throw inputError(
      `environment "${globals.env}" uses bucket "${state.config.bucketName}"; renaming it is not supported`,
      fresh,
    );
  }
}

/**
 * The region: --region, else the one recorded in state, else AWS_REGION / the profile's,
 * else us-east-1 (docs/commands.md). Reading the profile touches local files only.
 */
async function resolveRegion(
  globals: GlobalOptions,
  io: Io,
  state: State | undefined,
  offline: boolean,
): Promise<string> {
  if (globals.region !== undefined) return globals.region;
  if (state) return state.region;
  const fromEnv = io.env['AWS_REGION'] || io.env['AWS_DEFAULT_REGION'];
  if (fromEnv) return fromEnv;
  if (!offline) {
    const { regionFromEnvironment } = await import('../aws/context.js');
    const fromProfile = await regionFromEnvironment(globals.profile);
    if (fromProfile) return fromProfile;
  }
  return 'us-east-1';
}

export interface Prepared {
  store: StateBackend;
  state: State | undefined;
  config: Config;
}

/**
 * Everything a command needs before its first AWS call: valid flags, the state file (loaded
 * and checked; locked when `lockFor` names the command), and the resolved configuration.
 */
/** `--dns cloudflare` needs its API token: refused before any call, and never shown. */
export function checkDnsHost(config: Pick<Config, 'dns' | 'email' | 'domain'>, io: Io): void {
  if (config.email && config.dns === 'cloudflare' && !io.env['CLOUDFLARE_API_TOKEN'])
    throw inputError(
      `--dns cloudflare writes the email records of ${config.domain} through Cloudflare's API, and CLOUDFLARE_API_TOKEN is not set`,
      'Create a token at dash.cloudflare.com → My Profile → API Tokens ("Edit zone DNS", for this zone) and export CLOUDFLARE_API_TOKEN=<token>; or use --dns external to add the records yourself.',
    );
}

export async function prepare(
  globals: GlobalOptions,
  flags: ConfigFlags,
  io: Io,
  options: { offline?: boolean; lockFor?: string } = {},
): Promise<Prepared> {
  const typed = inputProblems(typedSettings(flags));
  const problems = [...globalProblems(globals, io), ...typed];
  // What was typed is checked before the state folder is touched (the lock creates it).
  if (problems.length > 0) throw inputError(problems.join('\n'));
  if (options.offline === true && remoteLocation(globals, io) !== undefined)
    throw inputError(
      'plan --offline calls no AWS at all, and this state is on S3',
      'Leave out --offline (plan then reads the state and every resource, changing nothing), or give a local --state file.',
    );
  const store = storeFor(globals, io);
  if (options.lockFor !== undefined) await store.lock(options.lockFor);
  try {
    const state = await store.load();
    if (state) checkAgainstState(flags, globals, state, store);
    const region = await resolveRegion(globals, io, state, options.offline === true);
    const config = resolveConfig({ ...typedSettings(flags), environment: globals.env, region }, state?.config);
    if (options.offline !== true) checkDnsHost(config, io);
    return { store, state, config };
  } catch (err) {
    await store.unlock();
    throw err;
  }
}
