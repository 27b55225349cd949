import type { AccountStatus } from '../checks/ses-account.js';

/** The AWS Support Center page of a case (where AWS answers a production-access request). */
export const supportCaseUrl = (caseId: string) =>
  `https://console.aws.amazon.com/support/home#/case/?displayId=${encodeURIComponent(caseId)}`;

const caseOf = (account: AccountStatus) =>
  account.review?.caseId !== undefined ? `AWS Support case ${account.review.caseId}` : 'no case id yet';

function quotaText(account: AccountStatus): string {
  return account.max24HourSend !== undefined
    ? `at most ${account.max24HourSend} emails per 24 hours, ${account.maxSendRate ?? 1} per second`
    : 'a small daily quota';
}

/** What the review of the latest production-access request means, and what to do (the account in the sandbox). */
export function reviewAdvice(account: AccountStatus, region: string, env: string): string[] {
  const request = `hm-infra request-production-access --env ${env}`;
  const caseId = account.review?.caseId;
  const where = caseId !== undefined ? `: ${supportCaseUrl(caseId)}` : '';
  switch (account.review?.status) {
    case undefined:
      return [
        `Request production access: run \`${request}\` (it drafts the request from this environment, shows it and asks before sending it).`,
      ];
    case 'PENDING':
      return [
        `Production access was requested (${caseOf(account)}); the review is pending. AWS usually answers within 24 hours, by email and in the case.`,
      ];
    case 'GRANTED':
      return [
        `AWS granted production access (${caseOf(account)}), but SES in ${region} does not show it yet; it takes effect shortly. Re-run \`hm-infra verify-dns --env ${env}\` to see it.`,
      ];
    case 'DENIED':
      return [
        `AWS denied production access (${caseOf(account)}): SES in ${region} stays in the sandbox.`,
        `  Read AWS's reasons in the AWS Support Center${where} and answer there with what they ask,`,
        `  or, once that is in place, send a new request with \`${request}\`.`,
      ];
    case 'FAILED':
      return [
        `The production-access request did not reach AWS's review (FAILED: an error at AWS; ${caseOf(account)}).`,
        `  Send it again with \`${request}\`.`,
      ];
  }
}

/**
 * The account's SES sending status in the region, in words: sandbox (with the review of a
 * production-access request and what to do next) or production with its quota; problems.
 */
export function sandboxAdvice(account: AccountStatus, region: string, env: string): string[] {
  const lines: string[] = [];
  if (!account.productionAccess) {
    lines.push(
      `SES in ${region} is in the sandbox: it sends only to verified addresses, ${quotaText(account)}.`,
      ...reviewAdvice(account, region, env).map((line) => `  ${line}`),
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
