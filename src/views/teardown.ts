import type { DestroyResult, RemovalItem } from '../engine/destroy.js';
import { SERVICES } from './plan.js';
import { RunView } from './run-progress.js';
import { type Style, pad } from './style.js';
import { type Output, type ViewOptions, printJson } from './view.js';

export interface TeardownMeta {
  app: string;
  environment: string;
  region: string;
  accountId: string | null;
}

export interface Blocker {
  id: string;
  title: string;
  problem: string;
}

/** The resource a record stands for, in a few words: its name or id as AWS shows it. */
export function identify(id: string, outputs: Record<string, unknown>): string {
  const text = (key: string) => (typeof outputs[key] === 'string' ? (outputs[key] as string) : undefined);
  if (id === 'dns-records') {
    const added = Array.isArray(outputs['added']) ? outputs['added'].length : 0;
    if (outputs['mode'] === 'cloudflare')
      return `${added} record${added === 1 ? '' : 's'} in Cloudflare zone ${text('zoneId') ?? '?'}`;
    return outputs['mode'] === 'route53'
      ? `${added} record value${added === 1 ? '' : 's'} in Route 53 zone ${text('zoneId') ?? '?'}`
      : 'records at your DNS host (listed after removal)';
  }
  if (id === 'bucket-settings') return 'removed with the bucket';
  if (id === 'bucket-policy') return 'the CDN statements of the bucket policy';
  if (id === 'email-mail-from') return `MAIL FROM ${text('domain') ?? ''}`.trim();
  if (id === 'access-key') return `${text('accessKeyId') ?? '?'} of ${text('userName') ?? '?'}`;
  if (id === 'distribution') return `${text('id') ?? '?'} (${text('domainName') ?? ''})`;
  if (id.endsWith('-target')) return `target ${text('targetId') ?? '?'} of rule ${text('rule') ?? '?'}`;
  if (id.endsWith('-queue-policy')) return `the policy of ${text('queueUrl')?.split('/').pop() ?? 'the queue'}`;
  if (id === 'alerts-subscription') return `${text('endpoint') ?? '?'} (email)`;
  if (id === 'email-handler-role-policy') return `${text('policyName') ?? '?'} of role ${text('roleName') ?? '?'}`;
  return text('policyName') ?? text('name') ?? text('domain') ?? text('id') ?? '';
}

/** Groups lines by AWS service, in the order plans use. */
function byService<T extends { service: string }>(items: readonly T[], line: (item: T) => string[]): string[] {
  const lines: string[] = [];
  for (const { service, heading } of SERVICES) {
    const group = items.filter((i) => i.service === service);
    if (group.length === 0) continue;
    lines.push('', `  ${heading}`);
    for (const item of group) lines.push(...line(item));
  }
  return lines;
}

/** What teardown is about to do, for --dry-run and before the confirmation. */
export function renderRemovalPlan(
  items: readonly RemovalItem[],
  blockers: readonly Blocker[],
  meta: TeardownMeta,
  options: { force: boolean },
  style: Style,
): string {
  const width = Math.max(20, ...items.map((i) => i.step.title.length)) + 2;
  const lines = [
    style.bold(
      `Teardown of ${meta.app} (${meta.environment}) in ${meta.region}${meta.accountId ? `, account ${meta.accountId}` : ''}`,
    ),
  ];
  const rows = items.map((i) => ({ ...i, service: i.step.service }));
  lines.push(
    ...byService(rows, (item) => {
      const what = identify(item.step.id, item.record.outputs);
      if (item.removal === 'keep')
        return [
          `    ${style.dim('=')} ${pad(item.step.title, width)}${style.dim(`keep: existed before hm-infra (${what}); --include-adopted removes it`)}`,
        ];
      const extra =
        item.removal === 'find'
          ? style.dim(' (an interrupted create: removed if it exists)')
          : item.record.status === 'disabling'
            ? style.dim(' (already disabled: deleted once CloudFront has deployed that)')
            : '';
      const emptied =
        item.step.id === 'bucket' && options.force
          ? style.yellow(' — every object version is deleted first (--force)')
          : '';
      return [`    ${style.red('-')} ${pad(item.step.title, width)}${what}${extra}${emptied}`];
    }),
  );
  const remove = items.filter((i) => i.removal !== 'keep').length;
  const keep = items.length - remove;
  lines.push('', `${remove} to remove${keep > 0 ? `, ${keep} kept` : ''}.`);
  if (keep > 0) {
    lines.push(
      style.dim(
        'Kept: they existed before hm-infra found them — or this state file was made again after the first was lost, and init adopted what it found. If hm-infra made them, --include-adopted removes them too.',
      ),
    );
  }
  for (const blocker of blockers) lines.push(style.red(`✖ ${blocker.title}: ${blocker.problem}`));
  return lines.join('\n');
}

export function removalPlanJson(items: readonly RemovalItem[], blockers: readonly Blocker[], meta: TeardownMeta) {
  return {
    kind: 'teardown-plan' as const,
    ...meta,
    steps: items.map((i) => ({
      id: i.step.id,
      title: i.step.title,
      service: i.step.service,
      action: i.removal === 'keep' ? 'keep' : 'delete',
      resource: identify(i.step.id, i.record.outputs),
      owned: i.record.owned,
    })),
    blockers,
  };
}

const RESULT_WORD: Record<string, string> = { delete: 'removed', keep: 'kept', pending: 'still being removed by AWS' };

/** The end of a teardown: what went, what stayed and why, and where the state went. */
export function renderTeardownResult(
  result: DestroyResult,
  run: { seconds: string; archived: string | undefined },
  style: Style,
): string {
  const count = (action: string) => result.outcomes.filter((o) => o.status === 'done' && o.action === action).length;
  const lines = [''];
  const removed = count('delete');
  if (result.ok && !result.pending)
    lines.push(
      style.bold(`Done in ${run.seconds}s: ${removed} removed${count('keep') > 0 ? `, ${count('keep')} kept` : ''}.`),
    );
  else
    lines.push(
      style.bold(
        `After ${run.seconds}s: ${removed} removed, ${result.outcomes.filter((o) => o.status !== 'done' || o.action === 'pending').length} not yet.`,
      ),
    );
  for (const o of result.outcomes)
    for (const note of o.notes ?? [])
      lines.push(`  ${pad(o.title, 26)}${(o.action === 'keep' ? style.dim : style.yellow)(note)}`);
  if (run.archived) lines.push(`  ${pad('State', 26)}moved to ${run.archived}`);
  return lines.join('\n');
}

export function teardownJson(result: DestroyResult, meta: TeardownMeta, archived: string | undefined) {
  return {
    kind: 'teardown' as const,
    ok: result.ok && !result.pending,
    aborted: result.aborted,
    pending: result.pending,
    ...meta,
    steps: result.outcomes.map((o) => ({
      id: o.id,
      title: o.title,
      service: o.service,
      status: o.status,
      action: o.action ? (RESULT_WORD[o.action] ?? o.action) : null,
      notes: o.notes ?? [],
      skippedBecause: o.skippedBecause ?? null,
      error: o.error ? { code: o.error.code, message: o.error.message, hint: o.error.hint ?? null } : null,
    })),
    archivedState: archived ?? null,
  };
}

/** Where the state file went once everything was removed: its path, and as shown to the user. */
export interface Archived {
  path: string;
  shown: string;
}

/** What `teardown` shows: what it would remove, its progress, and what went and what stayed. */
export interface TeardownView {
  /** Where the confirmation question is drawn. */
  readonly promptOutput: NodeJS.WritableStream;
  /** No state file, and an archived one: the environment was torn down before. */
  nothingToDo(environment: string, archived: Archived): void;
  /** The account check failed: nothing else is looked at. */
  failedSteps(outcomes: DestroyResult['outcomes']): void;
  removalPlan(
    items: readonly RemovalItem[],
    blockers: readonly Blocker[],
    meta: TeardownMeta,
    options: { force: boolean; dryRun: boolean },
  ): void;
  /** Something stands in the way (a bucket holding objects): nothing was removed. */
  blocked(): void;
  /** The name typed was not the environment's. */
  declined(): void;
  startProgress: RunView['startProgress'];
  stopping(): void;
  result(result: DestroyResult, meta: TeardownMeta, run: { seconds: string; archived: Archived | undefined }): void;
  interrupted(statePath: string, environment: string): void;
  failure(result: DestroyResult, statePath: string, environment: string): void;
  /** AWS is still removing something: the next teardown finishes. */
  pending(environment: string): void;
}

const again = (environment: string) => `\`hm-infra teardown --env ${environment}\``;

abstract class TeardownViewBase extends RunView {
  blocked(): void {
    this.output.err(this.style.red('Nothing was removed.'));
  }

  declined(): void {
    this.output.err('The name did not match. Nothing was removed.');
  }

  interrupted(statePath: string, environment: string): void {
    this.output.err(
      this.style.yellow(
        `Interrupted. Every removal so far is saved in ${statePath}; re-run ${again(environment)} to continue.`,
      ),
    );
  }

  failure(result: DestroyResult, statePath: string, environment: string): void {
    this.failedSteps(result.outcomes);
    this.output.err(
      `Removals so far are saved in ${statePath}; fix the problem and re-run ${again(environment)} to continue.`,
    );
  }

  pending(environment: string): void {
    this.output.err(
      this.style.yellow(
        `Not finished: AWS is still removing something (see above). Re-run ${again(environment)} in a few minutes to finish.`,
      ),
    );
  }
}

class HumanTeardownView extends TeardownViewBase implements TeardownView {
  get promptOutput(): NodeJS.WritableStream {
    return process.stdout;
  }

  nothingToDo(environment: string, archived: Archived): void {
    this.output.out(
      `environment "${environment}" was already torn down (its state is in ${archived.shown}); nothing to remove`,
    );
  }

  removalPlan(
    items: readonly RemovalItem[],
    blockers: readonly Blocker[],
    meta: TeardownMeta,
    options: { force: boolean },
  ): void {
    this.output.out(renderRemovalPlan(items, blockers, meta, options, this.style));
  }

  result(result: DestroyResult, _meta: TeardownMeta, run: { seconds: string; archived: Archived | undefined }): void {
    this.output.out(renderTeardownResult(result, { seconds: run.seconds, archived: run.archived?.shown }, this.style));
  }
}

/** stdout carries one JSON document; the removal plan for people and the question go to stderr. */
class JsonTeardownView extends TeardownViewBase implements TeardownView {
  get promptOutput(): NodeJS.WritableStream {
    return process.stderr;
  }

  nothingToDo(environment: string, archived: Archived): void {
    printJson(this.output, {
      kind: 'teardown',
      ok: true,
      nothingToDo: true,
      environment,
      archivedState: archived.path,
    });
  }

  removalPlan(
    items: readonly RemovalItem[],
    blockers: readonly Blocker[],
    meta: TeardownMeta,
    options: { force: boolean; dryRun: boolean },
  ): void {
    if (options.dryRun || blockers.length > 0)
      printJson(this.output, {
        ...removalPlanJson(items, blockers, meta),
        ok: blockers.length === 0,
        dryRun: options.dryRun,
      });
    this.output.err(renderRemovalPlan(items, blockers, meta, options, this.style));
  }

  result(result: DestroyResult, meta: TeardownMeta, run: { archived: Archived | undefined }): void {
    printJson(this.output, teardownJson(result, meta, run.archived?.path));
  }
}

export function teardownViewFor(options: ViewOptions, output: Output): TeardownView {
  return options.json ? new JsonTeardownView(output, options) : new HumanTeardownView(output, options);
}
