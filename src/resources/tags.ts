import type { Config } from '../config/config.js';
import type { Change } from '../engine/types.js';

/**
 * The tags every resource of this tool carries: a readable name, and the three that identify
 * it as this app's and environment's (a lost resource is found again by them).
 */
export function resourceTags(config: Config, name: string): Array<{ Key: string; Value: string }> {
  return [
    { Key: 'Name', Value: name },
    { Key: 'Project', Value: config.app },
    { Key: 'Environment', Value: config.environment },
    { Key: 'ManagedBy', Value: 'hm-infra' },
  ];
}

type Tag = { Key?: string | undefined; Value?: string | undefined };

/** The wanted tags a resource lacks or carries with another value; its other tags are left alone. */
export function missingTags<T extends Tag>(live: readonly Tag[], wanted: readonly T[]): T[] {
  return wanted.filter((want) => !live.some((t) => t.Key === want.Key && t.Value === want.Value));
}

/** The plan's change for tags a resource lacks: none when it has them all. */
export function tagChanges(missing: readonly Tag[]): Change[] {
  if (missing.length === 0) return [];
  const to = missing.map((t) => `${t.Key}=${t.Value}`).join(', ');
  return [{ field: 'tags', action: 'update', to, note: 'tags that identify it are missing' }];
}
