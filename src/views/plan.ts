import type { RunEvent, RunResult, StepOutcome } from '../engine/outcome.js';
import type { StepDifference } from '../engine/plan-diff.js';
import type { Change, Service } from '../engine/types.js';
import { type Style, pad } from './style.js';
import { BaseView, type Output, type ViewOptions, printJson } from './view.js';

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
  const sign =
    change.action === 'create' ? style.green('+') : change.action === 'delete' ? style.red('-') : style.yellow('~');
  if (change.action === 'update' && change.from !== undefined) {
    return `        ${sign} ${change.field}: ${describeValue(change.from)} → ${describeValue(change.to)}`;
  }
  return `        ${sign} ${change.field}${change.to !== undefined ? `: ${describeValue(change.to)}` : ''}`;
}

/** Services in the order a plan lists them, with what creating or changing them costs or takes. */
export const SERVICES: ReadonlyArray<{ service: Service; heading: string; note: string }> = [
  { service: 'Account', heading: 'AWS account', note: '' },
  {
    service: 'S3',
    heading: 'S3',
    note: 'storage about $0.023 per GB-month plus requests; old versions move to Standard-IA after 30 days and go after 90',
  },
  {
    service: 'CloudFront',
    heading: 'CloudFront',
    note: 'a new distribution takes 5–15 minutes to deploy; about $0.085 per GB served (PriceClass_100)',
  },
  {
    service: 'SES',
    heading: 'SES email',
    note: '$0.10 per 1,000 emails; a new account sends only to verified addresses until AWS grants production access',
  },
  {
    service: 'DNS',
    heading: 'DNS',
    note: 'SES verifies the domain minutes after the records resolve; up to 72 hours at some DNS hosts',
  },
  {
    service: 'EventBridge',
    heading: 'EventBridge',
    note: 'SES events on the default bus are free; custom events about $1.00 per million',
  },
  {
    service: 'SQS',
    heading: 'SQS',
    note: 'the first million requests a month are free, then about $0.40 per million',
  },
  {
    service: 'CloudWatch',
    heading: 'CloudWatch alarms',
    note: 'about $0.10 per alarm-month; SES publishes the metrics they watch at no charge',
  },
  { service: 'SNS', heading: 'SNS', note: 'the first 1,000 email notifications a month are free' },
  { service: 'Logs', heading: 'CloudWatch Logs', note: 'about $0.50 per GB ingested; logs are kept 14 days' },
  { service: 'IAM', heading: 'IAM', note: "free; the access key's secret is kept only in the state file" },
];

/**
 * The plan as the user reads it: steps grouped by service, one line each with what would
 * happen, the differing fields under it, and a note on cost or time where something changes.
 */
export function renderPlan(outcomes: readonly StepOutcome[], meta: PlanMeta, style: Style): string {
  const lines: string[] = [];
  lines.push(style.bold(`Plan for ${meta.app} (${meta.environment}) in ${meta.region}`));
  if (meta.offline) lines.push(style.dim('offline: nothing was read from AWS, so everything is shown as to create'));
  const width = Math.max(...outcomes.map((o) => o.title.length)) + 2;
  for (const { service, heading, note } of SERVICES) {
    const group = outcomes.filter((o) => o.service === service);
    if (group.length === 0) continue;
    const changing = group.some((o) => o.action === 'create' || o.action === 'update');
    lines.push('', `  ${style.bold(heading)}${changing && note ? style.dim(` — ${note}`) : ''}`);
    for (const o of group) lines.push(...stepLines(o, width, style));
  }
  lines.push('', summaryLine(outcomes));
  return lines.join('\n');
}

/** A step of a plan: its title, what would happen and its id; under it, what differs. */
function stepLines(o: StepOutcome, width: number, style: Style, after = ''): string[] {
  const label: Record<string, (s: string) => string> = {
    create: style.green,
    update: style.yellow,
    unchanged: style.dim,
    read: style.cyan,
  };
  const action = o.action ?? o.status;
  const paint = label[action] ?? ((s: string) => s);
  const lines = [`    ${pad(o.title, width)}${paint(pad(action, 10))}${style.dim(o.id)}${after}`];
  if (o.action === 'update' || o.action === 'create') {
    for (const change of o.changes) lines.push(changeLine(change, style));
  }
  return lines;
}

function summaryLine(outcomes: readonly StepOutcome[]): string {
  const s = summarize(outcomes);
  return `${s.create} to create, ${s.update} to update, ${s.unchanged} unchanged`;
}

/**
 * What a plan read again is found to differ in from the one shown: each step that changed,
 * as it is now and what it was, and the new totals.
 */
export function renderPlanChanges(
  differences: readonly StepDifference[],
  outcomes: readonly StepOutcome[],
  style: Style,
): string {
  const width = Math.max(...outcomes.map((o) => o.title.length)) + 2;
  const was = (o: StepOutcome | undefined) => {
    if (o === undefined) return 'not in the plan';
    const action = o.action ?? o.status;
    const fields = o.changes.map((c) => c.field);
    return fields.length > 0 && action !== 'unchanged' ? `${action}: ${fields.join(', ')}` : action;
  };
  const lines = ['', style.yellow('Read again before applying, the plan has changed since it was shown:')];
  for (const { id, before, after } of differences) {
    if (after === undefined) lines.push(`    ${pad(before?.title ?? id, width)}${style.dim('no longer in the plan')}`);
    else lines.push(...stepLines(after, width, style, style.dim(` (was ${was(before)})`)));
  }
  lines.push('', `Now: ${summaryLine(outcomes)}`);
  return lines.join('\n');
}

/** The plan as one JSON document (`--json`). */
export function planJson(outcomes: readonly StepOutcome[], meta: PlanMeta) {
  return {
    kind: 'plan' as const,
    ...meta,
    steps: outcomes.map((o) => ({
      id: o.id,
      title: o.title,
      service: o.service,
      action: o.action ?? o.status,
      changes: o.changes,
    })),
    summary: summarize(outcomes),
  };
}

/** What `plan` shows: the plan, or why it could not be read. */
export interface PlanView {
  /** The steps' progress while they are read (--verbose). */
  planProgress(): ((event: RunEvent) => void) | undefined;
  plan(outcomes: readonly StepOutcome[], meta: PlanMeta): void;
  failure(result: RunResult, meta: PlanMeta): void;
}

class HumanPlanView extends BaseView implements PlanView {
  plan(outcomes: readonly StepOutcome[], meta: PlanMeta): void {
    this.output.out(renderPlan(outcomes, meta, this.style));
  }

  failure(result: RunResult): void {
    this.failedSteps(result.outcomes);
  }
}

class JsonPlanView extends BaseView implements PlanView {
  plan(outcomes: readonly StepOutcome[], meta: PlanMeta): void {
    printJson(this.output, { ...planJson(outcomes, meta), ok: true });
  }

  failure(result: RunResult, meta: PlanMeta): void {
    printJson(this.output, { ...planJson(result.outcomes, meta), ok: false });
    this.failedSteps(result.outcomes);
  }
}

export function planViewFor(options: ViewOptions, output: Output): PlanView {
  return options.json ? new JsonPlanView(output, options) : new HumanPlanView(output, options);
}
