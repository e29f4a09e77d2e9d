/**
 * The one pass every piece of evidence takes before it is printed, rendered or stored: control
 * sequences out (see clean.ts), then secrets out (see redactor.ts).
 */
import { cleanDeep } from './clean.js';
import type { Redactor } from './redactor.js';

export { cleanText, hasControlCharacters, inlineText } from './clean.js';
export { redactorForRun } from './from-spec.js';
export { Redactor } from './redactor.js';

/** The value with every string cleaned for terminals and, given a redactor, redacted. */
export function sanitize<T>(value: T, redactor?: Pick<Redactor, 'redact'>): T {
  const clean = cleanDeep(value);
  return redactor ? redactor.redact(clean) : clean;
}
