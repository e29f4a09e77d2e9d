/**
 * `mlgate verify ARTIFACT --attestation FILE --key PUB`: the deploy-time check that the file
 * about to ship is the file that passed. Exit 0 only when the attestation's signature verifies
 * with the key, it is a verification summary, the artifact's sha256 is one of its subjects, the
 * result is PASSED (at --level, if given) and (with --max-age) it is recent enough; 1 with the
 * reasons otherwise; 2 when an input cannot be read or is not an attestation at all.
 */
import type { KeyObject } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { EnvelopeError, keyId, parseEnvelope, type Envelope } from '../../attest/dsse.js';
import { loadPublicKey } from '../../attest/keys.js';
import { verifyVerdict, type VerifyResult } from '../../attest/verdict.js';
import { UsageError } from '../../engine/errors.js';
import { inlineText } from '../../redact/clean.js';
import { sha256OfFile } from '../../util/digest.js';
import { formatDuration, parseDuration } from '../../util/units.js';
import { ExitCode } from '../exit-codes.js';
import type { CliIO } from '../io.js';
import { reportKnownError } from '../problems.js';
import { colourWanted, makeStyle, type Style } from '../style.js';

export interface VerifyOptions {
  /** The DSSE envelope written by `mlgate check --attest`. */
  attestation?: string;
  /** Public key(s) (PEM) trusted to sign verdicts; repeatable. */
  key?: string | string[];
  /** A level the verdict must have verified, e.g. MLGATE_PROD. */
  level?: string;
  /** e.g. 7d: timeVerified must be younger. */
  maxAge?: string;
  /** The subject name the artifact must be (default: a subject with the artifact's file name). */
  subject?: string;
  format?: 'text' | 'json';
  /** The clock (tests); the real time otherwise. */
  now?: Date;
}

export async function verifyCommand(artifact: string, options: VerifyOptions, io: CliIO): Promise<number> {
  const style = makeStyle(colourWanted(io.stdout as NodeJS.WriteStream, io.env));
  const errStyle = makeStyle(colourWanted(io.stderr as NodeJS.WriteStream, io.env));
  try {
    const format = options.format ?? 'text';
    if (format !== 'text' && format !== 'json')
      throw new UsageError(`unknown --format "${format}"`, 'use text or json');
    if (!options.attestation)
      throw new UsageError('--attestation FILE is required', 'the file `mlgate check --attest FILE` wrote');
    const keyFiles = options.key === undefined ? [] : [options.key].flat();
    if (keyFiles.length === 0)
      throw new UsageError('--key PUB is required', 'the public key of the key that signed the verdict');
    let maxAgeMs: number | undefined;
    if (options.maxAge !== undefined) {
      maxAgeMs = parseDuration(options.maxAge);
      if (maxAgeMs === undefined || maxAgeMs <= 0)
        throw new UsageError(`--max-age "${options.maxAge}" is not a duration`, 'e.g. 7d, 12h, 30m');
    }
    if (options.level !== undefined && !/^[A-Za-z0-9_]+$/.test(options.level))
      throw new UsageError(`--level "${options.level}" is not a level`, 'e.g. MLGATE_PROD');

    const keys = keyFiles.map((file) => readKey(resolve(io.cwd, file), file));
    const envelope = readEnvelope(resolve(io.cwd, options.attestation), options.attestation);
    const artifactPath = resolve(io.cwd, artifact);
    let sha256: string;
    try {
      if (!statSync(artifactPath).isFile()) throw new Error('not a regular file');
      sha256 = await sha256OfFile(artifactPath);
    } catch (error) {
      throw new UsageError(`cannot read the artifact ${artifact}: ${describe(error)}`);
    }

    const result = verifyVerdict(envelope, keys, {
      artifactName: artifact,
      artifactSha256: sha256,
      ...(options.subject !== undefined ? { subjectName: options.subject } : {}),
      level: options.level,
      maxAgeMs,
      maxAgeText: options.maxAge,
      now: options.now ?? new Date(),
    });
    if (format === 'json')
      io.stdout.write(`${JSON.stringify(jsonResult(artifact, sha256, options, result), null, 2)}\n`);
    else io.stdout.write(textResult(artifact, sha256, options, result, keys, style));
    return result.ok ? ExitCode.Pass : ExitCode.Blocked;
  } catch (error) {
    return reportKnownError(error, io, errStyle);
  }
}

const describe = (error: unknown) => {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'not found' : code === 'EISDIR' ? 'a folder' : (error as Error).message;
};

function readKey(path: string, shown: string): KeyObject {
  try {
    return loadPublicKey(path);
  } catch (error) {
    throw new UsageError(
      `cannot read the public key ${shown}: ${describe(error)}`,
      'give the PEM public key (KEY.pub from `mlgate keys generate`) of the key that signed the verdict',
    );
  }
}

function readEnvelope(path: string, shown: string): Envelope {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read the attestation ${shown}: ${describe(error)}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError(`${shown} is not a DSSE envelope: it is not JSON`);
  }
  try {
    return parseEnvelope(value);
  } catch (error) {
    if (error instanceof EnvelopeError)
      throw new UsageError(`${shown} is not a DSSE envelope: ${error.message}`);
    throw error;
  }
}

function jsonResult(artifact: string, sha256: string, options: VerifyOptions, result: VerifyResult) {
  const p = result.predicate;
  return {
    verified: result.ok,
    artifact: { path: artifact, sha256 },
    attestation: options.attestation,
    reasons: result.reasons,
    keyids: result.keyids,
    ...(options.level === undefined ? {} : { level: options.level }),
    ...(options.maxAge === undefined ? {} : { maxAge: options.maxAge }),
    ...(result.statement
      ? {
          predicateType: result.statement.predicateType,
          verificationResult: p?.verificationResult,
          verifiedLevels: p?.verifiedLevels,
          timeVerified: p?.timeVerified,
          resourceUri: p?.resourceUri,
          policy: p?.policy,
          verifier: p?.verifier,
          subjects: result.statement.subject,
        }
      : {}),
  };
}

function textResult(
  artifact: string,
  sha256: string,
  options: VerifyOptions,
  result: VerifyResult,
  keys: KeyObject[],
  style: Style,
): string {
  const p = result.predicate;
  // The payload's strings reach a terminal: one line each, no escape sequences.
  const t = (value: unknown) => inlineText(String(value));
  const lines: string[] = [];
  const shortSha = `${sha256.slice(0, 12)}…`;
  if (result.ok) {
    lines.push(
      `${style.green(style.bold('VERIFIED'))} ${artifact} (sha256 ${shortSha}) is the file that passed${p?.resourceUri ? ` ${t(p.resourceUri)}` : ''} at ${t(p?.verifiedLevels?.join(', ') || 'no level')}`,
    );
  } else {
    lines.push(`${style.red(style.bold('NOT VERIFIED'))} ${artifact} (sha256 ${shortSha}):`);
    for (const reason of result.reasons) lines.push(`  - ${t(reason)}`);
  }
  if (result.keyids.length > 0) {
    const when = p?.timeVerified ? Date.parse(p.timeVerified) : NaN;
    const age = Number.isFinite(when)
      ? ` (${formatDuration(Math.max(0, (options.now ?? new Date()).getTime() - when))} ago)`
      : '';
    lines.push(
      style.dim(
        `  signed by key ${result.keyids.map((id) => `${id.slice(0, 12)}…`).join(', ')}` +
          (p?.timeVerified ? `; verified ${t(p.timeVerified)}${age}` : '') +
          (p?.policy?.uri
            ? ` against ${t(p.policy.uri)} (sha256 ${t(String(p.policy.digest?.sha256).slice(0, 12))}…)`
            : '') +
          (p?.verifier?.id
            ? ` by ${t(p.verifier.id)}${p.verifier.version?.mlgate ? ` ${t(p.verifier.version.mlgate)}` : ''}`
            : ''),
      ),
    );
  } else {
    lines.push(
      style.dim(
        `  trusted key${keys.length === 1 ? '' : 's'}: ${keys.map((k) => `${keyId(k).slice(0, 12)}…`).join(', ')}`,
      ),
    );
  }
  return `${lines.join('\n')}\n`;
}
