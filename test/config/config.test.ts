import { describe, expect, it } from 'vitest';
import { type Config, type ConfigInput, ConfigSchema, emailEventsOn, resolveConfig } from '../../src/config/config.js';
import {
  checkAppName,
  checkBucketName,
  checkCdnDomain,
  checkCertificateArn,
  checkCorsOrigin,
  checkDomain,
  checkEnvName,
  checkKmsKey,
  checkRegion,
  checkStatePrefix,
} from '../../src/config/validate.js';
import { HmError } from '../../src/errors.js';

describe('validators', () => {
  it.each([
    [
      'app',
      checkAppName,
      ['healthmetrics', 'my-app2', 'ab'],
      ['A', 'Health_Metrics', '1app', 'app-', 'my--app', 'a'.repeat(33)],
    ],
    ['env', checkEnvName, ['dev', 'prod', 'staging-2', 'x'], ['Prod', 'dev_1', '-dev', 'a'.repeat(17), '../etc']],
    [
      'region',
      checkRegion,
      ['us-east-1', 'eu-west-2', 'ap-southeast-1', 'us-gov-west-1'],
      ['useast1', 'US-EAST-1', 'us-east', 'east-1'],
    ],
    [
      'domain',
      checkDomain,
      ['example.com', 'Example.COM.', 'mail.example.co.uk', 'xn--bcher-kva.example'],
      ['example', 'https://example.com', 'exa_mple.com', '-a.com', '1.2.3.4', 'example.com/path'],
    ],
    [
      'cors origin',
      checkCorsOrigin,
      [
        'https://example.com',
        'https://www.example.com:8443',
        'http://localhost:3003',
        'http://127.0.0.1',
        'https://*.example.com',
      ],
      [
        'http://example.com',
        'https://example.com/',
        'https://example.com/app',
        '*',
        'ftp://example.com',
        'example.com',
      ],
    ],
    [
      'bucket name',
      checkBucketName,
      ['healthmetrics-uploads-dev', 'abc', 'a.b-c', 'a'.repeat(63)],
      [
        'ab',
        'a'.repeat(64),
        'My-Bucket',
        'my..bucket',
        '192.168.1.1',
        'xn--bucket',
        'bucket-',
        'bucket-s3alias',
        'my_bucket',
        'a.-b',
        'sthree-x',
      ],
    ],
    [
      'CDN domain',
      checkCdnDomain,
      ['cdn.example.com', 'static.example.co.uk'],
      ['cdn', 'https://cdn.example.com', 'cdn.example.com/x'],
    ],
    [
      'certificate ARN',
      checkCertificateArn,
      ['arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789'],
      [
        'arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789',
        'arn:aws:iam::123456789012:server-certificate/cdn',
        'arn:aws:acm:us-east-1:123456789012:certificate/short',
        '0a1b2c3d-4e5f-6789-abcd-ef0123456789',
      ],
    ],
    [
      'state prefix',
      checkStatePrefix,
      ['hm-infra', 'teams/platform', 'a.b', 'env_1'],
      ['', ' ', '/hm-infra', 'hm-infra/', 'a/../b', '..', 'a//b', 'a\nb'],
    ],
    [
      'KMS key',
      checkKmsKey,
      [
        'arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-4e5f-6789-abcd-ef0123456789',
        'arn:aws:kms:us-east-1:123456789012:key/mrk-0123456789abcdef0123456789abcdef',
        'arn:aws-cn:kms:cn-north-1:123456789012:alias/hm-state',
        'alias/hm-state',
        'alias/aws/s3',
      ],
      [
        '0a1b2c3d-4e5f-6789-abcd-ef0123456789',
        'hm-state',
        'alias/',
        'arn:aws:kms:eu-west-1:123456789012:key/short',
        'arn:aws:s3:::bucket',
        'alias/has space',
      ],
    ],
  ] as const)('%s: accepts the good and explains the bad', (_what, check, good, bad) => {
    for (const value of good) expect(check(value), value).toBeUndefined();
    for (const value of bad)
      expect(check(value), value).toMatch(
        /is not valid|would let any website|only uses ACM certificates from us-east-1/,
      );
  });

  it('suggests what to type instead', () => {
    expect(checkAppName('Health_Metrics')).toContain('try "health-metrics"');
    expect(checkCorsOrigin('https://example.com/')).toContain('type "https://example.com"');
    expect(checkCorsOrigin('http://example.com')).toContain('use "https://example.com"');
    expect(checkDomain('https://example.com/x')).toContain('for example "example.com"');
    expect(checkBucketName('my..bucket')).toContain('two adjacent dots');
    expect(checkBucketName('xn--abc')).toContain('must not start with "xn--"');
    expect(checkBucketName('10.0.0.1')).toContain('IP address');
    expect(checkBucketName('my_bucket')).toContain('Choose another with --bucket-name');
    expect(checkStatePrefix('/teams/../a/')).toContain('for example --prefix teams/a');
    expect(checkKmsKey('0a1b2c3d-4e5f-6789-abcd-ef0123456789')).toContain('pass the key ID as its ARN');
  });
});

describe('resolveConfig', () => {
  const base = { environment: 'dev', region: 'us-east-1' };

  it('derives the bucket name and CORS origins from app, env and domain', () => {
    const config = resolveConfig({ ...base, app: 'healthmetrics', domain: 'Example.com.' });
    expect(config).toEqual({
      app: 'healthmetrics',
      environment: 'dev',
      region: 'us-east-1',
      domain: 'example.com',
      bucketName: 'healthmetrics-uploads-dev',
      corsOrigins: ['https://example.com', 'https://www.example.com'],
      cdn: true,
      email: true,
      dns: 'auto',
      mailFromDomain: 'mail.example.com',
      fromEmail: 'noreply@example.com',
      dmarcPolicy: 'quarantine',
      productName: 'Healthmetrics',
      trackDeliveries: false,
      events: false,
    });
  });

  it('falls back to the recorded configuration for values not given', () => {
    const recorded = resolveConfig({
      ...base,
      app: 'hm',
      domain: 'example.com',
      bucketName: 'custom-bucket',
      corsOrigins: ['http://localhost:3000'],
    });
    expect(resolveConfig(base, recorded)).toEqual(recorded);
    expect(resolveConfig({ ...base, corsOrigins: ['https://app.example.com'] }, recorded).corsOrigins).toEqual([
      'https://app.example.com',
    ]);
  });

  it('takes a custom CDN domain only with its certificate, and keeps both for later runs', () => {
    const cert = 'arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789';
    const input = { ...base, app: 'hm', domain: 'example.com' };
    expect(() => resolveConfig({ ...input, cdnDomain: 'cdn.example.com' })).toThrow(/needs --certificate-arn/);
    expect(() => resolveConfig({ ...input, certificateArn: cert })).toThrow(/add --cdn-domain/);
    const recorded = resolveConfig({ ...input, cdnDomain: 'CDN.example.com', certificateArn: cert });
    expect(recorded).toMatchObject({ cdnDomain: 'cdn.example.com', certificateArn: cert });
    expect(resolveConfig(base, recorded)).toEqual(recorded);
  });

  it('keeps --no-cdn for later runs, and refuses CDN settings with it', () => {
    const input = { ...base, app: 'hm', domain: 'example.com' };
    const recorded = resolveConfig({ ...input, cdn: false });
    expect(resolveConfig(base, recorded).cdn).toBe(false);
    expect(resolveConfig({ ...base, cdn: true }, recorded).cdn).toBe(true);
    expect(() => resolveConfig({ ...input, cdn: false, cdnDomain: 'cdn.example.com' })).toThrow(/--no-cdn leaves out/);
  });

  it('names every missing flag at once', () => {
    expect(() => resolveConfig(base)).toThrow(/missing required values: --app <name>, --domain <domain>/);
  });

  it('reports every invalid value at once, as bad input (exit 2)', () => {
    let error: unknown;
    try {
      resolveConfig({ ...base, region: 'nowhere', app: 'Bad App', domain: 'nodot', corsOrigins: ['http://x.com'] });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(HmError);
    const lines = (error as HmError).message.split('\n');
    expect(lines).toHaveLength(4);
    expect((error as HmError).exitCode).toBe(2);
  });

  it('derives the email settings from the domain, and keeps chosen ones only while the domain stays', () => {
    const chosen = resolveConfig({
      ...base,
      app: 'my-app',
      domain: 'example.com',
      mailFromDomain: 'Bounce.Example.com',
      fromEmail: 'hello@example.com',
      dmarcPolicy: 'reject',
    });
    expect(chosen).toMatchObject({
      mailFromDomain: 'bounce.example.com',
      fromEmail: 'hello@example.com',
      dmarcPolicy: 'reject',
      productName: 'My App',
      dns: 'auto',
      email: true,
    });
    expect(resolveConfig(base, chosen)).toEqual(chosen);
    const moved = resolveConfig({ ...base, domain: 'example.org' }, chosen);
    expect(moved).toMatchObject({
      mailFromDomain: 'mail.example.org',
      fromEmail: 'noreply@example.org',
      dmarcPolicy: 'reject',
    });
  });

  it('refuses email settings that do not fit the domain, or that --no-email leaves out', () => {
    const problems = (input: Partial<ConfigInput>) => {
      try {
        resolveConfig({ ...base, app: 'hm', domain: 'example.com', ...input });
        return '';
      } catch (err) {
        return (err as HmError).message;
      }
    };
    expect(problems({ mailFromDomain: 'example.com' })).toContain('must be a subdomain of example.com');
    expect(problems({ fromEmail: 'not-an-address' })).toContain('sender address "not-an-address" is not valid');
    expect(problems({ productName: 'Evil <script>' })).toContain('product name "Evil <script>" is not valid');
    expect(problems({ email: false, fromEmail: 'a@example.com' })).toContain('which --no-email leaves out');
    expect(problems({ email: false })).toBe('');
    expect(problems({ hostedZoneId: 'not-a-zone' })).toContain('hosted zone id "not-a-zone" is not valid');
  });

  describe('email events and app events', () => {
    const problems = (input: Partial<ConfigInput>, recorded?: Config) => {
      try {
        resolveConfig({ ...base, app: 'hm', domain: 'example.com', ...input }, recorded);
        return '';
      } catch (err) {
        return `${(err as HmError).code}: ${(err as HmError).message}`;
      }
    };

    it('turns bounce handling on with email, and keeps --no-email-events and --events for later runs', () => {
      const first = resolveConfig({ ...base, app: 'hm', domain: 'example.com' });
      expect(emailEventsOn(first)).toBe(true);
      expect(first.events).toBe(false);
      const off = resolveConfig({ ...base, app: 'hm', domain: 'example.com', emailEvents: false, events: true });
      expect(emailEventsOn(off)).toBe(false);
      const again = resolveConfig({ ...base }, off);
      expect(emailEventsOn(again)).toBe(false);
      expect(again.events).toBe(true);
      expect(emailEventsOn(resolveConfig({ ...base, app: 'hm', domain: 'example.com', email: false }))).toBe(false);
    });

    it('reads a state file from before these settings, or written with --no-email, as it was meant', () => {
      const older = ConfigSchema.parse({
        app: 'hm',
        environment: 'dev',
        region: 'us-east-1',
        domain: 'example.com',
        bucketName: 'hm-uploads-dev',
        corsOrigins: ['https://example.com'],
        cdn: true,
        email: false,
        dns: 'auto',
        dmarcPolicy: 'quarantine',
      });
      expect(emailEventsOn(older)).toBe(false);
      expect(older.events).toBe(false);
      expect(emailEventsOn({ ...older, email: true })).toBe(true);
    });

    it('refuses an --alert-email that is not an address, as bad input', () => {
      expect(problems({ alertEmail: 'ops-at-example.com' })).toBe(
        'INVALID_INPUT: alert address "ops-at-example.com" is not an email address: use one such as ops@example.com',
      );
      expect(problems({ alertEmail: 'ops@localhost' })).toContain('is not an email address');
      expect(problems({ alertEmail: 'ops@other.org' })).toBe('');
    });

    it('refuses what builds on email with --no-email, naming the flags to drop', () => {
      expect(problems({ email: false, events: true })).toBe(
        "INVALID_INPUT: --events builds on SES email, which --no-email leaves out (the email handler's role sends through SES): drop --no-email, or leave out that (--no-events)",
      );
      expect(problems({ email: false, alertEmail: 'ops@example.com', trackDeliveries: true })).toContain(
        '--track-deliveries, --alert-email ops@example.com build on SES email',
      );
      expect(problems({ email: false, emailEvents: false })).toBe('');
    });

    it('refuses alert and delivery settings with --no-email-events', () => {
      expect(problems({ emailEvents: false, alertEmail: 'ops@example.com' })).toBe(
        'INVALID_INPUT: --alert-email ops@example.com configures the bounce and complaint handling, which --no-email-events leaves out: drop one or the other',
      );
      expect(problems({ emailEvents: false, trackDeliveries: true })).toContain('--track-deliveries configures');
    });

    it('drops a recorded alert address and delivery tracking when bounce handling is turned off', () => {
      const recorded = resolveConfig({
        ...base,
        app: 'hm',
        domain: 'example.com',
        alertEmail: 'ops@example.org',
        trackDeliveries: true,
      });
      expect(recorded).toMatchObject({ alertEmail: 'ops@example.org', trackDeliveries: true });
      const off = resolveConfig({ ...base, emailEvents: false }, recorded);
      expect(off.alertEmail).toBeUndefined();
      expect(off.trackDeliveries).toBe(false);
      // Kept while it stays on.
      expect(resolveConfig({ ...base }, recorded).alertEmail).toBe('ops@example.org');
    });

    it('refuses a state file that has app events without email', () => {
      const parsed = ConfigSchema.safeParse({
        ...resolveConfig({ ...base, app: 'hm', domain: 'example.com', email: false }),
        events: true,
      });
      expect(parsed.success).toBe(false);
      expect(parsed.error?.issues[0]?.message).toContain('--events builds on SES email');
    });
  });
});
