import type { AccountStatus } from '../checks/ses-account.js';

/** The account's SES sending status in words: sandbox (and how to leave it), quota, problems. */
export function sandboxAdvice(account: AccountStatus, region: string, domain: string): string[] {
  const lines: string[] = [];
  if (!account.productionAccess) {
    const quota =
      account.max24HourSend !== undefined
        ? `at most ${account.max24HourSend} emails per 24 hours, ${account.maxSendRate ?? 1} per second`
        : 'a small daily quota';
    lines.push(
      `SES in ${region} is in the sandbox: it sends only to verified addresses, ${quota}.`,
      '  Request production access (AWS usually answers within a day):',
      `  console: https://${region}.console.aws.amazon.com/ses/home?region=${region}#/account → "Request production access"`,
      `  or: aws sesv2 put-account-details --region ${region} --production-access-enabled --mail-type TRANSACTIONAL \\`,
      `        --website-url https://${domain} --use-case-description "Account verification and password reset emails"`,
    );
  } else if (account.max24HourSend !== undefined) {
    lines.push(
      `SES in ${region} has production access: ${account.max24HourSend} emails per 24 hours (${account.sentLast24Hours ?? 0} sent), ${account.maxSendRate ?? '?'} per second.`,
    );
  }
  if (!account.sendingEnabled)
    lines.push(`Sending is disabled for this account in ${region}; check the SES account dashboard.`);
  if (account.enforcementStatus && account.enforcementStatus !== 'HEALTHY') {
    lines.push(
      `SES enforcement status is ${account.enforcementStatus}: bounce or complaint rates are too high; see the SES reputation dashboard.`,
    );
  }
  return lines;
}
