import * as z from 'zod/mini';
import { zodBuilders } from './zod-builders.js';
import './zod-english.js';
import { HmError } from '../errors.js';
import { CONFIG_KEYS, type ConfigKey, type TypedSettings, normalized, settingProblems, stateShape } from './options.js';
import { checkDomain, checkFromEmail, checkMailFromDomain } from './validate.js';

/**
 * Everything that decides what gets provisioned for one environment, one field per setting of
 * src/config/options.ts. It is stored in the state file, so a re-run without flags reproduces
 * the same resources.
 */
export const ConfigSchema = z.strictObject(stateShape(zodBuilders)).check(
  z.superRefine((config, ctx) => {
    for (const problem of [pairProblem(config), eventsProblem(config), ...emailProblems(config)]) {
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }
  }),
);

export type Config = z.infer<typeof ConfigSchema>;

/** What the user typed (flags, config file, prompts); every setting but the environment and region may be missing. */
export type ConfigInput = TypedSettings & { environment: string; region: string };

/** Email settings that depend on the domain, checked against it. */
function emailProblems(input: {
  domain?: string | undefined;
  mailFromDomain?: string | undefined;
  fromEmail?: string | undefined;
}): Array<string | undefined> {
  const domain = input.domain;
  if (domain === undefined || checkDomain(domain)) return [];
  return [
    input.mailFromDomain !== undefined ? checkMailFromDomain(input.mailFromDomain, domain) : undefined,
    input.fromEmail !== undefined ? checkFromEmail(input.fromEmail, domain) : undefined,
  ];
}

/** `healthmetrics` → `Healthmetrics`, `my-app` → `My App`: a readable default for the templates. */
export const defaultProductName = (app: string) =>
  app
    .split('-')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join(' ');

/** The email settings with their defaults filled in (older state files may lack them). */
export function emailSettings(config: Config) {
  return {
    mailFromDomain: config.mailFromDomain ?? `mail.${config.domain}`,
    fromEmail: config.fromEmail ?? `noreply@${config.domain}`,
    dmarcPolicy: config.dmarcPolicy,
    productName: config.productName ?? defaultProductName(config.app),
  };
}

/** Bounce and complaint handling is on with email unless --no-email-events turned it off. */
export const emailEventsOn = (config: Pick<Config, 'email' | 'emailEvents'>): boolean =>
  config.email && config.emailEvents !== false;

/** The settings that build on email (and on its events), refused without what they build on. */
function eventsProblem(input: {
  email?: boolean | undefined;
  emailEvents?: boolean | undefined;
  trackDeliveries?: boolean | undefined;
  alertEmail?: string | undefined;
  events?: boolean | undefined;
}): string | undefined {
  const typed = [
    input.emailEvents === true ? '--email-events' : undefined,
    input.trackDeliveries === true ? '--track-deliveries' : undefined,
    input.alertEmail !== undefined ? `--alert-email ${input.alertEmail}` : undefined,
  ].filter((flag) => flag !== undefined);
  if (input.email === false && (typed.length > 0 || input.events === true)) {
    const flags = [...typed, ...(input.events === true ? ['--events'] : [])];
    return `${flags.join(', ')} ${flags.length > 1 ? 'build' : 'builds'} on SES email, which --no-email leaves out${input.events === true ? " (the email handler's role sends through SES)" : ''}: drop --no-email, or leave out ${flags.length > 1 ? 'those' : 'that'} (${flags.map(negationOf).join(', ')})`;
  }
  if (input.emailEvents === false && typed.length > 0) {
    return `${typed.join(', ')} ${typed.length > 1 ? 'configure' : 'configures'} the bounce and complaint handling, which --no-email-events leaves out: drop one or the other`;
  }
  return undefined;
}

const negationOf = (flag: string) =>
  flag.startsWith('--alert-email') ? 'do not pass --alert-email' : `--no-${flag.slice(2)}`;

/** A custom CDN domain and its certificate come together or not at all. */
function pairProblem(input: {
  cdn?: boolean | undefined;
  cdnDomain?: string | undefined;
  certificateArn?: string | undefined;
  email?: boolean | undefined;
  mailFromDomain?: string | undefined;
  fromEmail?: string | undefined;
  hostedZoneId?: string | undefined;
}): string | undefined {
  if (input.cdn === false && (input.cdnDomain !== undefined || input.certificateArn !== undefined)) {
    return '--cdn-domain and --certificate-arn configure the CDN, which --no-cdn leaves out: drop one or the other';
  }
  if (input.cdnDomain !== undefined && input.certificateArn === undefined) {
    return `--cdn-domain ${input.cdnDomain} needs --certificate-arn: the ARN of an ACM certificate in us-east-1 that covers ${input.cdnDomain}`;
  }
  if (
    input.email === false &&
    (input.mailFromDomain !== undefined || input.fromEmail !== undefined || input.hostedZoneId !== undefined)
  ) {
    return '--mail-from, --from-email and --hosted-zone-id configure email, which --no-email leaves out: drop one or the other';
  }
  if (input.certificateArn !== undefined && input.cdnDomain === undefined) {
    return '--certificate-arn is used only for a custom CDN domain: add --cdn-domain <host> (for example cdn.example.com), or leave both out to use the *.cloudfront.net address';
  }
  return undefined;
}

/** Deterministic default names, so a re-run finds what an earlier run created. */
export const defaults = {
  bucketName: (app: string, env: string) => `${app}-uploads-${env}`,
  corsOrigins: (domain: string) => [`https://${domain}`, `https://www.${domain}`],
};

/** Flags that supply each required value, for "missing …" messages. */
const REQUIRED: Array<[keyof ConfigInput, string]> = [
  ['app', '--app <name>'],
  ['domain', '--domain <domain>'],
];

/**
 * What is wrong with the values given (absent ones are not checked): one message per problem,
 * each saying what to type instead. Used on raw flags and on the merged configuration.
 */
export function inputProblems(input: Partial<ConfigInput>): string[] {
  const problems = [...settingProblems(input), ...emailProblems(input)];
  return [...new Set(problems.filter((p) => p !== undefined))];
}

/** Settings at the domain (addresses under it): carried over from state only while the domain stays the same. */
const AT_THE_DOMAIN: ReadonlySet<ConfigKey> = new Set(['mailFromDomain', 'fromEmail']);

/**
 * Merges what the user typed over what the state file recorded, fills defaults, and
 * validates everything at once, so one run reports every problem, before any AWS call.
 */
export function resolveConfig(input: ConfigInput, recorded?: Config): Config {
  const merged: ConfigInput = { environment: input.environment, region: input.region };
  const set = merged as Record<string, unknown>;
  for (const key of CONFIG_KEYS) {
    if (key === 'environment' || key === 'region') continue;
    const typed = normalized(key, input[key]);
    // An empty list (no --cors-origin left after splitting) is nothing typed.
    const given = Array.isArray(typed) && typed.length === 0 ? undefined : typed;
    const carried = AT_THE_DOMAIN.has(key) && recorded?.domain !== merged.domain ? undefined : recorded?.[key];
    set[key] = given ?? carried;
  }
  // Turning bounce handling (or email) off drops its recorded alert address and delivery
  // tracking, which have no --no-… of their own; typed with it, they are refused below.
  if (merged.emailEvents === false || merged.email === false) {
    if (input.alertEmail === undefined) delete set['alertEmail'];
    if (input.trackDeliveries === undefined) delete set['trackDeliveries'];
  }
  const missing = REQUIRED.filter(([key]) => merged[key] === undefined || merged[key] === '').map(([, flag]) => flag);
  if (missing.length > 0) {
    throw new HmError(
      'MISSING_INPUT',
      `missing required value${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`,
      'user',
      {
        hint: `Pass ${missing.join(' and ')} (or put them in a --config <file.json>), for example: hm-infra init --app healthmetrics --domain example.com`,
      },
    );
  }
  const app = merged.app as string;
  const domain = merged.domain as string;
  // Typed values first: a name derived from an invalid app name would only repeat the problem.
  const pair = pairProblem(merged) ?? eventsProblem(merged);
  const problems = [...inputProblems({ ...merged, app, domain }), ...(pair ? [pair] : [])];
  if (problems.length > 0) throw new HmError('INVALID_INPUT', problems.join('\n'), 'user');
  const email = merged.email ?? true;
  const candidate: Record<string, unknown> = {
    ...Object.fromEntries(Object.entries(merged).filter(([, value]) => value !== undefined)),
    app,
    domain,
    bucketName: merged.bucketName ?? defaults.bucketName(app, merged.environment),
    corsOrigins: [...new Set(merged.corsOrigins ?? defaults.corsOrigins(domain))],
    cdn: merged.cdn ?? true,
    email,
    dns: merged.dns ?? 'auto',
    ...(merged.hostedZoneId !== undefined ? { hostedZoneId: merged.hostedZoneId.replace(/^\/hostedzone\//, '') } : {}),
    // Without email there is no sender to default; a typed one is refused above.
    ...(email
      ? {
          mailFromDomain: merged.mailFromDomain ?? `mail.${domain}`,
          fromEmail: merged.fromEmail ?? `noreply@${domain}`,
        }
      : {}),
    dmarcPolicy: merged.dmarcPolicy ?? 'quarantine',
    productName: merged.productName ?? defaultProductName(app),
    trackDeliveries: merged.trackDeliveries ?? false,
    events: merged.events ?? false,
  };
  if (!email) {
    delete candidate['mailFromDomain'];
    delete candidate['fromEmail'];
  }
  const parsed = ConfigSchema.safeParse(candidate);
  if (!parsed.success) {
    throw new HmError(
      'INVALID_INPUT',
      [...new Set(parsed.error.issues.map((issue) => issue.message))].join('\n'),
      'user',
    );
  }
  return parsed.data;
}
