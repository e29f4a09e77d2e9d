/**
 * `${env.NAME}` in header values, query values and bodies: the value comes from the
 * environment (mlgate's, plus the env the managed service was started with) and never reaches
 * a report. Evidence shows the template text; anything substituted is masked wherever it
 * appears, response bodies included.
 */
import { CREDENTIAL_HEADER } from '../redact/redactor.js';

const PLACEHOLDER = /\$\{env\.([A-Za-z_][A-Za-z0-9_]*)\}/g;

export class TemplateError extends Error {}

export class Secrets {
  private readonly values = new Set<string>();

  /** Replaces `${env.X}`; remembers each value so that it can be masked later. */
  expand(text: string, env: Readonly<Record<string, string | undefined>>, where: string): string {
    return text.replace(PLACEHOLDER, (_, name: string) => {
      const value = env[name];
      if (value === undefined) {
        throw new TemplateError(`environment variable ${name} is not set (used in ${where})`);
      }
      // Short values would mask innocent text everywhere ("1", "on").
      if (value.length >= 4) this.values.add(value);
      return value;
    });
  }

  /** The text with every remembered value replaced by "***". */
  mask(text: string): string {
    let masked = text;
    for (const value of [...this.values].sort((a, b) => b.length - a.length))
      masked = masked.split(value).join('***');
    return masked;
  }
}

/** A header value as evidence shows it: credentials reduced to their scheme. */
export function showHeader(name: string, value: string, secrets: Secrets): string {
  // Credentials even when written literally in the spec (the redactor's list of names).
  if (CREDENTIAL_HEADER.test(name)) {
    const scheme = /^(Bearer|Basic|Token|Digest)\s+/i.exec(value);
    return scheme ? `${scheme[1]} ***` : '***';
  }
  return secrets.mask(value);
}
