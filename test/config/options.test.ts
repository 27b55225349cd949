import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withConfigFile, type GlobalOptions } from '../../src/commands/common.js';
import type { Io } from '../../src/commands/io.js';
import { ConfigSchema } from '../../src/config/config.js';
import { CONFIG_FILE_KEYS } from '../../src/config/file.js';
import { CONFIG_FLAG_KEYS, CONFIG_KEYS, CONFIG_OPTIONS, type ConfigFlags } from '../../src/config/options.js';
import { runCli } from '../support/cli.js';

/** A value of the right kind for a setting, distinct per `variant`. */
function valueFor(key: (typeof CONFIG_KEYS)[number], variant: string): unknown {
  const kind = CONFIG_OPTIONS[key].kind;
  return kind === 'list'
    ? [`https://${variant}.example.com`]
    : kind === 'switch'
      ? variant === 'typed'
      : `${variant}-${key}`;
}

function givenIo(cwd: string): Io {
  return { out: () => undefined, err: () => undefined, interactive: false, color: false, env: {}, cwd };
}

describe('the table of settings (src/config/options.ts)', () => {
  it('is what the state schema holds, field for field', () => {
    expect(Object.keys(ConfigSchema.shape)).toEqual(CONFIG_KEYS);
  });

  it('is what a --config file may hold, with the AWS profile and the state location', () => {
    expect([...CONFIG_FILE_KEYS].sort()).toEqual([...CONFIG_KEYS, 'profile', 'state'].sort());
  });

  it.each(['plan', 'init'])('gives `%s` one flag per setting, and --no- for each switch', async (command) => {
    // WHEN
    const run = await runCli([command, '--help'], { cwd: tmpdir() });
    // THEN
    for (const key of CONFIG_FLAG_KEYS) {
      const option = CONFIG_OPTIONS[key];
      expect(run.stdout).toContain(option.flag);
      expect(run.stdout).toContain(option.description.slice(0, 40));
      if ('negation' in option) expect(run.stdout).toContain(option.flag.replace('--', '--no-'));
    }
  });

  it.each(CONFIG_FLAG_KEYS)('takes %s from a --config file, and a typed flag over it', async (key) => {
    // GIVEN a file with every setting, and only this one typed
    const dir = mkdtempSync(join(tmpdir(), 'hm-options-'));
    writeFileSync(
      join(dir, 'c.json'),
      JSON.stringify(Object.fromEntries(CONFIG_FLAG_KEYS.map((k) => [k, valueFor(k, 'file')]))),
    );
    const globals: GlobalOptions = { env: 'dev' };
    const typed = { config: 'c.json', [key]: valueFor(key, 'typed') } as ConfigFlags;
    // WHEN
    const { flags } = await withConfigFile(globals, typed, givenIo(dir));
    // THEN
    for (const other of CONFIG_FLAG_KEYS) {
      expect(flags[other]).toEqual(valueFor(other, other === key ? 'typed' : 'file'));
    }
  });

  it('reaches the configuration under its config key, whatever the flag is called (--mail-from → mailFromDomain)', async () => {
    // WHEN
    const run = await runCli(
      [
        'plan',
        '--offline',
        '--json',
        '--app',
        'hm',
        '--domain',
        'example.com',
        '--mail-from',
        'Bounce.Example.com',
        '--cors-origin',
        'https://a.example.com,https://b.example.com',
      ],
      { cwd: mkdtempSync(join(tmpdir(), 'hm-options-')) },
    );
    // THEN
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('bounce.example.com');
    expect(run.stdout).toContain('https://b.example.com');
  });
});
