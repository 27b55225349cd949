/**
 * The CLI in one process against a real endpoint (the e2e harness in front of moto, for the
 * benchmark), with every SDK call logged: service, command, input, the step that made it
 * (the runner's currentStepId), start and end. Like fake-cli.ts, `+++` separates commands run
 * one after the other, and `HM_FAKE_REPORT` names the JSON report (time in `main`, calls, their
 * critical path, repeated reads). `HM_WIRE_ZONE` is a Route 53 zone created before the first
 * command (not timed). Needs AWS_ENDPOINT_URL, and NODE_EXTRA_CA_CERTS for the harness.
 */
import { writeFileSync } from 'node:fs';
import { CloudFrontClient } from '@aws-sdk/client-cloudfront';
import { IAMClient } from '@aws-sdk/client-iam';
import { CreateHostedZoneCommand, Route53Client } from '@aws-sdk/client-route-53';
import { S3Client } from '@aws-sdk/client-s3';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { STSClient } from '@aws-sdk/client-sts';
import { main } from '../../src/cli.js';
import { provisioningSteps } from '../../src/steps/graph.js';
import { currentStepId } from '../../src/steps/runner.js';
import { type CriticalPath, type TimedCall, criticalPath, repeatedReads } from './critical-path.js';

const calls: TimedCall[] = [];
const CLIENTS = { s3: S3Client, cloudfront: CloudFrontClient, sesv2: SESv2Client, route53: Route53Client, iam: IAMClient, sts: STSClient };
for (const [service, Client] of Object.entries(CLIENTS)) {
  const send = Client.prototype.send as (this: unknown, command: { constructor: { name: string }; input: Record<string, unknown> }) => Promise<unknown>;
  // Timed around the real send: retries, signing and the wire all happen inside.
  Object.defineProperty(Client.prototype, 'send', {
    configurable: true,
    value: async function timedSend(this: unknown, command: { constructor: { name: string }; input: Record<string, unknown> }) {
      const call: TimedCall = {
        service,
        command: command.constructor.name.replace(/Command$/, ''),
        input: command.input,
        step: currentStepId(),
        signedBy: undefined,
        startedAt: performance.now(),
        endedAt: 0,
      };
      try {
        return await send.call(this, command);
      } finally {
        call.endedAt = performance.now();
        calls.push(call);
      }
    },
  });
}

const zone = process.env['HM_WIRE_ZONE'];
if (zone) {
  const route53 = new Route53Client({ region: 'us-east-1' });
  await route53.send(new CreateHostedZoneCommand({ Name: zone, CallerReference: `bench-${zone}` }));
  route53.destroy();
  calls.length = 0;
}

const commands = process.argv
  .slice(2)
  .join('\u0000')
  .split('\u0000+++\u0000')
  .map((c) => c.split('\u0000').filter(Boolean));
const graph = provisioningSteps({ cdn: !process.argv.includes('--no-cdn'), email: !process.argv.includes('--no-email') }).map((s) => ({ id: s.id, dependsOn: s.dependsOn }));
const report: Array<{ args: string[]; exitCode: number; ms: number; calls: TimedCall[]; criticalPath: CriticalPath; repeatedReads: string[] }> = [];
for (const args of commands) {
  const first = calls.length;
  const started = performance.now();
  const exitCode = await main([process.argv[0] ?? 'node', 'hm-infra', ...args]);
  const ms = performance.now() - started;
  process.exitCode = exitCode;
  const mine = calls.slice(first).map((c) => ({ ...c, startedAt: c.startedAt - started, endedAt: c.endedAt - started }));
  report.push({ args, exitCode, ms, calls: mine, criticalPath: criticalPath(graph, mine), repeatedReads: repeatedReads(mine) });
}
const reportFile = process.env['HM_FAKE_REPORT'];
if (reportFile) writeFileSync(reportFile, `${JSON.stringify({ graph, commands: report, maxRssKb: process.resourceUsage().maxRSS }, null, 2)}\n`);
