import * as z from 'zod/mini';
import './zod-english.js';
import { HmError } from '../errors.js';
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
  checkFromEmail,
  checkHostedZoneId,
  checkMailFromDomain,
  checkProductName,
  checkRegion,
  DMARC_POLICIES,
  DNS_MODES,
  normalizeDomain,
} from './validate.js';

/** Applies a validator inside a zod schema, so the state file is held to the same rules as flags. */
function checked(check: Check) {
  return z.string().check(
    z.superRefine((value, ctx) => {
      const problem = check(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  );
}

/**
 * Everything that decides what gets provisioned for one environment. It is stored in the
 * state file, so a re-run without flags reproduces the same resources.
 */
export const ConfigSchema = z
  .strictObject({
    app: checked(checkAppName),
    environment: checked(checkEnvName),
    region: checked(checkRegion),
    domain: checked(checkDomain),
    bucketName: checked(checkBucketName),
    corsOrigins: z.array(checked(checkCorsOrigin)).check(z.minLength(1)),
    /** CloudFront in front of the bucket (the PRD's CDN); off only by --no-cdn. */
    cdn: z._default(z.boolean(), true),
    /** Custom CDN host name; needs `certificateArn`. */
    cdnDomain: z.optional(checked(checkCdnDomain)),
    /** ACM certificate (us-east-1) covering `cdnDomain`. */
    certificateArn: z.optional(checked(checkCertificateArn)),
    /** SES identity, configuration set, templates and their DNS records; off only by --no-email. */
    email: z._default(z.boolean(), true),
    /** Where the email DNS records go: Route 53 (auto finds the zone) or printed for another host. */
    dns: z._default(z.enum(DNS_MODES), 'auto'),
    /** The Route 53 zone to use when more than one public zone has the domain's name. */
    hostedZoneId: z.optional(checked(checkHostedZoneId)),
    /** MAIL FROM domain (bounces, SPF); `mail.<domain>` unless chosen. Read it with emailSettings(). */
    mailFromDomain: z.optional(z.string()),
    /** The app's sender address (SES_FROM_EMAIL); `noreply@<domain>` unless chosen. */
    fromEmail: z.optional(z.string()),
    dmarcPolicy: z._default(z.enum(DMARC_POLICIES), 'quarantine'),
    /** Name in the email templates; the app name with a capital unless chosen. */
    productName: z.optional(checked(checkProductName)),
  })
  .check(
    z.superRefine((config, ctx) => {
      for (const problem of [pairProblem(config), ...emailProblems(config)]) {
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      }
    }),
  );

export type Config = z.infer<typeof ConfigSchema>;

/** What the user typed (flags, config file, prompts); every field may be missing. */
export interface ConfigInput {
  app?: string | undefined;
  environment: string;
  region: string;
  domain?: string | undefined;
  bucketName?: string | undefined;
  corsOrigins?: string[] | undefined;
  cdn?: boolean | undefined;
  cdnDomain?: string | undefined;
  certificateArn?: string | undefined;
  email?: boolean | undefined;
  dns?: string | undefined;
  hostedZoneId?: string | undefined;
  mailFromDomain?: string | undefined;
  fromEmail?: string | undefined;
  dmarcPolicy?: string | undefined;
  productName?: string | undefined;
}

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
  const checks: Array<[Check, string | undefined]> = [
    [checkAppName, input.app],
    [checkEnvName, input.environment],
    [checkRegion, input.region],
    [checkDomain, input.domain],
    [checkBucketName, input.bucketName],
    ...(input.corsOrigins ?? []).map((origin): [Check, string] => [checkCorsOrigin, origin]),
    [checkCdnDomain, input.cdnDomain],
    [checkCertificateArn, input.certificateArn],
    [checkDnsMode, input.dns],
    [checkHostedZoneId, input.hostedZoneId],
    [checkDmarcPolicy, input.dmarcPolicy],
    [checkProductName, input.productName],
  ];
  const problems = [
    ...checks.flatMap(([check, value]) => (value === undefined ? [] : [check(value)])),
    ...emailProblems(input),
  ];
  return [...new Set(problems.filter((p) => p !== undefined))];
}

/**
 * Merges what the user typed over what the state file recorded, fills defaults, and
 * validates everything at once, so one run reports every problem, before any AWS call.
 */
export function resolveConfig(input: ConfigInput, recorded?: Config): Config {
  const merged: ConfigInput = {
    app: input.app ?? recorded?.app,
    environment: input.environment,
    region: input.region,
    domain: input.domain !== undefined ? normalizeDomain(input.domain) : recorded?.domain,
    bucketName: input.bucketName ?? recorded?.bucketName,
    corsOrigins: input.corsOrigins?.length ? input.corsOrigins : recorded?.corsOrigins,
    cdn: input.cdn ?? recorded?.cdn ?? true,
    cdnDomain: input.cdnDomain !== undefined ? normalizeDomain(input.cdnDomain) : recorded?.cdnDomain,
    certificateArn: input.certificateArn ?? recorded?.certificateArn,
    email: input.email ?? recorded?.email ?? true,
    dns: input.dns ?? recorded?.dns,
    hostedZoneId: input.hostedZoneId ?? recorded?.hostedZoneId,
    dmarcPolicy: input.dmarcPolicy ?? recorded?.dmarcPolicy,
    productName: input.productName ?? recorded?.productName,
  };
  // Addresses at the domain are carried over only while the domain stays the same.
  const sameDomain = recorded !== undefined && recorded.domain === merged.domain;
  merged.mailFromDomain =
    input.mailFromDomain !== undefined
      ? normalizeDomain(input.mailFromDomain)
      : sameDomain
        ? recorded.mailFromDomain
        : undefined;
  merged.fromEmail = input.fromEmail ?? (sameDomain ? recorded.fromEmail : undefined);
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
  const pair = pairProblem(merged);
  const problems = [...inputProblems({ ...merged, app, domain }), ...(pair ? [pair] : [])];
  if (problems.length > 0) throw new HmError('INVALID_INPUT', problems.join('\n'), 'user');
  const candidate = {
    app,
    environment: merged.environment,
    region: merged.region,
    domain,
    bucketName: merged.bucketName ?? defaults.bucketName(app, merged.environment),
    corsOrigins: [...new Set(merged.corsOrigins ?? defaults.corsOrigins(domain))],
    cdn: merged.cdn ?? true,
    ...(merged.cdnDomain !== undefined ? { cdnDomain: merged.cdnDomain } : {}),
    ...(merged.certificateArn !== undefined ? { certificateArn: merged.certificateArn } : {}),
    email: merged.email ?? true,
    dns: merged.dns ?? 'auto',
    ...(merged.hostedZoneId !== undefined ? { hostedZoneId: merged.hostedZoneId.replace(/^\/hostedzone\//, '') } : {}),
    // Without email there is no sender to default; a typed one is refused above.
    ...(merged.email !== false
      ? {
          mailFromDomain: merged.mailFromDomain ?? `mail.${domain}`,
          fromEmail: merged.fromEmail ?? `noreply@${domain}`,
        }
      : {}),
    dmarcPolicy: merged.dmarcPolicy ?? 'quarantine',
    productName: merged.productName ?? defaultProductName(app),
  };
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
