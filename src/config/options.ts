import type * as Zod from 'zod/mini';
import {
  type Check,
  checkAppName,
  checkBucketName,
  checkCdnDomain,
  checkCertificateArn,
  checkCorsOrigin,
  checkDmarcPolicy,
  checkDnsMode,
  checkDomain,
  checkEnvName,
  checkAlertEmail,
  checkHostedZoneId,
  checkProductName,
  checkRegion,
  DMARC_POLICIES,
  DNS_MODES,
  normalizeDomain,
} from './validate.js';

/** How an option is typed: one value, a repeatable list (also comma-separated), or an on/off switch (`--cdn` / `--no-cdn`). */
type Kind = 'text' | 'list' | 'switch';

/**
 * One setting of an environment, declared once. From these entries come the command-line
 * flags (src/cli.ts), the flags' type, the keys a `--config` file may hold (src/config/file.ts),
 * the checks of typed values, the merge over the state file, and the state schema
 * (src/config/config.ts). Cross-setting rules (a CDN domain needs its certificate; addresses at
 * the domain) live in src/config/config.ts.
 */
export interface OptionSpec {
  /** The commander flag, e.g. `--mail-from <domain>`; its attribute name is derived from it. */
  readonly flag: string;
  readonly description: string;
  readonly kind: Kind;
  /** A switch's `--no-…` flag, described. */
  readonly negation?: string;
  /** Checks one typed value (flag, config file, prompt, state); undefined when it is fine. */
  readonly check?: Check;
  /** Applied to a typed value before it is kept (domains: lowercase, no trailing dot). */
  readonly normalize?: (value: string) => string;
  /** Declared on the program itself, for every command (`--env`, `--region`), not by the configuring commands. */
  readonly global?: true;
  /**
   * How the state file holds it (the same checks as typed values), built from the zod module it
   * is given: the table itself loads no zod, so `--help` and `--version` start without it.
   */
  readonly schema: (z: ZodModule) => Zod.core.$ZodType;
}

/**
 * The zod/mini builders the schemas use, handed in by the modules that build schemas
 * (src/config/config.ts, src/config/file.ts). Named ones, not the whole module: that would keep
 * all of zod in the bundle of every command.
 */
export type ZodBuilders = Pick<
  typeof Zod,
  '_default' | 'array' | 'boolean' | 'enum' | 'minLength' | 'optional' | 'string' | 'superRefine'
>;
type ZodModule = ZodBuilders;

/** Applies a check inside a zod schema, so the state file is held to the same rules as flags. */
function checked(z: ZodModule, check: Check) {
  return z.string().check(
    z.superRefine((value, ctx) => {
      const problem = check(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  );
}

/** Every setting, in the order help lists them and problems are reported. */
export const CONFIG_OPTIONS = {
  app: {
    flag: '--app <name>',
    description: 'application name, part of every resource name (e.g. healthmetrics)',
    kind: 'text',
    check: checkAppName,
    schema: (z: ZodModule) => checked(z, checkAppName),
  },
  environment: {
    flag: '--env <name>',
    description: 'environment (one state file and one set of resources each)',
    kind: 'text',
    check: checkEnvName,
    global: true,
    schema: (z: ZodModule) => checked(z, checkEnvName),
  },
  region: {
    flag: '--region <region>',
    description: 'AWS region (default: state, AWS_REGION, the profile, then us-east-1)',
    kind: 'text',
    check: checkRegion,
    global: true,
    schema: (z: ZodModule) => checked(z, checkRegion),
  },
  domain: {
    flag: '--domain <domain>',
    description: 'your domain (e.g. example.com): the SES email identity and the CORS defaults',
    kind: 'text',
    check: checkDomain,
    normalize: normalizeDomain,
    schema: (z: ZodModule) => checked(z, checkDomain),
  },
  corsOrigins: {
    flag: '--cors-origin <url>',
    description: 'browser origin allowed to upload (repeatable; default https://<domain> and https://www.<domain>)',
    kind: 'list',
    check: checkCorsOrigin,
    schema: (z: ZodModule) => z.array(checked(z, checkCorsOrigin)).check(z.minLength(1)),
  },
  bucketName: {
    flag: '--bucket-name <name>',
    description: 'S3 bucket name (default <app>-uploads-<env>)',
    kind: 'text',
    check: checkBucketName,
    schema: (z: ZodModule) => checked(z, checkBucketName),
  },
  /** CloudFront in front of the bucket (the CDN); off only by --no-cdn. */
  cdn: {
    flag: '--cdn',
    description: 'put the CloudFront CDN in front of the bucket (the default)',
    kind: 'switch',
    negation: 'leave out the CloudFront CDN (for an emulator without CloudFront, or uploads served by presigned URLs)',
    schema: (z: ZodModule) => z._default(z.boolean(), true),
  },
  /** Custom CDN host name; needs `certificateArn`. */
  cdnDomain: {
    flag: '--cdn-domain <host>',
    description: 'custom CDN host name such as cdn.example.com (needs --certificate-arn)',
    kind: 'text',
    check: checkCdnDomain,
    normalize: normalizeDomain,
    schema: (z: ZodModule) => z.optional(checked(z, checkCdnDomain)),
  },
  /** ACM certificate (us-east-1) covering `cdnDomain`. */
  certificateArn: {
    flag: '--certificate-arn <arn>',
    description: 'ACM certificate in us-east-1 covering --cdn-domain',
    kind: 'text',
    check: checkCertificateArn,
    schema: (z: ZodModule) => z.optional(checked(z, checkCertificateArn)),
  },
  /** SES identity, configuration set, templates and their DNS records; off only by --no-email. */
  email: {
    flag: '--email',
    description: 'set up SES email and its DNS records (the default)',
    kind: 'switch',
    negation: 'leave out SES email and its DNS records (for an emulator without SES v2)',
    schema: (z: ZodModule) => z._default(z.boolean(), true),
  },
  /** Bounce and complaint handling: SES events to a queue, suppression, alarms; on with email unless --no-email-events. */
  emailEvents: {
    flag: '--email-events',
    description:
      'send bounces and complaints to an SQS queue for the app, with suppression and CloudWatch alarms (the default with email)',
    kind: 'switch',
    negation: 'leave out the bounce and complaint queue, its EventBridge rule, the alarms and their SNS topic',
    // No default here: absent means on while email is (emailEventsOn), so a state file written
    // with --no-email, or before this setting existed, reads back as it was meant.
    schema: (z: ZodModule) => z.optional(z.boolean()),
  },
  /** DELIVERY events on the email-events queue too (one message per email delivered). */
  trackDeliveries: {
    flag: '--track-deliveries',
    description: 'also put a message on the email-events queue for every email delivered',
    kind: 'switch',
    negation: 'only bounces, complaints, rejections, delays and rendering failures reach the queue (the default)',
    schema: (z: ZodModule) => z._default(z.boolean(), false),
  },
  /** An address subscribed to the alarms' SNS topic (confirmed by a link AWS mails to it). */
  alertEmail: {
    flag: '--alert-email <address>',
    description: 'subscribe this address to the bounce and complaint alarms (it must confirm the subscription)',
    kind: 'text',
    check: checkAlertEmail,
    schema: (z: ZodModule) => z.optional(checked(z, checkAlertEmail)),
  },
  /** The app's own event bus, queue and the email handler's role and log group; opt-in. */
  events: {
    flag: '--events',
    description:
      'set up an EventBridge bus for domain events, its SQS queue, and the role and log group of an email handler Lambda',
    kind: 'switch',
    negation: 'leave out the app event bus, its queue and the email handler role (the default)',
    schema: (z: ZodModule) => z._default(z.boolean(), false),
  },
  /** Where the email DNS records go: Route 53 (auto finds the zone) or printed for another host. */
  dns: {
    flag: '--dns <mode>',
    description:
      'email DNS records: auto (Route 53 when a public zone matches the domain, else printed), route53, cloudflare (with CLOUDFLARE_API_TOKEN), external',
    kind: 'text',
    check: checkDnsMode,
    schema: (z: ZodModule) => z._default(z.enum(DNS_MODES), 'auto'),
  },
  /** The Route 53 zone to use when more than one public zone has the domain's name. */
  hostedZoneId: {
    flag: '--hosted-zone-id <id>',
    description: "the Route 53 zone to use when several public zones have the domain's name",
    kind: 'text',
    check: checkHostedZoneId,
    schema: (z: ZodModule) => z.optional(checked(z, checkHostedZoneId)),
  },
  /** MAIL FROM domain (bounces, SPF); `mail.<domain>` unless chosen. Read it with emailSettings(). */
  mailFromDomain: {
    flag: '--mail-from <domain>',
    description: 'MAIL FROM domain for bounces and SPF (default mail.<domain>)',
    kind: 'text',
    normalize: normalizeDomain,
    schema: (z: ZodModule) => z.optional(z.string()),
  },
  /** The app's sender address (SES_FROM_EMAIL); `noreply@<domain>` unless chosen. */
  fromEmail: {
    flag: '--from-email <address>',
    description: 'sender address for SES_FROM_EMAIL (default noreply@<domain>)',
    kind: 'text',
    schema: (z: ZodModule) => z.optional(z.string()),
  },
  dmarcPolicy: {
    flag: '--dmarc-policy <policy>',
    description: 'DMARC policy: none, quarantine (default) or reject',
    kind: 'text',
    check: checkDmarcPolicy,
    schema: (z: ZodModule) => z._default(z.enum(DMARC_POLICIES), 'quarantine'),
  },
  /** Name in the email templates; the app name with a capital unless chosen. */
  productName: {
    flag: '--product-name <name>',
    description: 'product name in the email templates (default: the app name, capitalised)',
    kind: 'text',
    check: checkProductName,
    schema: (z: ZodModule) => z.optional(checked(z, checkProductName)),
  },
} as const satisfies Record<string, OptionSpec>;

type Options = typeof CONFIG_OPTIONS;
export type ConfigKey = keyof Options;

type ValueOf<K extends Kind> = K extends 'list' ? string[] : K extends 'switch' ? boolean : string;

/** The settings `init` and `plan` take as flags (not `--env`/`--region`, which every command takes). */
export type ConfigFlagKey = { [K in ConfigKey]: Options[K] extends { global: true } ? never : K }[ConfigKey];

/** What the user typed for each setting (flags, config file, prompts); every one may be missing. */
export type TypedSettings = { [K in ConfigKey]?: ValueOf<Options[K]['kind']> | undefined };

/** Flags that shape the configuration (init and plan), under their config keys; `--config` names a file of the same. */
export type ConfigFlags = { [K in ConfigFlagKey]?: ValueOf<Options[K]['kind']> | undefined } & {
  /** --config <file.json>: the same values from a file; typed flags win. */
  config?: string | undefined;
};

export const CONFIG_KEYS = Object.keys(CONFIG_OPTIONS) as ConfigKey[];

/** Keys of the settings `init` and `plan` declare as flags. */
export const CONFIG_FLAG_KEYS = CONFIG_KEYS.filter((key) => !('global' in CONFIG_OPTIONS[key])) as ConfigFlagKey[];

export const optionOf = (key: ConfigKey): OptionSpec => CONFIG_OPTIONS[key];

/** The state schema's fields, one per setting. */
export function stateShape(z: ZodModule): { [K in ConfigKey]: ReturnType<Options[K]['schema']> } {
  return Object.fromEntries(CONFIG_KEYS.map((key) => [key, CONFIG_OPTIONS[key].schema(z)])) as {
    [K in ConfigKey]: ReturnType<Options[K]['schema']>;
  };
}

/** A config file's fields, one per setting, typed as JSON holds them (values are checked once merged). */
export function fileShape(z: ZodModule) {
  const of = (kind: Kind) => (kind === 'list' ? z.array(z.string()) : kind === 'switch' ? z.boolean() : z.string());
  return Object.fromEntries(CONFIG_KEYS.map((key) => [key, of(CONFIG_OPTIONS[key].kind)])) as {
    [K in ConfigKey]: Options[K]['kind'] extends 'list'
      ? Zod.ZodMiniArray<Zod.ZodMiniString>
      : Options[K]['kind'] extends 'switch'
        ? Zod.ZodMiniBoolean
        : Zod.ZodMiniString;
  };
}

/**
 * What is wrong with the values given, setting by setting (absent ones are not checked): one
 * message per problem, each saying what to type instead.
 */
export function settingProblems(input: TypedSettings): string[] {
  const problems: string[] = [];
  for (const key of CONFIG_KEYS) {
    const check = optionOf(key).check;
    const value = input[key];
    if (check === undefined || value === undefined || typeof value === 'boolean') continue;
    for (const one of Array.isArray(value) ? value : [value]) {
      const problem = check(one);
      if (problem) problems.push(problem);
    }
  }
  return problems;
}

/** A typed value as it is kept (normalised), or undefined when not typed. */
export function normalized<K extends ConfigKey>(key: K, value: TypedSettings[K]): TypedSettings[K] {
  const normalize = optionOf(key).normalize;
  return normalize && typeof value === 'string' ? (normalize(value) as TypedSettings[K]) : value;
}

/** The values of the configuring flags that were typed, under their config keys, from commander's parsed options. */
export function configFlagsFrom(opts: Record<string, unknown>, attributeOf: (flag: string) => string): ConfigFlags {
  const flags: Record<string, unknown> = {};
  for (const key of CONFIG_FLAG_KEYS) {
    const value = opts[attributeOf(CONFIG_OPTIONS[key].flag)];
    if (value !== undefined) flags[key] = value;
  }
  if (opts['config'] !== undefined) flags['config'] = opts['config'];
  return flags as ConfigFlags;
}
