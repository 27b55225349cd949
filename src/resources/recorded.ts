import { z } from 'zod';

/**
 * The schema of a resource's outputs as state records them, which also lets through the empty
 * outputs of a record whose create was interrupted (status `pending`, only its intent saved):
 * teardown finds such a resource by its name, not by what was recorded, so there is nothing to
 * check yet. Every other record is checked against `schema`, with its own wording of what is wrong.
 */
export function orInterrupted<Out extends object>(schema: z.ZodType<Out>): z.ZodType<Out> {
  return z.unknown().transform((value, ctx): Out => {
    if (typeof value === 'object' && value !== null && Object.keys(value).length === 0) return value as Out;
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    for (const { path, message } of parsed.error.issues) ctx.addIssue({ code: 'custom', path, message, input: value });
    return z.NEVER;
  });
}
