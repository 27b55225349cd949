/**
 * The CLI in one process against the stateful fake account, for looking at the screens in a
 * terminal and for the benchmark: `HM_FAKE_DELAY_MS` delays every AWS call, `HM_FAKE_ZONES`
 * (comma-separated) adds public Route 53 zones; `+++` between commands runs them one after the
 * other on the same account. `HM_FAKE_REPORT` names a file that receives, as JSON, each
 * command's time in `main`, the calls it made (step, start, end), their critical path and the
 * reads it repeated (test/support/critical-path.ts), and the process's peak resident memory.
 * Nothing here reaches the network.
 */
import { currentStepId } from '../../src/engine/schedule.js';
import { FakeAccount } from '../fakes/account.js';
import { installFakeAccount } from '../fakes/install.js';
import { measureCommands } from './measure.js';

const fake = new FakeAccount();
fake.delayMs = Number(process.env['HM_FAKE_DELAY_MS'] ?? 0);
fake.stepOf = currentStepId;
for (const zone of (process.env['HM_FAKE_ZONES'] ?? '').split(',').filter(Boolean)) fake.route53.addZone(zone);
installFakeAccount(fake);
// Several commands on one fake account: `init --yes … +++ teardown` (the last one's exit code).
const log = () =>
  fake.calls.map(({ service, command, input, step, signedBy, startedAt, endedAt }) => ({
    service,
    command,
    input,
    step,
    signedBy,
    startedAt,
    endedAt: endedAt ?? startedAt,
  }));
await measureCommands(process.argv.slice(2), log, { delayMs: fake.delayMs });
