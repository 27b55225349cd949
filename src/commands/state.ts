import { checkBucketName } from '../config/validate.js';
import { inputError } from '../errors.js';
import type { StateBackend } from '../state/backend.js';
import { type S3Location, S3StateStore, parseS3Location } from '../state/s3-store.js';
import type { State } from '../state/schema.js';
import { StateStore, statePathFor } from '../state/store.js';
import { endpointFor } from './aws.js';
import type { GlobalOptions } from './common.js';
import type { Io } from './io.js';

/** Where the state is: --state, else HM_INFRA_STATE, else the local default. */
export function stateSetting(globals: GlobalOptions, io: Io): string | undefined {
  const value = globals.state ?? io.env['HM_INFRA_STATE'];
  return value === undefined || value === '' ? undefined : value;
}

/** A --state value that names S3 (`s3://…`), or one with another scheme, which nothing reads. */
export const isRemote = (value: string | undefined): boolean =>
  value !== undefined && /^[a-z0-9+.-]+:\/\//i.test(value);

/** The problem with --state (or HM_INFRA_STATE), before anything is read. */
export function stateProblem(globals: GlobalOptions, io: Io): string | undefined {
  const value = stateSetting(globals, io);
  if (!isRemote(value)) return undefined;
  const parsed = parseS3Location(value as string, checkBucketName);
  return 'problem' in parsed ? parsed.problem : undefined;
}

/** The S3 location of --state, when it names one. */
export function remoteLocation(globals: GlobalOptions, io: Io): S3Location | undefined {
  const value = stateSetting(globals, io);
  if (!isRemote(value)) return undefined;
  const parsed = parseS3Location(value as string, checkBucketName);
  if ('problem' in parsed) throw inputError(parsed.problem);
  return parsed;
}

/**
 * An environment's state: on S3 when --state (or HM_INFRA_STATE) is `s3://bucket/prefix`
 * (its SDK client made when the state is first read), else the local file.
 */
export function storeFor(globals: GlobalOptions, io: Io, env: string = globals.env): StateBackend {
  const location = remoteLocation(globals, io);
  if (location === undefined) return new StateStore(statePathFor(env, stateSetting(globals, io), io.cwd), io.cwd);
  return new S3StateStore(location, env, () => stateAccess(globals, io), {
    kmsKeyId: globals.stateKmsKey ?? io.env['HM_INFRA_STATE_KMS_KEY'],
  });
}

/** The S3 client the remote state is read and written with: the same credentials and endpoint as the run. */
async function stateAccess(globals: GlobalOptions, io: Io) {
  const { AwsContext } = await import('../aws/context.js');
  const { STS } = await import('../aws/sdk.js');
  const region = globals.region ?? io.env['AWS_REGION'] ?? io.env['AWS_DEFAULT_REGION'] ?? 'us-east-1';
  const aws = new AwsContext({
    region,
    profile: globals.profile,
    endpointUrl: endpointFor(globals, io),
    s3FollowRegionRedirects: true,
  });
  return {
    s3: aws.s3(),
    whoAmI: async () => (await aws.sts().send(new STS.GetCallerIdentityCommand({}))).Arn ?? 'unknown',
  };
}

/** A state passed with --state that belongs to another environment than --env. */
export function checkEnvironment(globals: GlobalOptions, state: State, store: StateBackend): void {
  if (state.environment !== globals.env) {
    throw inputError(
      `the state ${store.displayPath} is for environment "${state.environment}", not "${globals.env}"`,
      `Pass --env ${state.environment}, or another --state.`,
    );
  }
}

/**
 * The state of an environment `init` has set up, for commands that only work on one
 * (verify-dns, print-env); a clear error when there is none.
 */
export async function loadSetUpState(globals: GlobalOptions, io: Io): Promise<{ store: StateBackend; state: State }> {
  const store = storeFor(globals, io);
  const state = await store.load();
  if (!state) {
    throw inputError(
      `environment "${globals.env}" has not been set up (no ${store.displayPath})`,
      `Run \`hm-infra init --env ${globals.env}\` first, or pass --state <file or s3://bucket/prefix>.`,
    );
  }
  checkEnvironment(globals, state, store);
  return { store, state };
}
