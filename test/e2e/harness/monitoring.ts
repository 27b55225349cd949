/**
 * CloudWatch alarms (awsJson1_0, signing name `monitoring`) as the API reference documents
 * them, in front of moto's (see README.md here):
 *
 * - a new alarm is `INSUFFICIENT_DATA` ("Unchecked: Initial alarm creation") until CloudWatch
 *   has evaluated it; moto says `OK` with that same reason. The harness never evaluates alarms,
 *   so every alarm moto has not been told a state of (SetAlarmState) reads INSUFFICIENT_DATA,
 *   in DescribeAlarms and for its `StateValue` filter;
 * - PutMetricAlarm of an existing alarm ignores `Tags` ("To change the tags of an existing
 *   alarm, use TagResource or UntagResource"); moto replaces the alarm's tags with them;
 * - ListTagsForResource of an alarm that does not exist is `ResourceNotFoundException` (404);
 *   moto answers an empty list.
 *
 * Requests of CloudWatch's query protocol pass through unchanged.
 */
import { jsonRpcError } from './errors.js';
import type { Exchange, ServiceLayer, Upstream } from './upstream.js';
import { bodyText, withBody } from './upstream.js';
import type { WireResponse } from './wire.js';

/** The reason moto (and AWS) give an alarm that was never evaluated. */
const NEVER_EVALUATED = 'Unchecked: Initial alarm creation';

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

type Alarm = Record<string, unknown>;

export class MonitoringLayer implements ServiceLayer {
  reset(): void {}

  async handle(x: Exchange, moto: Upstream): Promise<WireResponse> {
    if (!x.req.headers['x-amz-target']) return moto.forward(x.req);
    const input = parseJson(x.req.body.toString('utf8'));
    if (!input) return moto.forward(x.req);
    switch (x.operation) {
      case 'DescribeAlarms':
        return this.describeAlarms(x, moto, input);
      case 'PutMetricAlarm':
        return this.putMetricAlarm(x, moto, input);
      case 'ListTagsForResource':
        return this.listTags(x, moto, input);
      default:
        return moto.forward(x.req);
    }
  }

  private async alarms(x: Exchange, moto: Upstream, names: string[]): Promise<Alarm[] | undefined> {
    const res = await moto.call(x, 'monitoring', 'POST', '/', {
      body: JSON.stringify({ AlarmNames: names }),
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'GraniteServiceVersion20100801.DescribeAlarms',
        'x-amzn-query-mode': 'true',
      },
    });
    if (res.status !== 200) return undefined;
    return (parseJson(bodyText(res))?.['MetricAlarms'] as Alarm[] | undefined) ?? [];
  }

  private async describeAlarms(x: Exchange, moto: Upstream, input: Record<string, unknown>): Promise<WireResponse> {
    const wanted = input['StateValue'];
    // moto filters by the state it holds; the harness filters by the state AWS would report.
    const { StateValue: _state, ...unfiltered } = input;
    const forwarded =
      wanted === undefined ? x.req : { ...x.req, body: Buffer.from(JSON.stringify(unfiltered), 'utf8') };
    const answer = await moto.forward(forwarded);
    if (answer.status !== 200) return answer;
    const output = parseJson(bodyText(answer));
    if (!output) return answer;
    const alarms = (output['MetricAlarms'] as Alarm[] | undefined) ?? [];
    for (const alarm of alarms) {
      if (alarm['StateReason'] === NEVER_EVALUATED) alarm['StateValue'] = 'INSUFFICIENT_DATA';
    }
    if (wanted !== undefined) {
      output['MetricAlarms'] = alarms.filter((a) => a['StateValue'] === wanted);
      const composite = (output['CompositeAlarms'] as Alarm[] | undefined) ?? [];
      output['CompositeAlarms'] = composite.filter((a) => a['StateValue'] === wanted);
    }
    return withBody(answer, JSON.stringify(output));
  }

  private async putMetricAlarm(x: Exchange, moto: Upstream, input: Record<string, unknown>): Promise<WireResponse> {
    if (input['Tags'] === undefined) return moto.forward(x.req);
    const existing = await this.alarms(x, moto, [String(input['AlarmName'] ?? '')]);
    if (!existing || existing.length === 0) return moto.forward(x.req);
    const { Tags: _ignored, ...update } = input;
    return moto.forward({ ...x.req, body: Buffer.from(JSON.stringify(update), 'utf8') });
  }

  private async listTags(x: Exchange, moto: Upstream, input: Record<string, unknown>): Promise<WireResponse> {
    const arn = String(input['ResourceARN'] ?? '');
    const alarm = /^arn:[^:]+:cloudwatch:[^:]*:\d*:alarm:(.+)$/.exec(arn)?.[1];
    if (alarm !== undefined) {
      const found = await this.alarms(x, moto, [alarm]);
      if (found && !found.some((a) => a['AlarmArn'] === arn))
        return jsonRpcError('monitoring', 404, 'ResourceNotFoundException', 'The specified resource does not exist.');
    }
    return moto.forward(x.req);
  }
}
