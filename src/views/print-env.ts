import { inputError } from '../errors.js';
import { ENV_FORMATS, type EnvEntry, type EnvFormat } from './env.js';
import { BaseView, type Output, type ViewOptions, printJson } from './view.js';

/** What `print-env --write` did with the file. */
export interface EnvFileWritten {
  /** The file's absolute path, and as the user typed it (relative when inside the folder). */
  path: string;
  shownPath: string;
  format: EnvFormat;
  variables: number;
  outcome: 'written' | 'unchanged';
}

/** What `print-env` shows: the variables (in the format asked for), or what it wrote. */
export interface PrintEnvView {
  /** The format of the block: --format as typed, else this view's own. */
  format(typed: string | undefined): EnvFormat;
  env(text: string): void;
  /** Variables the state cannot give yet, and what to do about them. */
  missing(missing: readonly EnvEntry[], all: readonly EnvEntry[]): void;
  written(file: EnvFileWritten): void;
}

function checkedFormat(format: string): EnvFormat {
  if (!(ENV_FORMATS as readonly string[]).includes(format)) {
    throw inputError(`--format "${format}" is not valid: use ${ENV_FORMATS.join(', ')} (for example --format shell)`);
  }
  return format as EnvFormat;
}

class HumanPrintEnvView extends BaseView implements PrintEnvView {
  format(typed: string | undefined): EnvFormat {
    return checkedFormat(typed ?? 'dotenv');
  }

  env(text: string): void {
    this.output.out(text);
  }

  missing(missing: readonly EnvEntry[], all: readonly EnvEntry[]): void {
    this.output.err(
      this.style.yellow(
        `${missing.length} of ${all.filter((e) => e.none === undefined).length} variables are missing: ${missing.map((e) => e.name).join(', ')}.`,
      ),
    );
    this.output.err(missing[0]?.missing ?? '');
  }

  written(file: EnvFileWritten): void {
    this.output.out(
      `${this.style.green('✔')} ${file.outcome === 'written' ? 'Wrote' : 'Already up to date:'} ${file.variables} variables to ${file.shownPath} (${file.format}, mode 0600, secret included). Keep it out of version control.`,
    );
  }
}

/** --json is the JSON format of the block; another --format with it is a contradiction. */
class JsonPrintEnvView extends HumanPrintEnvView {
  override format(typed: string | undefined): EnvFormat {
    const format = checkedFormat(typed ?? 'json');
    if (format !== 'json') throw inputError(`--json and --format ${format} disagree`, 'Pass one of them.');
    return format;
  }

  override written(file: EnvFileWritten): void {
    const { path, format, variables, outcome } = file;
    printJson(this.output, { kind: 'env-file', path, format, variables, outcome });
  }
}

export function printEnvViewFor(options: ViewOptions, output: Output): PrintEnvView {
  return options.json ? new JsonPrintEnvView(output, options) : new HumanPrintEnvView(output, options);
}
