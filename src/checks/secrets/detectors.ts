/**
 * The secrets rules: what a secret looks like (a regex per detector, cheap keywords first) and
 * what only looks like one (documentation examples, placeholders, references, templates). The
 * regexes are bounded (no unbounded run before a fixed text, no `\s` crossing a line where a
 * value belongs on one line), so a megabyte of minified JavaScript on one line stays linear.
 */

export interface Detector {
  id: string;
  /** What one finding is: "GitHub token". */
  label: string;
  title: string;
  /** Cheap literal prefilter: the regex runs only on text containing one of these. */
  keywords: string[];
  /** Case-insensitive keyword search (keywords are then lower-case). */
  foldCase?: boolean;
  regex: RegExp;
  /** The capture group holding the secret (0 = the whole match). */
  group?: number;
  /** Extra judgement on the captured value (entropy, placeholders). Redaction uses it too. */
  accept?: (value: string) => boolean;
  /**
   * Judgement with the context (the name a value is assigned to, what follows it), for the scan
   * only: redaction keeps what this rejects, which is the safe side for a report.
   */
  judge?: (match: RegExpExecArray, value: string, path: string) => boolean;
}

/** Shannon entropy in bits per character. */
export function entropy(value: string): number {
  const counts = new Map<string, number>();
  for (const c of value) counts.set(c, (counts.get(c) ?? 0) + 1);
  let bits = 0;
  for (const count of counts.values()) {
    const p = count / value.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/** A whole value that stands for a secret rather than being one. */
const PLACEHOLDER =
  /^(x+|\*+|\.+|-+|#+|_+|0+|<[^>]*>|\[[^\]]*\]|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|%\([a-z_]+\)s|\{\{.*\}\}|(change|replace|set|enter|insert|put|add|your|my|the|example|dummy|fake|sample|test|placeholder|default|secret|password|passwd|pass|token|changeme|redacted|hidden|masked|none|null|nil|undefined|empty|todo|fixme|tbd|xxx|foo|bar|abc|admin|root|guest|demo)[\w.-]*)$/i;

/**
 * Inside a value: marks of documentation and placeholders ("AKIAIOSFODNN7EXAMPLE",
 * "sk-xxxxxxxx…", "your-token-here", "<token>") and templates ("{token}", "${VAR}", "{{ .x }}",
 * "%(pw)s", "$(cat f)", "<%= x %>"). A random token holds none of these except by a chance of
 * about 1 in 10^5.
 */
const MARKED =
  /example|x{4,}|\*{3,}|\.\.\.|…|<[^>]*>|(?:^|[^a-z])your[-_ ]?[a-z]|[-_]here$|[-_]goes[-_]here|placeholder|dummy|redacted|replace[-_]?me|change[-_]?me|insert[-_]|\{[A-Za-z_][\w.]*(?:\([^)]*\))?(?:![rsa])?(?::[^}]*)?\}|\$\{|\$\(|\{\{|\{%|%\(|<%/i;

/**
 * Keys that vendors publish in their documentation, verbatim (those without "EXAMPLE" or x's in
 * them): GitHub's REST docs, Stripe's test-mode samples, Slack's API docs, jwt.io's default token,
 * Google Maps' samples.
 */
const DOCUMENTED = [
  'ghp_16C7e42F292c6912E7710c838347Ae178B4a',
  '4eC39HqLyjWDarjtT1zdp7dc',
  'xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy',
  'SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c',
  'AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe',
  'je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY',
  // RFC 6749's example access and refresh tokens, copied into many OAuth libraries and docs.
  '2YotnFZFEjr1zCsicMWpAA',
  'tGzv3JOkF0XG5Qx2TlKWIA',
];

/** Runs of 8 consecutive characters ("12345678", "abcdefgh"): typed by a person, not drawn. */
function hasSequence(value: string): boolean {
  let run = 1;
  for (let i = 1; i < value.length; i++) {
    run = value.charCodeAt(i) === value.charCodeAt(i - 1) + 1 ? run + 1 : 1;
    if (run >= 8) return true;
  }
  return false;
}

/** A value every detector's finding must not be: a documentation example or a placeholder. */
export function looksFake(value: string): boolean {
  return (
    PLACEHOLDER.test(value) ||
    MARKED.test(value) ||
    DOCUMENTED.some((known) => value.includes(known)) ||
    hasSequence(value) ||
    entropy(value) < 2.5
  );
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Passwords of default installs and tutorials (postgres, minio, mlflow, docker docs). */
const DEFAULT_PASSWORDS = new Set([
  'password',
  'passwd',
  'pass',
  'secret',
  'changeme',
  'admin',
  'root',
  'postgres',
  'mysql',
  'redis',
  'mongo',
  'guest',
  'test',
  'example',
  'default',
  'minioadmin',
  'minio123',
  'mysecretpassword',
  'mlflow',
  'airflow',
  'user',
  'username',
  'pwd',
]);

/**
 * Names that hold a reference to a secret or something about one, not the secret itself:
 * `secretName`, `secretKeyRef`, `token_path`, `tokenizer_name`, `max_tokens`, `password_policy`.
 */
const NOT_A_SECRET_NAME =
  /tokeni[sz]|(?:creation|idempotency|request|continuation|next|page|pagination|sync|csrf|xsrf)[_-]?token$|annotation|label|selector|(?:name|names|ref|refs|keyref|path|paths|file|files|dir|type|types|kind|count|len|length|size|limit|url|uri|endpoint|env|var|vars|header|field|provider|prefix|suffix|format|version|arn|policy|mount|manager|template|expiry|expires|expiration|ttl|timeout|ids|usage|budget|id|index|idx|mode|enabled|required|regex|pattern|rotation|hash|key_name|secret_name)$/i;

/**
 * Values that name something rather than being a secret: an environment variable's name
 * (`SNOWFLAKE_PASSWORD`), a date, a phrase of lower-case words (`consumer-api-key-for-producers`), a host
 * or annotation key (`serving.kserve.io/secretName`).
 */
const NAMING_VALUE =
  /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$|^\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+Z?)?$|^[a-z]+(?:[-_][a-z]+){2,}$|^[a-z0-9-]+(?:\.[a-z0-9-]+)+(?:[/:][\w./-]*)?$/;

/** An unquoted value that is code: `self.vault.password`, `settings.API_KEY`, `get_token()`. */
const CODE_VALUE = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+(?:\(\))?$|^[a-z]+(?:_[a-z]+)+$/;

/** A value that is a file path or a plain URL: what a `*_TOKEN_FILE` or a `token_url` holds. */
const PATH_VALUE = /^(?:\.{0,2}\/|~\/|[A-Za-z]:\\|[a-z][a-z0-9+.-]*:\/\/|arn:)/;

/**
 * Source files: there a bare value after `token =` or `password:` is an expression
 * (`nToken = pExpr->nToken`, `{token:this.next()}`, `privateKey: NonSharedBuffer`), and only a
 * string literal can be a committed secret.
 */
const SOURCE_FILE =
  /\.(?:[cm]?[jt]sx?|flow|py|pyi|ipynb|c|h|cc|cpp|cxx|hpp|hh|go|java|kt|kts|scala|groovy|rs|rb|php|cs|fs|swift|m|mm|lua|r|jl|dart|ex|exs|erl|hs|ml|clj|vue|svelte)$/i;

/**
 * Words, not drawn characters: letter runs of three or more ("CloudFront", "ansibrightblue",
 * "challenge", "Password") make up most of the value. A random token's letters are in short
 * runs between case changes and digits.
 */
export function wordy(value: string): boolean {
  let covered = 0;
  for (const run of value.match(/[A-Z]?[a-z]{2,}|[A-Z]{3,}(?![a-z])/g) ?? []) covered += run.length;
  return covered >= value.length * 0.75;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Names that say the value is a credential, whatever it looks like. */
const CREDENTIAL_NAME = /secret|passw|api[_-]?key|auth[_-]?key|private[_-]?key|access[_-]?key/i;

/** The value group of an assignment: quoted (to its closing quote, on its line) or bare. */
const VALUE =
  '((?<=["\'`])[^"\'`\\r\\n\\\\]{8,512}(?=\\\\{0,3}["\'`])|(?<![`"\'])[^\\s"\'`,;)}\\]\\\\]{12,512})';

/** A secret-like name. */
const SECRET_WORD =
  '(?:secret|token|passw(?:or)?d|api[_-]?key|access[_-]?key|private[_-]?key|auth[_-]?key|credential)';

const GENERIC = new RegExp(
  // The name starts at a name boundary and its runs are bounded: an unbounded run before the
  // keyword made a long line of name characters take minutes (quadratic backtracking). Only
  // blanks around the sign: `JWT_SECRET=` with nothing after it must not take the next line.
  '(?<![A-Za-z0-9_.-])([A-Za-z0-9_.-]{0,128}?' +
    SECRET_WORD +
    '[A-Za-z0-9_.-]{0,128})\\\\{0,3}["\']?\\]?[ \\t]{0,32}(?::|=|:=|=>)[ \\t]{0,32}(?:[fFrRbBuU]{0,2}\\\\{0,3}["\'`])?' +
    VALUE,
  'gi',
);

/** `- name: MINIO_SECRET_KEY` and, on the next line, `value: ...`: a Kubernetes or compose env pair. */
const ENV_PAIR = new RegExp(
  `(?<![A-Za-z0-9_.-])name:[ \\t]{0,8}["']?([A-Za-z0-9_.-]{0,128}?${SECRET_WORD}[A-Za-z0-9_.-]{0,128})["']?[ \\t]{0,32}\\r?\\n[ \\t]{0,64}value:[ \\t]{0,32}(?:["'])?${VALUE}`,
  'gi',
);

/** The generic rule's judgement of a value alone (redaction uses it too). */
function genericAccept(v: string): boolean {
  return (
    !PLACEHOLDER.test(v) &&
    !/^[$({[]|\$\{|\$\(|\b(os\.|process\.|env\.|getenv|config\.)/.test(v) &&
    entropy(v) >= 3.5
  );
}

/** The generic rule's judgement with the name the value is assigned to and the file it is in. */
function genericJudge(match: RegExpExecArray, value: string, path: string): boolean {
  const name = match[1]!;
  // (Vault's AppRole `secret_id` is a credential, unlike other `*_id`.)
  if ((NOT_A_SECRET_NAME.test(name) && !/secret[_-]?id$/i.test(name)) || /[a-z]s$/.test(name)) return false;
  // Prose ("Use at least 12 characters"), paths, URLs, names and words are not a secret.
  if (/\s/.test(value) || PATH_VALUE.test(value) || NAMING_VALUE.test(value) || wordy(value)) return false;
  // Short hex is a digest or an id; a UUID after "token" is a request or resource id.
  if (/^[0-9a-f]+$/i.test(value) && value.length < 20) return false;
  if (UUID.test(value) && !CREDENTIAL_NAME.test(name)) return false;
  const quoted = /["'`]$/.test(match.input.slice(match.index, match.index + match[0].length - value.length));
  if (quoted) return true;
  // Bare values with brackets or `$` are expressions: `get_password()`, `$(cat key)`.
  return !SOURCE_FILE.test(path) && !CODE_VALUE.test(value) && !/[$({[]/.test(value);
}

export const DETECTORS: Detector[] = [
  {
    id: 'secrets/private-key',
    label: 'private key',
    title: 'Private keys',
    keywords: ['PRIVATE KEY'],
    // The key's body may follow the header as plain lines, indented in a YAML block, after a
    // JSON or .env `\n` escape (doubled in a notebook's source), after quotes and `+` of a
    // concatenated string, or after the headers of an encrypted PEM. The group is the whole body
    // (its lines, as encoded), so that redaction blanks all of it.
    regex:
      /-----BEGIN (?:RSA |DSA |EC |OPENSSH |PGP |ENCRYPTED |SSH2 ENCRYPTED )?PRIVATE KEY(?: BLOCK)?-----(?:[\s"',+]|\\+[nr"]|(?:Proc-Type|DEK-Info|Comment|Version|Charset): ?[^\r\n\\]{0,120}){0,40}?([A-Za-z0-9+/=]{16}(?:[A-Za-z0-9+/=:-]|(?:\r?\n|\\+[nr])[ \t"',+]{0,64}){0,8192})/g,
    group: 1,
    // A body cut short with "..." is a documentation sample.
    judge: (match) => !/^(?:\.\.\.|…)/.test(match.input.slice(match.index + match[0].length)),
  },
  {
    id: 'secrets/private-key',
    label: 'private key (base64-encoded PEM)',
    title: 'Private keys',
    // "-----BEGIN" in base64, as a Kubernetes TLS Secret's `tls.key` or any data value holds it.
    keywords: ['LS0tLS1CRUdJTi'],
    // Wrapped lines too (`base64` writes 76 columns): each a whole line of base64 after the first.
    regex:
      /(?<![A-Za-z0-9+/])(LS0tLS1CRUdJTi[A-Za-z0-9+/]{20,16384}={0,2}(?:\r?\n[ \t]{0,64}[A-Za-z0-9+/]{4,16384}={0,2}(?=\r?\n|$)){0,1024})/g,
    group: 1,
    accept: (value) => {
      const text = value.replace(/\s+/g, '');
      const head = Buffer.from(text.slice(0, 400 - (Math.min(text.length, 400) % 4)), 'base64').toString(
        'latin1',
      );
      return /^-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----\s*(?:[A-Za-z-]+: [^\n]*\s*)*[A-Za-z0-9+/=]{16}/.test(
        head,
      );
    },
  },
  {
    id: 'secrets/aws-access-key',
    label: 'AWS access key id',
    title: 'AWS access key ids',
    keywords: ['AKIA', 'ASIA', 'ABIA', 'ACCA'],
    regex: /\b((?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16})\b/g,
    group: 1,
  },
  {
    id: 'secrets/aws-secret-key',
    label: 'AWS secret access key',
    title: 'AWS secret access keys',
    keywords: ['aws'],
    foldCase: true,
    // Also a Kubernetes/compose env pair: `- name: AWS_SECRET_ACCESS_KEY` then `value: ...`.
    regex:
      /aws.{0,20}?(?:secret|sk).{0,20}?(?:['" \t:=]+|["']?[ \t]*\r?\n[ \t]{0,64}value[ \t]*:[ \t]*["']?)([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])/gi,
    group: 1,
    accept: (v) => entropy(v) > 4,
  },
  {
    id: 'secrets/github-token',
    label: 'GitHub token',
    title: 'GitHub tokens',
    keywords: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_', 'github_pat_'],
    regex: /\b((?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{82})\b/g,
    group: 1,
  },
  {
    id: 'secrets/gitlab-token',
    label: 'GitLab token',
    title: 'GitLab tokens',
    keywords: ['glpat-'],
    regex: /\b(glpat-[A-Za-z0-9_-]{20})\b/g,
    group: 1,
  },
  {
    id: 'secrets/slack-token',
    label: 'Slack token',
    title: 'Slack tokens and webhooks',
    keywords: ['xox', 'hooks.slack.com'],
    regex:
      /\b(xox[baprs]-[A-Za-z0-9-]{10,256}|https:\/\/hooks\.slack\.com\/services\/T[A-Z0-9]{1,32}\/B[A-Z0-9]{1,32}\/[A-Za-z0-9]{1,64})/g,
    group: 1,
  },
  {
    id: 'secrets/stripe-key',
    label: 'Stripe live key',
    title: 'Stripe live keys',
    keywords: ['_live_'],
    regex: /\b((?:sk|rk)_live_[0-9a-zA-Z]{24,256})\b/g,
    group: 1,
  },
  {
    id: 'secrets/google-api-key',
    label: 'Google API key',
    title: 'Google API keys',
    keywords: ['AIza'],
    regex: /\b(AIza[0-9A-Za-z_-]{35})(?![0-9A-Za-z_-])/g,
    group: 1,
  },
  {
    id: 'secrets/openai-key',
    label: 'OpenAI API key',
    title: 'OpenAI API keys',
    keywords: ['sk-'],
    regex:
      /\b(sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,256}T3BlbkFJ[A-Za-z0-9_-]{20,256}|sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,256})/g,
    group: 1,
  },
  {
    id: 'secrets/anthropic-key',
    label: 'Anthropic API key',
    title: 'Anthropic API keys',
    keywords: ['sk-ant-'],
    regex: /\b(sk-ant-(?:api|admin)\d{2}-[A-Za-z0-9_-]{80,256})/g,
    group: 1,
  },
  {
    id: 'secrets/huggingface-token',
    label: 'Hugging Face token',
    title: 'Hugging Face tokens',
    keywords: ['hf_'],
    regex: /\b(hf_[A-Za-z]{34})\b/g,
    group: 1,
    // A name written in snake_case or words ("hf_HubDownloadAndCacheModelFiles") is not drawn.
    accept: (v) => entropy(v) >= 3.8,
  },
  {
    id: 'secrets/jwt',
    label: 'JSON Web Token',
    title: 'JSON Web Tokens',
    keywords: ['eyJ'],
    regex: /\b(eyJ[A-Za-z0-9_-]{10,8192}\.eyJ[A-Za-z0-9_-]{10,8192}\.[A-Za-z0-9_-]{10,8192})/g,
    group: 1,
  },
  {
    id: 'secrets/connection-string',
    label: 'password in a connection string',
    title: 'Connection strings with passwords',
    keywords: ['://'],
    // The user may be empty (`redis://:pw@host`); the password may hold an unencoded `@` (the
    // last `@` before the host ends it), never a `/`.
    regex: /\b[a-z][a-z0-9+.-]{1,20}:\/\/([^\s:@/'"`]{0,256}):([^\s/'"`]{1,256})@[^\s/@'"`]{1,256}/g,
    group: 2,
    accept: (v) => {
      const password = safeDecode(v);
      return (
        password.length >= 4 &&
        !/^\$|[{}<>]|%\(/.test(password) &&
        !DEFAULT_PASSWORDS.has(password.toLowerCase()) &&
        !PLACEHOLDER.test(password)
      );
    },
    // `postgres:postgres@`, `mlflow:mlflow@`: a default install's user as its password.
    judge: (match, value) => safeDecode(value) !== safeDecode(match[1]!) && !/[{}$]/.test(match[1]!),
  },
  {
    id: 'secrets/generic-secret',
    label: 'high-entropy secret value',
    title: 'High-entropy values assigned to secret-like names',
    keywords: [
      'secret',
      'token',
      'passw',
      'api_key',
      'apikey',
      'api-key',
      'access_key',
      'access-key',
      'private_key',
      'private-key',
      'auth_key',
      'auth-key',
      'credential',
    ],
    foldCase: true,
    regex: GENERIC,
    group: 2,
    accept: genericAccept,
    judge: genericJudge,
  },
  {
    id: 'secrets/generic-secret',
    label: 'high-entropy secret value',
    title: 'High-entropy values assigned to secret-like names',
    // The same rule as written on two lines (see ENV_PAIR).
    keywords: ['value:'],
    foldCase: true,
    regex: ENV_PAIR,
    group: 2,
    accept: genericAccept,
    judge: genericJudge,
  },
];
