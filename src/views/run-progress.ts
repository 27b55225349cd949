import type { RunEvent } from '../engine/outcome.js';
import type { AnyStep, StepId } from '../engine/types.js';
import { liveProgress, progressMode } from './live-progress.js';
import { lineRenderer } from './progress.js';
import { BaseView } from './view.js';

/** Progress of a run of steps, as the runner's events come. */
export interface StepProgress {
  onEvent(event: RunEvent): void;
  /** Ctrl-C: steps not started yet say they will not start. */
  stopping(): void;
  /** Waits until the display has drawn its final state. */
  close(): Promise<void>;
  /** The display redraws in place (a terminal): later waits redraw too. */
  readonly live: boolean;
}

/**
 * A live list of `steps` on a terminal that can redraw (not a CI log, not --verbose), else one
 * plain line per event on stderr.
 */
export async function stepProgress(
  view: BaseView,
  steps: readonly AnyStep[],
  waitsFor?: (step: AnyStep) => readonly StepId[],
): Promise<StepProgress> {
  const { output, style, verbose } = view;
  const mode = progressMode({ terminal: output.progressStream !== undefined, env: output.env, verbose });
  if (mode === 'live' && output.progressStream && steps.length > 0) {
    const live = await liveProgress(steps, output.progressStream, style, waitsFor);
    return {
      onEvent: (event) => live.onEvent(event),
      stopping: () => live.stopping(),
      close: () => live.close(),
      live: true,
    };
  }
  return {
    onEvent: lineRenderer(output.err, style, verbose),
    stopping: () => undefined,
    close: async () => undefined,
    live: mode === 'live',
  };
}

/** The view of a command that runs steps (init, teardown): their progress, and Ctrl-C meanwhile. */
export abstract class RunView extends BaseView {
  private progress: StepProgress | undefined;

  /** Starts showing the progress of `steps`; `waitsFor` names what each waits for (default: its dependencies). */
  async startProgress(
    steps: readonly AnyStep[],
    waitsFor?: (step: AnyStep) => readonly StepId[],
  ): Promise<StepProgress> {
    this.progress = await stepProgress(this, steps, waitsFor);
    return this.progress;
  }

  /** The first Ctrl-C: running steps finish and are saved, no new one starts. */
  stopping(): void {
    this.output.err(this.style.yellow('Stopping after the running steps finish (Ctrl-C again to quit now)…'));
    this.progress?.stopping();
  }

  /** Progress redraws in place (a terminal). */
  protected get live(): boolean {
    return this.progress?.live === true;
  }
}
