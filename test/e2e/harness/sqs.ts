/**
 * SQS (awsJson1_0) as its API reference documents it, in front of moto's (see README.md here):
 *
 * - queue URLs name the endpoint the client called: moto builds them from the request's Host
 *   and its own scheme (`http://127.0.0.1:PORT/ACCOUNT/NAME`), and the SDK sends every later
 *   request of that queue to the URL's origin when the client's endpoint came from
 *   `AWS_ENDPOINT_URL` (its `useQueueUrlAsEndpoint`, on by default), so a plain-HTTP URL for the
 *   TLS port would break the CLI's SQS calls (and print a warning). AWS's URLs are on the
 *   endpoint's origin (`https://sqs.REGION.amazonaws.com/ACCOUNT/NAME`); the harness answers
 *   its own origin, as the request reached it;
 * - a queue deleted less than `deletedRecentlyMs` ago (60 s, AWS's wait) cannot be created
 *   again: `QueueDeletedRecently` (moto creates it at once);
 * - the JSON attributes (`Policy`, `RedrivePolicy`, `RedriveAllowPolicy`) come back compact,
 *   as AWS returns them (moto re-serialises them with Python's `", "` and `": "`).
 *
 * Requests of SQS's older query protocol (`Action=` form bodies) pass through unchanged.
 */
import { jsonRpcError } from './errors.js';
import type { Exchange, ServiceLayer, Upstream } from './upstream.js';
import { bodyText, withBody } from './upstream.js';
import type { WireResponse } from './wire.js';

const JSON_ATTRIBUTES = ['Policy', 'RedrivePolicy', 'RedriveAllowPolicy'];

/** `ACCOUNT/NAME` of a queue URL (any origin), or undefined. */
function queuePath(queueUrl: unknown): string | undefined {
  if (typeof queueUrl !== 'string') return undefined;
  try {
    const segments = new URL(queueUrl).pathname.split('/').filter((s) => s !== '');
    return segments.length === 2 ? segments.join('/') : undefined;
  } catch {
    return undefined;
  }
}

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

/** The same JSON document without insignificant whitespace (as it was, when it is not JSON). */
function compact(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text));
  } catch {
    return text;
  }
}

export class SqsLayer implements ServiceLayer {
  /** How long a deleted queue's name stays unusable (AWS: 60 s). */
  deletedRecentlyMs = 60_000;
  /** When each queue was deleted, by `REGION ACCOUNT/NAME`. */
  private readonly deleted = new Map<string, number>();

  reset(): void {
    this.deleted.clear();
  }

  async handle(x: Exchange, moto: Upstream): Promise<WireResponse> {
    if (!x.req.headers['x-amz-target']) return moto.forward(x.req);
    const input = parseJson(x.req.body.toString('utf8')) ?? {};
    if (x.operation === 'CreateQueue') {
      const refused = await this.deletedRecently(x, moto, input);
      if (refused) return refused;
    }
    const answer = await moto.forward(x.req);
    if (answer.status !== 200) return answer;
    if (x.operation === 'DeleteQueue') {
      const path = queuePath(input['QueueUrl']);
      if (path) this.deleted.set(`${x.req.region} ${path}`, Date.now());
      return answer;
    }
    return this.rewrite(x, answer);
  }

  /** QueueDeletedRecently for a queue of this name deleted within `deletedRecentlyMs`, unless it exists again. */
  private async deletedRecently(
    x: Exchange,
    moto: Upstream,
    input: Record<string, unknown>,
  ): Promise<WireResponse | undefined> {
    const name = String(input['QueueName'] ?? '');
    const now = Date.now();
    for (const [key, at] of this.deleted) {
      if (now - at >= this.deletedRecentlyMs) this.deleted.delete(key);
    }
    const recent = [...this.deleted.keys()].some(
      (key) => key.startsWith(`${x.req.region} `) && key.endsWith(`/${name}`),
    );
    if (!recent) return undefined;
    // moto answers the name's URL if a queue of that name exists (made again after the wait, or by moto itself).
    const exists = await moto.call(x, 'sqs', 'POST', '/', {
      body: JSON.stringify({ QueueName: name }),
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.GetQueueUrl' },
    });
    if (exists.status === 200) return undefined;
    return jsonRpcError(
      'sqs',
      400,
      'QueueDeletedRecently',
      'You must wait 60 seconds after deleting a queue before you can create another with the same name.',
      'AWS.SimpleQueueService.QueueDeletedRecently',
    );
  }

  /** Queue URLs on the harness's origin, JSON attributes compact. */
  private rewrite(x: Exchange, answer: WireResponse): WireResponse {
    const output = parseJson(bodyText(answer));
    if (!output) return answer;
    const origin = `${x.secure ? 'https' : 'http'}://${x.req.headers['host'] ?? '127.0.0.1'}`;
    const ours = (url: unknown) => {
      const path = queuePath(url);
      return path ? `${origin}/${path}` : url;
    };
    let changed = false;
    for (const key of ['QueueUrl']) {
      if (key in output) {
        output[key] = ours(output[key]);
        changed = true;
      }
    }
    for (const key of ['QueueUrls', 'queueUrls']) {
      const urls = output[key];
      if (Array.isArray(urls)) {
        output[key] = urls.map(ours);
        changed = true;
      }
    }
    const attributes = output['Attributes'];
    if (x.operation === 'GetQueueAttributes' && typeof attributes === 'object' && attributes !== null) {
      const map = attributes as Record<string, unknown>;
      for (const name of JSON_ATTRIBUTES) {
        if (typeof map[name] === 'string') {
          map[name] = compact(map[name]);
          changed = true;
        }
      }
    }
    return changed ? withBody(answer, JSON.stringify(output)) : answer;
  }
}
