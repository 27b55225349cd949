import { _default, array, boolean, enum as zEnum, minLength, optional, string, superRefine } from 'zod/mini';
import type { ZodBuilders } from './options.js';

/** The builders src/config/options.ts builds the settings' schemas with (named, so the bundle keeps only these). */
export const zodBuilders: ZodBuilders = {
  _default,
  array,
  boolean,
  enum: zEnum,
  minLength,
  optional,
  string,
  superRefine,
};
