import { describe, expect, it } from 'vitest';
import { recordedOutputs } from '../../../src/engine/destroy.js';
import type { HmError } from '../../../src/errors.js';
import { distributionStep } from '../../../src/resources/cloudfront/distribution.js';
import { oacStep } from '../../../src/resources/cloudfront/oac.js';
import type { ResourceRecord } from '../../../src/state/schema.js';
import { givenStepContext } from '../../support/context.js';

const record = (outputs: Record<string, unknown>, status: ResourceRecord['status'] = 'created'): ResourceRecord => ({
  status,
  owned: true,
  outputs,
  updatedAt: '',
});

const RECORDED = {
  id: 'EDIST',
  arn: 'arn:aws:cloudfront::123456789012:distribution/EDIST',
  domainName: 'd111.cloudfront.net',
  status: 'Deployed',
  url: 'https://d111.cloudfront.net',
  aliases: [],
};

describe('the CloudFront records state holds', () => {
  it('are read back as recorded, including those of versions that recorded no env entry', () => {
    const env = { CLOUDFRONT_URL: RECORDED.url };
    expect(recordedOutputs(distributionStep, record({ ...RECORDED, env }))).toEqual({ ...RECORDED, env });
    expect(recordedOutputs(distributionStep, record(RECORDED))).toEqual(RECORDED);
    expect(recordedOutputs(oacStep, record({ id: 'EOAC', name: 'healthmetrics-dev-uploads-oac' }))).toEqual({
      id: 'EOAC',
      name: 'healthmetrics-dev-uploads-oac',
    });
  });

  it('include an interrupted create, which has no outputs yet (teardown looks the resource up)', () => {
    const interrupted = { ...record({}, 'pending'), owned: false, intent: { callerReference: 'hm-infra-x' } };
    expect(recordedOutputs(distributionStep, interrupted)).toEqual({});
    expect(recordedOutputs(oacStep, interrupted)).toEqual({});
  });

  it('are refused, field by field, when edited into something else', () => {
    const error = (() => {
      try {
        recordedOutputs(distributionStep, record({ ...RECORDED, id: 7 }));
      } catch (e) {
        return e as HmError;
      }
      return undefined;
    })();
    expect(error?.code).toBe('STATE_RECORD_INVALID');
    expect(error?.message).toContain('id: ');
  });
});

describe('the plan of a distribution still to create', () => {
  it('lists what it will be, part by part', () => {
    const changes = distributionStep.plan(givenStepContext(), undefined);
    expect(changes.map((c) => [c.field, c.action])).toEqual(
      ['comment', 'price-class', 'origin', 'default-behaviour', 'avatars-behaviour', 'certificate', 'aliases'].map(
        (field) => [field, 'create'],
      ),
    );
  });
});
