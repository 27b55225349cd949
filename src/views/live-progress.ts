/**
 * The live task list (listr2) shown while `init` provisions in a terminal: one line per step,
 * a spinner on each step that is running, so independent steps are seen running at once;
 * steps waiting for others say which; a step's progress reports (a long wait) show under it.
 * The runner schedules; this only mirrors its events.
 */
import type { ListrDefaultRendererTask, ListrTaskWrapper } from 'listr2';
import type { AnyStep, StepId } from '../engine/types.js';
import type { RunEvent } from '../engine/outcome.js';
import { doneText } from './progress.js';
import type { Style } from './style.js';

/** How progress is shown: redrawn in place on a terminal, or one plain line per event. */
export type ProgressMode = 'live' | 'lines';

/** `CI=true` (or any value but "", "0" and "false") means a CI log, never a terminal. */
export function isCi(env: NodeJS.ProcessEnv): boolean {
  const value = env['CI'];
  return value !== undefined && !['', '0', 'false'].includes(value.toLowerCase());
}

/**
 * Live only on a terminal that is not a CI log and can redraw; `--verbose` prints its
 * explanations as lines, which a redrawn list would wipe.
 */
export function progressMode(options: { terminal: boolean; env: NodeJS.ProcessEnv; verbose: boolean }): ProgressMode {
  if (!options.terminal || options.verbose || isCi(options.env) || options.env['TERM'] === 'dumb') return 'lines';
  return 'live';
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Wrapper = ListrTaskWrapper<any, any, any>;

interface TaskHandle {
  step: AnyStep;
  wrapper?: Wrapper;
  settle?: { resolve(): void; reject(err: Error): void };
  /** The last state the runner reported, applied as soon as listr has started the task. */
  title: string;
  output?: string;
  end?: { kind: 'done' } | { kind: 'failed'; message: string } | { kind: 'skipped'; reason: string };
  started: boolean;
}

export interface LiveProgress {
  onEvent(event: RunEvent): void;
  /** Ctrl-C: steps not started yet say they will not start. */
  stopping(): void;
  /**
   * Waits until the list has drawn its final state. Steps the runner left without an end
   * (it threw) are closed as stopped, so the terminal is always handed back.
   */
  close(): Promise<void>;
}

async function listrParts(stream: NodeJS.WriteStream) {
  const { DefaultRenderer, Listr, ListrLogger, PRESET_TIMER, ProcessOutput } = await import('listr2');
  // listr2 draws on "stdout"; both of its streams are our stderr, so stdout keeps only results.
  const logger = new ListrLogger({ useIcons: true, processOutput: new ProcessOutput(stream, stream) });
  return { DefaultRenderer, Listr, logger, timer: PRESET_TIMER };
}

/**
 * Starts drawing the list of `steps` on `stream` (a terminal). Feed it the runner's events;
 * every step must end with done, failed or skipped, as the runner guarantees.
 */
export async function liveProgress(
  steps: readonly AnyStep[],
  stream: NodeJS.WriteStream,
  style: Style,
  /** What each step waits for: its dependencies, or (teardown) the steps to remove before it. */
  waitsFor: (step: AnyStep) => readonly StepId[] = (step) => step.dependsOn,
): Promise<LiveProgress> {
  const { DefaultRenderer, Listr, logger, timer } = await listrParts(stream);
  const handles = new Map<StepId, TaskHandle>();
  const waitingTasks = new Set<string>();
  const titleOf = new Map(steps.map((s) => [s.id, s.title]));
  const ended = new Set<StepId>();

  const waitingTitle = (step: AnyStep) => {
    const open = waitsFor(step)
      .filter((d) => !ended.has(d))
      .map((d) => titleOf.get(d) ?? d);
    return open.length > 0 ? `${step.title} ${style.dim(`· waits for ${open.join(', ')}`)}` : step.title;
  };

  /** Waiting steps get a quiet marker instead of listr's spinner: only running steps spin. */
  class GraphRenderer extends DefaultRenderer {
    protected override style(task: ListrDefaultRendererTask, output?: boolean): string {
      if (!output && waitingTasks.has(task.id)) return style.dim('◦');
      return super.style(task, output);
    }
  }

  const apply = (handle: TaskHandle) => {
    const { wrapper, settle } = handle;
    if (!wrapper || !settle) return;
    if (handle.started) waitingTasks.delete(wrapper.task.id);
    wrapper.title = handle.title;
    if (handle.output !== undefined) wrapper.output = handle.output;
    const end = handle.end;
    if (!end) return;
    waitingTasks.delete(wrapper.task.id);
    if (end.kind === 'done') settle.resolve();
    else if (end.kind === 'skipped') {
      wrapper.skip(`${handle.step.title} ${style.dim(`skipped: ${end.reason}`)}`);
      settle.resolve();
    } else settle.reject(new Error(end.message));
  };

  const tasks = steps.map((step) => {
    const handle: TaskHandle = { step, title: waitingTitle(step), started: false };
    handles.set(step.id, handle);
    return {
      title: handle.title,
      task: (_ctx: unknown, wrapper: Wrapper) =>
        new Promise<void>((resolve, reject) => {
          handle.wrapper = wrapper;
          handle.settle = { resolve, reject };
          apply(handle);
        }),
    };
  });

  const rendererOptions = {
    logger,
    timer,
    collapseErrors: false,
    showErrorMessage: false,
    formatOutput: 'wrap' as const,
    removeEmptyLines: false,
  };
  const list = new Listr(tasks, {
    concurrent: true,
    exitOnError: false,
    registerSignalListeners: false,
    renderer: GraphRenderer,
    rendererOptions,
    // listr2 falls back when *stdout* is not a terminal; progress draws on stderr, so keep it.
    fallbackRenderer: GraphRenderer,
    fallbackRendererOptions: rendererOptions,
  });
  // Every step waits until the runner starts it (listr would draw a spinner at once).
  for (const task of list.tasks) waitingTasks.add(task.id);
  const running = list.run().then(() => undefined);

  const refreshWaiting = () => {
    for (const handle of handles.values()) {
      if (handle.started || handle.end) continue;
      handle.title = waitingTitle(handle.step);
      apply(handle);
    }
  };

  return {
    onEvent(event) {
      const id =
        event.type === 'start' || event.type === 'report' || event.type === 'debug' ? event.id : event.outcome.id;
      const handle = handles.get(id);
      if (!handle) return;
      switch (event.type) {
        case 'start':
          handle.started = true;
          handle.title = handle.step.title;
          break;
        case 'report':
          handle.output = event.message;
          break;
        case 'debug':
          return;
        case 'done':
          handle.title = `${handle.step.title} ${doneText(event.outcome, style)}`;
          handle.end = { kind: 'done' };
          break;
        case 'failed':
          handle.title = `${handle.step.title} ${style.red(`failed (${event.outcome.error?.code ?? 'error'})`)}`;
          handle.end = { kind: 'failed', message: handle.title };
          break;
        case 'skipped':
          handle.end = { kind: 'skipped', reason: event.outcome.skippedBecause ?? '' };
          break;
      }
      apply(handle);
      if (handle.end) {
        ended.add(id);
        refreshWaiting();
      }
    },
    stopping() {
      for (const handle of handles.values()) {
        if (handle.started || handle.end) continue;
        handle.title = `${handle.step.title} ${style.yellow('· will not start: stopping')}`;
        apply(handle);
      }
    },
    async close() {
      for (const handle of handles.values()) {
        if (handle.end) continue;
        handle.end = { kind: 'failed', message: `${handle.step.title} stopped` };
        handle.title = handle.end.message;
        apply(handle);
      }
      await running;
    },
  };
}

/**
 * One long wait after the list (CloudFront deploying with --wait) as a live task with a
 * spinner; `run` reports progress (elapsed time) through `report`.
 */
export async function liveWait(
  title: string,
  stream: NodeJS.WriteStream,
  run: (report: (message: string) => void) => Promise<void>,
): Promise<void> {
  const { DefaultRenderer, Listr, logger, timer } = await listrParts(stream);
  const rendererOptions = { logger, timer };
  const list = new Listr(
    [
      {
        title,
        task: async (_ctx: unknown, wrapper: Wrapper) => {
          await run((message) => (wrapper.output = message));
        },
      },
    ],
    {
      exitOnError: true,
      registerSignalListeners: false,
      renderer: DefaultRenderer,
      rendererOptions,
      fallbackRenderer: DefaultRenderer,
      fallbackRendererOptions: rendererOptions,
    },
  );
  await list.run();
}
