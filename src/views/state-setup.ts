import type { SettingResult, StateBucketConfig } from '../state/state-bucket.js';
import { pad } from './style.js';
import { BaseView, type Output, type ViewOptions, printJson } from './view.js';

/** What `state setup` did: the bucket, the `--state` value that uses it, and each setting. */
export interface StateSetupResult {
  bucket: string;
  region: string;
  /** `s3://<bucket>/<prefix>`. */
  state: string;
  /** The bucket itself first (`bucket`), then each setting in the order they were set. */
  settings: SettingResult[];
}

/** What `state setup` shows: each setting as it is done, then the `--state` value. */
export interface StateSetupView {
  start(config: StateBucketConfig): void;
  setting(result: SettingResult): void;
  result(result: StateSetupResult): void;
}

class HumanStateSetupView extends BaseView implements StateSetupView {
  start(config: StateBucketConfig): void {
    this.output.out(this.style.bold(`State bucket ${config.bucket} in ${config.region}`));
  }

  setting(result: SettingResult): void {
    const { style } = this;
    const mark = result.action === 'unchanged' ? style.dim('·') : style.green('✔');
    const was = result.was !== undefined ? style.dim(` (was ${result.was})`) : '';
    this.output.out(`  ${mark} ${pad(result.name, 22)}${pad(result.action, 11)}${result.value}${was}`);
  }

  result(result: StateSetupResult): void {
    const changed = result.settings.filter((s) => s.action !== 'unchanged').length;
    this.output.out(
      changed === 0
        ? 'Everything was already as it should be; nothing was written.'
        : `${changed} of ${result.settings.length} set.`,
    );
    this.output.out(`\nUse it for team state with:\n  --state ${result.state}`);
  }
}

class JsonStateSetupView extends BaseView implements StateSetupView {
  start(): void {}

  setting(): void {}

  result(result: StateSetupResult): void {
    printJson(this.output, {
      kind: 'state-setup',
      bucket: result.bucket,
      region: result.region,
      state: result.state,
      settings: result.settings.map((s) => ({ name: s.name, action: s.action })),
    });
  }
}

export function stateSetupViewFor(options: ViewOptions, output: Output): StateSetupView {
  return options.json ? new JsonStateSetupView(output, options) : new HumanStateSetupView(output, options);
}
