/**
 * Who is calling, and what they may do. Two kinds of credential, both as
 * `Authorization: Bearer …`:
 * - API tokens (`mlgt_…`), made by `mlgate server token create`, shown once and stored as their
 *   sha256: the database never holds a usable token. Looked up on every request, so a revoked
 *   token stops at once.
 * - OIDC JWTs from the configured issuer, verified with jose against the issuer's JWKS (from its
 *   discovery document): signature, issuer, audience, expiry. Roles come from a claim.
 * Roles: viewer < runner; approver:<spec role> signs for that role only; admin manages projects,
 * tokens and the audit log, and does not sign.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createRemoteJWKSet, type JWTPayload, jwtVerify } from 'jose';
import type { Store } from '../store/db.js';
import { ROLE_PATTERN } from './api/contract.js';
import { forbidden, unauthorized } from './problems.js';

export interface Principal {
  /** The identity recorded on what they do: `token:NAME` or the OIDC email (else subject). */
  name: string;
  via: 'token' | 'oidc' | 'cookie';
  roles: string[];
  /** What rate limits count against. */
  key: string;
}

export const TOKEN_PREFIX = 'mlgt_';

export const sha256Hex = (text: string) => createHash('sha256').update(text).digest('hex');

/** A new token: shown once; only its sha256 is stored. */
export async function createToken(
  store: Store,
  options: { name: string; roles: string[]; createdBy: string; now?: Date },
): Promise<{ token: string; id: number }> {
  for (const role of options.roles)
    if (!ROLE_PATTERN.test(role))
      throw new Error(`"${role}" is not a role: viewer, runner, admin or approver:<spec role>`);
  if (!/^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$/.test(options.name))
    throw new Error(`"${options.name}" is not a token name: letters, digits, ".", "_", "@", "-"`);
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  const { id } = await store.db
    .insertInto('api_tokens')
    .values({
      name: options.name,
      roles: JSON.stringify(options.roles),
      sha256: sha256Hex(token),
      created_at: (options.now ?? new Date()).toISOString(),
      created_by: options.createdBy,
      revoked_at: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { token, id };
}

export interface OidcOptions {
  issuer: string;
  audience: string;
  /** Claim holding the roles (a list of strings). Default: mlgate_roles. */
  rolesClaim?: string;
  /** The JWKS URL; default: read from the issuer's discovery document. */
  jwksUri?: string;
}

export interface Authenticator {
  /** The principal for an Authorization header value, or a 401 problem. */
  authenticate(authorization: string | undefined): Promise<Principal>;
  /** A token from the web page's login form (same checks as a bearer token). */
  fromToken(token: string, via: 'token' | 'cookie'): Promise<Principal>;
}

export function authenticator(store: Store, oidc?: OidcOptions): Authenticator {
  let jwks: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;
  const keySet = () => {
    jwks ??= (async () => {
      let uri = oidc!.jwksUri;
      if (!uri) {
        const discovery = `${oidc!.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
        const response = await fetch(discovery, { signal: AbortSignal.timeout(5000) });
        if (!response.ok) throw new Error(`${discovery} answered ${response.status}`);
        uri = ((await response.json()) as { jwks_uri?: string }).jwks_uri;
        if (!uri) throw new Error(`${discovery} names no jwks_uri`);
      }
      return createRemoteJWKSet(new URL(uri), { timeoutDuration: 5000 });
    })();
    // A failed discovery is tried again on the next request, not remembered.
    jwks.catch(() => (jwks = undefined));
    return jwks;
  };

  async function fromToken(token: string, via: 'token' | 'cookie'): Promise<Principal> {
    if (!token.startsWith(TOKEN_PREFIX)) throw unauthorized('not an mlgate token');
    const row = await store.db
      .selectFrom('api_tokens')
      .select(['name', 'roles', 'revoked_at'])
      .where('sha256', '=', sha256Hex(token))
      .executeTakeFirst();
    if (!row || row.revoked_at !== null) throw unauthorized('the token is unknown or revoked');
    let roles: string[];
    try {
      roles = (JSON.parse(row.roles) as string[]).filter((role) => ROLE_PATTERN.test(role));
    } catch {
      roles = [];
    }
    return { name: `token:${row.name}`, via, roles, key: `token:${sha256Hex(token).slice(0, 16)}` };
  }

  async function fromJwt(jwt: string): Promise<Principal> {
    if (!oidc) throw unauthorized('this server accepts API tokens only (no OIDC issuer is configured)');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(jwt, await keySet(), {
        issuer: oidc.issuer,
        audience: oidc.audience,
        // Asymmetric only: a key set never verifies an HMAC ("alg confusion").
        algorithms: [
          'RS256',
          'RS384',
          'RS512',
          'PS256',
          'PS384',
          'PS512',
          'ES256',
          'ES384',
          'ES512',
          'EdDSA',
        ],
        clockTolerance: 30,
      }));
    } catch (error) {
      throw unauthorized(`the bearer JWT does not verify: ${(error as Error).message}`);
    }
    const claim = payload[oidc.rolesClaim ?? 'mlgate_roles'];
    const roles = Array.isArray(claim)
      ? claim.filter((r): r is string => typeof r === 'string' && ROLE_PATTERN.test(r))
      : [];
    // A name that could pass for another kind ("token:ci") is never taken from a claim.
    const email =
      typeof payload.email === 'string' && /^[^\s:@]+@[^\s:@]+$/.test(payload.email)
        ? payload.email
        : undefined;
    const name = email ?? (payload.sub ? `oidc:${payload.sub}` : undefined);
    if (!name) throw unauthorized('the JWT names nobody (no email, no sub)');
    return { name, via: 'oidc', roles, key: `oidc:${payload.sub ?? email}` };
  }

  return {
    fromToken,
    async authenticate(authorization) {
      if (!authorization) throw unauthorized('send Authorization: Bearer <token>');
      const match = /^Bearer +(\S+)$/i.exec(authorization.trim());
      if (!match) throw unauthorized('the Authorization header is not "Bearer <token>"');
      const credential = match[1]!;
      return credential.startsWith(TOKEN_PREFIX) ? fromToken(credential, 'token') : fromJwt(credential);
    },
  };
}

export const isApprover = (principal: Principal) =>
  principal.roles.some((role) => role.startsWith('approver:'));
export const approverRoles = (principal: Principal) =>
  principal.roles
    .filter((role) => role.startsWith('approver:'))
    .map((role) => role.slice('approver:'.length));

/** Whether the principal holds what a route needs. */
export function allows(
  principal: Principal,
  need: 'viewer' | 'runner' | 'admin' | 'approver' | 'waiver-request',
): boolean {
  const has = (role: string) => principal.roles.includes(role);
  switch (need) {
    case 'viewer':
      return principal.roles.length > 0;
    case 'runner':
      return has('runner') || has('admin');
    case 'admin':
      return has('admin');
    case 'approver':
      return isApprover(principal);
    case 'waiver-request':
      return has('runner') || has('admin') || isApprover(principal);
  }
}

export function requireRole(principal: Principal, need: Parameters<typeof allows>[1]): void {
  if (!allows(principal, need))
    throw forbidden(
      `${principal.name} lacks the role this needs (${need === 'approver' ? 'approver:<role>' : need}); roles held: ${principal.roles.join(', ') || 'none'}`,
    );
}

/** Signing for one spec role needs approver:<that role> exactly. */
export function requireApproverOf(principal: Principal, role: string): void {
  if (!principal.roles.includes(`approver:${role}`))
    throw forbidden(`${principal.name} may not sign for ${role}: that needs the role approver:${role}`);
}
