/**
 * SNS (query protocol) as its API reference documents it, in front of moto's (see README.md
 * here):
 *
 * - subscriptions that need confirmation (protocols `email`, `email-json`, `http`, `https`)
 *   stay pending until a test confirms them (`confirm(arn)`, the recipient following the link):
 *   Subscribe answers `pending confirmation` unless `ReturnSubscriptionArn` is true;
 *   ListSubscriptionsByTopic and ListSubscriptions list them as `PendingConfirmation`;
 *   GetSubscriptionAttributes says `PendingConfirmation` true; GetTopicAttributes counts them
 *   in `SubscriptionsPending` (and the others in `SubscriptionsConfirmed`); Unsubscribe of one
 *   (or of the string `PendingConfirmation`) is `InvalidParameter`. moto confirms every
 *   subscription at once, returns its ARN everywhere and counts nothing;
 * - CreateTopic of an existing topic with tags it does not have is `InvalidParameter` ("Topic
 *   already exists with different tags"); moto ignores the tags and answers the ARN.
 */
import { xmlServiceError } from './errors.js';
import type { Exchange, ServiceLayer, Upstream } from './upstream.js';
import { bodyText, withBody } from './upstream.js';
import type { WireResponse } from './wire.js';
import { type XmlElement, children, find, parseXml, serializeXml, setText, textAt } from './xml.js';

const CONFIRMED_BY_LINK = new Set(['email', 'email-json', 'http', 'https']);
const form = (params: Record<string, string>) => new URLSearchParams({ ...params, Version: '2010-03-31' }).toString();

/** The members of a query-protocol list (`Tags.member.1.Key`, …) as objects. */
function members(params: URLSearchParams, list: string): Array<Record<string, string>> {
  const out = new Map<number, Record<string, string>>();
  for (const [name, value] of params) {
    const match = new RegExp(`^${list}\\.member\\.(\\d+)\\.(\\w+)$`).exec(name);
    if (!match) continue;
    const index = Number(match[1]);
    out.set(index, { ...out.get(index), [match[2] ?? '']: value });
  }
  return [...out.entries()].sort(([a], [b]) => a - b).map(([, member]) => member);
}

const invalidParameter = (message: string) => xmlServiceError('sns', 400, 'InvalidParameter', message);

export class SnsLayer implements ServiceLayer {
  /** Pending subscriptions: ARN → topic ARN. */
  private readonly pending = new Map<string, string>();
  /** Subscriptions confirmed through `confirm` (of the protocols that need it). */
  private readonly confirmed = new Set<string>();

  reset(): void {
    this.pending.clear();
    this.confirmed.clear();
  }

  /** The endpoint's owner confirmed the subscription (followed the link SNS sent). */
  confirm(subscriptionArn: string): void {
    if (!this.pending.delete(subscriptionArn)) throw new Error(`no pending subscription ${subscriptionArn}`);
    this.confirmed.add(subscriptionArn);
  }

  /** The pending subscriptions' ARNs. */
  get pendingSubscriptions(): string[] {
    return [...this.pending.keys()];
  }

  async handle(x: Exchange, moto: Upstream): Promise<WireResponse> {
    const params = new URLSearchParams(x.req.body.toString('utf8'));
    switch (x.operation) {
      case 'CreateTopic':
        return (await this.tagsDiffer(x, moto, params)) ?? moto.forward(x.req);
      case 'Subscribe':
        return this.subscribe(x, moto, params);
      case 'ListSubscriptionsByTopic':
      case 'ListSubscriptions':
        return this.listed(await moto.forward(x.req));
      case 'GetSubscriptionAttributes':
        return this.subscriptionAttributes(await moto.forward(x.req), params.get('SubscriptionArn') ?? '');
      case 'GetTopicAttributes':
        return this.topicAttributes(x, moto, params.get('TopicArn') ?? '');
      case 'Unsubscribe':
        return this.unsubscribe(x, moto, params.get('SubscriptionArn') ?? '');
      case 'DeleteTopic': {
        // Deleting a topic deletes its subscriptions.
        const answer = await moto.forward(x.req);
        const topic = params.get('TopicArn') ?? '';
        if (answer.status === 200) {
          for (const [arn, of] of this.pending) if (of === topic) this.pending.delete(arn);
          for (const arn of this.confirmed) if (arn.startsWith(`${topic}:`)) this.confirmed.delete(arn);
        }
        return answer;
      }
      default:
        return moto.forward(x.req);
    }
  }

  private async call(x: Exchange, moto: Upstream, params: Record<string, string>): Promise<XmlElement | undefined> {
    const res = await moto.call(x, 'sns', 'POST', '/', {
      body: form(params),
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    });
    if (res.status !== 200) return undefined;
    try {
      return parseXml(bodyText(res));
    } catch {
      return undefined;
    }
  }

  /** InvalidParameter when the topic exists and lacks one of the tags asked for. */
  private async tagsDiffer(x: Exchange, moto: Upstream, params: URLSearchParams): Promise<WireResponse | undefined> {
    const tags = members(params, 'Tags');
    if (tags.length === 0) return undefined;
    const name = params.get('Name') ?? '';
    let topicArn: string | undefined;
    let token: string | undefined;
    do {
      const page = await this.call(x, moto, { Action: 'ListTopics', ...(token ? { NextToken: token } : {}) });
      const result = find(page, 'ListTopicsResult');
      topicArn = children(find(result, 'Topics'), 'member')
        .map((m) => textAt(m, 'TopicArn') ?? '')
        .find((arn) => arn.split(':').at(-1) === name);
      token = textAt(result, 'NextToken') || undefined;
    } while (!topicArn && token);
    if (!topicArn) return undefined;
    const listed = await this.call(x, moto, { Action: 'ListTagsForResource', ResourceArn: topicArn });
    const have = children(find(listed, 'ListTagsForResourceResult', 'Tags'), 'member').map(
      (m) => `${textAt(m, 'Key') ?? ''}\u0000${textAt(m, 'Value') ?? ''}`,
    );
    const differ = tags.some((t) => !have.includes(`${t['Key'] ?? ''}\u0000${t['Value'] ?? ''}`));
    return differ
      ? invalidParameter('Invalid parameter: Tags Reason: Topic already exists with different tags')
      : undefined;
  }

  private async subscribe(x: Exchange, moto: Upstream, params: URLSearchParams): Promise<WireResponse> {
    const answer = await moto.forward(x.req);
    const protocol = (params.get('Protocol') ?? '').toLowerCase();
    if (answer.status !== 200 || !CONFIRMED_BY_LINK.has(protocol)) return answer;
    const doc = parseXml(bodyText(answer));
    const result = find(doc, 'SubscribeResult');
    const arn = textAt(result, 'SubscriptionArn');
    if (!result || !arn) return answer;
    // moto answers an existing subscription's ARN for the same topic, protocol and endpoint: one
    // confirmed stays confirmed (AWS answers its ARN); any other is a new, pending one.
    if (!this.confirmed.has(arn)) this.pending.set(arn, params.get('TopicArn') ?? '');
    if (params.get('ReturnSubscriptionArn') === 'true' || this.confirmed.has(arn)) return answer;
    setText(result, 'SubscriptionArn', 'pending confirmation');
    return withBody(answer, serializeXml(doc, true));
  }

  private listed(answer: WireResponse): WireResponse {
    if (answer.status !== 200 || this.pending.size === 0) return answer;
    const doc = parseXml(bodyText(answer));
    const result = doc.children.find((c): c is XmlElement => typeof c === 'object' && c.name.endsWith('Result'));
    let changed = false;
    for (const member of children(find(result, 'Subscriptions'), 'member')) {
      const arn = textAt(member, 'SubscriptionArn') ?? '';
      if (this.pending.has(arn)) {
        setText(member, 'SubscriptionArn', 'PendingConfirmation');
        changed = true;
      }
    }
    return changed ? withBody(answer, serializeXml(doc, true)) : answer;
  }

  private subscriptionAttributes(answer: WireResponse, arn: string): WireResponse {
    if (answer.status !== 200 || !this.pending.has(arn)) return answer;
    const doc = parseXml(bodyText(answer));
    const entries = children(find(doc, 'GetSubscriptionAttributesResult', 'Attributes'), 'entry');
    for (const entry of entries) {
      const key = textAt(entry, 'key');
      if (key === 'PendingConfirmation') setText(entry, 'value', 'true');
      if (key === 'ConfirmationWasAuthenticated') setText(entry, 'value', 'false');
    }
    return withBody(answer, serializeXml(doc, true));
  }

  private async topicAttributes(x: Exchange, moto: Upstream, topicArn: string): Promise<WireResponse> {
    const answer = await moto.forward(x.req);
    if (answer.status !== 200) return answer;
    let pending = 0;
    let confirmed = 0;
    let token: string | undefined;
    do {
      const page = await this.call(x, moto, {
        Action: 'ListSubscriptionsByTopic',
        TopicArn: topicArn,
        ...(token ? { NextToken: token } : {}),
      });
      const result = find(page, 'ListSubscriptionsByTopicResult');
      for (const member of children(find(result, 'Subscriptions'), 'member')) {
        if (this.pending.has(textAt(member, 'SubscriptionArn') ?? '')) pending += 1;
        else confirmed += 1;
      }
      token = textAt(result, 'NextToken') || undefined;
    } while (token);
    const doc = parseXml(bodyText(answer));
    for (const entry of children(find(doc, 'GetTopicAttributesResult', 'Attributes'), 'entry')) {
      const key = textAt(entry, 'key');
      if (key === 'SubscriptionsPending') setText(entry, 'value', String(pending));
      if (key === 'SubscriptionsConfirmed') setText(entry, 'value', String(confirmed));
    }
    return withBody(answer, serializeXml(doc, true));
  }

  private async unsubscribe(x: Exchange, moto: Upstream, arn: string): Promise<WireResponse> {
    if (arn.split(':').length < 6)
      return invalidParameter(
        `Invalid parameter: SubscriptionArn Reason: An ARN must have at least 6 elements, not ${arn.split(':').length}`,
      );
    if (this.pending.has(arn))
      return invalidParameter('Invalid parameter: SubscriptionArn Reason: A pending subscription cannot be deleted');
    const answer = await moto.forward(x.req);
    if (answer.status === 200) this.confirmed.delete(arn);
    return answer;
  }
}
