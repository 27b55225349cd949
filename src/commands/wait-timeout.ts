import { inputError } from '../errors.js';

/** --wait-timeout as typed (minutes), in seconds; checked with the other input, before any AWS call. */
export function waitMinutes(typed: string | undefined): number {
  const minutes = Number(typed ?? '30');
  if (!Number.isFinite(minutes) || minutes < 1 || minutes > 180) {
    throw inputError(
      `--wait-timeout "${typed ?? ''}" is not valid: give the minutes to wait, from 1 to 180 (for example --wait-timeout 30)`,
    );
  }
  return minutes * 60;
}
