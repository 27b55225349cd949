/**
 * EventBridge of the fake account, per region, to AWS's documented behaviour:
 *
 * - the default event bus exists in every region and cannot be deleted; a custom bus is
 *   refused deletion while it has rules ("EventBus can't be deleted since it has rules."),
 *   and deleting one that does not exist succeeds;
 * - PutRule creates or replaces a rule (arguments left out are cleared; Tags only on create),
 *   its pattern checked (InvalidEventPatternException); DeleteRule is refused while the rule
 *   has targets (ValidationException "Rule can't be deleted since it has targets.") and
 *   succeeds for a rule that does not exist; at most 5 targets per rule;
 * - PutEvents (and `emit`, for events AWS services send, such as SES's) matches each event
 *   against the enabled rules of its bus with the event-pattern matcher below, and hands the
 *   whole event (version, id, detail-type, source, account, time, region, resources, detail as
 *   an object) — or the target's Input / InputPath / InputTransformer — to each target. An SQS
 *   target gets it through the fake SQS, which the queue's policy must allow; what became of
 *   every delivery is in `deliveries`. An event for a bus that does not exist is accepted and
 *   lost, as AWS does.
 */
import { type Handler, awsError } from './errors.js';

type Tag = { Key: string; Value: string };
type Json = Record<string, unknown>;

export interface EventBridgeEvent {
  version: string;
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
}

export interface FakeTarget {
  Id: string;
  Arn: string;
  [key: string]: unknown;
}

export interface FakeRule {
  name: string;
  arn: string;
  busName: string;
  eventPattern?: string | undefined;
  scheduleExpression?: string | undefined;
  state: string;
  description?: string | undefined;
  roleArn?: string | undefined;
  tags: Tag[];
  targets: FakeTarget[];
}

export interface FakeBus {
  name: string;
  region: string;
  arn: string;
  description?: string | undefined;
  kmsKeyIdentifier?: string | undefined;
  tags: Tag[];
  createdAt: Date;
  rules: Map<string, FakeRule>;
}

/** One event handed to one target, and what became of it. */
export interface Delivery {
  region: string;
  ruleArn: string;
  targetId: string;
  targetArn: string;
  event: EventBridgeEvent;
  /** What the target received (the event as JSON, or what its input settings make of it). */
  body: string;
  /** Why the target did not get it (the queue policy refused it …); undefined when delivered. */
  failure?: string | undefined;
}

/** Hands a target its input: answers why it failed, or undefined when delivered. */
export type Deliver = (target: FakeTarget, body: string, rule: FakeRule, region: string) => string | undefined;

const RULE_STATES = ['ENABLED', 'DISABLED', 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS'];
const NAME = /^[.\-_A-Za-z0-9]{1,64}$/;
const BUS_NAME = /^[/.\-_A-Za-z0-9]{1,256}$/;
const MAX_TARGETS = 5;

const clone = <T>(v: T): T => structuredClone(v);
const validation = (message: string) => awsError('eventbridge', 'ValidationException', message);

// ── event patterns ────────────────────────────────────────────────────────────────────────

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const OPERATORS = [
  'prefix',
  'suffix',
  'equals-ignore-case',
  'anything-but',
  'numeric',
  'exists',
  'wildcard',
  'cidr',
] as const;

/** Why a pattern is not valid (EventBridge's InvalidEventPatternException), or undefined when it is. */
export function patternProblem(pattern: unknown, path = ''): string | undefined {
  if (!isObject(pattern)) return path === '' ? 'Filter is not an object' : `Match value must be an object at ${path}`;
  for (const [key, value] of Object.entries(pattern)) {
    const at = path === '' ? key : `${path}.${key}`;
    if (key === '$or') {
      if (!Array.isArray(value) || value.length < 2) return `$or must be an array of at least 2 patterns at ${at}`;
      for (const p of value) {
        const problem = patternProblem(p, at);
        if (problem) return problem;
      }
    } else if (isObject(value)) {
      const problem = patternProblem(value, at);
      if (problem) return problem;
    } else if (Array.isArray(value)) {
      if (value.length === 0) return `Empty arrays are not allowed at ${at}`;
      for (const matcher of value) {
        if (isObject(matcher)) {
          const [op, ...more] = Object.keys(matcher);
          if (more.length > 0 || !(OPERATORS as readonly string[]).includes(op ?? ''))
            return `Unrecognized match type ${op ?? ''} at ${at}`;
        } else if (matcher !== null && !['string', 'number', 'boolean'].includes(typeof matcher)) {
          return `Match value must be String, number, true, false, or null at ${at}`;
        }
      }
    } else {
      return `Match value must be an array at ${at}`;
    }
  }
  return undefined;
}

const globMatch = (pattern: string, value: string) =>
  new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\?]/g, '\\$&').replace(/\*/g, '.*')}$`).test(value);

function ipv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

function numericMatches(conditions: unknown[], value: number): boolean {
  for (let i = 0; i + 1 < conditions.length; i += 2) {
    const op = conditions[i];
    const bound = Number(conditions[i + 1]);
    const ok =
      op === '='
        ? value === bound
        : op === '<'
          ? value < bound
          : op === '<='
            ? value <= bound
            : op === '>'
              ? value > bound
              : op === '>='
                ? value >= bound
                : false;
    if (!ok) return false;
  }
  return true;
}

/** Whether one matcher of a pattern's array matches one leaf value of the event (undefined: the field is absent). */
function leafMatches(matcher: unknown, value: unknown): boolean {
  if (!isObject(matcher)) return value !== undefined && matcher === value;
  const [op, arg] = Object.entries(matcher)[0] ?? [];
  if (op === 'exists') return arg === (value !== undefined);
  if (value === undefined) return false;
  const text = typeof value === 'string' ? value : undefined;
  switch (op) {
    case 'prefix':
      if (text === undefined) return false;
      return isObject(arg)
        ? text.toLowerCase().startsWith(String(arg['equals-ignore-case']).toLowerCase())
        : text.startsWith(String(arg));
    case 'suffix':
      if (text === undefined) return false;
      return isObject(arg)
        ? text.toLowerCase().endsWith(String(arg['equals-ignore-case']).toLowerCase())
        : text.endsWith(String(arg));
    case 'equals-ignore-case':
      return text !== undefined && text.toLowerCase() === String(arg).toLowerCase();
    case 'wildcard':
      return text !== undefined && globMatch(String(arg), text);
    case 'numeric':
      return typeof value === 'number' && Array.isArray(arg) && numericMatches(arg, value);
    case 'cidr': {
      const [network, bits] = String(arg).split('/');
      const address = text === undefined ? undefined : ipv4(text);
      const base = ipv4(network ?? '');
      if (address === undefined || base === undefined) return false;
      const mask = Number(bits) === 0 ? 0 : (~0 << (32 - Number(bits))) >>> 0;
      return (address & mask) >>> 0 === (base & mask) >>> 0;
    }
    case 'anything-but': {
      if (isObject(arg)) return !leafMatches(arg, value);
      const excluded = Array.isArray(arg) ? arg : [arg];
      return !excluded.includes(value);
    }
    default:
      return false;
  }
}

/**
 * Whether an event matches a pattern, as EventBridge matches: every field the pattern names must
 * match; a field's array of matchers matches when one of them matches (an exact value, or
 * prefix / suffix / equals-ignore-case / anything-but / numeric / exists / wildcard / cidr);
 * an array in the event matches when one of its elements does; nested objects match field by
 * field (`detail.mail.tags`); `$or` matches when one of its patterns does.
 */
export function patternMatches(pattern: Json, event: unknown): boolean {
  for (const [key, expected] of Object.entries(pattern)) {
    if (key === '$or') {
      if (!(expected as Json[]).some((p) => patternMatches(p, event))) return false;
      continue;
    }
    const value = isObject(event) ? event[key] : undefined;
    if (isObject(expected)) {
      const candidates = Array.isArray(value) ? value : [value];
      if (!candidates.some((v) => isObject(v) && patternMatches(expected, v))) return false;
    } else {
      const matchers = expected as unknown[];
      const leaves = Array.isArray(value) ? value : [value];
      if (isObject(value)) return false;
      if (!matchers.some((m) => leaves.some((leaf) => leafMatches(m, leaf)))) {
        // An empty array in the event matches only exists:false… which leaves already covered.
        return false;
      }
    }
  }
  return true;
}

// ── JSONPath, as far as InputPath and InputPathsMap use it ────────────────────────────────

function jsonPath(event: unknown, path: string): unknown {
  if (path === '$') return event;
  if (!path.startsWith('$.')) return undefined;
  return path
    .slice(2)
    .split('.')
    .reduce<unknown>((v, key) => (isObject(v) ? v[key] : undefined), event);
}

function targetInput(target: FakeTarget, event: EventBridgeEvent): string {
  if (typeof target['Input'] === 'string') return target['Input'];
  if (typeof target['InputPath'] === 'string') return JSON.stringify(jsonPath(event, target['InputPath']) ?? null);
  const transformer = target['InputTransformer'] as
    { InputPathsMap?: Record<string, string>; InputTemplate?: string } | undefined;
  if (transformer?.InputTemplate !== undefined) {
    const values = Object.fromEntries(
      Object.entries(transformer.InputPathsMap ?? {}).map(([name, path]) => [name, jsonPath(event, path)]),
    );
    return transformer.InputTemplate.replace(/<([A-Za-z0-9_.-]+)>/g, (all, name: string) => {
      if (name === 'aws.events.event.json') return JSON.stringify(event);
      if (!(name in values)) return all;
      const v = values[name];
      return typeof v === 'string' ? v : JSON.stringify(v ?? null);
    });
  }
  return JSON.stringify(event);
}

// ── the service ───────────────────────────────────────────────────────────────────────────

export class FakeEventBridge {
  private readonly regions = new Map<string, Map<string, FakeBus>>();
  readonly deliveries: Delivery[] = [];
  /** How a target is reached; FakeAccount sends SQS targets to its FakeSqs. Unset: nothing is delivered. */
  deliver: Deliver | undefined;
  private counter = 0;

  constructor(
    private readonly accountId: () => string,
    private readonly now: () => number = () => Date.now(),
  ) {}

  busArn(region: string, name: string): string {
    return `arn:aws:events:${region}:${this.accountId()}:event-bus/${name}`;
  }

  ruleArn(region: string, busName: string, name: string): string {
    const base = `arn:aws:events:${region}:${this.accountId()}:rule/`;
    return busName === 'default' ? `${base}${name}` : `${base}${busName}/${name}`;
  }

  /** The buses of a region, the default one included. */
  private busesOf(region: string): Map<string, FakeBus> {
    let buses = this.regions.get(region);
    if (!buses) {
      buses = new Map([
        [
          'default',
          {
            name: 'default',
            region,
            arn: this.busArn(region, 'default'),
            tags: [],
            createdAt: new Date(0),
            rules: new Map(),
          },
        ],
      ]);
      this.regions.set(region, buses);
    }
    return buses;
  }

  /** A bus by name or ARN (absent: the default bus). */
  bus(region: string, nameOrArn: unknown = 'default'): FakeBus | undefined {
    const text = nameOrArn === undefined || nameOrArn === '' ? 'default' : String(nameOrArn);
    const arn = /^arn:aws[a-z-]*:events:([^:]+):(\d{12}):event-bus\/(.+)$/.exec(text);
    if (arn) return arn[2] === this.accountId() ? this.busesOf(arn[1] ?? region).get(arn[3] ?? '') : undefined;
    return this.busesOf(region).get(text);
  }

  rule(region: string, name: string, busName = 'default'): FakeRule | undefined {
    return this.bus(region, busName)?.rules.get(name);
  }

  private mustBus(region: string, nameOrArn: unknown): FakeBus {
    const bus = this.bus(region, nameOrArn);
    if (!bus)
      throw awsError(
        'eventbridge',
        'ResourceNotFoundException',
        `Event bus ${String(nameOrArn ?? 'default')} does not exist.`,
      );
    return bus;
  }

  private mustRule(region: string, input: Json, key = 'Rule'): FakeRule {
    const bus = this.mustBus(region, input['EventBusName']);
    const name = String(input[key] ?? '');
    const rule = bus.rules.get(name);
    if (!rule)
      throw awsError(
        'eventbridge',
        'ResourceNotFoundException',
        `Rule ${name} does not exist on EventBus ${bus.name}.`,
      );
    return rule;
  }

  private taggable(region: string, arn: unknown): { tags: Tag[] } {
    const text = String(arn ?? '');
    const bus = text.includes(':event-bus/') ? this.bus(region, text) : undefined;
    if (bus) return bus;
    const match = /^arn:aws[a-z-]*:events:([^:]+):(\d{12}):rule\/(?:(.+)\/)?([^/]+)$/.exec(text);
    const rule =
      match && match[2] === this.accountId()
        ? this.busesOf(match[1] ?? region)
            .get(match[3] ?? 'default')
            ?.rules.get(match[4] ?? '')
        : undefined;
    if (!rule) throw awsError('eventbridge', 'ResourceNotFoundException', `Resource ${text} does not exist.`);
    return rule;
  }

  snapshot(): unknown {
    const buses = [...this.regions.values()]
      .flatMap((r) => [...r.values()])
      // The default bus is there in every region: it counts only once something is on it.
      .filter((b) => b.name !== 'default' || b.rules.size > 0 || b.tags.length > 0)
      .sort((a, b) => `${a.region}/${a.name}`.localeCompare(`${b.region}/${b.name}`));
    return clone(
      buses.map((b) => ({
        region: b.region,
        name: b.name,
        description: b.description,
        tags: b.tags,
        rules: [...b.rules.values()].sort((x, y) => x.name.localeCompare(y.name)).map(({ arn: _arn, ...rule }) => rule),
      })),
    );
  }

  private nextId(): string {
    this.counter += 1;
    return `e7e00000-0000-4000-8000-${this.counter.toString(16).padStart(12, '0')}`;
  }

  private eventTime(date?: Date): string {
    return new Date(date ?? this.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  /**
   * An event onto a bus (PutEvents, or an AWS service's own event such as SES's): each enabled
   * rule whose pattern matches hands it to its targets. An unknown bus loses the event.
   */
  emit(region: string, event: EventBridgeEvent, busName: string = 'default'): void {
    const bus = this.bus(region, busName);
    if (!bus) return;
    for (const rule of bus.rules.values()) {
      if (rule.state === 'DISABLED' || rule.eventPattern === undefined) continue;
      if (!patternMatches(JSON.parse(rule.eventPattern) as Json, event)) continue;
      for (const target of rule.targets) {
        const body = targetInput(target, event);
        const failure = this.deliver ? this.deliver(target, body, rule, region) : 'no delivery is set up';
        this.deliveries.push({
          region,
          ruleArn: rule.arn,
          targetId: target.Id,
          targetArn: target.Arn,
          event: clone(event),
          body,
          failure,
        });
      }
    }
  }

  /** An event as AWS makes it of a PutEvents entry (or of what a service sends). */
  event(
    region: string,
    entry: { source: string; detailType: string; detail: unknown; resources?: string[]; time?: Date },
  ): EventBridgeEvent {
    return {
      version: '0',
      id: this.nextId(),
      'detail-type': entry.detailType,
      source: entry.source,
      account: this.accountId(),
      time: this.eventTime(entry.time),
      region,
      resources: entry.resources ?? [],
      detail: entry.detail,
    };
  }

  handlers(): Record<string, Handler> {
    return {
      'eventbridge:CreateEventBus': (input, region) => {
        const name = String(input['Name'] ?? '');
        if (!BUS_NAME.test(name) || name.includes('/'))
          throw validation(
            `1 validation error detected: Value '${name}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [/\\.\\-_A-Za-z0-9]+`,
          );
        if (name.startsWith('aws.') && input['EventSourceName'] === undefined)
          throw validation('Event bus name must not start with aws. unless it is a partner event bus.');
        const buses = this.busesOf(region);
        if (buses.has(name))
          throw awsError('eventbridge', 'ResourceAlreadyExistsException', `Event bus ${name} already exists.`);
        const bus: FakeBus = {
          name,
          region,
          arn: this.busArn(region, name),
          description: input['Description'] as string | undefined,
          kmsKeyIdentifier: input['KmsKeyIdentifier'] as string | undefined,
          tags: clone((input['Tags'] as Tag[] | undefined) ?? []),
          createdAt: new Date(this.now()),
          rules: new Map(),
        };
        buses.set(name, bus);
        return { EventBusArn: bus.arn, ...(bus.description !== undefined ? { Description: bus.description } : {}) };
      },
      'eventbridge:DescribeEventBus': (input, region) => {
        const bus = this.mustBus(region, input['Name']);
        return {
          Name: bus.name,
          Arn: bus.arn,
          Description: bus.description,
          KmsKeyIdentifier: bus.kmsKeyIdentifier,
          CreationTime: bus.createdAt,
          LastModifiedTime: bus.createdAt,
        };
      },
      'eventbridge:ListEventBuses': (input, region) => ({
        EventBuses: [...this.busesOf(region).values()]
          .filter((b) => b.name.startsWith(String(input['NamePrefix'] ?? '')))
          .map((b) => ({ Name: b.name, Arn: b.arn, Description: b.description })),
      }),
      'eventbridge:DeleteEventBus': (input, region) => {
        const name = String(input['Name'] ?? '');
        if (name === 'default') throw validation('Cannot delete event bus default.');
        const buses = this.busesOf(region);
        const bus = buses.get(name);
        if (!bus) return {};
        if (bus.rules.size > 0) throw validation("EventBus can't be deleted since it has rules.");
        buses.delete(name);
        return {};
      },
      'eventbridge:PutRule': (input, region) => {
        const bus = this.mustBus(region, input['EventBusName']);
        const name = String(input['Name'] ?? '');
        if (!NAME.test(name))
          throw validation(
            `1 validation error detected: Value '${name}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+`,
          );
        const pattern = input['EventPattern'] as string | undefined;
        const schedule = input['ScheduleExpression'] as string | undefined;
        if (pattern === undefined && schedule === undefined)
          throw validation('Parameter(s) EventPattern or ScheduleExpression must be specified.');
        if (schedule !== undefined && bus.name !== 'default')
          throw validation('ScheduleExpression is supported only on the default event bus.');
        if (pattern !== undefined) {
          let parsed: unknown;
          try {
            parsed = JSON.parse(pattern);
          } catch {
            throw awsError(
              'eventbridge',
              'InvalidEventPatternException',
              'Event pattern is not valid. Reason: Filter is not valid JSON',
            );
          }
          const problem = patternProblem(parsed);
          if (problem)
            throw awsError(
              'eventbridge',
              'InvalidEventPatternException',
              `Event pattern is not valid. Reason: ${problem}`,
            );
        }
        const state = String(input['State'] ?? 'ENABLED');
        if (!RULE_STATES.includes(state))
          throw validation(
            `1 validation error detected: Value '${state}' at 'state' failed to satisfy constraint: Member must satisfy enum value set: [${RULE_STATES.join(', ')}]`,
          );
        const existing = bus.rules.get(name);
        // Replaced with what this call says (left-out arguments cleared); tags only on create.
        const rule: FakeRule = {
          name,
          arn: this.ruleArn(bus.region, bus.name, name),
          busName: bus.name,
          eventPattern: pattern,
          scheduleExpression: schedule,
          state,
          description: input['Description'] as string | undefined,
          roleArn: input['RoleArn'] as string | undefined,
          tags: existing ? existing.tags : clone((input['Tags'] as Tag[] | undefined) ?? []),
          targets: existing ? existing.targets : [],
        };
        bus.rules.set(name, rule);
        return { RuleArn: rule.arn };
      },
      'eventbridge:DescribeRule': (input, region) => {
        const rule = this.mustRule(region, input, 'Name');
        return {
          Name: rule.name,
          Arn: rule.arn,
          EventPattern: rule.eventPattern,
          ScheduleExpression: rule.scheduleExpression,
          State: rule.state,
          Description: rule.description,
          RoleArn: rule.roleArn,
          EventBusName: rule.busName,
          CreatedBy: this.accountId(),
        };
      },
      'eventbridge:ListRules': (input, region) => {
        const bus = this.mustBus(region, input['EventBusName']);
        return {
          Rules: [...bus.rules.values()]
            .filter((r) => r.name.startsWith(String(input['NamePrefix'] ?? '')))
            .sort((a, b) => a.name.localeCompare(b.name))
            .map((r) => ({
              Name: r.name,
              Arn: r.arn,
              EventPattern: r.eventPattern,
              ScheduleExpression: r.scheduleExpression,
              State: r.state,
              Description: r.description,
              EventBusName: r.busName,
            })),
        };
      },
      'eventbridge:EnableRule': (input, region) => {
        this.mustRule(region, input, 'Name').state = 'ENABLED';
        return {};
      },
      'eventbridge:DisableRule': (input, region) => {
        this.mustRule(region, input, 'Name').state = 'DISABLED';
        return {};
      },
      'eventbridge:DeleteRule': (input, region) => {
        const bus = this.mustBus(region, input['EventBusName']);
        const rule = bus.rules.get(String(input['Name'] ?? ''));
        if (!rule) return {};
        if (rule.targets.length > 0) throw validation("Rule can't be deleted since it has targets.");
        bus.rules.delete(rule.name);
        return {};
      },
      'eventbridge:PutTargets': (input, region) => {
        const rule = this.mustRule(region, input);
        const targets = (input['Targets'] as FakeTarget[] | undefined) ?? [];
        for (const t of targets) {
          if (typeof t.Id !== 'string' || !NAME.test(t.Id))
            throw validation(
              `1 validation error detected: Value '${String(t.Id)}' at 'targets.1.member.id' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+`,
            );
          if (typeof t.Arn !== 'string' || t.Arn === '')
            throw validation(
              "1 validation error detected: Value null at 'targets.1.member.arn' failed to satisfy constraint: Member must not be null",
            );
        }
        const ids = new Set([...rule.targets.map((t) => t.Id), ...targets.map((t) => t.Id)]);
        if (ids.size > MAX_TARGETS)
          throw awsError(
            'eventbridge',
            'LimitExceededException',
            `The requested resource exceeds the maximum number allowed. A rule can have at most ${MAX_TARGETS} targets.`,
          );
        for (const t of targets) {
          const i = rule.targets.findIndex((x) => x.Id === t.Id);
          if (i >= 0) rule.targets[i] = clone(t);
          else rule.targets.push(clone(t));
        }
        return { FailedEntryCount: 0, FailedEntries: [] };
      },
      'eventbridge:ListTargetsByRule': (input, region) => ({ Targets: clone(this.mustRule(region, input).targets) }),
      'eventbridge:RemoveTargets': (input, region) => {
        const rule = this.mustRule(region, input);
        const ids = new Set((input['Ids'] as string[] | undefined) ?? []);
        rule.targets = rule.targets.filter((t) => !ids.has(t.Id));
        return { FailedEntryCount: 0, FailedEntries: [] };
      },
      'eventbridge:ListTagsForResource': (input, region) => ({
        Tags: clone(this.taggable(region, input['ResourceARN']).tags),
      }),
      'eventbridge:TagResource': (input, region) => {
        const target = this.taggable(region, input['ResourceARN']);
        for (const tag of (input['Tags'] as Tag[] | undefined) ?? [])
          target.tags = [...target.tags.filter((t) => t.Key !== tag.Key), tag];
        return {};
      },
      'eventbridge:UntagResource': (input, region) => {
        const target = this.taggable(region, input['ResourceARN']);
        const keys = new Set((input['TagKeys'] as string[] | undefined) ?? []);
        target.tags = target.tags.filter((t) => !keys.has(t.Key));
        return {};
      },
      'eventbridge:PutEvents': (input, region) => {
        const entries = (input['Entries'] as Json[] | undefined) ?? [];
        if (entries.length < 1 || entries.length > 10)
          throw validation(
            `1 validation error detected: Value '[...]' at 'entries' failed to satisfy constraint: Member must have length ${entries.length < 1 ? 'greater than or equal to 1' : 'less than or equal to 10'}`,
          );
        const results = entries.map((entry) => {
          const invalid = (field: string) => ({
            ErrorCode: 'InvalidArgument',
            ErrorMessage: `Parameter ${field} is not valid. Reason: ${field} is a required argument.`,
          });
          const source = entry['Source'];
          if (typeof source !== 'string' || source === '') return invalid('Source');
          const detailType = entry['DetailType'];
          if (typeof detailType !== 'string' || detailType === '') return invalid('DetailType');
          if (typeof entry['Detail'] !== 'string' || entry['Detail'] === '') return invalid('Detail');
          let detail: unknown;
          try {
            detail = JSON.parse(entry['Detail']);
          } catch {
            detail = undefined;
          }
          if (!isObject(detail)) return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
          if (source.startsWith('aws.'))
            return { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source.' };
          const event = this.event(region, {
            source,
            detailType,
            detail,
            resources: (entry['Resources'] as string[] | undefined) ?? [],
            time: entry['Time'] as Date | undefined,
          });
          const bus = this.bus(region, entry['EventBusName']);
          if (bus) this.emit(bus.region, { ...event, region: bus.region }, bus.name);
          return { EventId: event.id };
        });
        return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
      },
    };
  }
}
