import { ExitCode, inputError } from '../errors.js';
import { renderPlan, summarize } from '../output/plan.js';
import { lineRenderer } from '../output/progress.js';
import { type Style, pad } from '../output/style.js';
import { newState } from '../state/schema.js';
import { StateSession } from '../state/session.js';
import type { StateStore } from '../state/store.js';
import { provisioningSteps } from '../steps/graph.js';
import { type RunResult, runSteps } from '../steps/runner.js';
import { type ConfigFlags, type GlobalOptions, type Io, createAws, prepare, styleFor } from './common.js';
import { computePlan, planMeta, reportFailure } from './plan.js';

/** Asks for confirmation; Ctrl-C at the prompt is an abort (exit 130), nothing written. */
async function confirmApply(): Promise<boolean> {
  const { confirm } = await import('@inquirer/prompts');
  try {
    return await confirm({ message: 'Apply these changes?', default: true });
  } catch (err) {
    if ((err as Error).name === 'ExitPromptError') return false;
    throw err;
  }
}

/**
 * First Ctrl-C: stop starting steps, let running ones finish and save. Second: the default
 * behaviour (exit at once); a re-run still converges because every step checks first.
 */
function interruptible(io: Io, style: Style): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) {
      process.removeListener('SIGINT', onSigint);
      process.kill(process.pid, 'SIGINT');
      return;
    }
    io.err(style.yellow('Stopping after the running steps finish (Ctrl-C again to quit now)…'));
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  return { signal: controller.signal, dispose: () => process.removeListener('SIGINT', onSigint) };
}

function renderResult(result: RunResult, store: StateStore, seconds: string, style: Style): string {
  const s = summarize(result.outcomes);
  const lines = ['', style.bold(`Done in ${seconds}s: ${s.create} created, ${s.update} updated, ${s.unchanged} unchanged.`)];
  const bucket = result.outputs.bucket;
  if (bucket) lines.push(`  ${pad('S3 bucket', 14)}${bucket.name} (${bucket.region})`);
  const account = result.outputs.account;
  if (account) lines.push(`  ${pad('AWS account', 14)}${account.accountId}`);
  lines.push(`  ${pad('State', 14)}${store.displayPath}`);
  lines.push('', 'Next: `hm-infra plan` shows what exists against the configuration (it should say nothing to do).');
  return lines.join('\n');
}

function resultJson(result: RunResult, store: StateStore, accountId: string | null) {
  return {
    kind: 'result' as const,
    ok: result.ok,
    aborted: result.aborted,
    accountId,
    statePath: store.path,
    steps: result.outcomes.map((o) => ({
      id: o.id,
      title: o.title,
      status: o.status,
      action: o.action ?? null,
      changes: o.changes,
      error: o.error ? { code: o.error.code, message: o.error.message, hint: o.error.hint ?? null } : null,
    })),
    summary: summarize(result.outcomes),
    outputs: result.outputs,
  };
}

/** `hm-infra init`: validate, (plan and confirm), provision, report. */
export async function runInit(globals: GlobalOptions, flags: ConfigFlags, io: Io): Promise<number> {
  const style = styleFor(io);
  if (!globals.yes && !io.interactive) {
    throw inputError('init changes AWS resources and needs a confirmation, but there is no terminal to ask in', 'Re-run with --yes to confirm (as in CI), or run `hm-infra plan` first to see what would change.');
  }
  const { store, state, config } = await prepare(globals, flags, io, { lockFor: 'init' });
  const aws = await createAws(globals, io, config.region);
  const interrupt = interruptible(io, style);
  try {
    if (!globals.yes) {
      const planned = await computePlan(config, state, aws, globals, io);
      if (!planned.ok) return reportFailure(planned, globals, io);
      io.out(renderPlan(planned.outcomes, planMeta(config, false), style));
      const { create, update } = summarize(planned.outcomes);
      if (create + update > 0 && !(await confirmApply())) {
        io.err('Nothing was changed.');
        return ExitCode.aborted;
      }
    }
    const session = new StateSession(store, state ?? newState(config));
    session.state.config = config;
    const started = Date.now();
    const result = await runSteps(provisioningSteps(), {
      mode: 'apply',
      config,
      aws,
      session,
      signal: interrupt.signal,
      onEvent: lineRenderer(io.err, style, globals.verbose === true),
    });
    if (globals.json) io.out(JSON.stringify(resultJson(result, store, session.state.accountId), null, 2));
    if (result.aborted) {
      io.err(style.yellow(`Interrupted. Every finished step is saved in ${store.displayPath}; re-run \`hm-infra init --env ${config.environment}\` to continue.`));
      return ExitCode.aborted;
    }
    if (!result.ok) {
      const code = reportFailure(result, globals, io);
      const saved = result.outcomes.some((o) => o.status === 'done');
      const rerun = `\`hm-infra init --env ${config.environment}\``;
      io.err(saved ? `Finished steps are saved in ${store.displayPath}; fix the problem and re-run ${rerun} to continue.` : `Nothing was changed; fix the problem and re-run ${rerun}.`);
      return code;
    }
    if (!globals.json) io.out(renderResult(result, store, ((Date.now() - started) / 1000).toFixed(1), style));
    return ExitCode.ok;
  } finally {
    interrupt.dispose();
    aws.destroy();
    await store.unlock();
  }
}

