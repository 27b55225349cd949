/** The context a step runs with (StepContext), built by the runner for each step. */
import { type RunReads } from './reads.js';
import type { AwsContext } from '../aws/context.js';
import type { Config } from '../config/config.js';
import { HmError } from '../errors.js';
import type { ResourceRecord } from '../state/schema.js';
import type { StateSession } from '../state/session.js';
import type { AnyStep, RunFlags, StepContext } from './types.js';
import type { RunEvent } from './outcome.js';

interface ContextParts {
  mode: StepContext['mode'];
  config: Config;
  flags: Partial<RunFlags> | undefined;
  aws: AwsContext | undefined;
  session: StateSession | undefined;
  records: Record<string, ResourceRecord>;
  recordedAccountId: string | null;
  /** A dependency's outputs; undefined when there are none (yet). */
  outputOf(id: string): unknown;
  /** The error when a step needs outputs that are not there. */
  missing(id: string): HmError;
  emit(event: RunEvent): void;
  reads: RunReads;
}

/** The context a step runs with; state writes go through the session, and only in the modes that write. */
export function stepContext(step: AnyStep, parts: ContextParts): StepContext {
  const sessionFor = (what: string, mode: StepContext['mode']): StateSession => {
    if (parts.mode !== mode || !parts.session)
      throw new HmError('RUNNER_MISUSE', `step ${step.id} ${what} in ${parts.mode} mode`, 'internal');
    return parts.session;
  };
  return {
    config: parts.config,
    mode: parts.mode,
    flags: {
      overwriteDns: parts.flags?.overwriteDns === true,
      rotateKey: parts.flags?.rotateKey === true,
      force: parts.flags?.force === true,
      removalWaitSeconds: parts.flags?.removalWaitSeconds ?? 30 * 60,
    },
    recorded: parts.records[step.id],
    recordedAccountId: parts.recordedAccountId,
    reads: parts.reads,
    get aws(): AwsContext {
      if (!parts.aws) throw new HmError('OFFLINE', `step ${step.id} tried to call AWS in offline mode`, 'internal');
      return parts.aws;
    },
    output: (id) => {
      const value = parts.outputOf(id as string);
      if (value === undefined) throw parts.missing(id as string);
      return value as never;
    },
    outputIfKnown: (id) => parts.outputOf(id as string) as never,
    report: (message) => parts.emit({ type: 'report', id: step.id, message }),
    debug: (message) => parts.emit({ type: 'debug', id: step.id, message }),
    intend: (data) => sessionFor('wrote an intent', 'apply').intend(step.id, data),
    saveSecret: (secret) => sessionFor('saved a secret', 'apply').saveSecret(step.id, secret),
    markDisabling: () => sessionFor('marked a removal', 'destroy').markDisabling(step.id),
  };
}
