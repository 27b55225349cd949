/**
 * Validators for every value a user can type. Each returns `undefined` when the value is
 * fine, or a message that says what is wrong and what to type instead. The same functions
 * serve flags, config files, the state schema and the wizard's prompts.
 */
export type Check = (value: string) => string | undefined;

const MAX_APP = 32;
const MAX_ENV = 16;

/** Turns free text into a name our resources accept, for "try …" suggestions. */
export function slugify(value: string, max: number): string {
  const slug = value
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, max)
    .replace(/-+$/, '');
  return slug;
}

function suggest(value: string, max: number): string {
  const slug = slugify(value, max);
  return slug.length >= 2 && slug !== value ? ` (try "${slug}")` : '';
}

function nameCheck(what: string, value: string, min: number, max: number, example: string): string | undefined {
  const ok =
    value.length >= min &&
    value.length <= max &&
    /^[a-z][a-z0-9-]*$/.test(value) &&
    !value.endsWith('-') &&
    !value.includes('--');
  if (ok) return undefined;
  return (
    `${what} "${value}" is not valid: use ${min}–${max} lowercase letters, digits and single hyphens, ` +
    `starting with a letter and not ending with a hyphen, for example "${example}"${suggest(value, max)}`
  );
}

/** App name: part of every resource name (bucket, user, configuration set). */
export const checkAppName: Check = (v) => nameCheck('app name', v, 2, MAX_APP, 'healthmetrics');

/** Environment name: one state file and one set of resources each (dev, staging, prod …). */
export const checkEnvName: Check = (v) => nameCheck('environment name', v, 1, MAX_ENV, 'prod');

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
const BUCKET_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'];
const BUCKET_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'];

/** S3 general purpose bucket naming rules, as AWS documents them; the message names the flag to fix it with. */
export function bucketNameProblem(v: string, flag: string, example: string): string | undefined {
  const problems: string[] = [];
  if (v.length < 3 || v.length > 63) problems.push(`it has ${v.length} characters (3–63 allowed)`);
  if (/[^a-z0-9.-]/.test(v)) problems.push('only lowercase letters, digits, dots and hyphens are allowed');
  if (!/^[a-z0-9].*[a-z0-9]$/.test(v) && v.length >= 2) problems.push('it must start and end with a letter or digit');
  if (v.includes('..')) problems.push('it must not contain two adjacent dots ("..")');
  if (v.includes('.-') || v.includes('-.')) problems.push('a dot must not be next to a hyphen');
  if (IPV4.test(v)) problems.push('it must not look like an IP address');
  const prefix = BUCKET_PREFIXES.find((p) => v.startsWith(p));
  if (prefix) problems.push(`it must not start with "${prefix}"`);
  const suffix = BUCKET_SUFFIXES.find((s) => v.endsWith(s));
  if (suffix) problems.push(`it must not end with "${suffix}"`);
  if (problems.length === 0) return undefined;
  return `bucket name "${v}" is not valid: ${problems.join('; ')}. Choose another with ${flag}, for example "${example}"`;
}

/** The uploads bucket's name (--bucket-name). */
export const checkBucketName: Check = (v) => bucketNameProblem(v, '--bucket-name', 'myapp-uploads-prod');

/** Normalises a typed domain: lowercase, no trailing dot. Validation runs on the result. */
export function normalizeDomain(value: string): string {
  return value.trim().toLowerCase().replace(/\.$/, '');
}

/** A DNS domain the user controls (the SES identity and the CORS defaults derive from it). */
export const checkDomain: Check = (raw) => {
  const v = normalizeDomain(raw);
  if (/^[a-z]+:\/\//.test(v) || v.includes('/')) {
    const bare = v.replace(/^[a-z]+:\/\//, '').split('/')[0] ?? '';
    return `domain "${raw}" is not valid: type the bare domain without scheme or path, for example "${bare}"`;
  }
  if (v.length === 0 || v.length > 253)
    return `domain "${raw}" is not valid: it must have 1–253 characters, for example "example.com"`;
  const labels = v.split('.');
  if (labels.length < 2) return `domain "${raw}" is not valid: it needs at least two labels, for example "example.com"`;
  for (const label of labels) {
    if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(label)) {
      return `domain "${raw}" is not valid: label "${label}" must have 1–63 letters, digits or hyphens and must not start or end with a hyphen`;
    }
  }
  const tld = labels[labels.length - 1] ?? '';
  if (/^\d+$/.test(tld))
    return `domain "${raw}" is not valid: it looks like an IP address; type a domain name such as "example.com"`;
  return undefined;
};

/**
 * A browser origin allowed to upload: `https://host[:port]` (one leading `*.` wildcard
 * allowed, as S3 permits), or `http://localhost[:port]` / `http://127.0.0.1[:port]` for
 * development. Origins have no path: browsers never send one, so S3 would never match it.
 */
export const checkCorsOrigin: Check = (v) => {
  const local = /^http:\/\/(localhost|127\.0\.0\.1)(:\d{1,5})?$/;
  const https = /^https:\/\/(\*\.)?([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]*[a-z0-9])?(:\d{1,5})?$/;
  if (local.test(v) || https.test(v)) return undefined;
  if (v === '*')
    return 'CORS origin "*" would let any website upload: list your sites instead, for example "https://example.com"';
  const trimmed = v.replace(/\/+$/, '');
  if (trimmed !== v && (local.test(trimmed) || https.test(trimmed))) {
    return `CORS origin "${v}" is not valid: an origin has no trailing slash; type "${trimmed}"`;
  }
  if (/^http:\/\//.test(v)) {
    return `CORS origin "${v}" is not valid: plain http is allowed only for http://localhost[:port]; use "${v.replace(/^http:/, 'https:')}"`;
  }
  return `CORS origin "${v}" is not valid: use https://host[:port] without a path (for example "https://www.example.com"), or http://localhost:3000 for development`;
};

/** An AWS region code such as us-east-1, eu-west-2, ap-southeast-1 or us-gov-west-1. */
export const checkRegion: Check = (v) =>
  /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/.test(v)
    ? undefined
    : `region "${v}" is not valid: use an AWS region code such as us-east-1 or eu-west-1`;

/** An endpoint for an AWS-compatible API (LocalStack, moto): an http(s) URL. */
export const checkEndpointUrl: Check = (v) => {
  try {
    const url = new URL(v);
    if (url.protocol === 'http:' || url.protocol === 'https:') return undefined;
  } catch {
    // fall through to the message
  }
  return `endpoint URL "${v}" is not valid: use an http(s) URL such as http://localhost:4566`;
};

/**
 * A custom CDN host name (`cdn.example.com`): a domain name as above. CloudFront also accepts a
 * leading `*.` wildcard alias, which this tool does not create: one host, one certificate.
 */
export const checkCdnDomain: Check = (raw) => {
  const problem = checkDomain(raw);
  return problem ? problem.replace(/^domain /, 'CDN domain ') : undefined;
};

const ACM_ARN = /^arn:(aws|aws-cn|aws-us-gov):acm:([a-z]{2}(-[a-z]+)+-\d{1,2}):(\d{12}):certificate\/[0-9a-f-]{36}$/;

/**
 * The ACM certificate of a custom CDN domain. CloudFront reads certificates only from
 * us-east-1, whatever region the rest of the stack is in.
 */
export const checkCertificateArn: Check = (v) => {
  const match = ACM_ARN.exec(v);
  if (!match) {
    return `certificate ARN "${v}" is not valid: pass the ARN of an ACM certificate, such as arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789 (shown by \`aws acm list-certificates --region us-east-1\`)`;
  }
  if (match[2] !== 'us-east-1') {
    return `certificate "${v}" is in ${match[2]}, but CloudFront only uses ACM certificates from us-east-1: request or import the certificate for your CDN domain in us-east-1 and pass that ARN`;
  }
  return undefined;
};

/**
 * The key prefix of team state in its bucket (`hm-infra state setup --prefix`): no empty
 * segment at either end and no `..`, so every state object stays under it.
 */
export const checkStatePrefix: Check = (v) => {
  const problems: string[] = [];
  if (v.trim() === '') problems.push('it is empty');
  if (v.includes('..')) problems.push('it must not contain ".."');
  if (v.startsWith('/') || v.endsWith('/')) problems.push('it must not start or end with "/"');
  if (v.includes('//')) problems.push('it must not contain "//"');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(v)) problems.push('it must not contain control characters');
  if (problems.length === 0) return undefined;
  const example = v
    .split('/')
    .filter((part) => part !== '' && part !== '..' && part !== '.')
    .join('/');
  return `state prefix "${v}" is not valid: ${problems.join('; ')}. Pass --prefix with one or more path segments, for example --prefix ${example || 'hm-infra'}`;
};

const KMS_KEY_ARN =
  /^arn:(aws|aws-cn|aws-us-gov):kms:[a-z]{2}(-[a-z]+)+-\d{1,2}:\d{12}:(key\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})|alias\/[A-Za-z0-9/_-]{1,250})$/;
const KMS_ALIAS = /^alias\/[A-Za-z0-9/_-]{1,250}$/;

/** A KMS key for SSE-KMS: its key or alias ARN, or `alias/<name>` (a key of the caller's account). */
export const checkKmsKey: Check = (v) => {
  if (KMS_KEY_ARN.test(v) || KMS_ALIAS.test(v)) return undefined;
  const bareId = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/.test(v);
  return (
    `KMS key "${v}" is not valid: ` +
    (bareId ? 'pass the key ID as its ARN, ' : 'pass ') +
    'a key ARN such as arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-4e5f-6789-abcd-ef0123456789, an alias ARN such as arn:aws:kms:eu-west-1:123456789012:alias/hm-state, or an alias such as alias/hm-state (shown by `aws kms list-aliases`)'
  );
};

export const LIMITS = { app: MAX_APP, env: MAX_ENV } as const;

/** How DNS records are handled: Route 53 when a public zone matches, Cloudflare's API, else printed for any DNS host. */
export const DNS_MODES = ['auto', 'route53', 'cloudflare', 'external'] as const;
export type DnsMode = (typeof DNS_MODES)[number];

export const checkDnsMode: Check = (v) =>
  (DNS_MODES as readonly string[]).includes(v)
    ? undefined
    : `DNS mode "${v}" is not valid: use auto (Route 53 when a hosted zone matches the domain, else printed), route53, cloudflare (written through Cloudflare's API with CLOUDFLARE_API_TOKEN), or external`;

/** The DMARC policy published on _dmarc.<domain>. */
export const DMARC_POLICIES = ['none', 'quarantine', 'reject'] as const;
export type DmarcPolicy = (typeof DMARC_POLICIES)[number];

export const checkDmarcPolicy: Check = (v) =>
  (DMARC_POLICIES as readonly string[]).includes(v)
    ? undefined
    : `DMARC policy "${v}" is not valid: use none (monitor only), quarantine (the default: spam folder) or reject`;

/** A Route 53 hosted zone id, with or without the `/hostedzone/` prefix the API returns. */
export const checkHostedZoneId: Check = (v) =>
  /^(\/hostedzone\/)?Z[A-Z0-9]{1,31}$/.test(v)
    ? undefined
    : `hosted zone id "${v}" is not valid: use the id Route 53 shows, such as Z0123456789ABCDEFGHIJ (\`aws route53 list-hosted-zones-by-name\`)`;

/** The MAIL FROM domain: a subdomain of the email domain, used for bounces and SPF. */
export function checkMailFromDomain(value: string, domain: string): string | undefined {
  const v = normalizeDomain(value);
  const problem = checkDomain(v);
  if (problem) return problem.replace(/^domain /, 'MAIL FROM domain ');
  if (!v.endsWith(`.${domain}`)) {
    return `MAIL FROM domain "${value}" is not valid: it must be a subdomain of ${domain}, for example "mail.${domain}"`;
  }
  return undefined;
}

/** The sender address the app uses: an address at the email domain (or one of its subdomains). */
export function checkFromEmail(value: string, domain: string): string | undefined {
  const match = /^([A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64})@([^@\s]+)$/.exec(value);
  const local = match?.[1];
  const host = match?.[2]?.toLowerCase();
  if (!local || !host || local.startsWith('.') || local.endsWith('.') || local.includes('..') || checkDomain(host)) {
    return `sender address "${value}" is not valid: use an address such as noreply@${domain}`;
  }
  if (host !== domain && !host.endsWith(`.${domain}`)) {
    return `sender address "${value}" is not at ${domain}: SES sends only from the verified domain; use an address such as noreply@${domain}`;
  }
  return undefined;
}

/** An address to send alarm notifications to (any domain: it is a person's mailbox, not a sender). */
export const checkAlertEmail: Check = (v) => {
  const match = /^([A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64})@([^@\s]+)$/.exec(v);
  const local = match?.[1];
  const host = match?.[2]?.toLowerCase();
  if (!local || !host || local.startsWith('.') || local.endsWith('.') || local.includes('..') || checkDomain(host))
    return `alert address "${v}" is not an email address: use one such as ops@example.com`;
  return undefined;
};

/** The product name in the email templates' subjects and bodies ("Verify your HealthMetrics account"). */
export const checkProductName: Check = (v) => {
  if (v.trim() !== v || v.length < 1 || v.length > 60)
    return `product name "${v}" is not valid: use 1–60 characters without leading or trailing spaces, for example "HealthMetrics"`;
  if (/[<>{}&"\\]|[\p{Cc}]/u.test(v))
    return `product name "${v}" is not valid: it appears in email HTML and subjects, so < > { } & " \\ and control characters are not allowed`;
  return undefined;
};
