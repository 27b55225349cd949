/**
 * moto and the e2e harness in a process of their own, for the benchmark: prints one JSON line
 * (`{ url, caFile }`) once both answer, serves until its stdin closes, then stops moto by PID
 * (a moto named by HM_INFRA_E2E_MOTO is used instead, and left running).
 * `HM_WIRE_DELAY_MS` delays every request. The CLI measured runs in another process, so the
 * harness's own work (TLS, moto's answers) does not share its event loop.
 */
import { startMoto } from '../../scripts/moto.mjs';
import { startHarness } from '../e2e/harness/proxy.js';

// A running moto (HM_INFRA_E2E_MOTO, as the e2e suite takes it), else one of our own.
const external = process.env['HM_INFRA_E2E_MOTO'];
const moto = external ? undefined : await startMoto();
const harness = await startHarness({ motoUrl: external ?? moto?.url ?? '' });
harness.delayMs = Number(process.env['HM_WIRE_DELAY_MS'] ?? 0);
process.stdout.write(`${JSON.stringify({ url: harness.url, caFile: harness.caFile })}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  void harness.stop().then(() => moto?.stop());
});
