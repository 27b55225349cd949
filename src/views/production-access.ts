import type { Fact, ProductionAccessDraft } from '../checks/production-access.js';
import type { AccountStatus } from '../checks/ses-account.js';
import { supportCaseUrl } from './ses.js';
import { type Style, pad } from './style.js';
import { BaseView, type Output, type ViewOptions, printJson } from './view.js';

/** Whose request it is. */
export interface ProductionAccessMeta {
  app: string;
  environment: string;
  region: string;
  accountId: string | null;
}

/** How a run ended, as `--json` names it. */
export type ProductionAccessOutcome =
  'submitted' | 'already-production' | 'pending' | 'granted' | 'refused' | 'declined';

/** Text wrapped at `width` columns, each line indented. */
export function wrap(text: string, width: number, indent: string): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split(/\n/)) {
    if (paragraph.trim() === '') {
      lines.push('');
      continue;
    }
    let line = '';
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      if (line !== '' && indent.length + line.length + 1 + word.length > width) {
        lines.push(indent + line);
        line = word;
      } else line = line === '' ? word : `${line} ${word}`;
    }
    if (line !== '') lines.push(indent + line);
  }
  return lines;
}

const caseText = (account: AccountStatus) =>
  account.review?.caseId !== undefined ? `AWS Support case ${account.review.caseId}` : 'no case id yet';

function factLine(fact: Fact, style: Style): string[] {
  const mark = fact.ok ? style.green('✔') : fact.required ? style.red('✖') : style.yellow('!');
  const head = `  ${mark} ${fact.text}`;
  return fact.ok || fact.fix === undefined ? [head] : [head, `      ${style.dim('→')} ${fact.fix}`];
}

/** The whole request as it will be sent, and each fact with whether it holds. */
export function renderDraft(
  draft: ProductionAccessDraft,
  account: AccountStatus,
  meta: ProductionAccessMeta,
  style: Style,
): string[] {
  const input = draft.input;
  const emails = input.AdditionalContactEmailAddresses ?? [];
  const lines = [
    style.bold(
      `Request for SES production access: ${meta.app} (${meta.environment}), ${meta.accountId !== null ? `account ${meta.accountId} ` : ''}in ${draft.region}`,
    ),
  ];
  const previous = account.review;
  if (previous?.status === 'DENIED')
    lines.push(
      style.yellow(
        `  The last request was DENIED (${caseText(account)}); this sends a new one. AWS's reasons are in the case${previous.caseId !== undefined ? `: ${supportCaseUrl(previous.caseId)}` : ''}`,
      ),
    );
  if (previous?.status === 'FAILED')
    lines.push(style.yellow(`  The last request FAILED at AWS (${caseText(account)}); this sends it again.`));
  lines.push(
    `  ${pad('Mail type', 20)}${input.MailType}`,
    `  ${pad('Website', 20)}${input.WebsiteURL}`,
    `  ${pad('Contact language', 20)}${input.ContactLanguage}`,
    `  ${pad('Contact emails', 20)}${emails.length > 0 ? emails.join(', ') : "none besides the AWS account's contacts"}`,
    `  ${pad('Production access', 20)}requested (ProductionAccessEnabled: true)`,
    `  Use case (${draft.useCaseDrafted ? 'drafted from this environment' : 'from --use-case-file'}):`,
    ...wrap(input.UseCaseDescription, 100, '    '),
    '',
    style.bold("What AWS's reviewers look for:"),
    ...draft.facts.flatMap((fact) => factLine(fact, style)),
  );
  return lines;
}

/** What `request-production-access` shows: the account's state, the draft, the verdict. */
export interface ProductionAccessView {
  /** Where the question goes (stderr with --json). */
  readonly promptOutput: NodeJS.WritableStream;
  alreadyProduction(account: AccountStatus, meta: ProductionAccessMeta): void;
  alreadyPending(account: AccountStatus, meta: ProductionAccessMeta): void;
  /** GRANTED, but SES does not show production access yet. */
  granted(account: AccountStatus, meta: ProductionAccessMeta): void;
  draft(draft: ProductionAccessDraft, account: AccountStatus, meta: ProductionAccessMeta): void;
  /** A fact AWS denies requests without does not hold, and --force was not given. */
  refused(draft: ProductionAccessDraft, account: AccountStatus, meta: ProductionAccessMeta): void;
  declined(draft: ProductionAccessDraft, account: AccountStatus, meta: ProductionAccessMeta): void;
  /** Sent, and the account read again (`account`); `raced`: another request was already under review. */
  submitted(
    draft: ProductionAccessDraft,
    account: AccountStatus,
    meta: ProductionAccessMeta,
    options: { raced: boolean },
  ): void;
}

function submittedLines(draft: ProductionAccessDraft, account: AccountStatus, meta: ProductionAccessMeta): string[] {
  const caseId = account.review?.caseId;
  const to = draft.input.AdditionalContactEmailAddresses ?? [];
  return [
    `Submitted: AWS opened ${caseText(account)} for production access in ${meta.region}; the review is ${account.review?.status ?? 'not shown yet'}.`,
    `  AWS usually answers within 24 hours, by email (to the AWS account's contacts${to.length > 0 ? ` and ${to.join(', ')}` : ''}) and in the AWS Support Center${caseId !== undefined ? `: ${supportCaseUrl(caseId)}` : '.'}`,
    `  Meanwhile \`hm-infra verify-dns --env ${meta.environment}\` shows the review's status.`,
  ];
}

const pendingLine = (account: AccountStatus, meta: ProductionAccessMeta) =>
  `Production access in ${meta.region} was already requested (${caseText(account)}): the review is pending; AWS usually answers within 24 hours. Not submitted again.`;

abstract class ProductionAccessViewBase extends BaseView {
  protected refusal(draft: ProductionAccessDraft, meta: ProductionAccessMeta): string[] {
    return [
      this.style.red(
        `Not submitted: AWS denies production access while ${draft.blockers.map((b) => b.text).join('; ')}.`,
      ),
      `  Fix what is marked ✖ above, then re-run \`hm-infra request-production-access --env ${meta.environment}\` (--force submits it anyway).`,
    ];
  }
}

class HumanProductionAccessView extends ProductionAccessViewBase implements ProductionAccessView {
  get promptOutput(): NodeJS.WritableStream {
    return process.stdout;
  }

  alreadyProduction(account: AccountStatus, meta: ProductionAccessMeta): void {
    const quota =
      account.max24HourSend !== undefined
        ? `: ${account.max24HourSend} emails per 24 hours (${account.sentLast24Hours ?? 0} sent), ${account.maxSendRate ?? '?'} per second`
        : '';
    this.output.out(`SES in ${meta.region} already has production access${quota}. Nothing to request.`);
  }

  alreadyPending(account: AccountStatus, meta: ProductionAccessMeta): void {
    this.output.out(pendingLine(account, meta));
  }

  granted(account: AccountStatus, meta: ProductionAccessMeta): void {
    this.output.out(
      `AWS granted production access in ${meta.region} (${caseText(account)}); SES does not show it yet: it takes effect shortly. Nothing to request.`,
    );
  }

  draft(draft: ProductionAccessDraft, account: AccountStatus, meta: ProductionAccessMeta): void {
    this.output.out(renderDraft(draft, account, meta, this.style).join('\n'));
  }

  refused(draft: ProductionAccessDraft, _account: AccountStatus, meta: ProductionAccessMeta): void {
    this.output.err(this.refusal(draft, meta).join('\n'));
  }

  declined(): void {
    this.output.err(this.style.yellow('Not submitted: nothing was sent to AWS.'));
  }

  submitted(
    draft: ProductionAccessDraft,
    account: AccountStatus,
    meta: ProductionAccessMeta,
    options: { raced: boolean },
  ): void {
    if (options.raced) this.output.out(pendingLine(account, meta));
    else this.output.out(`${this.style.green('✔')} ${submittedLines(draft, account, meta).join('\n')}`);
  }
}

/** stdout carries one JSON document; the draft for people (shown before the question) goes to stderr. */
class JsonProductionAccessView extends ProductionAccessViewBase implements ProductionAccessView {
  get promptOutput(): NodeJS.WritableStream {
    return process.stderr;
  }

  private document(
    outcome: ProductionAccessOutcome,
    account: AccountStatus,
    meta: ProductionAccessMeta,
    draft?: ProductionAccessDraft,
  ): void {
    printJson(this.output, {
      kind: 'request-production-access',
      outcome,
      submitted: outcome === 'submitted',
      environment: meta.environment,
      region: meta.region,
      account,
      request: draft?.input ?? null,
      facts: draft?.facts ?? null,
    });
  }

  alreadyProduction(account: AccountStatus, meta: ProductionAccessMeta): void {
    this.document('already-production', account, meta);
  }

  alreadyPending(account: AccountStatus, meta: ProductionAccessMeta): void {
    this.document('pending', account, meta);
  }

  granted(account: AccountStatus, meta: ProductionAccessMeta): void {
    this.document('granted', account, meta);
  }

  draft(draft: ProductionAccessDraft, account: AccountStatus, meta: ProductionAccessMeta): void {
    this.output.err(renderDraft(draft, account, meta, this.style).join('\n'));
  }

  refused(draft: ProductionAccessDraft, account: AccountStatus, meta: ProductionAccessMeta): void {
    this.output.err(this.refusal(draft, meta).join('\n'));
    this.document('refused', account, meta, draft);
  }

  declined(draft: ProductionAccessDraft, account: AccountStatus, meta: ProductionAccessMeta): void {
    this.document('declined', account, meta, draft);
  }

  submitted(
    draft: ProductionAccessDraft,
    account: AccountStatus,
    meta: ProductionAccessMeta,
    options: { raced: boolean },
  ): void {
    this.document(options.raced ? 'pending' : 'submitted', account, meta, draft);
  }
}

export function productionAccessViewFor(options: ViewOptions, output: Output): ProductionAccessView {
  return options.json ? new JsonProductionAccessView(output, options) : new HumanProductionAccessView(output, options);
}
