import * as z from 'zod/mini';
import '../config/zod-english.js';
import { ConfigSchema } from '../config/config.js';

/** The state file format this version writes; older versions are migrated on load. */
export const STATE_VERSION = 1;

/** An access key and its secret: AWS shows the secret once, so this file is its only copy. */
export const SecretSchema = z.strictObject({
  accessKeyId: z.string().check(z.minLength(1)),
  secretAccessKey: z.string().check(z.minLength(1)),
});

export type Secret = z.infer<typeof SecretSchema>;

/**
 * What the tool knows about one resource (one step). `owned` decides teardown: only what this
 * tool created is ever deleted. `intent` is written before a create call, so a resource that
 * appears after a crash between the call and the save is still recognised as ours.
 */
export const ResourceRecordSchema = z.strictObject({
  /** `disabling`: teardown disabled it (CloudFront) and the next teardown deletes it. */
  status: z.enum(['pending', 'created', 'adopted', 'updated', 'unchanged', 'disabling']),
  owned: z.boolean(),
  outputs: z.record(z.string(), z.unknown()),
  intent: z.optional(z.record(z.string(), z.unknown())),
  /** The app user's access key with its secret, kept apart from outputs so that nothing that shows outputs can show it. */
  secret: z.optional(SecretSchema),
  updatedAt: z.string(),
});

export type ResourceRecord = z.infer<typeof ResourceRecordSchema>;

export const StateSchema = z.strictObject({
  version: z.literal(STATE_VERSION),
  app: z.string(),
  environment: z.string(),
  region: z.string(),
  accountId: z.nullable(z.string().check(z.regex(/^\d{12}$/))),
  config: ConfigSchema,
  resources: z.record(z.string(), ResourceRecordSchema),
  createdAt: z.string(),
  updatedAt: z.string(),
});

/** The whole state file of one environment. */
export type State = z.infer<typeof StateSchema>;

export function newState(config: z.infer<typeof ConfigSchema>, now: Date = new Date()): State {
  return {
    version: STATE_VERSION,
    app: config.app,
    environment: config.environment,
    region: config.region,
    accountId: null,
    config,
    resources: {},
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
  };
}
