/**
 * The CLI in one process against the stateful fake account, for looking at the screens in a
 * terminal and for the benchmark: `HM_FAKE_DELAY_MS` delays every AWS call, `HM_FAKE_ZONES`
 * (comma-separated) adds public Route 53 zones; `+++` between commands runs them one after the
 * other on the same account. `HM_FAKE_REPORT` names a file that receives, as JSON, each
 * command's time in `main`, the calls it made (step, start, end), their critical path and the
 * reads it repeated (test/support/critical-path.ts), and the process's peak resident memory.
 * Nothing here reaches the network.
 */
import { writeFileSync } from 'node:fs';
import { main } from '../../src/cli.js';
import { provisioningSteps } from '../../src/steps/graph.js';
import { currentStepId } from '../../src/steps/runner.js';
import { FakeAccount } from '../fakes/account.js';
import { installFakeAccount } from '../fakes/install.js';
import { type CriticalPath, type TimedCall, criticalPath, repeatedReads } from './critical-path.js';

const fake = new FakeAccount();
fake.delayMs = Number(process.env['HM_FAKE_DELAY_MS'] ?? 0);
fake.stepOf = currentStepId;
for (const zone of (process.env['HM_FAKE_ZONES'] ?? '').split(',').filter(Boolean)) fake.route53.addZone(zone);
installFakeAccount(fake);
// Several commands on one fake account: `init --yes … +++ teardown` (the last one's exit code).
const commands = process.argv
  .slice(2)
  .join('\u0000')
  .split('\u0000+++\u0000')
  .map((c) => c.split('\u0000').filter(Boolean));
const graph = provisioningSteps({ cdn: !process.argv.includes('--no-cdn'), email: !process.argv.includes('--no-email') }).map((s) => ({ id: s.id, dependsOn: s.dependsOn }));
const report: Array<{ args: string[]; exitCode: number; ms: number; calls: TimedCall[]; criticalPath: CriticalPath; repeatedReads: string[] }> = [];
for (const args of commands) {
  const first = fake.calls.length;
  const started = performance.now();
  const exitCode = await main([process.argv[0] ?? 'node', 'hm-infra', ...args]);
  const ms = performance.now() - started;
  process.exitCode = exitCode;
  const calls = fake.calls
    .slice(first)
    .map(({ service, command, input, step, signedBy, startedAt, endedAt }) => ({ service, command, input, step, signedBy, startedAt: startedAt - started, endedAt: (endedAt ?? startedAt) - started }));
  report.push({ args, exitCode, ms, calls, criticalPath: criticalPath(graph, calls), repeatedReads: repeatedReads(calls) });
}
const reportFile = process.env['HM_FAKE_REPORT'];
if (reportFile) {
  writeFileSync(reportFile, `${JSON.stringify({ delayMs: fake.delayMs, graph, commands: report, maxRssKb: process.resourceUsage().maxRSS }, null, 2)}\n`);
}
