/**
 * The secrets of one run, read from its spec: what the service and each command are given in
 * their environment, what `${random}` and `${env.NAME}` stood for, and the credential headers
 * checks send. Built once per run, before anything runs.
 */
import type { LoadedSpec } from '../spec/load.js';
import { CREDENTIAL_HEADER, isTrivialValue, Redactor } from './redactor.js';

/** Names of variables the spec passes whose values are credentials, whatever they look like. */
const CREDENTIAL_NAME =
  /token|secret|passw|pwd|api_?key|access_?key|private_?key|(?:^|_)key$|auth|cred|cookie|session|signing|signature|salt|dsn|jwt|bearer/i;

/**
 * Names of mlgate's own variables that hold credentials (GITHUB_TOKEN, AWS_SECRET_ACCESS_KEY,
 * OPENAI_API_KEY, DATABASE_PASSWORD, SENTRY_DSN): stricter, whole words only, since most of
 * mlgate's environment (PWD, GIT_AUTHOR_EMAIL, SSH_AUTH_SOCK) is not secret and is in reports.
 */
const OUTER_CREDENTIAL_NAME =
  /(?:^|_)(?:TOKEN|SECRET|SECRETKEY|PASSWORD|PASSWD|PASS|API_?KEY|ACCESS_KEY|PRIVATE_KEY|CREDENTIALS?|COOKIE|DSN)(?:_|$)|.(?:_KEY|_PWD|_PW|_PAT|_AUTH)$/i;

/** Credentials mlgate sends on its own behalf: always kept out of output. */
const MLGATE_OWN_CREDENTIALS = new Set(['MLGATE_TOKEN', 'MLFLOW_TRACKING_TOKEN', 'MLFLOW_TRACKING_PASSWORD']);

const PLACEHOLDER = /\$\{(random|env\.([A-Za-z_][A-Za-z0-9_]*))\}/g;

/**
 * A literal value that reads as configuration, not a credential: a path, a URL without
 * user:password or query, words ("production", "INFO"), or a lowercase name with separators
 * ("bert-base-uncased", "model.internal:8080") that is not a UUID. Only for variables whose
 * name does not look like a credential.
 */
export function looksLikeConfiguration(value: string): boolean {
  const text = value.trim();
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(text)) return false;
  return (
    /^(?:\.{0,2}\/|~\/)[\w./-]*$/.test(text) ||
    /^[a-z][a-z0-9+.-]*:\/\/[^\s@?#]*$/i.test(text) ||
    /^[A-Za-z]+(?:[-_. ][A-Za-z]+)*$/.test(text) ||
    /^[a-z0-9]+(?:[-_.:/][a-z0-9]+)+$/.test(text) ||
    /^\$\{?[A-Za-z_][A-Za-z0-9_.]*\}?$/.test(text)
  );
}

export interface RunSecrets {
  /** The service's environment as it was started (the controller's `env`, placeholders resolved). */
  serviceEnv?: Readonly<Record<string, string>>;
  /** Environments `${env.NAME}` may have been read from (mlgate's own). */
  outerEnvs?: ReadonlyArray<Readonly<Record<string, string | undefined>>>;
}

export function redactorForRun(loaded: LoadedSpec, secrets: RunSecrets = {}): Redactor {
  const redactor = new Redactor();
  const serviceEnv = secrets.serviceEnv ?? {};
  const outerEnvs = secrets.outerEnvs ?? [process.env];
  const lookUp = (name: string): string[] =>
    [serviceEnv[name], ...outerEnvs.map((env) => env[name])].filter(
      (value): value is string => value !== undefined,
    );

  // A value is a secret when it is random, sits under a credential's name, or does not read
  // as configuration (a path, a URL without a password, words).
  const secret = (value: string, ...names: string[]) =>
    names.some((name) => CREDENTIAL_NAME.test(name)) || !looksLikeConfiguration(value);

  // The service's environment as it was started: `${random}` always.
  for (const [name, template] of Object.entries(loaded.spec.service?.start?.env ?? {})) {
    const label = `service.start.env.${name}`;
    const resolved = serviceEnv[name];
    if (resolved === undefined) continue;
    const parts = substitutions(template, resolved);
    const random = parts.some((part) => part.placeholder === 'random');
    if (random || secret(resolved, name)) redactor.add(resolved, label);
    // Each substituted part on its own too ("prefix-${random}": the random part).
    for (const part of parts) {
      if (part.placeholder === 'random' || secret(part.value, name, part.placeholder))
        redactor.add(part.value, label);
    }
  }

  // Each command's environment.
  for (const item of loaded.items) {
    if (item.check?.definition.kind !== 'command') continue;
    const env = (item.check.params as { env?: Record<string, string> }).env ?? {};
    for (const [name, value] of Object.entries(env)) {
      if (secret(value, name)) redactor.add(value, `command.env.${name}`);
    }
  }

  // `${env.NAME}` anywhere in the spec (header values, bodies, query values), and credential
  // headers the checks send, literal or templated.
  const visit = (value: unknown, key?: string, inHeaders = false): void => {
    if (typeof value === 'string') {
      for (const match of value.matchAll(PLACEHOLDER)) {
        const name = match[2];
        if (!name) continue;
        for (const found of lookUp(name)) if (secret(found, name)) redactor.add(found, `env.${name}`);
      }
      if (inHeaders && key !== undefined && CREDENTIAL_HEADER.test(key)) {
        for (const expanded of expansions(value, lookUp)) redactor.addHeader(key, expanded);
      }
    } else if (Array.isArray(value)) {
      for (const entry of value) visit(entry);
    } else if (value !== null && typeof value === 'object') {
      const headers = key !== undefined && /^headers$/i.test(key);
      for (const [name, entry] of Object.entries(value)) visit(entry, name, headers);
    }
  };
  visit(loaded.spec);
  for (const item of loaded.items) visit(item.check?.params);

  // mlgate's own credentials (GITHUB_TOKEN, AWS_SECRET_ACCESS_KEY, ...): every command and the
  // service inherit them, and a command that prints its environment would show them.
  for (const env of outerEnvs) {
    for (const [name, value] of Object.entries(env)) {
      if (value === undefined) continue;
      // The credentials mlgate itself sends (its server, MLflow) are secrets whatever they look like.
      if (
        MLGATE_OWN_CREDENTIALS.has(name) ||
        (OUTER_CREDENTIAL_NAME.test(name) && !looksLikeConfiguration(value))
      )
        redactor.add(value, `env.${name}`);
    }
  }
  return redactor;
}

/** What each placeholder of `template` ("random" or the variable's name) stood for in `resolved`. */
function substitutions(template: string, resolved: string): Array<{ placeholder: string; value: string }> {
  const placeholders: string[] = [];
  let source = '^';
  let at = 0;
  for (const match of template.matchAll(PLACEHOLDER)) {
    source += escapeRegExp(template.slice(at, match.index)) + '([\\s\\S]*?)';
    placeholders.push(match[2] ?? 'random');
    at = match.index + match[0].length;
  }
  source += `${escapeRegExp(template.slice(at))}$`;
  const found = new RegExp(source).exec(resolved);
  return placeholders.map((placeholder, index) => ({ placeholder, value: found?.[index + 1] ?? '' }));
}

/** The value with each `${env.NAME}` replaced by each value NAME has (none if one has none). */
function expansions(template: string, lookUp: (name: string) => string[]): string[] {
  let results = [''];
  let at = 0;
  for (const match of template.matchAll(PLACEHOLDER)) {
    const literal = template.slice(at, match.index);
    const choices = match[2] ? lookUp(match[2]) : [];
    results = results.flatMap((prefix) => choices.map((choice) => prefix + literal + choice));
    at = match.index + match[0].length;
  }
  return [...new Set(results.map((prefix) => prefix + template.slice(at)))].filter(
    (value) => !isTrivialValue(value),
  );
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
