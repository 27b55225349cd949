/**
 * What the wizard offers as choices: profiles from the shared AWS config files (read with the
 * SDK's own loader, so `[profile x]`, `AWS_CONFIG_FILE` and `AWS_SHARED_CREDENTIALS_FILE` mean
 * what they mean to the SDK) and the account's public Route 53 zones.
 */
import { ListHostedZonesByNameCommand } from '@aws-sdk/client-route-53';
import { loadSharedConfigFiles } from '@smithy/core/config';
import type { AwsContext } from './context.js';
import { toHmError } from './errors.js';

export interface ProfileInfo {
  name: string;
  /** The profile's `region`, when it sets one. */
  region: string | undefined;
  /** How it signs in, for the choice's description. */
  kind: 'sso' | 'role' | 'keys' | 'process' | 'other';
}

/** Sections of the config file that are not profiles (`[sso-session x]`, `[services x]`). */
const NOT_PROFILES = /^(sso-session|services)\./;

/** Every profile of ~/.aws/config and ~/.aws/credentials, sorted, `default` first. */
export async function listProfiles(): Promise<ProfileInfo[]> {
  const { configFile, credentialsFile } = await loadSharedConfigFiles({ ignoreCache: true });
  const names = new Set(
    [...Object.keys(configFile), ...Object.keys(credentialsFile)].filter((name) => !NOT_PROFILES.test(name)),
  );
  const profiles = [...names].map((name): ProfileInfo => {
    const settings = { ...credentialsFile[name], ...configFile[name] };
    const kind =
      settings['sso_session'] || settings['sso_start_url']
        ? 'sso'
        : settings['role_arn']
          ? 'role'
          : settings['aws_access_key_id']
            ? 'keys'
            : settings['credential_process']
              ? 'process'
              : 'other';
    return { name, region: settings['region'] || undefined, kind };
  });
  return profiles.sort((a, b) => (a.name === 'default' ? -1 : b.name === 'default' ? 1 : a.name.localeCompare(b.name)));
}

export interface PublicZone {
  id: string;
  /** Without the trailing dot. */
  name: string;
}

/**
 * The account's public hosted zones, sorted by name, at most `limit` (a wizard list longer
 * than that is no help; the domain can still be typed).
 */
export async function listPublicZones(aws: AwsContext, limit = 100): Promise<PublicZone[]> {
  const zones: PublicZone[] = [];
  let next: { DNSName?: string; HostedZoneId?: string } = {};
  try {
    for (let page = 0; page < 10 && zones.length < limit; page++) {
      const res = await aws.route53().send(new ListHostedZonesByNameCommand({ ...next, MaxItems: 100 }));
      for (const zone of res.HostedZones ?? []) {
        if (zone.Config?.PrivateZone === true || !zone.Id || !zone.Name) continue;
        zones.push({ id: zone.Id.replace(/^\/hostedzone\//, ''), name: zone.Name.replace(/\.$/, '') });
      }
      if (!res.IsTruncated || !res.NextDNSName) break;
      next = { DNSName: res.NextDNSName, ...(res.NextHostedZoneId ? { HostedZoneId: res.NextHostedZoneId } : {}) };
    }
  } catch (err) {
    throw toHmError(err, 'list the Route 53 hosted zones');
  }
  return zones.slice(0, limit);
}
