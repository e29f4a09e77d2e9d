/**
 * OIDC bearer JWTs, verified against the issuer's JWKS: a real issuer on loopback (discovery
 * document + JWKS over HTTP), keys generated here. Only a token signed by the issuer's key,
 * for this audience, unexpired, counts; roles come from its claim.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

type KeyLike = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Store } from '../store/db.js';
import { freshDatabase } from '../store/test-dialects.js';
import { buildServer } from './app.js';

describe('OIDC', () => {
  let issuerServer: Server;
  let issuer: string;
  let store: Store;
  let app: Awaited<ReturnType<typeof buildServer>>;
  let key: KeyLike;
  let stranger: KeyLike;
  let jwksRequests = 0;

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256');
    key = pair.privateKey;
    stranger = (await generateKeyPair('ES256')).privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    issuerServer = createServer((request, response): void => {
      response.setHeader('content-type', 'application/json');
      if (request.url === '/.well-known/openid-configuration') {
        response.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks` }));
        return;
      }
      if (request.url === '/jwks') {
        jwksRequests++;
        response.end(JSON.stringify({ keys: [jwk] }));
        return;
      }
      response.statusCode = 404;
      response.end('{}');
    });
    await new Promise<void>((done) => issuerServer.listen(0, '127.0.0.1', done));
    issuer = `http://127.0.0.1:${(issuerServer.address() as AddressInfo).port}`;
    store = await freshDatabase('sqlite').open();
    app = await buildServer({ store, oidc: { issuer, audience: 'mlgate' } });
  });
  afterAll(async () => {
    await app.close();
    await store.close();
    await new Promise((done) => issuerServer.close(done));
  });

  const jwt = (
    claims: Record<string, unknown>,
    options: { signer?: KeyLike; audience?: string; issuer?: string; expires?: string | number } = {},
  ) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(options.issuer ?? issuer)
      .setAudience(options.audience ?? 'mlgate')
      .setSubject('u-42')
      .setIssuedAt()
      .setExpirationTime(options.expires ?? '5m')
      .sign(options.signer ?? key);

  const whoami = (token: string) =>
    app.inject({ method: 'GET', url: '/api/v1/whoami', headers: { authorization: `Bearer ${token}` } });

  test('a JWT from the issuer names the person and carries the roles of its claim', async () => {
    const response = await whoami(
      await jwt({ email: 'jane@example.com', mlgate_roles: ['approver:release-manager', 'nonsense role'] }),
    );
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({
      name: 'jane@example.com',
      via: 'oidc',
      roles: ['approver:release-manager'],
    });
    expect(jwksRequests).toBe(1);
  });

  test('wrong key, audience, issuer, an expired token or an HMAC token: 401', async () => {
    const hmac = await new SignJWT({ mlgate_roles: ['admin'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(issuer)
      .setAudience('mlgate')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('a shared secret that nobody should trust'));
    const cases = {
      'signed by another key': await jwt({ mlgate_roles: ['admin'] }, { signer: stranger }),
      'another audience': await jwt({ mlgate_roles: ['admin'] }, { audience: 'other' }),
      'another issuer': await jwt({ mlgate_roles: ['admin'] }, { issuer: 'https://evil.example' }),
      expired: await jwt(
        { mlgate_roles: ['admin'] },
        { expires: Math.floor(Date.parse('2020-01-01T00:00:00Z') / 1000) },
      ),
      hmac,
    };
    for (const [what, token] of Object.entries(cases)) {
      const response = await whoami(token);
      expect(response.statusCode, what).toBe(401);
      expect(JSON.parse(response.body).detail, what).toMatch(/^the bearer JWT does not verify/);
    }
  });

  test('a JWT without roles reads nothing', async () => {
    const response = await app.inject({
      method: 'GET',
      url: '/api/v1/projects',
      headers: { authorization: `Bearer ${await jwt({ email: 'x@example.com' })}` },
    });
    expect(response.statusCode).toBe(403);
  });
});
