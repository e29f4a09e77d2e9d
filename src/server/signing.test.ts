/**
 * Server-signed sign-offs (--signing-key), on both dialects through Fastify's inject: an
 * approval or revocation given with a token is also a DSSE sign-off record, signed with the
 * server's key, that src/attest's reader (what `mlgate check` uses) verifies against the
 * server's public key. Without a key, or where the project lists other keys for the role, the
 * old refusal stands.
 */
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { keyId } from '../attest/dsse.js';
import { generateKey } from '../attest/keys.js';
import { ATTESTATIONS_DIR, readSignedRecords, type Signers } from '../attest/signoffs.js';
import { serverKeyCommand, serverSigner } from '../cli/commands/server.js';
import { verifyAuditChain } from '../store/audit.js';
import type { Store } from '../store/db.js';
import { standingSignedApprovals } from '../store/signoffs.js';
import { MANUAL_ITEM, sampleReport } from '../store/sample-report.js';
import { freshDatabase, postgresReachable, type TestDatabase } from '../store/test-dialects.js';
import { bufferedIO } from '../testing/io.js';
import { buildServer } from './app.js';
import { createToken } from './auth.js';
import { loadServerSigner, type ServerSigner } from './signing.js';

const havePostgres = await postgresReachable();

type App = Awaited<ReturnType<typeof buildServer>>;

const ROLE = 'technical-lead';
const keysDir = mkdtempSync(join(tmpdir(), 'mlgate-server-key-'));
const serverKeyPath = generateKey(join(keysDir, 'server')).privatePath;

/** A project whose spec lists these public keys for technical-lead, as check reads it. */
function judgeAsCheck(envelopes: unknown[], keys: KeyObject[]) {
  const root = mkdtempSync(join(tmpdir(), 'mlgate-server-signed-'));
  mkdirSync(join(root, ATTESTATIONS_DIR), { recursive: true });
  envelopes.forEach((envelope, i) =>
    writeFileSync(join(root, ATTESTATIONS_DIR, `${MANUAL_ITEM}.${i + 1}.json`), JSON.stringify(envelope)),
  );
  const signers: Signers = new Map([
    [ROLE, { keys: keys.map((key, i) => ({ path: `keys/${i}.pub`, keyid: keyId(key), key })), threshold: 1 }],
  ]);
  return readSignedRecords(root, signers, [MANUAL_ITEM]);
}

describe.each(['sqlite', 'postgres'] as const)('%s', (dialect) => {
  const skip = dialect === 'postgres' && !havePostgres;
  let database: TestDatabase;
  let store: Store;
  let signed: App;
  let keyless: App;
  let signer: ServerSigner;
  const tokens: Record<string, string> = {};
  const now = new Date('2026-03-01T10:00:00Z');

  beforeAll(async () => {
    if (skip) return;
    database = freshDatabase(dialect);
    store = await database.open();
    for (const [name, roles] of Object.entries({
      admin: ['admin'],
      ci: ['runner'],
      viewer: ['viewer'],
      lead: [`approver:${ROLE}`],
      sec: ['approver:security'],
    }))
      tokens[name] = (await createToken(store, { name, roles, createdBy: 'test' })).token;
    signer = loadServerSigner(serverKeyPath);
    const limits = { rateLimit: { burst: 10_000, perSecond: 10_000 }, now: () => now };
    signed = await buildServer({ store, signer, ...limits });
    // A second replica over the same database, started without a key.
    keyless = await buildServer({ store, ...limits });
  });
  afterAll(async () => {
    if (skip) return;
    await signed.close();
    await keyless.close();
    await store.close();
    await database.drop();
  });

  const call = async (
    app: App,
    who: string,
    method: 'GET' | 'POST' | 'PUT',
    url: string,
    payload?: unknown,
  ) => {
    const response = await app.inject({
      method,
      url: `/api/v1${url}`,
      headers: { authorization: `Bearer ${tokens[who]}` },
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
    return { status: response.statusCode, body: response.body ? JSON.parse(response.body) : undefined };
  };
  const attestations = async () =>
    (await call(signed, 'viewer', 'GET', '/projects/digits/signoffs/attestations')).body
      .attestations as Array<{
      id: number;
      itemId: string;
      action: string;
      role: string | null;
      keyid: string;
      uploadedBy: string;
      envelope: unknown;
    }>;
  const pendingRun = async (roles: Record<string, string[]> = { [MANUAL_ITEM]: [ROLE] }) => {
    const uploaded = await call(signed, 'ci', 'POST', '/projects/digits/runs', {
      report: sampleReport({ project: 'digits', pendingRoles: roles[MANUAL_ITEM]! }),
      manual: Object.fromEntries(Object.entries(roles).map(([item, r]) => [item, { roles: r }])),
    });
    expect(uploaded.status).toBe(201);
    return uploaded.body.id as number;
  };

  test.skipIf(skip)(
    'an approval through the API is also a signed record: it verifies with the server key, by the token, bound to the run',
    async () => {
      const runId = await pendingRun();
      const given = await call(signed, 'lead', 'POST', '/projects/digits/signoffs/approve', {
        runId,
        itemId: MANUAL_ITEM,
        role: ROLE,
        comment: 'read the model card',
      });
      expect(given).toMatchObject({
        status: 201,
        body: { action: 'approve', actor: 'token:lead', role: ROLE },
      });

      const [record] = await attestations();
      expect(record).toMatchObject({
        itemId: MANUAL_ITEM,
        action: 'approve',
        role: ROLE,
        keyid: signer.keyid,
        uploadedBy: 'token:lead',
      });
      // Judged exactly as `mlgate check` judges a committed record, against the server's public key.
      const publicKey = createPublicKey(signer.key);
      const [judged] = judgeAsCheck([record!.envelope], [publicKey]);
      expect(judged).toMatchObject({
        verified: true,
        itemId: MANUAL_ITEM,
        role: ROLE,
        action: 'approve',
        keyid: signer.keyid,
        signoff: {
          by: 'token:lead',
          at: now.toISOString(),
          comment: 'read the model card',
          definitionDigest: 'c'.repeat(64),
          artifacts: { model: { path: 'model.onnx', sha256: 'e'.repeat(64) } },
        },
      });
      // Listed for the role, another key is not the server's: the record does not count.
      const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey;
      expect(judgeAsCheck([record!.envelope], [other])[0]).toMatchObject({ verified: false });

      // The unsigned event stays (projects without signers count it), in the same audit event.
      const events = await call(
        signed,
        'viewer',
        'GET',
        `/projects/digits/signoffs/events?item=${MANUAL_ITEM}`,
      );
      expect(events.body.events).toMatchObject([{ action: 'approve', actor: 'token:lead', role: ROLE }]);
      const audit = (await call(signed, 'admin', 'GET', '/audit')).body.events as Array<{
        action: string;
        detail: Record<string, unknown>;
      }>;
      expect(audit.filter((e) => e.action === 'signoff.approve').at(-1)!.detail).toMatchObject({
        attestationId: record!.id,
        keyid: signer.keyid,
      });
      expect((await verifyAuditChain(store.db)).broken).toBeUndefined();
    },
  );

  test.skipIf(skip)("a revoke is signed too and withdraws the server key's approval", async () => {
    const before = await attestations();
    const revoked = await call(signed, 'lead', 'POST', '/projects/digits/signoffs/revoke', {
      itemId: MANUAL_ITEM,
      role: ROLE,
      reason: 'the model card is out of date',
    });
    expect(revoked.status).toBe(201);
    const after = await attestations();
    expect(after).toHaveLength(before.length + 1);
    expect(after.at(-1)).toMatchObject({
      action: 'revoke',
      role: ROLE,
      keyid: signer.keyid,
      uploadedBy: 'token:lead',
    });
    const publicKey = createPublicKey(signer.key);
    const judged = judgeAsCheck(
      after.map((a) => a.envelope),
      [publicKey],
    );
    expect(judged.at(-1)).toMatchObject({
      verified: true,
      action: 'revoke',
      role: ROLE,
      signoff: {
        by: 'token:lead',
        comment: 'the model card is out of date',
        definitionDigest: 'c'.repeat(64),
        artifacts: { model: { path: 'model.onnx', sha256: 'e'.repeat(64) } },
      },
    });
    expect(standingSignedApprovals(judged)).toEqual([]);

    // Nothing this server signed to withdraw: the unsigned event only.
    const nothing = await call(signed, 'sec', 'POST', '/projects/digits/signoffs/revoke', {
      itemId: MANUAL_ITEM,
      role: 'security',
      reason: 'no approval here',
    });
    expect(nothing.status).toBe(201);
    expect(await attestations()).toHaveLength(after.length);
  });

  test.skipIf(skip)(
    "project signers: the server's key counts where listed; other keys only, or no server key: 409",
    async () => {
      const runId = await pendingRun();
      const approval = { runId, itemId: MANUAL_ITEM, role: ROLE };
      const setSigners = async (pem: string) =>
        expect(
          (
            await call(signed, 'admin', 'PUT', '/projects/digits/signers', {
              signers: { [ROLE]: { keys: [pem] } },
            })
          ).status,
        ).toBe(200);

      await setSigners(signer.publicPem);
      expect(
        (await call(signed, 'viewer', 'GET', '/projects/digits/signoffs/pending')).body.pending,
      ).toMatchObject([{ itemId: MANUAL_ITEM, mustAct: [ROLE] }]);
      const keyless409 = await call(keyless, 'lead', 'POST', '/projects/digits/signoffs/approve', approval);
      expect(keyless409.status).toBe(409);
      expect(keyless409.body.detail).toMatch(/upload a signed attestation \(mlgate approve --key\)/);
      const given = await call(signed, 'lead', 'POST', '/projects/digits/signoffs/approve', approval);
      expect(given.status).toBe(201);
      // The server judges its own record against the project's signers: nothing pending now.
      expect((await call(signed, 'viewer', 'GET', '/projects/digits/signoffs/pending')).body.pending).toEqual(
        [],
      );

      const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey;
      await setSigners(other.export({ type: 'spki', format: 'pem' }).toString());
      const count = (await attestations()).length;
      const notListed = await call(signed, 'lead', 'POST', '/projects/digits/signoffs/approve', approval);
      expect(notListed.status).toBe(409);
      expect(notListed.body.detail).toContain(
        `this server's key (${signer.keyid.slice(0, 8)}) is not listed for it`,
      );
      expect(await attestations()).toHaveLength(count);
      // The server's record does not count for keys it was not signed with: pending again.
      expect(
        (await call(signed, 'viewer', 'GET', '/projects/digits/signoffs/pending')).body.pending,
      ).toHaveLength(1);

      // Without a key, a role with no signers is approved unsigned, as before: no record.
      await call(signed, 'admin', 'PUT', '/projects/digits/signers', { signers: {} });
      expect(
        (await call(keyless, 'lead', 'POST', '/projects/digits/signoffs/approve', approval)).status,
      ).toBe(201);
      expect(await attestations()).toHaveLength(count);
    },
  );
});

describe('the signing key on the command line', () => {
  test('mlgate server key prints the public key; a public, missing or foreign key is refused', async () => {
    const printed = bufferedIO(keysDir);
    expect(await serverKeyCommand({ signingKey: 'server' }, printed.io)).toBe(0);
    const signer = loadServerSigner(serverKeyPath);
    expect(printed.stdout()).toBe(signer.publicPem);
    expect(printed.stdout()).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    expect(printed.stderr()).toContain(`key ${signer.keyid}`);

    const fromEnv = bufferedIO(keysDir, { MLGATE_SERVER_SIGNING_KEY: serverKeyPath });
    expect(serverSigner({}, fromEnv.io)?.signer.keyid).toBe(signer.keyid);
    expect(serverSigner({}, bufferedIO(keysDir).io)).toBeUndefined();

    expect(() => serverSigner({ signingKey: 'server.pub' }, bufferedIO(keysDir).io)).toThrow(
      /--signing-key: .*server\.pub is not a private key/,
    );
    expect(() => serverSigner({ signingKey: 'nope' }, bufferedIO(keysDir).io)).toThrow(
      /--signing-key: cannot read the signing key .*nope: ENOENT/,
    );
    const rsa = join(keysDir, 'rsa');
    writeFileSync(
      rsa,
      generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }),
    );
    chmodSync(rsa, 0o600);
    expect(() => serverSigner({}, bufferedIO(keysDir, { MLGATE_SERVER_SIGNING_KEY: rsa }).io)).toThrow(
      /\$MLGATE_SERVER_SIGNING_KEY: .*rsa is not an ECDSA P-256 private key/,
    );

    const none = bufferedIO(keysDir);
    expect(await serverKeyCommand({}, none.io)).toBe(2);
    expect(none.stderr()).toContain('say which key: --signing-key FILE');
  });
});
