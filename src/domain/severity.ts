/**
 * How much an item counts toward the verdict. Its own module: reading a spec (src/spec) needs
 * it, and must not build every schema of the run report to get it.
 */
import { z } from 'zod';

export const SEVERITIES = ['required', 'recommended', 'optional'] as const;
export const Severity = z.enum(SEVERITIES);
export type Severity = z.infer<typeof Severity>;
