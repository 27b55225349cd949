import { type Clock, systemClock } from '../clock.js';
import { ExitCode, inputError } from '../errors.js';
import { type SmokeTestMeta, smokeExitCode, smokeTestViewFor } from '../views/smoke-test.js';
import type { State } from '../state/schema.js';
import type { StateBackend } from '../state/backend.js';
import type { SmokeTarget } from '../checks/smoke-test.js';
import { createAws, endpointFor } from './aws.js';
import { type GlobalOptions, globalProblems } from './common.js';
import type { Io } from './io.js';
import { loadSetUpState } from './state.js';

export interface SmokeTestFlags {
  /** Recipient of the test email (default: SES's mailbox simulator). */
  to?: string;
  /** Minutes, as typed: how long to keep trying the CDN while CloudFront deploys. */
  cdnTimeout?: string;
  /** Seconds, as typed: how long to wait for the bounce and the test event to reach their queues. */
  eventTimeout?: string;
}

/** What tests replace: HTTP (never the network in tests) and time. */
export interface SmokeTestDeps {
  fetch?: typeof fetch;
  clock?: Clock;
}

/** SES's mailbox simulator: accepts mail in the sandbox and does not count against reputation. */
export const SIMULATOR_ADDRESS = 'success@simulator.amazonses.com';

const EMAIL = /^[^\s@<>()",;]+@[^\s@<>()",;]+\.[^\s@<>()",;]+$/;

function checkFlags(flags: SmokeTestFlags): { cdnTimeoutMs: number; eventTimeoutMs: number } {
  const minutes = Number(flags.cdnTimeout ?? '2');
  const seconds = Number(flags.eventTimeout ?? '60');
  const problems = [
    flags.to !== undefined && !EMAIL.test(flags.to)
      ? `--to "${flags.to}" is not an email address: give one like you@example.com (or leave --to out to use SES's mailbox simulator)`
      : undefined,
    !Number.isFinite(minutes) || minutes < 0 || minutes > 60
      ? `--cdn-timeout "${flags.cdnTimeout ?? ''}" is not valid: give the minutes to wait for CloudFront, from 0 (one try) to 60, for example --cdn-timeout 15`
      : undefined,
    !Number.isFinite(seconds) || seconds < 0 || seconds > 900
      ? `--event-timeout "${flags.eventTimeout ?? ''}" is not valid: give the seconds to wait for the bounce and test events, from 0 (one look) to 900, for example --event-timeout 120`
      : undefined,
  ].filter((p) => p !== undefined);
  if (problems.length > 0) throw inputError(problems.join('\n'));
  return { cdnTimeoutMs: minutes * 60_000, eventTimeoutMs: seconds * 1000 };
}

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * What the checks need, from the state file alone; a clear error naming what is missing
 * (before any AWS call) when init has not set it all up.
 */
export function smokeTarget(
  state: State,
  store: StateBackend,
  flags: SmokeTestFlags,
  endpointUrl: string | undefined,
): SmokeTarget {
  const env = state.environment;
  const out = (id: string) => state.resources[id]?.outputs ?? {};
  const secret = state.resources['access-key']?.secret;
  const bucket = text(out('bucket')['name']);
  const userName = text(out('access-key')['userName']) ?? text(out('iam-user')['name']);
  const distributionId = text(out('distribution')['id']);
  const cdnUrl = text(out('distribution')['url']);
  const identityEnv = (out('email-identity')['env'] ?? {}) as Record<string, unknown>;
  const from = text(identityEnv['SES_FROM_EMAIL']);
  const configurationSet = text(out('email-config-set')['name']);
  const template = out('template-email-verification');
  const templateName = text(template['name']);
  const emailEventsOn = state.config.email && state.config.emailEvents !== false;
  const eventsOn = state.config.email && state.config.events === true;
  const emailEventsQueue = emailEventsOn ? text(out('email-events-queue')['url']) : undefined;
  const busName = eventsOn ? text(out('events-bus')['name']) : undefined;
  const eventsQueue = eventsOn ? text(out('events-queue')['url']) : undefined;
  const missing = [
    secret === undefined || userName === undefined ? "the app user's access key" : undefined,
    bucket === undefined ? 'the bucket' : undefined,
    state.config.cdn && (distributionId === undefined || cdnUrl === undefined)
      ? 'the CloudFront distribution'
      : undefined,
    state.config.email && from === undefined ? 'the SES identity' : undefined,
    state.config.email && configurationSet === undefined ? 'the SES configuration set' : undefined,
    state.config.email && templateName === undefined ? 'the email-verification template' : undefined,
    emailEventsOn && emailEventsQueue === undefined ? 'the email-events queue' : undefined,
    eventsOn && (busName === undefined || eventsQueue === undefined) ? 'the app event bus and its queue' : undefined,
  ].filter((m) => m !== undefined);
  if (missing.length > 0 || secret === undefined || userName === undefined || bucket === undefined) {
    throw inputError(
      `environment "${env}" is not fully set up: ${store.displayPath} has no record of ${missing.join(', ')}`,
      `Run \`hm-infra init --env ${env}\` until it finishes, then smoke-test again.`,
    );
  }
  if (flags.to !== undefined && !state.config.email) {
    throw inputError(
      `--to: environment "${env}" has no email (it was set up with --no-email), so there is nothing to send`,
      'Leave out --to.',
    );
  }
  return {
    environment: env,
    region: state.region,
    bucket,
    userName,
    credentials: { accessKeyId: secret.accessKeyId, secretAccessKey: secret.secretAccessKey },
    ...(state.config.cdn && distributionId !== undefined && cdnUrl !== undefined
      ? { cdn: { url: cdnUrl, distributionId, customDomain: state.config.cdnDomain !== undefined } }
      : {}),
    ...(state.config.email && from !== undefined && configurationSet !== undefined && templateName !== undefined
      ? {
          email: {
            from,
            domain: from.split('@')[1] ?? state.config.domain,
            configurationSet,
            template: templateName,
            variables: Array.isArray(template['variables'])
              ? (template['variables'] as unknown[]).filter((v): v is string => typeof v === 'string')
              : [],
            to: flags.to ?? SIMULATOR_ADDRESS,
            simulator: flags.to === undefined,
          },
        }
      : {}),
    ...(emailEventsQueue !== undefined
      ? { emailEvents: { name: text(out('email-events-queue')['name']) ?? 'email-events', queueUrl: emailEventsQueue } }
      : {}),
    ...(busName !== undefined && eventsQueue !== undefined
      ? {
          events: {
            busName,
            queueName: text(out('events-queue')['name']) ?? 'events',
            queueUrl: eventsQueue,
          },
        }
      : {}),
    ...(endpointUrl !== undefined ? { endpointUrl } : {}),
  };
}

/**
 * `hm-infra smoke-test`: the provisioned stack used as the app uses it, with the app user's
 * key from state. Exit 0 when every check passed, 3 when something is still pending (CloudFront
 * deploying), 1 when a check failed.
 */
export async function runSmokeTest(
  globals: GlobalOptions,
  flags: SmokeTestFlags,
  io: Io,
  deps: SmokeTestDeps = {},
): Promise<number> {
  const view = smokeTestViewFor(globals, io);
  const problems = globalProblems(globals, io);
  if (problems.length > 0) throw inputError(problems.join('\n'));
  const { cdnTimeoutMs, eventTimeoutMs } = checkFlags(flags);
  const { store, state } = await loadSetUpState(globals, io);
  const endpointUrl = endpointFor(globals, io);
  const target = smokeTarget(state, store, flags, endpointUrl);
  const clock = deps.clock ?? systemClock;
  const aws = await createAws(globals, io, state.region);
  const { runSmokeChecks } = await import('../checks/smoke-test.js');
  const controller = new AbortController();
  const onSigint = () => {
    if (!controller.signal.aborted) view.stopping();
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  const started = clock.now();
  const meta: SmokeTestMeta = {
    app: state.app,
    environment: state.environment,
    region: state.region,
    userName: target.userName,
    accessKeyId: target.credentials.accessKeyId,
  };
  view.start(meta);
  try {
    const results = await runSmokeChecks(aws, target, {
      fetch: deps.fetch ?? globalThis.fetch,
      clock,
      signal: controller.signal,
      cdnTimeoutMs,
      eventTimeoutMs,
      onWait: (line) => view.waiting(line, Math.round((clock.now() - started) / 1000)),
      onResult: (result) => view.check(result),
    });
    const code = controller.signal.aborted ? ExitCode.aborted : smokeExitCode(results);
    view.result(results, code, meta);
    return code;
  } finally {
    process.removeListener('SIGINT', onSigint);
    aws.destroy();
  }
}
