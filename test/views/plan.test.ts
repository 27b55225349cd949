import { describe, expect, it } from 'vitest';
import { renderPlan } from '../../src/views/plan.js';
import { makeStyle } from '../../src/views/style.js';
import type { StepOutcome } from '../../src/engine/outcome.js';

const outcome = (
  id: string,
  title: string,
  service: StepOutcome['service'],
  action: StepOutcome['action'],
): StepOutcome => ({
  id,
  title,
  service,
  status: 'done',
  action,
  changes: action === 'update' ? [{ field: 'cors', action: 'update', from: 'a', to: 'b' }] : [],
  durationMs: 0,
});

const META = { app: 'healthmetrics', environment: 'prod', region: 'eu-west-1', offline: false };

describe('the plan as the user reads it', () => {
  it('groups steps by service in a fixed order, whatever order they ran in', () => {
    // WHEN
    const text = renderPlan(
      [
        outcome('iam-user', 'IAM user', 'IAM', 'unchanged'),
        outcome('distribution', 'CloudFront distribution', 'CloudFront', 'create'),
        outcome('bucket', 'S3 bucket', 'S3', 'unchanged'),
        outcome('bucket-settings', 'S3 bucket settings', 'S3', 'update'),
        outcome('account', 'AWS account', 'Account', 'read'),
      ],
      META,
      makeStyle(false),
    );
    // THEN
    const lines = text.split('\n');
    const headings = lines.filter((l) => /^ {2}\S/.test(l)).map((l) => l.trim().split(' — ')[0]);
    expect(headings).toEqual(['AWS account', 'S3', 'CloudFront', 'IAM']);
    const s3 = lines.findIndex((l) => l.startsWith('  S3'));
    expect(lines.slice(s3 + 1, s3 + 4)).toEqual([
      expect.stringMatching(/^ {4}S3 bucket\s+unchanged\s+bucket$/),
      expect.stringMatching(/^ {4}S3 bucket settings\s+update\s+bucket-settings$/),
      '        ~ cors: a → b',
    ]);
    expect(text).toContain('1 to create, 1 to update, 2 unchanged');
  });

  it('notes cost and time only for services where something is created or changed', () => {
    // WHEN
    const text = renderPlan(
      [
        outcome('distribution', 'CloudFront distribution', 'CloudFront', 'create'),
        outcome('iam-user', 'IAM user', 'IAM', 'unchanged'),
      ],
      META,
      makeStyle(false),
    );
    // THEN
    expect(text).toMatch(/CloudFront — a new distribution takes 5–15 minutes to deploy/);
    expect(text).toMatch(/^ {2}IAM$/m);
  });
});
