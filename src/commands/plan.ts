import type { AwsContext } from '../aws/context.js';
import type { Config } from '../config/config.js';
import { type PlanMeta, planViewFor } from '../views/plan.js';
import type { State } from '../state/schema.js';
import { provisioningSteps } from '../resources/index.js';
import type { RunEvent, RunResult } from '../engine/outcome.js';
import { runSteps } from '../engine/run.js';
import { createAws } from './aws.js';
import { type ConfigFlags, type GlobalOptions, prepare, withConfigFile } from './common.js';
import { failureCode } from './exit-code.js';
import type { Io } from './io.js';

export interface PlanFlags extends ConfigFlags {
  offline?: boolean;
  overwriteDns?: boolean;
  rotateKey?: boolean;
}

/**
 * Runs every step read-only: what `init` would do. The result holds what each step read
 * (`observations`), for an apply of this very plan.
 */
export async function computePlan(
  config: Config,
  state: State | undefined,
  aws: AwsContext | undefined,
  flags: { overwriteDns?: boolean | undefined; rotateKey?: boolean | undefined },
  onEvent: ((event: RunEvent) => void) | undefined,
): Promise<RunResult> {
  return runSteps(provisioningSteps(config), {
    mode: 'plan',
    config,
    flags: { overwriteDns: flags.overwriteDns === true, rotateKey: flags.rotateKey === true },
    aws,
    records: state?.resources ?? {},
    recordedAccountId: state?.accountId ?? null,
    onEvent,
  });
}

export function planMeta(config: Config, offline: boolean): PlanMeta {
  return { app: config.app, environment: config.environment, region: config.region, offline };
}

/** `hm-infra plan`: read-only; `--offline` needs no credentials and shows everything as to create. */
export async function runPlan(typedGlobals: GlobalOptions, typedFlags: PlanFlags, io: Io): Promise<number> {
  const offline = typedFlags.offline === true;
  const { globals, flags } = await withConfigFile(typedGlobals, typedFlags, io);
  const view = planViewFor(globals, io);
  const { state, config } = await prepare(globals, flags, io, { offline });
  const aws = offline ? undefined : await createAws(globals, io, config.region);
  try {
    const result = await computePlan(config, offline ? undefined : state, aws, flags, view.planProgress());
    const meta = planMeta(config, offline);
    if (!result.ok) {
      view.failure(result, meta);
      return failureCode(result);
    }
    view.plan(result.outcomes, meta);
    return 0;
  } finally {
    aws?.destroy();
  }
}
