/** An email through the template and configuration set, from SES_FROM_EMAIL. */
import type { AwsContext } from '../../aws/context.js';
import { awsErrorName, httpStatus, isDenied, isInvalidKey } from '../../aws/errors.js';
import { SES } from '../../aws/sdk.js';
import {
  type CheckResult,
  type SmokeTarget,
  ok,
  failed,
  skipped,
  describeError,
  isNetworkError,
  commands,
} from './common.js';

function emailRefusal(target: SmokeTarget, err: unknown): CheckResult {
  const email = target.email as NonNullable<SmokeTarget['email']>;
  const c = commands(target);
  const message = err instanceof Error ? err.message : String(err);
  const name = awsErrorName(err);
  const details = { error: name ?? null, message };
  if (err instanceof SES.MessageRejected && /not verified/i.test(message)) {
    const failing = message.split(':').pop() ?? '';
    if (
      failing.toLowerCase().includes(email.from.toLowerCase()) ||
      failing.toLowerCase().includes(email.domain.toLowerCase())
    ) {
      return failed(
        'email',
        `SES refused to send from ${email.from}: ${email.domain} is not verified yet (MessageRejected)`,
        `Publish the DNS records and let SES verify the domain: \`hm-infra verify-dns ${c.env}\` shows which record is missing and waits.`,
        details,
      );
    }
    return failed(
      'email',
      `SES refused the recipient ${email.to}: the account is in the SES sandbox in ${target.region}, where mail goes only to verified addresses`,
      `Leave out --to (SES's mailbox simulator works in the sandbox), verify ${email.to} in the SES console, or request production access (\`hm-infra verify-dns ${c.env}\` says how).`,
      details,
    );
  }
  if (err instanceof SES.MailFromDomainNotVerifiedException) {
    return failed(
      'email',
      `SES refused to send: the MAIL FROM domain of ${email.domain} is not verified`,
      `\`hm-infra verify-dns ${c.env}\` shows the MX and SPF records it needs.`,
      details,
    );
  }
  if (isDenied(err)) {
    return failed(
      'email',
      `the app user may not send from ${email.from} through ${email.configurationSet} with template ${email.template} (${name})`,
      `Its SES policy should allow ses:SendEmail on the identity, configuration set and templates. ${c.repair}`,
      details,
    );
  }
  if (isInvalidKey(err)) return failed('email', `SES does not accept the app user's key (${name})`, c.rotate, details);
  if (err instanceof SES.NotFoundException) return failed('email', `SES: ${message}`, c.repair, details);
  if (err instanceof SES.SendingPausedException || err instanceof SES.AccountSuspendedException) {
    return failed(
      'email',
      `SES does not send for this account or configuration set (${name}: ${message})`,
      `Look at the account's reputation in the SES console (Account dashboard); \`hm-infra status ${c.env}\` shows whether the configuration set's sending is on.`,
      details,
    );
  }
  if (err instanceof SES.LimitExceededException || err instanceof SES.TooManyRequestsException)
    return failed(
      'email',
      `SES's sending quota or rate is used up (${name})`,
      'Re-run later; `hm-infra verify-dns` shows the quota.',
      details,
    );
  if (httpStatus(err) === 501 || /not (yet |been )?implemented/i.test(message)) {
    return failed(
      'email',
      `the endpoint does not implement SES v2 SendEmail (${message})`,
      'Check email against AWS itself, or set the environment up with --no-email for this emulator.',
      details,
    );
  }
  return failed(
    'email',
    `SES did not send: ${describeError(err)}`,
    isNetworkError(err) ? c.network : 'Re-run in a minute.',
    details,
  );
}

export async function checkEmail(app: AwsContext, target: SmokeTarget): Promise<CheckResult> {
  const email = target.email;
  if (!email) return skipped('email', 'this environment has no email (set up with --no-email)');
  const data = Object.fromEntries(email.variables.map((v) => [v, `https://${email.domain}/?hm-infra-smoke-test=${v}`]));
  try {
    const sent = await app.sesv2().send(
      new SES.SendEmailCommand({
        FromEmailAddress: email.from,
        Destination: { ToAddresses: [email.to] },
        Content: { Template: { TemplateName: email.template, TemplateData: JSON.stringify(data) } },
        ConfigurationSetName: email.configurationSet,
        EmailTags: [{ Name: 'hm-infra', Value: 'smoke-test' }],
      }),
    );
    const where = email.simulator
      ? " (SES's mailbox simulator: delivery is simulated)"
      : `; look for it in ${email.to}'s inbox`;
    return ok(
      'email',
      `sent template ${email.template} from ${email.from} through ${email.configurationSet} to ${email.to}${where}`,
      {
        messageId: sent.MessageId ?? null,
        to: email.to,
        template: email.template,
      },
    );
  } catch (err) {
    return emailRefusal(target, err);
  }
}
