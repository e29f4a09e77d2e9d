/**
 * in-toto Statement v1 (github.com/in-toto/attestation, spec/v1/statement.md): subjects (name +
 * sha256 digest) and a typed predicate. mlgate's own predicate types are versioned URIs.
 */
export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const SIGNOFF_PREDICATE = 'https://mlgate.dev/attestation/signoff/v1';
export const VSA_PREDICATE = 'https://slsa.dev/verification_summary/v1';

export interface Subject {
  name: string;
  digest: { sha256: string };
}

export interface Statement<P = Record<string, unknown>> {
  _type: typeof STATEMENT_TYPE;
  subject: Subject[];
  predicateType: string;
  predicate: P;
}

export function statement<P>(subject: Subject[], predicateType: string, predicate: P): Statement<P> {
  return { _type: STATEMENT_TYPE, subject, predicateType, predicate };
}

/** A statement read from a verified payload, or why it is not one. */
export function parseStatement(payload: Buffer): Statement {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch {
    throw new Error('the payload is not JSON');
  }
  const s = value as Partial<Statement> | null;
  if (!s || typeof s !== 'object' || s._type !== STATEMENT_TYPE)
    throw new Error(`the payload is not an in-toto Statement v1 (_type ${JSON.stringify(s?._type)})`);
  if (
    !Array.isArray(s.subject) ||
    s.subject.some((x) => typeof x?.name !== 'string' || !/^[0-9a-f]{64}$/.test(x?.digest?.sha256 ?? ''))
  )
    throw new Error('the statement has no valid subject list (name + sha256 digest)');
  if (typeof s.predicateType !== 'string' || !s.predicate || typeof s.predicate !== 'object')
    throw new Error('the statement has no predicate');
  return s as Statement;
}
