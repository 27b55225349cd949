/**
 * The CLI in one process against the stateful fake account, for looking at the screens in a
 * terminal and for the benchmark: `HM_FAKE_DELAY_MS` delays every AWS call, `HM_FAKE_ZONES`
 * (comma-separated) adds public Route 53 zones; `+++` between commands runs them one after the
 * other on the same account. Nothing here reaches the network.
 */
import { main } from '../../src/cli.js';
import { FakeAccount } from '../fakes/account.js';
import { installFakeAccount } from '../fakes/install.js';

const fake = new FakeAccount();
fake.delayMs = Number(process.env['HM_FAKE_DELAY_MS'] ?? 0);
for (const zone of (process.env['HM_FAKE_ZONES'] ?? '').split(',').filter(Boolean)) fake.route53.addZone(zone);
installFakeAccount(fake);
// Several commands on one fake account: `init --yes … +++ teardown` (the last one's exit code).
const commands = process.argv.slice(2).join('\u0000').split('\u0000+++\u0000').map((c) => c.split('\u0000').filter(Boolean));
for (const args of commands) process.exitCode = await main([process.argv[0] ?? 'node', 'hm-infra', ...args]);
