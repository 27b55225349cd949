import type { AwsContext } from '../aws/context.js';
import type { Config } from '../config/config.js';
import { renderError } from '../views/errors.js';
import { type PlanMeta, planJson, renderPlan } from '../views/plan.js';
import { lineRenderer } from '../views/progress.js';
import type { State } from '../state/schema.js';
import { provisioningSteps } from '../resources/index.js';
import { type RunResult, runSteps } from '../engine/runner.js';
import {
  type ConfigFlags,
  type GlobalOptions,
  type Io,
  createAws,
  exitCodeOf,
  prepare,
  styleFor,
  withConfigFile,
} from './common.js';

export interface PlanFlags extends ConfigFlags {
  offline?: boolean;
  overwriteDns?: boolean;
  rotateKey?: boolean;
}

/** Runs every step read-only: what `init` would do. */
export async function computePlan(
  config: Config,
  state: State | undefined,
  aws: AwsContext | undefined,
  globals: GlobalOptions,
  io: Io,
  flags: { overwriteDns?: boolean | undefined; rotateKey?: boolean | undefined } = {},
): Promise<RunResult> {
  const style = styleFor(io);
  return runSteps(provisioningSteps(config), {
    mode: 'plan',
    config,
    flags: { overwriteDns: flags.overwriteDns === true, rotateKey: flags.rotateKey === true },
    aws,
    records: state?.resources ?? {},
    recordedAccountId: state?.accountId ?? null,
    onEvent: globals.verbose ? lineRenderer(io.err, style, true) : undefined,
  });
}

export function planMeta(config: Config, offline: boolean): PlanMeta {
  return { app: config.app, environment: config.environment, region: config.region, offline };
}

/** Prints the first failure of a run and returns its exit code. */
export function reportFailure(result: RunResult, globals: GlobalOptions, io: Io): number {
  const errors = result.outcomes.filter((o) => o.status === 'failed').map((o) => o.error);
  for (const error of errors) io.err(renderError(error, styleFor(io), globals.verbose === true));
  return exitCodeOf(errors);
}

/** `hm-infra plan`: read-only; `--offline` needs no credentials and shows everything as to create. */
export async function runPlan(typedGlobals: GlobalOptions, typedFlags: PlanFlags, io: Io): Promise<number> {
  const offline = typedFlags.offline === true;
  const { globals, flags } = await withConfigFile(typedGlobals, typedFlags, io);
  const { state, config } = await prepare(globals, flags, io, { offline });
  const aws = offline ? undefined : await createAws(globals, io, config.region);
  try {
    const result = await computePlan(config, offline ? undefined : state, aws, globals, io, flags);
    if (!result.ok) {
      if (globals.json)
        io.out(JSON.stringify({ ...planJson(result.outcomes, planMeta(config, offline)), ok: false }, null, 2));
      return reportFailure(result, globals, io);
    }
    if (globals.json)
      io.out(JSON.stringify({ ...planJson(result.outcomes, planMeta(config, offline)), ok: true }, null, 2));
    else io.out(renderPlan(result.outcomes, planMeta(config, offline), styleFor(io)));
    return 0;
  } finally {
    aws?.destroy();
  }
}
