import { ExitCode, inputError } from '../errors.js';
import { type StatusDns, type StatusMeta, classify, statusSummary, statusViewFor } from '../views/status.js';
import type { Config } from '../config/config.js';
import { emailDnsRecords } from '../resources/dns/values.js';
import { lookupProblems } from '../checks/dns-resolver.js';
import { provisioningSteps } from '../resources/index.js';
import { runSteps } from '../engine/run.js';
import { createAws } from './aws.js';
import { type GlobalOptions, checkDnsHost, globalProblems } from './common.js';
import { failureCode } from './exit-code.js';
import type { Io } from './io.js';
import { loadSetUpState } from './state.js';

/** What DNS answers for each email record, diagnosed at the zone's nameservers and the resolver. */
async function emailDns(
  config: Config,
  dkim: { tokens: string[]; signingHostedZone: string } | undefined,
  flags: StatusFlags,
  deps: StatusDeps,
): Promise<StatusDns> {
  const { emailDnsLookups } = await import('../checks/dns-resolver.js');
  const { diagnoseRecords } = await import('../checks/dns/diagnose.js');
  const found = await emailDnsLookups(config.domain, flags, deps.nameserverPort);
  const records = await diagnoseRecords(emailDnsRecords(config, dkim), found.resolver, found.authority, {
    ...found.options,
    region: config.region,
  });
  return {
    domain: config.domain,
    records,
    dns: {
      zone: found.authority.zone,
      nameservers: found.authority.nameservers,
      problem: found.authority.problem,
      provider: found.providerName,
    },
  };
}

export interface StatusFlags {
  /** Also diagnose the email DNS records (as verify-dns does, once). */
  dns?: boolean;
  resolver?: string;
  nameserver?: string;
}

/** What tests change: where the zone's nameservers listen (never the network in tests). */
export interface StatusDeps {
  nameserverPort?: number;
}

/**
 * `hm-infra status`: reads every resource and compares it with what state recorded: in sync,
 * drifted (which fields), missing, or pending (CloudFront deploying, SES verifying). Read-only.
 * Exit 0 when nothing drifted or went missing, 4 otherwise, 1 when something could not be read.
 */
export async function runStatus(
  globals: GlobalOptions,
  io: Io,
  flags: StatusFlags = {},
  deps: StatusDeps = {},
): Promise<number> {
  const view = statusViewFor(globals, io);
  const problems = [...globalProblems(globals, io), ...lookupProblems(flags)];
  if (problems.length > 0) throw inputError(problems.join('\n'));
  const { store, state } = await loadSetUpState(globals, io);
  if (globals.region !== undefined && globals.region !== state.region) {
    throw inputError(
      `environment "${globals.env}" lives in ${state.region}, not ${globals.region}`,
      `Drop --region (status uses the state's region ${state.region}).`,
    );
  }
  checkDnsHost(state.config, io);
  const aws = await createAws(globals, io, state.region);
  try {
    const steps = provisioningSteps(state.config);
    const result = await runSteps(steps, {
      mode: 'plan',
      config: state.config,
      aws,
      records: state.resources,
      recordedAccountId: state.accountId,
      survey: true,
      onEvent: view.planProgress(),
    });
    // Without the right account nothing else means anything.
    const account = result.outcomes.find((o) => o.id === 'account');
    if (account?.status === 'failed') {
      view.failedSteps([account]);
      return failureCode({ outcomes: [account] });
    }
    const stepOf = new Map(steps.map((s) => [s.id, s]));
    const rows = result.outcomes
      .filter((o) => !stepOf.get(o.id)?.readOnly || o.status !== 'done')
      .map((o) =>
        classify(
          o,
          state.resources[o.id],
          result.outputs[o.id as keyof typeof result.outputs] as Record<string, unknown> | undefined,
          stepOf.get(o.id)?.pendingReason,
        ),
      );
    const summary = statusSummary(rows);
    const meta: StatusMeta = {
      app: state.app,
      environment: state.environment,
      region: state.region,
      accountId: state.accountId,
      statePath: store.displayPath,
    };
    const code =
      summary.drifted + summary.missing > 0 ? ExitCode.drift : summary.unchecked > 0 ? ExitCode.failure : ExitCode.ok;
    const identity = (result.outputs['email-identity'] ?? state.resources['email-identity']?.outputs) as
      { dkim?: { tokens: string[]; signingHostedZone: string } } | undefined;
    const dns = flags.dns && state.config.email ? await emailDns(state.config, identity?.dkim, flags, deps) : undefined;
    view.status(rows, meta, code === ExitCode.ok, dns);
    return code;
  } finally {
    aws.destroy();
  }
}
