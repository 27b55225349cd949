import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import type { PullFlags, PushFlags } from './commands/state-remote.js';
import type { GlobalOptions } from './commands/common.js';
import type { Io } from './commands/io.js';
import type { PlanFlags } from './commands/plan.js';
import { CONFIG_FLAG_KEYS, CONFIG_OPTIONS } from './config/options.js';
import type { InitFlags } from './commands/init.js';
import type { PrintEnvFlags } from './commands/print-env.js';
import type { RequestProductionAccessFlags } from './commands/request-production-access.js';
import type { SmokeTestFlags } from './commands/smoke-test.js';
import type { StateSetupFlags } from './commands/state-setup.js';
import type { TeardownFlags } from './commands/teardown.js';
import type { StatusFlags } from './commands/status.js';
import type { VerifyDnsFlags } from './commands/verify-dns.js';
import { ExitCode, HmError } from './errors.js';

const EXAMPLES = `
Examples:
  $ hm-infra plan --offline --app healthmetrics --domain example.com
  $ hm-infra init --yes --app healthmetrics --domain example.com --env prod --region eu-west-1
  $ hm-infra init --yes --app demo --domain example.com --endpoint-url http://localhost:4566
  $ hm-infra plan --env prod --json
  $ hm-infra verify-dns --env prod
  $ hm-infra print-env --env prod --write .env.production
  $ hm-infra status --env prod
  $ hm-infra smoke-test --env prod
  $ hm-infra teardown --env dev --dry-run
  $ hm-infra state setup --bucket myteam-hm-infra-state --region eu-west-1

State lives in .hm-infra/<env>.json (mode 0600; never commit it).
Exit codes: 0 ok, 1 failure, 2 bad usage or input, 3 verification pending, 4 drift, 130 aborted.`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

const collect = (value: string, previous: string[] = []) => [
  ...previous,
  ...value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean),
];

/** The settings of src/config/options.ts as flags of a configuring command (init, plan); `--env` and `--region` are the program's. */
function addConfigOptions(cmd: Command): Command {
  for (const key of CONFIG_FLAG_KEYS) {
    const option = CONFIG_OPTIONS[key];
    if (option.kind === 'list') cmd.option(option.flag, option.description, collect);
    else cmd.option(option.flag, option.description);
    if ('negation' in option) cmd.option(option.flag.replace(/^--/, '--no-'), option.negation);
  }
  return cmd.option(
    '--config <file>',
    'read these settings from a JSON file (keys as in the state file: app, domain, corsOrigins …); typed flags win',
  );
}

/** A command's own options, the settings among them under their config keys (`--mail-from` → `mailFromDomain`). */
function flagsOf<F>(cmd: Command): F {
  const opts = cmd.opts<Record<string, unknown>>();
  const keyOf = new Map<string, string>(
    CONFIG_FLAG_KEYS.map((key) => [new Option(CONFIG_OPTIONS[key].flag).attributeName(), key]),
  );
  return Object.fromEntries(Object.entries(opts).map(([name, value]) => [keyOf.get(name) ?? name, value])) as F;
}

/** The global options of a command, noting whether --env was typed or is the default. */
function globalsOf(cmd: Command): GlobalOptions {
  return { ...cmd.optsWithGlobals<GlobalOptions>(), envGiven: cmd.getOptionValueSourceWithGlobals('env') === 'cli' };
}

/**
 * The `state` command group: where team state lives. Each subcommand is added here with
 * `state.command('<name>')`, its flags, and an action that imports its module lazily and hands
 * `setCode` its exit code, as `setup` does; created through `root.command('state')`, the group and
 * its subcommands inherit the program's output and exit handling (the global options reach
 * them through `globalsOf`).
 */
export function addStateCommands(root: Command, io: Io, setCode: (code: number) => void): Command {
  const state = root
    .command('state')
    .description('manage the S3 bucket that holds team state (--state s3://<bucket>/<prefix>)');

  state
    .command('setup')
    .description(
      'create the bucket for team state, or bring it back to its settings: versioning, encryption, no public access, TLS only, old versions expired after 90 days (idempotent)',
    )
    .option('--bucket <name>', 'the bucket to hold team state (created in --region if it does not exist)')
    .option('--prefix <prefix>', 'where in the bucket state goes (default hm-infra)')
    .option('--kms-key <arn|alias>', 'encrypt with this KMS key (SSE-KMS, with an S3 Bucket Key) instead of SSE-S3')
    .addHelpText(
      'after',
      '\nExamples:\n  $ hm-infra state setup --bucket myteam-hm-infra-state --region eu-west-1\n  $ hm-infra state setup --bucket myteam-hm-infra-state --kms-key alias/hm-state --json',
    )
    .action(async (opts: StateSetupFlags, cmd: Command) => {
      const { runStateSetup } = await import('./commands/state-setup.js');
      setCode(await runStateSetup(globalsOf(cmd), opts, io));
    });

  state
    .command('unlock')
    .description('remove the lock a run that died left on team state, after you type its id (--yes in CI)')
    .argument('<lock-id>', 'the id a refused run named')
    .action(async (lockId: string, _opts: object, cmd: Command) => {
      const { runStateUnlock } = await import('./commands/state-remote.js');
      setCode(await runStateUnlock(globalsOf(cmd), lockId, io));
    });

  state
    .command('push')
    .description("move an environment's local state to --state s3://… (refused when S3 holds another, unless --force)")
    .option('--from <file>', 'the local state file (default .hm-infra/<env>.json)')
    .option('--force', 'replace a different state on S3 (the bucket keeps it as a version)')
    .action(async (opts: PushFlags, cmd: Command) => {
      const { runStatePush } = await import('./commands/state-remote.js');
      setCode(await runStatePush(globalsOf(cmd), opts, io));
    });

  state
    .command('pull')
    .description('print the state on S3 (the secret masked unless --show-secret), or write it to a 0600 file')
    .option('--write <file>', 'write it to this file, readable by you only (secret included)')
    .option('--force', 'replace a different file')
    .option('--show-secret', "print the access key's secret too")
    .action(async (opts: PullFlags, cmd: Command) => {
      const { runStatePull } = await import('./commands/state-remote.js');
      setCode(await runStatePull(globalsOf(cmd), opts, io));
    });

  state
    .command('list')
    .description('the environments whose state is under --state s3://…, with account, region, last write and lock')
    .action(async (_opts: object, cmd: Command) => {
      const { runStateList } = await import('./commands/state-remote.js');
      setCode(await runStateList(globalsOf(cmd), io));
    });

  return state;
}

/** Builds the program; each command's module is imported only when that command runs. */
function program(io: Io, setCode: (code: number) => void): Command {
  const output = {
    writeOut: (s: string) => io.out(s.replace(/\n$/, '')),
    writeErr: (s: string) => io.err(s.replace(/\n$/, '')),
  };
  const root = new Command('hm-infra')
    .description('Set up S3 + CloudFront uploads, SES email, DNS and a least-privilege IAM user on AWS, in one run.')
    .version(version(), '-V, --version', 'print the version')
    .addOption(new Option(CONFIG_OPTIONS.environment.flag, CONFIG_OPTIONS.environment.description).default('dev'))
    .option(CONFIG_OPTIONS.region.flag, CONFIG_OPTIONS.region.description)
    .option('--profile <name>', 'AWS profile from ~/.aws/config (SSO profiles work)')
    .option('--endpoint-url <url>', 'AWS-compatible endpoint such as LocalStack or moto (or AWS_ENDPOINT_URL)')
    .option(
      '--state <path|s3://bucket/prefix>',
      'state file (default .hm-infra/<env>.json), or team state on S3 as <prefix>/<env>.json (or HM_INFRA_STATE)',
    )
    .option('--state-kms-key <key>', 'encrypt the state on S3 with this KMS key (default SSE-S3)')
    .option('--json', 'print one JSON document on stdout')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--verbose', 'explain every decision; show details of errors')
    .addHelpText('after', EXAMPLES)
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput(output);

  addConfigOptions(root.command('plan').description('show what init would create or change (read-only)'))
    .option('--offline', 'no AWS access at all: show everything as to create')
    .option('--overwrite-dns', 'show conflicting DNS records as to replace, as init --overwrite-dns would')
    .option('--rotate-key', 'show the access key rotation init --rotate-key would do')
    .addHelpText('after', '\nExample:\n  $ hm-infra plan --offline --app healthmetrics --domain example.com')
    .action(async (_opts: object, cmd: Command) => {
      const { runPlan } = await import('./commands/plan.js');
      setCode(await runPlan(globalsOf(cmd), flagsOf<PlanFlags>(cmd), io));
    });

  addConfigOptions(root.command('init').description('provision everything (asks to confirm unless --yes)'))
    .option('--wait', 'wait until CloudFront has deployed the distribution (usually 5–15 minutes)')
    .option('--wait-timeout <minutes>', 'give up waiting after this many minutes (exit 3; deployment goes on)', '30')
    .option(
      '--overwrite-dns',
      'replace DNS records that conflict with the ones SES needs (the old values are kept in state)',
    )
    .option('--rotate-key', 'give the app user a new access key; the old one is deleted once the new one works')
    .addHelpText('after', '\nExample:\n  $ hm-infra init --yes --app healthmetrics --domain example.com --env prod')
    .action(async (_opts: object, cmd: Command) => {
      const { runInit } = await import('./commands/init.js');
      setCode(await runInit(globalsOf(cmd), flagsOf<InitFlags>(cmd), io));
    });

  root
    .command('verify-dns')
    .description(
      "wait until SES has verified the domain, DKIM and MAIL FROM; diagnose each DNS record at the zone's nameservers and your resolver",
    )
    .option('--timeout <minutes>', 'give up after this many minutes (exit 3; verification goes on)', '10')
    .option('--interval <seconds>', 'seconds between the first checks (later ones back off)', '15')
    .option('--once', 'check one time and report (exit 0 verified, 3 pending, 1 failed)')
    .option('--resolver <ip[:port]>', "the resolver to ask, as your app's mail receivers would; default: the system's")
    .option(
      '--nameserver <ip[:port]>',
      "ask this server as the zone's nameserver, instead of the ones its NS records name (a DNS host you are moving to)",
    )
    .addHelpText('after', '\nExample:\n  $ hm-infra verify-dns --env prod --timeout 30')
    .action(async (opts: VerifyDnsFlags, cmd: Command) => {
      const { runVerifyDns } = await import('./commands/verify-dns.js');
      setCode(await runVerifyDns(globalsOf(cmd), opts, io));
    });

  root
    .command('request-production-access')
    .description(
      "ask AWS to take SES out of the sandbox in the environment's region: drafts the request from what the environment has (verified domain, DKIM, DMARC, bounce and complaint handling, suppression list), shows it, asks, sends it once",
    )
    .option('--website <url>', "your site's address, for AWS's reviewers (default https://<domain>)")
    .option('--mail-type <type>', 'transactional (default: account verification, password reset) or marketing')
    .option('--contact-email <addr...>', 'up to 4 more addresses AWS writes to about the request')
    .option('--language <lang>', 'the language AWS answers in: en (default) or ja')
    .option(
      '--use-case-file <path>',
      'send the use case in this file (at most 5000 characters) instead of the drafted one',
    )
    .option('--force', 'submit even when the domain is not verified for sending (AWS denies such requests)')
    .addHelpText(
      'after',
      '\nExit codes: 0 submitted, or nothing to do (production access already, a review pending); 2 refused before sending (bad flags, domain not verified, no terminal without --yes); 130 not confirmed.\n\nExamples:\n  $ hm-infra request-production-access --env prod\n  $ hm-infra request-production-access --env prod --yes --contact-email ops@example.com --json',
    )
    .action(async (opts: RequestProductionAccessFlags, cmd: Command) => {
      const { runRequestProductionAccess } = await import('./commands/request-production-access.js');
      setCode(await runRequestProductionAccess(globalsOf(cmd), opts, io));
    });

  root
    .command('print-env')
    .description(
      'print the environment variables your app needs, from the state file (no AWS call); the secret is masked unless asked for',
    )
    .option('--format <format>', 'dotenv (default), shell (export lines) or json')
    .option('--show-secret', 'print AWS_SECRET_ACCESS_KEY instead of masking it')
    .option('--write <file>', 'write the whole block, secret included, to a file only you can read (mode 0600)')
    .option('--force', 'with --write: replace a file that has other content')
    .addHelpText(
      'after',
      '\nExamples:\n  $ hm-infra print-env --env prod\n  $ hm-infra print-env --env prod --write .env.production\n  $ eval "$(hm-infra print-env --format shell --show-secret)"',
    )
    .action(async (opts: PrintEnvFlags, cmd: Command) => {
      const { runPrintEnv } = await import('./commands/print-env.js');
      setCode(await runPrintEnv(globalsOf(cmd), opts, io));
    });

  root
    .command('smoke-test')
    .description(
      "use the stack as the app will, with the app user's key: presigned upload, CDN, private bucket, least privilege, a test email; then remove the test object",
    )
    .option(
      '--to <address>',
      "send the test email here instead of SES's mailbox simulator (in the SES sandbox, a verified address)",
    )
    .option(
      '--cdn-timeout <minutes>',
      'keep trying the CDN this long while CloudFront deploys (0: one try); then report pending (exit 3)',
      '2',
    )
    .option(
      '--event-timeout <seconds>',
      'wait this long for the bounce (and, with --events, the test event) to reach its queue',
      '60',
    )
    .addHelpText(
      'after',
      '\nExit codes: 0 every check passed, 3 something pending (CloudFront deploying), 1 a check failed.\n\nExamples:\n  $ hm-infra smoke-test --env prod\n  $ hm-infra smoke-test --env prod --to you@example.com --json',
    )
    .action(async (opts: SmokeTestFlags, cmd: Command) => {
      const { runSmokeTest } = await import('./commands/smoke-test.js');
      setCode(await runSmokeTest(globalsOf(cmd), opts, io));
    });

  root
    .command('status')
    .description(
      'compare every recorded resource with what exists now: in sync, drifted, missing or pending (read-only; exit 4 on drift)',
    )
    .option('--dns', "also diagnose the email DNS records at the zone's nameservers and your resolver (as verify-dns)")
    .option('--resolver <ip[:port]>', "with --dns: the resolver to ask; default: the system's")
    .option('--nameserver <ip[:port]>', "with --dns: ask this server as the zone's nameserver")
    .addHelpText(
      'after',
      '\nExamples:\n  $ hm-infra status --env prod\n  $ hm-infra status --env prod --dns\n  $ hm-infra status --env prod --json',
    )
    .action(async (opts: StatusFlags, cmd: Command) => {
      const { runStatus } = await import('./commands/status.js');
      setCode(await runStatus(globalsOf(cmd), io, opts));
    });

  root
    .command('teardown')
    .description('remove what hm-infra created for this environment, dependents first; safe to interrupt and re-run')
    .option('--dry-run', 'show what would be removed and what kept, and change nothing')
    .option('--force', 'delete every object version in the bucket first; remove DNS records changed by hand since')
    .option('--include-adopted', 'also remove resources that existed before hm-infra found them')
    .option('--no-wait', 'disable the CloudFront distribution and stop; the next teardown deletes it')
    .option(
      '--wait-timeout <minutes>',
      'give up waiting for CloudFront after this many minutes (exit 3; re-run to finish)',
      '30',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  $ hm-infra teardown --env dev --dry-run\n  $ hm-infra teardown --env dev --yes --force',
    )
    .action(async (opts: TeardownFlags, cmd: Command) => {
      const { runTeardown } = await import('./commands/teardown.js');
      setCode(await runTeardown(globalsOf(cmd), opts, io));
    });

  addStateCommands(root, io, setCode);

  // Every command, those of groups (state) too.
  const everyCommand = (cmd: Command): Command[] => cmd.commands.flatMap((sub) => [sub, ...everyCommand(sub)]);
  for (const cmd of everyCommand(root)) cmd.exitOverride().configureOutput(output);
  return root;
}

function processIo(): Io {
  const color = process.stdout.isTTY === true && !process.env['NO_COLOR'] && process.env['TERM'] !== 'dumb';
  return {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
    interactive: process.stdin.isTTY === true && process.stdout.isTTY === true,
    color,
    env: process.env,
    cwd: process.cwd(),
    ...(process.stderr.isTTY === true ? { progressStream: process.stderr } : {}),
  };
}

/** Runs the CLI and returns the exit code; only bin/ turns it into the process's. */
export async function main(argv: string[] = process.argv, io: Io = processIo()): Promise<number> {
  let code: number = ExitCode.ok;
  const verbose = argv.includes('--verbose');
  try {
    await program(io, (c) => (code = c)).parseAsync(argv);
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help')
        return ExitCode.ok;
      return ExitCode.usage;
    }
    const { renderError, errorJson } = await import('./views/errors.js');
    const { makeStyle } = await import('./views/style.js');
    if (argv.includes('--json')) io.out(JSON.stringify(errorJson(err), null, 2));
    io.err(renderError(err, makeStyle(io.color), verbose));
    return err instanceof HmError ? err.exitCode : ExitCode.failure;
  }
}
