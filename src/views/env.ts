import type { State } from '../state/schema.js';

/** The formats of `print-env`. */
export const ENV_FORMATS = ['dotenv', 'shell', 'json'] as const;
export type EnvFormat = (typeof ENV_FORMATS)[number];

/** What is shown instead of the secret unless it is asked for. Never derived from the secret. */
export const MASK = '********';

/**
 * One variable of the app's environment: its value, or why there is none — `missing` (a step
 * has not run: the reason names the command) or `none` (this environment has no such resource).
 */
export interface EnvEntry {
  name: string;
  value?: string;
  secret?: boolean;
  missing?: string;
  none?: string;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * The app's env block (docs/resources.md, plus SES_CONFIGURATION_SET) from the state file alone: no AWS call.
 * The key pair comes from the one place state keeps the secret.
 */
export function envEntries(state: State): EnvEntry[] {
  const outputs = (id: string) => state.resources[id]?.outputs ?? {};
  const run = `run \`hm-infra init --env ${state.environment}\``;
  const from = (name: string, value: string | undefined, step: string): EnvEntry =>
    value !== undefined ? { name, value } : { name, missing: `${step} not set up yet: ${run}` };
  const secret = state.resources['access-key']?.secret;
  const email = state.config.email;
  const noEmail = 'this environment has no email (set up with --no-email)';
  // As emailEventsOn (src/config/config.ts) decides it: on with email unless turned off.
  const emailEvents = email && state.config.emailEvents !== false;
  const events = email && state.config.events === true;
  const identityEnv = (outputs('email-identity')['env'] ?? {}) as Record<string, unknown>;
  const entries: EnvEntry[] = [
    from('AWS_ACCESS_KEY_ID', secret?.accessKeyId, 'the access key is'),
    { ...from('AWS_SECRET_ACCESS_KEY', secret?.secretAccessKey, 'the access key is'), secret: true },
    { name: 'AWS_REGION', value: state.region },
    from('S3_BUCKET_NAME', str(outputs('bucket')['name']), 'the bucket is'),
    state.config.cdn
      ? from('CLOUDFRONT_URL', str(outputs('distribution')['url']), 'the CDN is')
      : { name: 'CLOUDFRONT_URL', none: 'this environment has no CDN (set up with --no-cdn)' },
    email
      ? from('SES_FROM_EMAIL', str(identityEnv['SES_FROM_EMAIL']), 'the SES identity is')
      : { name: 'SES_FROM_EMAIL', none: noEmail },
    email
      ? from('SES_REGION', str(identityEnv['SES_REGION']), 'the SES identity is')
      : { name: 'SES_REGION', none: noEmail },
    email
      ? from('SES_CONFIGURATION_SET', str(outputs('email-config-set')['name']), 'the SES configuration set is')
      : { name: 'SES_CONFIGURATION_SET', none: noEmail },
    emailEvents
      ? from('EMAIL_EVENTS_QUEUE_URL', str(outputs('email-events-queue')['url']), 'the email-events queue is')
      : {
          name: 'EMAIL_EVENTS_QUEUE_URL',
          none: email ? 'this environment has no email events (set up with --no-email-events)' : noEmail,
        },
    ...(['EVENT_BUS_NAME', 'EVENTS_QUEUE_URL', 'EMAIL_HANDLER_ROLE_ARN'] as const).map((name): EnvEntry => {
      if (!events) return { name, none: 'this environment has no app events (add them with `hm-infra init --events`)' };
      if (name === 'EVENT_BUS_NAME') return from(name, str(outputs('events-bus')['name']), 'the event bus is');
      if (name === 'EVENTS_QUEUE_URL') return from(name, str(outputs('events-queue')['url']), 'the events queue is');
      return from(name, str(outputs('email-handler-role')['arn']), 'the email handler role is');
    }),
  ];
  return entries;
}

export const missingEntries = (entries: readonly EnvEntry[]) => entries.filter((e) => e.missing !== undefined);

/** A dotenv value: bare when plain, else single-quoted (literal), else double-quoted with escapes. */
export function dotenvValue(value: string): string {
  if (/^[A-Za-z0-9_./:@+=,*-]*$/.test(value)) return value;
  if (!/['\n\r]/.test(value)) return `'${value}'`;
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r')}"`;
}

/** A POSIX shell word that is exactly `value`: single quotes, with `'` written as `'\''`. */
export function shellValue(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export interface RenderEnvOptions {
  showSecret: boolean;
  /** Comment lines on top (dotenv and shell only). */
  header?: string[];
}

const shown = (entry: EnvEntry, showSecret: boolean) => (entry.secret && !showSecret ? MASK : (entry.value ?? ''));

/** The block in one format. The secret is replaced by MASK unless `showSecret`. */
export function renderEnv(entries: readonly EnvEntry[], format: EnvFormat, options: RenderEnvOptions): string {
  const masked = entries.filter((e) => e.secret && e.value !== undefined && !options.showSecret).map((e) => e.name);
  if (format === 'json') {
    const env = Object.fromEntries(
      entries.filter((e) => e.value !== undefined).map((e) => [e.name, shown(e, options.showSecret)]),
    );
    return JSON.stringify(
      {
        kind: 'env',
        env,
        masked,
        missing: entries.filter((e) => e.missing).map((e) => ({ name: e.name, reason: e.missing })),
        none: entries.filter((e) => e.none).map((e) => ({ name: e.name, reason: e.none })),
      },
      null,
      2,
    );
  }
  const lines = (options.header ?? []).map((h) => `# ${h}`);
  if (masked.length > 0)
    lines.push(
      `# ${masked.join(', ')} is masked: \`hm-infra print-env --show-secret\` prints it, \`--write <file>\` writes it to a file only you can read`,
    );
  for (const entry of entries) {
    if (entry.none !== undefined) lines.push(`# ${entry.name}: none, ${entry.none}`);
    else if (entry.missing !== undefined) lines.push(`# ${entry.name}= (missing: ${entry.missing})`);
    else if (format === 'shell') lines.push(`export ${entry.name}=${shellValue(shown(entry, options.showSecret))}`);
    else lines.push(`${entry.name}=${dotenvValue(shown(entry, options.showSecret))}`);
  }
  return lines.join('\n');
}
