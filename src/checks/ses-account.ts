import { SES } from '../aws/sdk.js';
import type { AwsContext } from '../aws/context.js';
import { toHmError } from '../aws/errors.js';

export interface AccountStatus {
  productionAccess: boolean;
  sendingEnabled: boolean;
  enforcementStatus: string | undefined;
  max24HourSend: number | undefined;
  maxSendRate: number | undefined;
  sentLast24Hours: number | undefined;
}

/** The account's sending status in the region: sandbox or production, quota, enforcement. */
export async function accountStatus(aws: AwsContext): Promise<AccountStatus> {
  try {
    const res = await aws.sesv2().send(new SES.GetAccountCommand({}));
    return {
      productionAccess: res.ProductionAccessEnabled === true,
      sendingEnabled: res.SendingEnabled !== false,
      enforcementStatus: res.EnforcementStatus,
      max24HourSend: res.SendQuota?.Max24HourSend,
      maxSendRate: res.SendQuota?.MaxSendRate,
      sentLast24Hours: res.SendQuota?.SentLast24Hours,
    };
  } catch (err) {
    throw toHmError(err, 'read the SES account status (sesv2:GetAccount)');
  }
}
