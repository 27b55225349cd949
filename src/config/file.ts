import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { closest, distance } from 'fastest-levenshtein';
import * as z from 'zod/mini';
import { zodBuilders } from './zod-builders.js';
import './zod-english.js';
import { inputError } from '../errors.js';
import { fileShape } from './options.js';

/**
 * A `--config <file.json>` for CI: every setting of src/config/options.ts under the name the
 * state file uses, and the AWS profile. Unknown keys are refused (a typo must not silently fall
 * back to a default); values are checked by the same validators as flags once merged.
 */
export const ConfigFileSchema = z.partial(
  z.strictObject({ ...fileShape(zodBuilders), profile: z.string(), state: z.string() }),
);

export type ConfigFile = z.infer<typeof ConfigFileSchema>;

export const CONFIG_FILE_KEYS: string[] = Object.keys(ConfigFileSchema.shape);

/** The closest known key to a mistyped one, for "did you mean". */
function closestKey(key: string): string | undefined {
  const best = closest(key, CONFIG_FILE_KEYS);
  return distance(key.toLowerCase(), best.toLowerCase()) <= 3 ? best : undefined;
}

function describeIssue(issue: z.core.$ZodIssue): string[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const near = closestKey(key);
      return `unknown key "${key}"${near ? ` (did you mean "${near}"?)` : ''}`;
    });
  }
  const where = issue.path.length > 0 ? issue.path.join('.') : 'the file';
  if (issue.code === 'invalid_type')
    return [`${where} must be ${issue.expected === 'array' ? 'a list of strings' : `a ${issue.expected}`}`];
  return [`${where}: ${issue.message}`];
}

/** Reads and checks a config file; every problem is listed at once, before any AWS call. */
export async function loadConfigFile(path: string, cwd: string): Promise<ConfigFile> {
  const full = resolve(cwd, path);
  let text: string;
  try {
    text = await readFile(full, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw inputError(
      `cannot read the config file ${path}: ${code === 'ENOENT' ? 'it does not exist' : (err as Error).message}`,
      'Pass --config with the path of a JSON file (see "Config file" in the README).',
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw inputError(`the config file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = ConfigFileSchema.safeParse(data);
  if (!parsed.success) {
    const problems = [...new Set(parsed.error.issues.flatMap(describeIssue))];
    throw inputError(
      `the config file ${path} has ${problems.length === 1 ? 'a problem' : `${problems.length} problems`}:\n  ${problems.join('\n  ')}`,
      `Known keys: ${CONFIG_FILE_KEYS.join(', ')}.`,
    );
  }
  return parsed.data;
}
