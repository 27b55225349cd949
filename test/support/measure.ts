/**
 * What fake-cli.ts and wire-cli.ts share: the commands on their command line (separated by
 * `+++`) run through `main()` one after the other, each timed from `main()` to its return, with
 * the AWS calls it made (from a call log the caller keeps), their critical path through the step
 * graph and the reads it repeated; written as JSON to `HM_FAKE_REPORT`.
 */
import { writeFileSync } from 'node:fs';
import { main } from '../../src/cli.js';
import { provisioningSteps } from '../../src/resources/index.js';
import { type CriticalPath, type TimedCall, criticalPath, repeatedReads } from './critical-path.js';

export interface CommandReport {
  args: string[];
  exitCode: number;
  ms: number;
  /** Times relative to the command's start. */
  calls: TimedCall[];
  criticalPath: CriticalPath;
  repeatedReads: string[];
}

/** `calls()` is the log so far (times from performance.now()); the exit code is the last command's. */
export async function measureCommands(
  argv: string[],
  calls: () => readonly TimedCall[],
  extra: Record<string, unknown> = {},
): Promise<CommandReport[]> {
  const commands = argv
    .join('\u0000')
    .split('\u0000+++\u0000')
    .map((c) => c.split('\u0000').filter(Boolean));
  const graph = provisioningSteps({ cdn: !argv.includes('--no-cdn'), email: !argv.includes('--no-email') }).map(
    (s) => ({ id: s.id, dependsOn: s.dependsOn }),
  );
  const report: CommandReport[] = [];
  for (const args of commands) {
    const first = calls().length;
    const started = performance.now();
    const exitCode = await main([process.argv[0] ?? 'node', 'hm-infra', ...args]);
    const ms = performance.now() - started;
    process.exitCode = exitCode;
    const mine = calls()
      .slice(first)
      .map((c) => ({ ...c, startedAt: c.startedAt - started, endedAt: c.endedAt - started }));
    report.push({
      args,
      exitCode,
      ms,
      calls: mine,
      criticalPath: criticalPath(graph, mine),
      repeatedReads: repeatedReads(mine),
    });
  }
  const reportFile = process.env['HM_FAKE_REPORT'];
  if (reportFile)
    writeFileSync(
      reportFile,
      `${JSON.stringify({ ...extra, graph, commands: report, maxRssKb: process.resourceUsage().maxRSS }, null, 2)}\n`,
    );
  return report;
}
