import type { Config } from '../config/config.js';

/**
 * Names of the bounce-handling and app-event resources, all `<app>-<env>-…`: deterministic, so a
 * re-run finds what an earlier run made, and one environment's never collide with another's.
 */
const prefix = (config: Config) => `${config.app}-${config.environment}`;

export const eventNames = {
  emailEventsQueue: (config: Config) => `${prefix(config)}-email-events`,
  emailEventsDlq: (config: Config) => `${prefix(config)}-email-events-dlq`,
  emailEventsRule: (config: Config) => `${prefix(config)}-email-events`,
  alertsTopic: (config: Config) => `${prefix(config)}-alerts`,
  alarm: (config: Config, what: string) => `${prefix(config)}-ses-${what}`,
  eventBus: (config: Config) => prefix(config),
  eventsQueue: (config: Config) => `${prefix(config)}-events`,
  eventsDlq: (config: Config) => `${prefix(config)}-events-dlq`,
  eventsRule: (config: Config) => `${prefix(config)}-events`,
  emailHandler: (config: Config) => `${prefix(config)}-email-handler`,
  emailHandlerLogGroup: (config: Config) => `/aws/lambda/${prefix(config)}-email-handler`,
};

/** The ARN of a resource of this account and region, in the caller's partition. */
export function regionalArn(
  account: { arn: string; accountId: string },
  region: string,
  service: string,
  resource: string,
): string {
  const partition = account.arn.split(':')[1] || 'aws';
  return `arn:${partition}:${service}:${region}:${account.accountId}:${resource}`;
}
