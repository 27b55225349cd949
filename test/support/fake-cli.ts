/**
 * The CLI in one process against the stateful fake account, for looking at the screens in a
 * terminal and for the benchmark: `HM_FAKE_DELAY_MS` delays every AWS call, `HM_FAKE_ZONES`
 * (comma-separated) adds public Route 53 zones. Nothing here reaches the network.
 */
import { main } from '../../src/cli.js';
import { FakeAccount } from '../fakes/account.js';
import { installFakeAccount } from '../fakes/install.js';

const fake = new FakeAccount();
fake.delayMs = Number(process.env['HM_FAKE_DELAY_MS'] ?? 0);
for (const zone of (process.env['HM_FAKE_ZONES'] ?? '').split(',').filter(Boolean)) fake.route53.addZone(zone);
installFakeAccount(fake);
process.exitCode = await main(process.argv);
