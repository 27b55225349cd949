import { basename } from 'node:path';
import type { ProfileInfo, PublicZone } from '../aws/discover.js';
import { defaults } from '../config/config.js';
import {
  checkAppName,
  checkCdnDomain,
  checkCertificateArn,
  checkCorsOrigin,
  checkDomain,
  checkEnvName,
  checkFromEmail,
  checkRegion,
  LIMITS,
  normalizeDomain,
  slugify,
} from '../config/validate.js';
import type { State } from '../state/schema.js';
import type { ConfigFlags, GlobalOptions } from './common.js';
import { type Io, styleFor } from './io.js';
import type { Prompter } from './prompts.js';

/** What the wizard needs from outside: the prompts, and read-only lookups. */
export interface WizardDeps {
  prompter: Prompter;
  /** The environment's state file, if it was set up before (read only, no lock). */
  loadState(env: string): Promise<State | undefined>;
  profiles(): Promise<ProfileInfo[]>;
  /** The region the SDK would use with this profile (AWS_REGION, the profile's region). */
  regionOf(profile: string | undefined): Promise<string | undefined>;
  /** The account's public Route 53 zones, with the chosen profile and region. */
  zones(profile: string | undefined, region: string): Promise<PublicZone[]>;
}

export interface WizardStart {
  globals: GlobalOptions;
  flags: ConfigFlags;
  /** --env was typed (or came from --config): not asked. */
  envGiven: boolean;
  /**
   * Ask every question not answered by a flag. False when flags were typed but a required
   * value is missing: then only the missing ones are asked.
   */
  askAll: boolean;
}

export interface WizardAnswers {
  globals: GlobalOptions;
  flags: ConfigFlags;
}

/** The choice for "no profile: the default credential chain" (environment variables, SSO …). */
const CHAIN = '\u0000chain';
/** The choice for "a domain that is not one of these zones". */
const OTHER = '\u0000other';

/** Turns "a, b c" into origins: commas or spaces separate them. */
export function splitOrigins(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).filter(Boolean))];
}

/**
 * The questions `init` asks a newcomer, in order: environment (it picks the state file whose
 * answers become the defaults), app, AWS profile, region, domain (the account's Route 53
 * zones, or typed for another DNS host), CORS origins, sender address, optional CDN host
 * name. Each answer is checked by the same validator as its flag, and asked again until valid.
 * It returns flags, so the rest of `init` does not know whether they were typed or answered.
 */
export async function runWizard(start: WizardStart, io: Io, deps: WizardDeps): Promise<WizardAnswers> {
  const style = styleFor(io);
  const ask = deps.prompter;
  const globals = { ...start.globals };
  const flags = { ...start.flags };
  const note = (text: string) => io.err(style.dim(text));
  io.err(
    `${style.bold('hm-infra: file uploads and email for your app on AWS.')} ${style.dim('Ctrl-C stops; nothing changes until you confirm the plan.')}`,
  );

  if (!start.envGiven && start.askAll) {
    globals.env = await ask.input({
      id: 'env',
      message: 'Environment (one set of resources each, e.g. dev, staging, prod)',
      default: globals.env,
      validate: checkEnvName,
    });
  }
  const state = await deps.loadState(globals.env);
  if (state)
    note(
      `Environment "${globals.env}" was set up for ${state.app} in ${state.region}; answers default to what it holds.`,
    );

  if (flags.app === undefined && !state) {
    const guess = slugify(basename(io.cwd), LIMITS.app);
    flags.app = await ask.input({
      id: 'app',
      message: 'App name (part of every resource name)',
      ...(checkAppName(guess) ? {} : { default: guess }),
      validate: checkAppName,
    });
  }

  if (globals.profile === undefined && start.askAll) await askProfile(globals, io, deps, note);

  let region = globals.region ?? state?.region;
  if (region === undefined) {
    const fallback = (await deps.regionOf(globals.profile)) ?? 'us-east-1';
    region = start.askAll
      ? await ask.input({ id: 'region', message: 'AWS region', default: fallback, validate: checkRegion })
      : fallback;
    if (start.askAll) globals.region = region;
  }

  const recordedDomain = state?.config.domain;
  if (flags.domain === undefined && (start.askAll || recordedDomain === undefined)) {
    const cloudflare = Boolean(io.env['CLOUDFLARE_API_TOKEN']);
    const chosen = await askDomain(region, recordedDomain, globals, flags, deps, note, cloudflare);
    flags.domain = chosen.domain;
    if (chosen.domain !== recordedDomain && flags.email !== false) {
      if (flags.dns === undefined) flags.dns = chosen.dns;
      if (chosen.hostedZoneId !== undefined && flags.hostedZoneId === undefined)
        flags.hostedZoneId = chosen.hostedZoneId;
    }
  }
  const domain = normalizeDomain(flags.domain ?? recordedDomain ?? '');
  const sameDomain = recordedDomain === domain;
  if (!start.askAll) return { globals, flags };

  if (flags.corsOrigins === undefined) {
    const current = sameDomain && state ? state.config.corsOrigins : defaults.corsOrigins(domain);
    const answer = await ask.input({
      id: 'cors',
      message: 'Browser origins allowed to upload (separate with commas)',
      default: current.join(', '),
      validate: (text) => {
        const origins = splitOrigins(text);
        if (origins.length === 0) return `type at least one origin, for example https://${domain}`;
        return origins.map(checkCorsOrigin).find((p) => p !== undefined);
      },
    });
    flags.corsOrigins = splitOrigins(answer);
  }

  if ((flags.email ?? state?.config.email ?? true) && flags.fromEmail === undefined) {
    const current = (sameDomain ? state?.config.fromEmail : undefined) ?? `noreply@${domain}`;
    flags.fromEmail = await ask.input({
      id: 'from-email',
      message: "Sender address of your app's emails",
      default: current,
      validate: (v) => checkFromEmail(v, domain),
    });
  }

  if ((flags.cdn ?? state?.config.cdn ?? true) && flags.cdnDomain === undefined) {
    const had = state?.config.cdnDomain;
    const custom = await ask.confirm({
      id: 'cdn-custom',
      message:
        'Serve uploads from your own host name, such as cdn.example.com? (needs an ACM certificate in us-east-1)',
      default: had !== undefined,
    });
    if (custom) {
      flags.cdnDomain = await ask.input({
        id: 'cdn-domain',
        message: 'CDN host name',
        default: had ?? `cdn.${domain}`,
        validate: checkCdnDomain,
      });
      if (flags.certificateArn === undefined) {
        const recorded = state?.config.certificateArn;
        flags.certificateArn = await ask.input({
          id: 'certificate-arn',
          message: `ARN of the ACM certificate (us-east-1) covering ${flags.cdnDomain}`,
          ...(recorded !== undefined ? { default: recorded } : {}),
          validate: checkCertificateArn,
        });
      }
    } else if (had !== undefined) {
      note(
        `The CDN keeps its host name ${had}; init does not remove a custom domain (teardown and set up again to drop it).`,
      );
    }
  }
  return { globals, flags };
}

async function askProfile(
  globals: GlobalOptions,
  io: Io,
  deps: WizardDeps,
  note: (text: string) => void,
): Promise<void> {
  const profiles = await deps.profiles().catch(() => [] as ProfileInfo[]);
  const fromEnvironment = Boolean(io.env['AWS_ACCESS_KEY_ID']);
  if (profiles.length === 0) {
    note(
      'No profiles in ~/.aws/config or ~/.aws/credentials: using the default credentials (environment variables, then the instance role).',
    );
    return;
  }
  const kinds: Record<ProfileInfo['kind'], string> = {
    sso: 'IAM Identity Center (SSO)',
    role: 'assumes a role',
    keys: 'access keys',
    process: 'credential process',
    other: 'profile',
  };
  const choices = [
    ...(fromEnvironment
      ? [
          {
            value: CHAIN,
            name: 'Credentials from the environment',
            description: 'AWS_ACCESS_KEY_ID and friends, as set in this shell',
          },
        ]
      : []),
    ...profiles.map((p) => ({
      value: p.name,
      name: p.name,
      description: `${kinds[p.kind]}${p.region ? `, region ${p.region}` : ''}`,
    })),
  ];
  const preferred = io.env['AWS_PROFILE'] || (fromEnvironment ? CHAIN : 'default');
  const chosen = await deps.prompter.select({
    id: 'profile',
    message: 'AWS profile (credentials to use)',
    choices,
    ...(choices.some((c) => c.value === preferred) ? { default: preferred } : {}),
  });
  if (chosen !== CHAIN) globals.profile = chosen;
}

interface DomainChoice {
  domain: string;
  dns: 'route53' | 'cloudflare' | 'external' | undefined;
  hostedZoneId?: string;
}

async function askDomain(
  region: string,
  recorded: string | undefined,
  globals: GlobalOptions,
  flags: ConfigFlags,
  deps: WizardDeps,
  note: (text: string) => void,
  cloudflare: boolean,
): Promise<DomainChoice> {
  let zones: PublicZone[] = [];
  try {
    zones = await deps.zones(globals.profile, region);
  } catch (err) {
    note(`Could not list your Route 53 zones (${(err as Error).message}); type the domain instead.`);
  }
  const typeIt = async (): Promise<DomainChoice> => {
    const domain = normalizeDomain(
      await deps.prompter.input({
        id: 'domain',
        message: 'Domain of your app (email is sent from it; CORS defaults derive from it)',
        ...(recorded !== undefined ? { default: recorded } : {}),
        validate: checkDomain,
      }),
    );
    const zone = zones.find((z) => z.name === domain);
    if (!zone && cloudflare && flags.email !== false) {
      // With a Cloudflare API token in the environment, the records can be written there.
      const host = await deps.prompter.select({
        id: 'dns-host',
        message: `Where are the DNS records of ${domain}?`,
        choices: [
          {
            value: 'cloudflare' as const,
            name: 'Cloudflare',
            description: "write the email records through Cloudflare's API (CLOUDFLARE_API_TOKEN is set)",
          },
          {
            value: 'external' as const,
            name: 'Another DNS host',
            description: 'print them, as its form wants them, for you to add',
          },
        ],
        default: 'cloudflare' as const,
      });
      return { domain, dns: host };
    }
    return { domain, dns: zones.length === 0 ? undefined : zone ? 'route53' : 'external' };
  };
  if (zones.length === 0) return typeIt();
  const emailNote = flags.email === false ? '' : ': its email DNS records are written there';
  const choices = [
    ...zones.map((z) => ({ value: z.id, name: z.name, description: `Route 53 zone ${z.id}${emailNote}` })),
    {
      value: OTHER,
      name: 'Another domain',
      description: 'type it; the DNS records are printed for you to add at your DNS host',
    },
  ];
  const recordedZone = zones.find((z) => z.name === recorded);
  const chosen = await deps.prompter.select({
    id: 'domain-zone',
    message: 'Domain of your app',
    choices,
    ...(recordedZone ? { default: recordedZone.id } : {}),
  });
  if (chosen === OTHER) return typeIt();
  const zone = zones.find((z) => z.id === chosen) as PublicZone;
  const sameName = zones.filter((z) => z.name === zone.name).length > 1;
  return { domain: zone.name, dns: 'route53', ...(sameName ? { hostedZoneId: zone.id } : {}) };
}
