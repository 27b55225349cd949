import type * as z from 'zod/mini';
import type { AwsContext } from '../aws/context.js';
import type { Config } from '../config/config.js';
import type { ResourceRecord, Secret } from '../state/schema.js';
import type { RunReads } from './reads.js';

export type StepId = string;

/** The AWS service a step works on: plans and progress are grouped by it. */
export type Service =
  'Account' | 'S3' | 'CloudFront' | 'SES' | 'DNS' | 'EventBridge' | 'SQS' | 'CloudWatch' | 'SNS' | 'Logs' | 'IAM';

/**
 * Outputs of every step by id. Each step module adds its own entry by declaration merging,
 * so `ctx.output('bucket')` is typed where it is used.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface StepOutputs {}

/** One difference between what exists and what should exist. */
export interface Change {
  /** The setting or resource that differs, e.g. `versioning` or `bucket`. */
  field: string;
  action: 'create' | 'update' | 'delete';
  from?: unknown;
  to?: unknown;
  /** Why, in words, for `--verbose` and the plan. */
  note?: string;
}

export type ResultType = 'created' | 'updated' | 'unchanged';

export interface StepResult<Out> {
  type: ResultType;
  outputs: Out;
}

/** Choices of one run that are not part of the configuration (not remembered in state). */
export interface RunFlags {
  /** Replace DNS records that conflict with the ones SES needs, instead of stopping. */
  overwriteDns: boolean;
  /** Replace the app user's access key (and keys state does not know) with a new one. */
  rotateKey: boolean;
  /** teardown --force: empty the bucket of every object version; remove DNS records changed by hand. */
  force: boolean;
  /** teardown: how long to wait for CloudFront to deploy a disabled distribution; 0 is --no-wait. */
  removalWaitSeconds: number;
}

/** How a removal ended, when it did more or less than remove everything. */
export interface DestroyResult {
  /** What was deliberately left in place, in words (a DNS record changed by hand since). */
  kept?: string[];
  /** The removal is under way at AWS (a distribution being disabled): the next teardown finishes it. */
  pending?: string;
}

/** What a step may use. Steps never print or exit: they report here and throw HmError. */
export interface StepContext {
  readonly config: Config;
  readonly mode: 'apply' | 'plan' | 'destroy';
  readonly flags: RunFlags;
  /** This step's record from the state file, if any. */
  readonly recorded: ResourceRecord | undefined;
  /** The account id the state file belongs to (null before the first run). */
  readonly recordedAccountId: string | null;
  /** Reads shared by the steps of this run (see RunReads): one read per thing per run. */
  readonly reads: RunReads;
  /** SDK clients of this run; throws in `plan --offline`, where no step reads AWS. */
  readonly aws: AwsContext;
  /** Outputs of a finished dependency. */
  output<K extends keyof StepOutputs>(id: K): StepOutputs[K];
  /** Outputs of a dependency when they are known: in `plan`, not for one still to be created. */
  outputIfKnown<K extends keyof StepOutputs>(id: K): StepOutputs[K] | undefined;
  /** Progress the user should see (a long wait, what is being waited for). */
  report(message: string): void;
  /** Why something was skipped or changed; shown with --verbose. */
  debug(message: string): void;
  /** Saves identifiers of a create to state before the call (see StateSession.intend). */
  intend(data: Record<string, unknown>): Promise<void>;
  /** Saves a secret AWS shows only once straight to state (never to outputs, logs or reports). */
  saveSecret(secret: Secret): Promise<void>;
  /** teardown: records that a removal has started at AWS and must be finished later (status `disabling`). */
  markDisabling(): Promise<void>;
}

/**
 * One resource (or one group of settings of a resource). `read` finds what exists, `plan`
 * compares it with the config, `apply` makes it so, `destroy` removes what this tool made.
 */
export interface Step<Obs = unknown, Out extends object = object> {
  readonly id: StepId;
  readonly title: string;
  readonly service: Service;
  readonly dependsOn: readonly StepId[];
  /** A step that only reads (the account check): shown as "read", never as "create". */
  readonly readOnly?: boolean;
  read(ctx: StepContext): Promise<Obs | undefined>;
  /**
   * [] means nothing to do; `observed` undefined means the resource does not exist. With
   * `observed` undefined, plan must not need dependency outputs: in `plan`, a step downstream
   * of a resource still to be created is not read and its dependencies have no outputs yet.
   */
  plan(ctx: StepContext, observed: Obs | undefined): Change[];
  apply(ctx: StepContext, observed: Obs | undefined, changes: Change[]): Promise<StepResult<Out>>;
  /** The outputs of a resource that exists as observed (used when nothing changes). */
  outputs(ctx: StepContext, observed: Obs): Out;
  /**
   * Removes what this tool made (only called for owned resources, or adopted ones with
   * --include-adopted); a resource already gone counts as removed.
   */
  destroy(ctx: StepContext, recorded: Out): Promise<DestroyResult | void>;
  /**
   * Why teardown must not start at all (a bucket holding objects without --force), checked for
   * every resource before the first removal; undefined when nothing is in the way.
   */
  checkDestroy?(ctx: StepContext, recorded: Out): Promise<string | undefined>;
  /**
   * Why a resource that matches its configuration is not ready yet (CloudFront deploying, SES
   * verifying), from its outputs; shown as "pending" by `status`.
   */
  pendingReason?(outputs: Out): string | undefined;
  /** The outputs as state records them: a record that does not match is refused before use. */
  outputsSchema?: z.ZodMiniType<Out>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyStep = Step<any, any>;
