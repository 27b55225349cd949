/**
 * EventBridge (awsJson1_1, signing name `events`) as its API reference and user guide document
 * it, in front of moto's (see README.md here). moto's own rules deliver every event (PutEvents
 * of a client, and the SES events the harness forwards); the harness keeps from them what AWS
 * would not deliver:
 *
 * - an SQS target receives a rule's events only if the queue's policy allows the service
 *   principal `events.amazonaws.com` `sqs:SendMessage` on the queue, with the rule's ARN as
 *   `aws:SourceArn` (SQS targets are authorised by the queue's resource-based policy; no
 *   policy, no delivery). moto delivers to any queue, whatever its policy;
 * - a target whose queue does not exist receives nothing, and PutEvents still succeeds (the
 *   delivery fails, not the call); moto fails the whole PutEvents with QueueDoesNotExist;
 * - a DISABLED rule delivers nothing; moto delivers through disabled rules too.
 *
 * For each PutEvents the harness reads the rules of the event buses named and their targets;
 * the targets AWS would not deliver to are taken off their rules while moto handles the
 * PutEvents and put back right after, and listed in `withheld`. Every EventBridge request goes
 * through one lock, so no other request sees a rule without them.
 *
 * Also: DeleteRule on an event bus that does not exist is `ResourceNotFoundException` (AWS
 * documents it; moto answers success).
 */
import { randomUUID } from 'node:crypto';
import { KeyedLock } from './lock.js';
import { evaluateResourcePolicy } from './resource-policy.js';
import type { Exchange, ServiceLayer, Upstream } from './upstream.js';
import { bodyText } from './upstream.js';
import type { WireResponse } from './wire.js';

/** A target the harness kept from one PutEvents, and why. */
export interface WithheldTarget {
  /** Epoch milliseconds. */
  at: number;
  /** The rule's ARN. */
  rule: string;
  /** The target's Id and ARN. */
  targetId: string;
  target: string;
  reason: string;
}

type Target = Record<string, unknown> & { Id: string; Arn: string };
type Rule = { Name: string; Arn: string; State?: string; EventBusName?: string };

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(text === '' ? '{}' : text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The name of an event bus given by name or ARN (`arn:aws:events:REGION:ACCOUNT:event-bus/NAME`); `default` when absent. */
const busName = (value: unknown): string =>
  typeof value === 'string' && value !== '' ? value.replace(/^arn:[^:]+:events:[^:]*:\d*:event-bus\//, '') : 'default';

/** An SES event as EventBridge carries it (the fields the harness reads). */
export interface EventBridgeEvent {
  source?: unknown;
  'detail-type'?: unknown;
  detail?: unknown;
  resources?: unknown;
  time?: unknown;
}

export class EventsLayer implements ServiceLayer {
  /** Targets kept from a PutEvents (whether or not the event matched the rule's pattern: the harness does not match). */
  readonly withheld: WithheldTarget[] = [];
  private readonly lock = new KeyedLock();

  reset(): void {
    this.withheld.length = 0;
  }

  handle(x: Exchange, moto: Upstream): Promise<WireResponse> {
    return this.lock.run('events', async () => {
      if (!x.req.headers['x-amz-target']) return moto.forward(x.req);
      if (x.operation === 'PutEvents') return this.putEvents(x, moto, () => moto.forward(x.req));
      if (x.operation === 'DeleteRule') return this.deleteRule(x, moto);
      return moto.forward(x.req);
    });
  }

  /**
   * Puts an event an AWS service emitted (an SES event) on the region's default event bus, as a
   * PutEvents to moto (a raw awsJson1_1 request), so moto's rules deliver it, with the same
   * checks as a client's PutEvents.
   */
  forward(
    moto: Upstream,
    region: string,
    event: EventBridgeEvent,
    accessKeyId = 'AKIAHARNESS000000000',
  ): Promise<void> {
    const time = typeof event.time === 'string' ? Date.parse(event.time) : NaN;
    const entry = {
      Source: String(event.source ?? ''),
      DetailType: String(event['detail-type'] ?? ''),
      Detail: JSON.stringify(event.detail ?? {}),
      Resources: Array.isArray(event.resources) ? event.resources.map(String) : [],
      EventBusName: 'default',
      ...(Number.isNaN(time) ? {} : { Time: time / 1000 }),
    };
    const body = JSON.stringify({ Entries: [entry] });
    const x: Exchange = {
      req: { method: 'POST', url: '/', headers: {}, body: Buffer.from(body, 'utf8'), region, accessKeyId },
      url: new URL('/', 'http://harness.invalid'),
      service: 'events',
      operation: 'PutEvents',
      secure: true,
    };
    return this.lock.run('events', async () => {
      const answer = await this.putEvents(x, moto, () =>
        moto.call(x, 'events', 'POST', '/', {
          body,
          headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEvents.PutEvents' },
        }),
      );
      const failed = parseJson(bodyText(answer))?.['FailedEntryCount'];
      if (answer.status !== 200 || (typeof failed === 'number' && failed > 0))
        throw new Error(`PutEvents of an SES event answered ${answer.status}: ${bodyText(answer)}`);
    });
  }

  /** A call of the harness's own to moto's EventBridge (or another service) in the request's region and account. */
  private async rpc(
    x: Exchange,
    moto: Upstream,
    service: 'events' | 'sqs',
    operation: string,
    input: Record<string, unknown>,
    region = x.req.region,
  ): Promise<{ status: number; output: Record<string, unknown> }> {
    const scoped: Exchange = region === x.req.region ? x : { ...x, req: { ...x.req, region } };
    const res = await moto.call(scoped, service, 'POST', '/', {
      body: JSON.stringify(input),
      headers:
        service === 'events'
          ? { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `AWSEvents.${operation}` }
          : { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `AmazonSQS.${operation}` },
    });
    return { status: res.status, output: parseJson(bodyText(res)) ?? {} };
  }

  private async rules(x: Exchange, moto: Upstream, bus: string): Promise<Rule[]> {
    const rules: Rule[] = [];
    let token: string | undefined;
    do {
      const { status, output } = await this.rpc(x, moto, 'events', 'ListRules', {
        EventBusName: bus,
        ...(token ? { NextToken: token } : {}),
      });
      if (status !== 200) return rules;
      rules.push(...((output['Rules'] as Rule[] | undefined) ?? []));
      token = typeof output['NextToken'] === 'string' ? output['NextToken'] : undefined;
    } while (token);
    return rules;
  }

  private async targets(x: Exchange, moto: Upstream, rule: Rule, bus: string): Promise<Target[]> {
    const targets: Target[] = [];
    let token: string | undefined;
    do {
      const { status, output } = await this.rpc(x, moto, 'events', 'ListTargetsByRule', {
        Rule: rule.Name,
        EventBusName: bus,
        ...(token ? { NextToken: token } : {}),
      });
      if (status !== 200) return targets;
      targets.push(...((output['Targets'] as Target[] | undefined) ?? []));
      token = typeof output['NextToken'] === 'string' ? output['NextToken'] : undefined;
    } while (token);
    return targets;
  }

  /** Why AWS would not deliver the rule's events to the target, or undefined when it would. */
  private async refusal(x: Exchange, moto: Upstream, rule: Rule, target: Target): Promise<string | undefined> {
    if (rule.State === 'DISABLED') return 'the rule is disabled';
    const arn = /^arn:([^:]+):sqs:([^:]+):(\d+):(.+)$/.exec(target.Arn);
    if (!arn) return undefined;
    const [, partition = 'aws', region = x.req.region, account = '', name = ''] = arn;
    const { status, output } = await this.rpc(
      x,
      moto,
      'sqs',
      'GetQueueAttributes',
      { QueueUrl: `https://sqs.${region}.amazonaws.com/${account}/${name}`, AttributeNames: ['Policy'] },
      region,
    );
    if (status !== 200) return 'the queue does not exist';
    const policy = (output['Attributes'] as Record<string, string> | undefined)?.['Policy'];
    const ruleAccount = rule.Arn.split(':')[4] ?? '';
    const decision = evaluateResourcePolicy(policy, {
      service: 'events.amazonaws.com',
      action: 'sqs:SendMessage',
      resource: `arn:${partition}:sqs:${region}:${account}:${name}`,
      context: { 'aws:sourcearn': rule.Arn, 'aws:sourceaccount': ruleAccount, 'aws:securetransport': 'true' },
    });
    return decision.allowed ? undefined : `the queue policy does not allow it: ${decision.reason}`;
  }

  private async putEvents(x: Exchange, moto: Upstream, send: () => Promise<WireResponse>): Promise<WireResponse> {
    const input = parseJson(x.req.body.toString('utf8')) ?? {};
    const entries = Array.isArray(input['Entries']) ? (input['Entries'] as Array<Record<string, unknown>>) : [];
    const buses = [...new Set(entries.map((e) => busName(e['EventBusName'])))];
    const kept: Array<{ rule: Rule; bus: string; targets: Array<{ target: Target; reason: string }> }> = [];
    for (const bus of buses) {
      for (const rule of await this.rules(x, moto, bus)) {
        const refused: Array<{ target: Target; reason: string }> = [];
        for (const target of await this.targets(x, moto, rule, bus)) {
          const reason = await this.refusal(x, moto, rule, target);
          if (reason) refused.push({ target, reason });
        }
        if (refused.length > 0) kept.push({ rule, bus, targets: refused });
      }
    }
    if (kept.length === 0) return send();
    for (const { rule, bus, targets } of kept) {
      await this.rpc(x, moto, 'events', 'RemoveTargets', {
        Rule: rule.Name,
        EventBusName: bus,
        Ids: targets.map((t) => t.target.Id),
      });
    }
    try {
      return await send();
    } finally {
      for (const { rule, bus, targets } of kept) {
        await this.rpc(x, moto, 'events', 'PutTargets', {
          Rule: rule.Name,
          EventBusName: bus,
          Targets: targets.map((t) => t.target),
        });
        const at = Date.now();
        for (const { target, reason } of targets)
          this.withheld.push({ at, rule: rule.Arn, targetId: target.Id, target: target.Arn, reason });
      }
    }
  }

  private async deleteRule(x: Exchange, moto: Upstream): Promise<WireResponse> {
    const input = parseJson(x.req.body.toString('utf8')) ?? {};
    const bus = busName(input['EventBusName']);
    if (bus !== 'default') {
      const res = await moto.call(x, 'events', 'POST', '/', {
        body: JSON.stringify({ Name: bus }),
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEvents.DescribeEventBus' },
      });
      // moto's answer for the bus is AWS's for the rule: ResourceNotFoundException "Event bus … does not exist."
      if (res.status === 400 && bodyText(res).includes('ResourceNotFoundException'))
        return { ...res, headers: { ...res.headers, 'x-amzn-requestid': randomUUID() } };
    }
    return moto.forward(x.req);
  }
}
