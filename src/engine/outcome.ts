/** What a run of the step graph reports: each step's outcome, the events on the way, the result. */
import { type HmError } from '../errors.js';
import type { Change, ResultType, Service, StepId, StepOutputs } from './types.js';

/**
 * What a step is shown as in a plan or a result. Teardown: `delete` removed (or found already
 * gone), `keep` left in place as not ours, `pending` being removed by AWS (next teardown finishes).
 */
export type StepAction = 'create' | 'update' | 'unchanged' | 'read' | 'delete' | 'keep' | 'pending';

export interface StepOutcome {
  id: StepId;
  title: string;
  service: Service;
  status: 'done' | 'failed' | 'skipped';
  /** Plan: what would happen. Apply: what happened (`create` = created …). */
  action?: StepAction;
  result?: ResultType;
  changes: Change[];
  error?: HmError;
  skippedBecause?: string;
  /** Teardown: what was left in place and why, or what AWS is still doing. */
  notes?: string[];
  durationMs: number;
}

export type RunEvent =
  | { type: 'start'; id: StepId; title: string }
  | { type: 'report'; id: StepId; message: string }
  | { type: 'debug'; id: StepId; message: string }
  | { type: 'done'; outcome: StepOutcome }
  | { type: 'failed'; outcome: StepOutcome }
  | { type: 'skipped'; outcome: StepOutcome };

/** What a plan run found of one step it read: what exists (undefined: absent) and what would change. */
export interface StepObservation {
  observed: unknown;
  changes: Change[];
}

export interface RunResult {
  ok: boolean;
  aborted: boolean;
  outcomes: StepOutcome[];
  outputs: Partial<StepOutputs>;
  /**
   * Plan mode: what each step that was read found. Steps downstream of something still to be
   * created were not read and have none.
   */
  observations?: ReadonlyMap<StepId, StepObservation>;
}
