import { AwsContext } from '../../src/aws/context.js';
import { type Config, resolveConfig } from '../../src/config/config.js';
import type { ResourceRecord, Secret } from '../../src/state/schema.js';
import { RunReads } from '../../src/engine/reads.js';
import type { AnyStep, RunFlags, StepContext, StepOutputs } from '../../src/engine/types.js';

export function givenConfig(overrides: Partial<Config> = {}): Config {
  const base = resolveConfig({
    app: 'healthmetrics',
    domain: 'example.com',
    environment: 'dev',
    region: overrides.region ?? 'us-east-1',
  });
  return { ...base, ...overrides };
}

export interface TestContext extends StepContext {
  reports: string[];
  intents: Array<Record<string, unknown>>;
  secrets: Secret[];
  disabling: number;
}

/** A step context as the runner would build it, with the given dependency outputs. */
export function givenStepContext(
  options: {
    config?: Config;
    outputs?: Partial<StepOutputs>;
    recorded?: ResourceRecord;
    accountId?: string | null;
    flags?: Partial<RunFlags>;
    mode?: StepContext['mode'];
    /** The SDK clients (a context pointed at a loopback endpoint); one for the config's region otherwise. */
    aws?: AwsContext;
  } = {},
): TestContext {
  const config = options.config ?? givenConfig();
  const aws = options.aws ?? new AwsContext({ region: config.region });
  const reports: string[] = [];
  const intents: Array<Record<string, unknown>> = [];
  const secrets: Secret[] = [];
  const outputs = options.outputs ?? {};
  const ctx: TestContext = {
    config,
    mode: options.mode ?? 'apply',
    flags: {
      overwriteDns: options.flags?.overwriteDns === true,
      rotateKey: options.flags?.rotateKey === true,
      force: options.flags?.force === true,
      removalWaitSeconds: options.flags?.removalWaitSeconds ?? 30 * 60,
    },
    recorded: options.recorded,
    recordedAccountId: options.accountId ?? null,
    reads: new RunReads(),
    aws,
    output: (id) => {
      const value = (outputs as Record<string, unknown>)[id as string];
      if (value === undefined) throw new Error(`no outputs for ${String(id)}`);
      return value as never;
    },
    outputIfKnown: (id) => (outputs as Record<string, unknown>)[id as string] as never,
    report: (m) => reports.push(m),
    debug: () => undefined,
    intend: async (data) => {
      intents.push(data);
    },
    saveSecret: async (secret) => {
      secrets.push(secret);
    },
    markDisabling: async () => {
      ctx.disabling += 1;
    },
    reports,
    intents,
    secrets,
    disabling: 0,
  };
  return ctx;
}

/** What the runner does with one step: read, plan, apply only when something differs. */
export async function converge(step: AnyStep, ctx: StepContext) {
  const observed = await step.read(ctx);
  const changes = step.plan(ctx, observed);
  const result =
    changes.length > 0
      ? await step.apply(ctx, observed, changes)
      : { type: 'unchanged' as const, outputs: step.outputs(ctx, observed) };
  return { observed, changes, result };
}
