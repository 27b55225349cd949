/**
 * Schemas use the functional `zod/mini` API: its module loads in a third of the time of the
 * classic one, and it is on the start-up path of every command that reads a state file. Mini
 * carries no issue messages of its own; this gives it the English ones the classic API has.
 * Imported for its effect by every module that defines a schema.
 */
import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());
