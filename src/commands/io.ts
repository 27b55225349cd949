import type { Output } from '../views/view.js';
import { type Style, makeStyle } from '../views/style.js';

/** Where a command writes, and what it may assume about the terminal and the process. */
export interface Io extends Output {
  readonly cwd: string;
}

export function styleFor(io: Io): Style {
  return makeStyle(io.color);
}
