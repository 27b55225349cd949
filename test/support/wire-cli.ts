/**
 * The CLI in one process against a real endpoint (the e2e harness in front of moto, for the
 * benchmark), with every SDK call logged: service, command, input, the step that made it
 * (the runner's currentStepId), start and end; measured and reported as fake-cli.ts does
 * (measure.ts: `+++` between commands, `HM_FAKE_REPORT`). `HM_WIRE_ZONE` is a Route 53 zone created before the first
 * command (not timed). Needs AWS_ENDPOINT_URL, and NODE_EXTRA_CA_CERTS for the harness.
 */
import { CloudFrontClient } from '@aws-sdk/client-cloudfront';
import { IAMClient } from '@aws-sdk/client-iam';
import { CreateHostedZoneCommand, Route53Client } from '@aws-sdk/client-route-53';
import { S3Client } from '@aws-sdk/client-s3';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { STSClient } from '@aws-sdk/client-sts';
import { currentStepId } from '../../src/engine/schedule.js';
import type { TimedCall } from './critical-path.js';
import { measureCommands } from './measure.js';

const calls: TimedCall[] = [];
const CLIENTS = {
  s3: S3Client,
  cloudfront: CloudFrontClient,
  sesv2: SESv2Client,
  route53: Route53Client,
  iam: IAMClient,
  sts: STSClient,
};
for (const [service, Client] of Object.entries(CLIENTS)) {
  const send = Client.prototype.send as (
    this: unknown,
    command: { constructor: { name: string }; input: Record<string, unknown> },
  ) => Promise<unknown>;
  // Timed around the real send: retries, signing and the wire all happen inside.
  Object.defineProperty(Client.prototype, 'send', {
    configurable: true,
    value: async function timedSend(
      this: unknown,
      command: { constructor: { name: string }; input: Record<string, unknown> },
    ) {
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

await measureCommands(process.argv.slice(2), () => calls);
