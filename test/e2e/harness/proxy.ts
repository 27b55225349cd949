/**
 * The e2e harness: a loopback proxy in front of a moto server that makes it answer the way
 * AWS's API references say AWS answers, where moto does not (README.md here lists each
 * difference and how it is covered). The product never special-cases an emulator; the tests
 * point the built CLI at this instead (`AWS_ENDPOINT_URL=harness.url`,
 * `NODE_EXTRA_CA_CERTS=harness.caFile`).
 *
 *   const harness = await startHarness({ motoUrl });
 *   harness.url / harness.httpUrl   // the same harness over TLS and over plain HTTP
 *   harness.requests                // every request, in order of arrival: service, operation, write, status, …
 *   harness.delayMs = 50            // latency on every request (benchmarks)
 *   harness.faults = { rate: 0.2, seed: 1 }
 *   await harness.holdAt((r) => r.write, 'after')   // then SIGKILL the CLI
 *   await harness.stop()
 *
 * SES v2 is not moto's at all: every request signed for `ses` is answered by `SesV2Wire` over
 * an in-memory FakeSes (`harness.ses`); the SES events it emits for a configuration set's
 * EventBridge destination are put on moto's default event bus (`EventsLayer.forward`), so the
 * rules there deliver them. S3, CloudFront, Route 53, IAM, SQS, SNS, CloudWatch (`monitoring`),
 * CloudWatch Logs and EventBridge go through a layer each (s3.ts, cloudfront.ts, route53.ts,
 * iam.ts, sqs.ts, sns.ts, monitoring.ts, logs.ts, events.ts); everything else goes to moto as it is.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { FakeSes } from '../../fakes/ses.js';
import { classify } from './classify.js';
import { CloudFrontLayer } from './cloudfront.js';
import { serviceError } from './errors.js';
import { type EventBridgeEvent, EventsLayer } from './events.js';
import { type FaultKind, type FaultOptions, FaultInjector } from './faults.js';
import { IamLayer } from './iam.js';
import { LogsLayer } from './logs.js';
import { MonitoringLayer } from './monitoring.js';
import { Route53Layer } from './route53.js';
import { S3Layer } from './s3.js';
import { SesV2Wire } from './sesv2.js';
import { SnsLayer } from './sns.js';
import { SqsLayer } from './sqs.js';
import { makeTlsIdentity, type TlsIdentity } from './tls.js';
import { type Exchange, MotoUpstream, type ServiceLayer } from './upstream.js';
import type { WireRequest, WireResponse } from './wire.js';

export type { FaultKind, FaultOptions } from './faults.js';

/** One request as the harness saw it. */
export interface LoggedRequest {
  service: string;
  operation: string;
  /** True for an operation that changes something (a CloudTrail write event). */
  write: boolean;
  /** The HTTP status answered; 0 when no answer went back (a reset, a hold); undefined while in flight. */
  status: number | undefined;
  /** Epoch milliseconds. */
  startedAt: number;
  endedAt: number | undefined;
  accessKeyId: string | undefined;
  /** True over the TLS port. */
  secure: boolean;
  method: string;
  /** Path and query string. */
  url: string;
  /** Set when the harness injected a fault instead of (or after) answering. */
  fault?: { kind: FaultKind; code: string } | undefined;
  /** Set when a `holdAt` caught this request: it was never answered. */
  held?: 'before' | 'after' | undefined;
}

/** Where a held request stops: before it reaches moto, or after moto has answered it. */
export type HoldPoint = 'before' | 'after';

interface PendingHold {
  match: (request: LoggedRequest) => boolean;
  when: HoldPoint;
  resolve: (request: LoggedRequest) => void;
}

export interface HarnessOptions {
  /** The moto server, `http://127.0.0.1:PORT`. */
  motoUrl: string;
  /** The FakeSes behind SES v2 (a new one by default). */
  ses?: FakeSes;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * FakeSes with the hook it calls with the EventBridge event of each SES event that a send
 * through a configuration set with an EventBridge destination produces (bounce, complaint,
 * delivery, …). NOTE: declared here until `onEvent` lands on the FakeSes class (test/fakes/ses.ts,
 * written on another branch); then this type is the class itself and can go.
 */
type SesWithEvents = FakeSes & { onEvent?: ((region: string, event: object) => void | Promise<void>) | undefined };

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function lowerCaseHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers))
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  return headers;
}

/** Ends a connection abruptly, with a TCP RST where the socket allows it. */
function resetConnection(socket: Socket): void {
  try {
    socket.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}

const RESPONSE_HOP_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length']);

function send(req: IncomingMessage, res: ServerResponse, answer: WireResponse): void {
  const body = typeof answer.body === 'string' ? Buffer.from(answer.body, 'utf8') : answer.body;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(answer.headers))
    if (!RESPONSE_HOP_HEADERS.has(name.toLowerCase())) headers[name.toLowerCase()] = value;
  if (req.method === 'HEAD') {
    // A HEAD answer carries the length of what GET would send, and no body.
    const length = answer.headers['content-length'];
    if (length !== undefined) headers['content-length'] = length;
    res.writeHead(answer.status, headers).end();
    return;
  }
  if (answer.status !== 204 && answer.status !== 304) headers['content-length'] = String(body.length);
  res.writeHead(answer.status, headers).end(answer.status === 204 || answer.status === 304 ? undefined : body);
}

/** The running harness; make one with `startHarness`. */
export class AwsHarness {
  /** Every request that reached the harness, in order of arrival (SDK retries included). */
  readonly requests: LoggedRequest[] = [];
  /** Failures of the harness itself (a bug, moto unreachable): each was answered 500. */
  readonly errors: Error[] = [];
  /** Milliseconds every request waits before it is handled. */
  delayMs = 0;
  readonly cloudfront = new CloudFrontLayer();
  readonly route53 = new Route53Layer();
  readonly s3 = new S3Layer();
  readonly iam = new IamLayer();
  /** `deletedRecentlyMs` (60 000): how long a deleted queue's name cannot be used again. */
  readonly sqs = new SqsLayer();
  /** `confirm(arn)`: the recipient of an email subscription followed its link; `pendingSubscriptions`. */
  readonly sns = new SnsLayer();
  readonly cloudwatch = new MonitoringLayer();
  readonly logs = new LogsLayer();
  /** `withheld`: the targets kept from an event, as AWS would not deliver to them (policy, disabled rule, no queue). */
  readonly events = new EventsLayer();

  private sesWire: SesV2Wire;
  private injector: FaultInjector | undefined;
  private faultOptions: FaultOptions | undefined;
  private holds: PendingHold[] = [];
  private readonly held = new Set<Socket>();
  /** SES events on their way to EventBridge: an SES answer goes back once they are delivered. */
  private readonly sesEvents = new Set<Promise<void>>();
  private readonly moto: MotoUpstream;
  private readonly layers: Record<string, ServiceLayer>;

  constructor(
    readonly motoUrl: string,
    private readonly servers: { https: Server; http: Server },
    private readonly tls: TlsIdentity,
    ses: FakeSes,
  ) {
    this.moto = new MotoUpstream(motoUrl);
    this.sesWire = new SesV2Wire(this.withEventHook(ses));
    this.layers = {
      s3: this.s3,
      cloudfront: this.cloudfront,
      route53: this.route53,
      iam: this.iam,
      sqs: this.sqs,
      sns: this.sns,
      monitoring: this.cloudwatch,
      logs: this.logs,
      events: this.events,
    };
    servers.https.on('request', (req: IncomingMessage, res: ServerResponse) => void this.onRequest(req, res, true));
    servers.http.on('request', (req: IncomingMessage, res: ServerResponse) => void this.onRequest(req, res, false));
  }

  /** `https://127.0.0.1:PORT` */
  get url(): string {
    return `https://127.0.0.1:${(this.servers.https.address() as AddressInfo).port}`;
  }

  /** `http://127.0.0.1:PORT`: the same harness without TLS (`aws:SecureTransport` false). */
  get httpUrl(): string {
    return `http://127.0.0.1:${(this.servers.http.address() as AddressInfo).port}`;
  }

  /** The certificate of the TLS port (PEM): spawn the CLI with NODE_EXTRA_CA_CERTS set to it. */
  get caFile(): string {
    return this.tls.certFile;
  }

  /** The certificate itself, for an https agent in the test process (`new Agent({ ca })`). */
  get ca(): Buffer {
    return this.tls.cert;
  }

  /** SES v2's state: `setStatus(region, domain, { dkim: 'SUCCESS' })`, `sent`. */
  get ses(): FakeSes {
    return this.sesWire.ses;
  }

  /** Seeded faults on a share of the requests; undefined turns them off. Setting it starts the sequence from the seed. */
  get faults(): FaultOptions | undefined {
    return this.faultOptions;
  }

  set faults(options: FaultOptions | undefined) {
    this.faultOptions = options;
    this.injector = options ? new FaultInjector(options) : undefined;
  }

  /** The write operations of the log (what CloudTrail would count as write events). */
  writes(): LoggedRequest[] {
    return this.requests.filter((r) => r.write);
  }

  /**
   * Resolves with the first request from now on that `match` accepts, which is then never
   * answered: at 'before' it never reaches moto; at 'after' moto has handled it (the change
   * took effect) when this resolves. The test then kills the CLI it spawned. One-shot; `match`
   * sees each request once, in order of arrival.
   */
  holdAt(match: (request: LoggedRequest) => boolean, when: HoldPoint = 'before'): Promise<LoggedRequest> {
    return new Promise((resolve) => this.holds.push({ match, when, resolve }));
  }

  /**
   * Clears the log and the harness's errors, starts the fault sequence again from its seed, and
   * drops the holds no request has met yet (one left over would catch the next test's request).
   */
  reset(): void {
    this.requests.length = 0;
    this.errors.length = 0;
    this.injector?.restart();
    this.holds = [];
  }

  /** Clears moto (`POST /moto-api/reset`), what the layers know, and SES (a new FakeSes). */
  async resetAll(): Promise<void> {
    const res = await this.moto.forward({
      method: 'POST',
      url: '/moto-api/reset',
      headers: {},
      body: Buffer.alloc(0),
      region: 'us-east-1',
    });
    if (res.status !== 200) throw new Error(`moto reset answered ${res.status}`);
    this.forgetState();
    this.reset();
  }

  /** Stops both ports (ending held and idle connections) and removes the certificate. */
  async stop(): Promise<void> {
    this.holds = [];
    for (const socket of this.held) socket.destroy();
    const close = (server: Server) =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    await Promise.all([close(this.servers.https), close(this.servers.http)]);
    await this.tls.remove();
  }

  private forgetState(): void {
    for (const layer of Object.values(this.layers)) layer.reset();
    this.sesWire = new SesV2Wire(this.withEventHook(new FakeSes()));
  }

  /**
   * Sets FakeSes's `onEvent` to put each SES event on moto's default event bus of its region, as
   * SES does for an EventBridge destination (AWS accepts only the default bus there). A failure
   * to deliver is the harness's own (`errors`).
   */
  private withEventHook(ses: FakeSes): FakeSes {
    (ses as SesWithEvents).onEvent = (region, event) => {
      const delivery = this.events
        .forward(this.moto, region, event as EventBridgeEvent)
        .catch((err: unknown) => {
          this.errors.push(err instanceof Error ? err : new Error(String(err)));
        })
        .finally(() => this.sesEvents.delete(delivery));
      this.sesEvents.add(delivery);
      // FakeSes may await it too; it never rejects (a failure is in `errors`).
      return delivery;
    };
    return ses;
  }

  // ── one request ───────────────────────────────────────────────────────────────────────

  private async onRequest(req: IncomingMessage, res: ServerResponse, secure: boolean): Promise<void> {
    let entry: LoggedRequest | undefined;
    try {
      const body = await readBody(req);
      const method = (req.method ?? 'GET').toUpperCase();
      const url = req.url ?? '/';
      const headers = lowerCaseHeaders(req);
      if (url.startsWith('/moto-api/')) {
        await this.motoApi(req, res, { method, url, headers, body, region: 'us-east-1' });
        return;
      }
      const { service, operation, write, region, accessKeyId } = classify(method, url, headers, body);
      entry = {
        service,
        operation,
        write,
        status: undefined,
        startedAt: Date.now(),
        endedAt: undefined,
        accessKeyId,
        secure,
        method,
        url,
      };
      this.requests.push(entry);
      const wire: WireRequest = { method, url, headers, body, region, accessKeyId };
      const exchange: Exchange = { req: wire, url: new URL(url, 'http://harness.invalid'), service, operation, secure };
      await this.serve(req, res, entry, exchange);
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      this.errors.push(error);
      if (!res.headersSent && !res.destroyed)
        send(req, res, serviceError(entry?.service ?? 's3', 500, 'InternalFailure', `harness: ${error.message}`));
      if (entry) Object.assign(entry, { status: 500, endedAt: Date.now() });
    }
  }

  /** moto's own API (reset, data) passes through, unlogged; a reset also clears the harness's state. */
  private async motoApi(req: IncomingMessage, res: ServerResponse, wire: WireRequest): Promise<void> {
    const answer = await this.moto.forward(wire);
    if (wire.url.startsWith('/moto-api/reset') && answer.status === 200) this.forgetState();
    send(req, res, answer);
  }

  private takeHold(entry: LoggedRequest): PendingHold | undefined {
    const index = this.holds.findIndex((hold) => hold.match(entry));
    if (index < 0) return undefined;
    const [hold] = this.holds.splice(index, 1);
    return hold;
  }

  /** Keeps the connection open, unanswered, until the client goes away or the harness stops. */
  private park(req: IncomingMessage, entry: LoggedRequest, hold: PendingHold): void {
    entry.held = hold.when;
    entry.status = 0;
    entry.endedAt = Date.now();
    this.held.add(req.socket);
    req.socket.once('close', () => this.held.delete(req.socket));
    hold.resolve(entry);
  }

  private async serve(req: IncomingMessage, res: ServerResponse, entry: LoggedRequest, x: Exchange): Promise<void> {
    const hold = this.takeHold(entry);
    if (hold?.when === 'before') return this.park(req, entry, hold);
    if (this.delayMs > 0) await sleep(this.delayMs);
    const fault = hold ? undefined : this.injector?.next(entry);
    if (fault) entry.fault = { kind: fault.kind, code: fault.code };
    if (fault?.kind === 'reset-before') {
      Object.assign(entry, { status: 0, endedAt: Date.now() });
      return resetConnection(req.socket);
    }
    if (fault?.response) {
      send(req, res, fault.response);
      Object.assign(entry, { status: fault.response.status, endedAt: Date.now() });
      return;
    }
    const answer = await this.answer(x);
    if (hold) return this.park(req, entry, hold);
    if (fault?.kind === 'reset-after') {
      Object.assign(entry, { status: 0, endedAt: Date.now() });
      return resetConnection(req.socket);
    }
    send(req, res, answer);
    Object.assign(entry, { status: answer.status, endedAt: Date.now() });
  }

  private async answer(x: Exchange): Promise<WireResponse> {
    if (x.service === 'ses') {
      const answer = await this.sesWire.handle(x.req);
      // The events of a send are on their queues when its answer arrives (AWS: within seconds).
      await Promise.all([...this.sesEvents]);
      return answer;
    }
    const layer = this.layers[x.service];
    return layer ? layer.handle(x, this.moto) : this.moto.forward(x.req);
  }
}

/**
 * Starts the harness in front of the moto server at `options.motoUrl`: an HTTPS port (its
 * certificate made with openssl now) and a plain-HTTP port, both on 127.0.0.1.
 */
export async function startHarness(options: HarnessOptions): Promise<AwsHarness> {
  const tls = await makeTlsIdentity();
  const https = createHttpsServer({ key: tls.key, cert: tls.cert });
  const http = createHttpServer();
  const listen = (server: Server) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
  await Promise.all([listen(https), listen(http)]);
  return new AwsHarness(options.motoUrl, { https, http }, tls, options.ses ?? new FakeSes());
}
