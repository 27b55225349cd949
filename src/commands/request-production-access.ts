import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  ACCOUNT_DETAILS_LIMITS,
  type ContactLanguage,
  type MailType,
  type ProductionAccessOptions,
  checkStateAccount,
  draftProductionAccessRequest,
  submitProductionAccessRequest,
} from '../checks/production-access.js';
import { accountStatus } from '../checks/ses-account.js';
import { ExitCode, inputError } from '../errors.js';
import type { State } from '../state/schema.js';
import { type ProductionAccessMeta, productionAccessViewFor } from '../views/production-access.js';
import { createAws } from './aws.js';
import { type GlobalOptions, globalProblems } from './common.js';
import type { Io } from './io.js';
import { isPromptAbort, terminalPrompter } from './prompts.js';
import { loadSetUpState } from './state.js';

export interface RequestProductionAccessFlags {
  /** --website, as typed; default https://<domain>. */
  website?: string;
  /** --mail-type: transactional (default) or marketing. */
  mailType?: string;
  /** --contact-email, each value as typed (a value may hold several, comma-separated). */
  contactEmail?: string[];
  /** --language: en (default) or ja. */
  language?: string;
  useCaseFile?: string;
  /** Submit even when a fact AWS denies requests without does not hold. */
  force?: boolean;
}

const EMAIL = /^[^\s@<>()",;]+@[^\s@<>()",;]+\.[^\s@<>()",;]+$/;

/** The flags checked, before the state is read or AWS is called; everything but the website's default. */
interface Checked {
  mailType: MailType;
  contactLanguage: ContactLanguage;
  website: string | undefined;
  additionalContactEmails: string[];
  useCaseFile: string | undefined;
}

function websiteProblem(value: string): string | undefined {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url === undefined || !['http:', 'https:'].includes(url.protocol) || !url.hostname.includes('.'))
    return `--website "${value}" is not a web address: give your site's URL, for example --website https://example.com`;
  if (value.length > ACCOUNT_DETAILS_LIMITS.websiteUrl)
    return `--website is ${value.length} characters long; SES takes at most ${ACCOUNT_DETAILS_LIMITS.websiteUrl}`;
  return undefined;
}

function checkFlags(flags: RequestProductionAccessFlags): Checked {
  const mailType = (flags.mailType ?? 'transactional').toLowerCase();
  const language = (flags.language ?? 'en').toLowerCase();
  const emails = [
    ...new Set(
      (flags.contactEmail ?? [])
        .flatMap((v) => v.split(','))
        .map((v) => v.trim())
        .filter(Boolean),
    ),
  ];
  const { min, max } = ACCOUNT_DETAILS_LIMITS.contactEmailLength;
  const badEmails = emails.filter((e) => !EMAIL.test(e) || e.length < min || e.length > max);
  const problems = [
    mailType !== 'transactional' && mailType !== 'marketing'
      ? `--mail-type "${flags.mailType ?? ''}" is not valid: use transactional (account verification, password reset: what this app sends) or marketing`
      : undefined,
    language !== 'en' && language !== 'ja'
      ? `--language "${flags.language ?? ''}" is not valid: SES answers in en (English) or ja (Japanese)`
      : undefined,
    flags.website !== undefined ? websiteProblem(flags.website) : undefined,
    badEmails.length > 0
      ? `--contact-email ${badEmails.map((e) => `"${e}"`).join(', ')}: not an email address of ${min}–${max} characters; give one like ops@example.com`
      : undefined,
    emails.length > ACCOUNT_DETAILS_LIMITS.contactEmails
      ? `--contact-email: ${emails.length} addresses given; SES takes at most ${ACCOUNT_DETAILS_LIMITS.contactEmails}`
      : undefined,
    mailType === 'marketing' && flags.useCaseFile === undefined
      ? '--mail-type marketing needs --use-case-file <path>: the use case hm-infra drafts describes transactional email (account verification and password reset); describe your marketing email, its recipients and how they signed up in the file'
      : undefined,
  ].filter((p) => p !== undefined);
  if (problems.length > 0) throw inputError(problems.join('\n'));
  return {
    mailType: mailType === 'marketing' ? 'MARKETING' : 'TRANSACTIONAL',
    contactLanguage: language === 'ja' ? 'JA' : 'EN',
    website: flags.website,
    additionalContactEmails: emails,
    useCaseFile: flags.useCaseFile,
  };
}

/** The use case of --use-case-file: read, trimmed, within SES's 5000 characters. */
async function readUseCase(path: string | undefined, io: Io): Promise<string | undefined> {
  if (path === undefined) return undefined;
  let content: string;
  try {
    content = await readFile(resolve(io.cwd, path), 'utf8');
  } catch (err) {
    throw inputError(
      `--use-case-file ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      'Give the path of a text file describing the email you send.',
    );
  }
  const text = content.trim();
  if (text === '') throw inputError(`--use-case-file ${path} is empty`, 'Describe the email you send in it.');
  if (text.length > ACCOUNT_DETAILS_LIMITS.useCase)
    throw inputError(
      `--use-case-file ${path} has ${text.length} characters; SES takes at most ${ACCOUNT_DETAILS_LIMITS.useCase}`,
      'Shorten it.',
    );
  return text;
}

function loadEmailState(globals: GlobalOptions, io: Io): Promise<State> {
  return loadSetUpState(globals, io).then(({ state }) => {
    if (!state.config.email) {
      throw inputError(
        `environment "${globals.env}" was set up without email (--no-email): there is nothing to send, so no production access to request`,
        `Run \`hm-infra init --env ${globals.env} --email\` to add it.`,
      );
    }
    return state;
  });
}

/**
 * `hm-infra request-production-access`: the account's status first (already production, or a
 * review pending: nothing is sent); otherwise the request drafted from the environment, shown,
 * confirmed, sent once, and the review's status read back.
 */
export async function runRequestProductionAccess(
  globals: GlobalOptions,
  flags: RequestProductionAccessFlags,
  io: Io,
): Promise<number> {
  const view = productionAccessViewFor(globals, io);
  const problems = globalProblems(globals, io);
  if (problems.length > 0) throw inputError(problems.join('\n'));
  const checked = checkFlags(flags);
  const useCase = await readUseCase(checked.useCaseFile, io);
  const state = await loadEmailState(globals, io);
  const meta: ProductionAccessMeta = {
    app: state.app,
    environment: state.environment,
    region: state.region,
    accountId: state.accountId,
  };
  const aws = await createAws(globals, io, state.region);
  try {
    await checkStateAccount(aws, state);
    const account = await accountStatus(aws);
    if (account.productionAccess) {
      view.alreadyProduction(account, meta);
      return ExitCode.ok;
    }
    if (account.review?.status === 'PENDING') {
      view.alreadyPending(account, meta);
      return ExitCode.ok;
    }
    if (account.review?.status === 'GRANTED') {
      view.granted(account, meta);
      return ExitCode.ok;
    }
    const options: ProductionAccessOptions = {
      mailType: checked.mailType,
      websiteUrl: checked.website ?? `https://${state.config.domain}`,
      contactLanguage: checked.contactLanguage,
      additionalContactEmails: checked.additionalContactEmails,
      useCase,
      account,
    };
    const draft = await draftProductionAccessRequest(aws, state, options);
    view.draft(draft, account, meta);
    if (draft.blockers.length > 0 && flags.force !== true) {
      view.refused(draft, account, meta);
      return ExitCode.usage;
    }
    if (!globals.yes) {
      if (!io.interactive)
        throw inputError(
          'sending the request to AWS needs a confirmation, but there is no terminal to ask in',
          'Re-run with --yes to submit the request shown above (as in CI).',
        );
      let go: boolean;
      try {
        go = await terminalPrompter(view.promptOutput).confirm({
          id: 'submit',
          message: 'Submit this request to AWS?',
          default: true,
        });
      } catch (err) {
        if (!isPromptAbort(err)) throw err;
        go = false;
      }
      if (!go) {
        view.declined(draft, account, meta);
        return ExitCode.aborted;
      }
    }
    const sent = await submitProductionAccessRequest(aws, draft.input);
    view.submitted(draft, await accountStatus(aws), meta, { raced: sent === 'under-review' });
    return ExitCode.ok;
  } finally {
    aws.destroy();
  }
}
