import type { StepOutcome } from '../steps/runner.js';
import type { Change } from '../steps/types.js';
import { type Style, pad } from './style.js';

export interface PlanMeta {
  app: string;
  environment: string;
  region: string;
  offline: boolean;
}

export interface PlanSummary {
  create: number;
  update: number;
  unchanged: number;
}

export function summarize(outcomes: readonly StepOutcome[]): PlanSummary {
  const count = (action: string) => outcomes.filter((o) => o.action === action).length;
  return { create: count('create'), update: count('update'), unchanged: count('unchanged') };
}

const describeValue = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

function changeLine(change: Change, style: Style): string {
  const sign = change.action === 'create' ? style.green('+') : change.action === 'delete' ? style.red('-') : style.yellow('~');
  if (change.action === 'update' && change.from !== undefined) {
    return `      ${sign} ${change.field}: ${describeValue(change.from)} → ${describeValue(change.to)}`;
  }
  return `      ${sign} ${change.field}${change.to !== undefined ? `: ${describeValue(change.to)}` : ''}`;
}

/** The plan as the user reads it: one line per step, the differing fields under it. */
export function renderPlan(outcomes: readonly StepOutcome[], meta: PlanMeta, style: Style): string {
  const lines: string[] = [];
  lines.push(style.bold(`Plan for ${meta.app} (${meta.environment}) in ${meta.region}`));
  if (meta.offline) lines.push(style.dim('offline: nothing was read from AWS, so everything is shown as to create'));
  lines.push('');
  const width = Math.max(...outcomes.map((o) => o.title.length)) + 2;
  const label: Record<string, (s: string) => string> = {
    create: style.green,
    update: style.yellow,
    unchanged: style.dim,
    read: style.cyan,
  };
  for (const o of outcomes) {
    const action = o.action ?? o.status;
    const paint = label[action] ?? ((s: string) => s);
    lines.push(`  ${pad(o.title, width)}${paint(pad(action, 10))}${style.dim(o.id)}`);
    if (o.action === 'update' || o.action === 'create') {
      for (const change of o.changes) lines.push(changeLine(change, style));
    }
  }
  const s = summarize(outcomes);
  lines.push('');
  lines.push(`${s.create} to create, ${s.update} to update, ${s.unchanged} unchanged`);
  return lines.join('\n');
}

/** The plan as one JSON document (`--json`). */
export function planJson(outcomes: readonly StepOutcome[], meta: PlanMeta) {
  return {
    kind: 'plan' as const,
    ...meta,
    steps: outcomes.map((o) => ({ id: o.id, title: o.title, action: o.action ?? o.status, changes: o.changes })),
    summary: summarize(outcomes),
  };
}
