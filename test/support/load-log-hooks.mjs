// Module resolution hook (runs in the loader thread): appends each resolved URL to HM_LOAD_LOG.
import { appendFileSync } from 'node:fs';

export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context);
  if (process.env.HM_LOAD_LOG) appendFileSync(process.env.HM_LOAD_LOG, `${result.url}\n`);
  return result;
}
