/**
 * Credentials written into manifests: in a Secret's data/stringData (committed, a Secret is only
 * base64, not encryption), in a ConfigMap (readable by anyone who may read the namespace's
 * config), in a container's env. Names are judged with SECRET_NAME and references with
 * isReference (src/rules/findings.ts); placeholders and tokenizer settings are not secrets.
 * Polaris's sensitiveConfigmapContent and sensitiveContainerEnvVar flag the same places.
 */
import { isReference, SECRET_NAME } from '../../rules/findings.js';

/** Names Polaris flags that SECRET_NAME does not end with: AZURE_*_KEY, OCI_CLI_KEY_CONTENT, SECRET_KEY, bearer. */
const EXTRA_SECRET_NAME = /(^azure_.*key$|_key_content$|secret[_-]?key$|bearer)/i;

/** Tokenizer settings (pad_token: "<pad>", eos_token) and counts (max_tokens) are not credentials. */
const NOT_SECRET_NAME =
  /(^|[_-])(pad|eos|bos|unk|sep|cls|mask|start|end|special|additional_special|chat)[_-]?tokens?$|tokenizer|^(max|num|min)[_-]/i;

export function secretLikeName(name: string): boolean {
  return (SECRET_NAME.test(name) || EXTRA_SECRET_NAME.test(name)) && !NOT_SECRET_NAME.test(name);
}

/** A PEM private key (also with fewer dashes, as in Polaris's own test cases). */
export const PRIVATE_KEY = /-{2,}\s*BEGIN\s+[A-Z0-9 ]*PRIVATE KEY\s*-{2,}/i;

/**
 * A value that holds no secret: a reference (${VAR}, {{ .Values.x }}), empty, or a placeholder
 * someone must replace (xxx, ***, <your-token>, your-key-here, REPLACE_ME, changeit is NOT one:
 * it is a real default password).
 */
export function isPlaceholder(value: string): boolean {
  const v = value.trim().replace(/^["']|["']$/g, '');
  return (
    isReference(v) ||
    /\{\{.*\}\}/.test(v) ||
    /^\$\{[^}]+\}$/.test(v) ||
    /^[x*._-]{3,}$/i.test(v) ||
    /^<[^<>]*>$/.test(v) ||
    /^\[[^[\]]*\]$/.test(v) ||
    /^your[-_ ].*|.*[-_ ]here$/i.test(v) ||
    /^(replace|fill)[-_ ]?(me|this|in)?([-_ ].*)?$/i.test(v) ||
    /^(todo|tbd|placeholder|redacted|none|null|nil|~|true|false|yes|no|on|off)$/i.test(v) ||
    /^-?\d{1,4}(\.\d+)?$/.test(v)
  );
}

/** A value written under a secret-like name that is a real credential, not a placeholder. */
export function isSecretValue(name: string, value: unknown): boolean {
  if (typeof value !== 'string' && typeof value !== 'number') return false;
  return secretLikeName(name) && !isPlaceholder(String(value));
}

/** Decodes a Secret's `data:` value; undefined when it is not base64. */
export function decodeBase64(value: string): string | undefined {
  const compact = value.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 !== 0) return undefined;
  return Buffer.from(compact, 'base64').toString('utf8');
}

export interface EmbeddedSecret {
  /** The name the credential is written under ("db_password", or the key itself). */
  name: string;
  /** 0-based line within the value where it is. */
  line: number;
  kind: 'name' | 'private-key';
}

/**
 * Credentials inside a ConfigMap entry: the key itself names a secret with a real value, the
 * value holds a PEM private key, or the value is a config file (.env, YAML, properties, JSON)
 * with a `password = …` / `api_key: …` line in it.
 */
export function secretsInConfigEntry(key: string, value: string): EmbeddedSecret[] {
  const found: EmbeddedSecret[] = [];
  const lines = value.split(/\r?\n/);
  const pem = lines.findIndex((line) => PRIVATE_KEY.test(line));
  if (pem !== -1) found.push({ name: key, line: pem, kind: 'private-key' });
  if (lines.length <= 1 || !/\n/.test(value.trim())) {
    if (isSecretValue(key, value)) found.push({ name: key, line: 0, kind: 'name' });
    return found;
  }
  if (secretLikeName(key) && pem === -1 && !isPlaceholder(value)) {
    // A multi-line value under a secret-like name (a key file, a token list) is the secret itself.
    found.push({ name: key, line: 0, kind: 'name' });
    return found;
  }
  lines.forEach((line, index) => {
    const match =
      /^\s*(?:export\s+)?["']?([A-Za-z_][A-Za-z0-9_.-]*)["']?\s*[:=]\s*(.*?)\s*,?\s*$/.exec(line) ??
      // redis.conf and friends: "requirepass s3cret".
      /^\s*([A-Za-z_][A-Za-z0-9_.-]*pass(?:word)?)\s+(\S+)\s*$/i.exec(line);
    if (!match) return;
    const [, name, raw] = match as unknown as [string, string, string];
    const inner = raw.replace(/\s+#.*$/, '');
    if (inner === '' || inner === '|' || inner === '>') return;
    if (isSecretValue(name, inner)) found.push({ name, line: index, kind: 'name' });
  });
  return found;
}

/**
 * Credentials of known token formats, whatever name they are written under (an env var called
 * MODEL_CFG, a --hf-token= flag): the formats gitleaks and the secrets kind detect, kept here
 * so the manifest kinds do not depend on that scanner's internals. AWS's documented example
 * key (…EXAMPLE) is not one.
 */
const TOKEN_FORMATS: Array<{ label: string; regex: RegExp }> = [
  {
    label: 'GitHub token',
    regex: /\b((?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{22,255})\b/,
  },
  { label: 'GitLab token', regex: /\b(glpat-[A-Za-z0-9_-]{20,})/ },
  { label: 'Hugging Face token', regex: /\b(hf_[A-Za-z0-9]{30,40})\b/ },
  { label: 'AWS access key', regex: /\b((?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16})\b/ },
  { label: 'Anthropic key', regex: /\b(sk-ant-[A-Za-z0-9_-]{32,})/ },
  { label: 'OpenAI key', regex: /\b(sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{32,})/ },
  { label: 'Slack token', regex: /\b(xox[abposr]-[0-9A-Za-z-]{10,})/ },
  { label: 'Stripe key', regex: /\b((?:sk|rk)_live_[0-9a-zA-Z]{24,})/ },
  { label: 'Google API key', regex: /\b(AIza[0-9A-Za-z_-]{35})(?![0-9A-Za-z_-])/ },
  { label: 'JWT', regex: /\b(eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})/ },
];

/** The first token of a known format in a value (env value, argument, a ${VAR:-default}). */
export function tokenIn(value: string): { label: string; value: string } | undefined {
  for (const { label, regex } of TOKEN_FORMATS) {
    const match = regex.exec(value);
    if (!match) continue;
    const token = match[1]!;
    if (/EXAMPLE/.test(token)) continue;
    return { label, value: token };
  }
  return undefined;
}
