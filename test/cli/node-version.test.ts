import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENGINES, refusal, supported } from '../../bin/node-version.js';

describe('the Node.js versions hm-infra runs on', () => {
  it.each([
    ['22.22.2', true],
    ['v22.23.5', true],
    ['24.15.0', true],
    ['24.22.3', true],
    ['26.12.1', true],
    ['22.22.1', false],
    ['22.12.0', false],
    ['23.11.0', false],
    ['24.14.9', false],
    ['25.1.0', false],
    ['20.20.2', false],
    ['18.20.8', false],
  ])('%s: %s', (version, expected) => {
    expect(supported(version)).toBe(expected);
  });

  it('refuses an old Node.js naming its version, why, and what to install', () => {
    expect(refusal('20.20.2')).toBe(
      'hm-infra needs Node.js 22 (22.22.2 or later) or 24 (24.15.0 or later); this is Node.js 20.20.2.\n' +
        'Node.js 20 has reached its end of life, and the AWS SDK for JavaScript drops it from its releases from January 2027.\n' +
        'Install Node.js 24 LTS (https://nodejs.org/en/download, or your version manager: `nvm install 24`) and run hm-infra again.\n',
    );
    expect(refusal('23.11.0')).toContain('Node.js 23 is not a long-term-support line');
    expect(refusal('22.12.0')).toContain('This release of Node.js 22 is older than the dependencies of hm-infra need.');
  });

  it('says what package.json says', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      engines: { node: string };
    };
    expect(pkg.engines.node).toBe(ENGINES);
  });

  it('starts on this Node.js, which is a supported one', () => {
    const run = spawnSync(process.execPath, [new URL('../../bin/hm-infra.js', import.meta.url).pathname, '--version'], {
      encoding: 'utf8',
    });
    expect(supported(process.versions.node)).toBe(true);
    expect(run.status, run.stderr).toBe(0);
  });
});
