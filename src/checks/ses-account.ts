import type { GetAccountCommandOutput } from '@aws-sdk/client-sesv2';
import { SES } from '../aws/sdk.js';
import type { AwsContext } from '../aws/context.js';
import { toHmError } from '../aws/errors.js';

/** ReviewDetails.Status of GetAccount: the state of the latest production-access request. */
export type ReviewStatus = 'PENDING' | 'FAILED' | 'GRANTED' | 'DENIED';

/** The latest production-access request AWS has for the account in the region, as submitted. */
export interface AccountDetails {
  mailType: string | undefined;
  websiteUrl: string | undefined;
  contactLanguage: string | undefined;
  useCaseDescription?: string;
  additionalContactEmails: string[];
}

export interface AccountStatus {
  productionAccess: boolean;
  sendingEnabled: boolean;
  enforcementStatus: string | undefined;
  max24HourSend: number | undefined;
  maxSendRate: number | undefined;
  sentLast24Hours: number | undefined;
  /** The review of the latest request (absent: none was ever made in this region). */
  review?: { status: ReviewStatus; caseId?: string };
  /** What that request said (absent: none was ever made). */
  details?: AccountDetails;
  /** The account-level suppression list's reasons (BOUNCE, COMPLAINT), which apply where a configuration set has none of its own. */
  suppressedReasons?: string[];
}

const REVIEW_STATUSES: readonly string[] = ['PENDING', 'FAILED', 'GRANTED', 'DENIED'];

function reviewOf(res: GetAccountCommandOutput): AccountStatus['review'] {
  const review = res.Details?.ReviewDetails;
  if (review?.Status === undefined || !REVIEW_STATUSES.includes(review.Status)) return undefined;
  return { status: review.Status, ...(review.CaseId ? { caseId: review.CaseId } : {}) };
}

function detailsOf(res: GetAccountCommandOutput): AccountDetails | undefined {
  const d = res.Details;
  if (!d || (d.MailType === undefined && d.WebsiteURL === undefined)) return undefined;
  // The SDK marks UseCaseDescription deprecated (optional); AWS still returns what was sent.
  const useCase = d.UseCaseDescription;
  return {
    mailType: d.MailType,
    websiteUrl: d.WebsiteURL,
    contactLanguage: d.ContactLanguage,
    ...(useCase ? { useCaseDescription: useCase } : {}),
    additionalContactEmails: [...(d.AdditionalContactEmailAddresses ?? [])],
  };
}

/** The account's sending status in the region: sandbox or production, quota, enforcement, the production-access review. */
export async function accountStatus(aws: AwsContext): Promise<AccountStatus> {
  try {
    const res = await aws.sesv2().send(new SES.GetAccountCommand({}));
    const review = reviewOf(res);
    const details = detailsOf(res);
    return {
      productionAccess: res.ProductionAccessEnabled === true,
      sendingEnabled: res.SendingEnabled !== false,
      enforcementStatus: res.EnforcementStatus,
      max24HourSend: res.SendQuota?.Max24HourSend,
      maxSendRate: res.SendQuota?.MaxSendRate,
      sentLast24Hours: res.SendQuota?.SentLast24Hours,
      ...(review ? { review } : {}),
      ...(details ? { details } : {}),
      ...(res.SuppressionAttributes?.SuppressedReasons
        ? { suppressedReasons: [...res.SuppressionAttributes.SuppressedReasons] }
        : {}),
    };
  } catch (err) {
    throw toHmError(err, 'read the SES account status (sesv2:GetAccount)');
  }
}
