import { createHash } from 'node:crypto';
import pg from 'pg';
import { ManualClock } from '../support/manualClock.js';
import { codeOf } from '../support/refusals.js';
import { createIdentity, startTestApp } from '../support/testApp.js';
import type { TestApp } from '../support/testApp.js';
import { buildWorld, scope, worldEnv } from './accessWorld.js';
import type { World } from './accessWorld.js';

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const viewer = '{ viewer { id } }';

describe('bearer and claim tokens: hashed at rest, revocable, expiring', () => {
  let server: TestApp;
  let w: World;
  let db: pg.Client;
  /** The server's time: expiry is tested by moving it, not by waiting. */
  const clock = new ManualClock();
  beforeAll(async () => {
    server = await startTestApp('postgres', worldEnv, { clock });
    w = await buildWorld(server, clock);
    const state = server.app.config.state;
    if (state.kind !== 'postgres') throw new Error('these tests read PostgreSQL directly');
    db = new pg.Client({ connectionString: state.url });
    await db.connect();
  });
  afterAll(async () => {
    await db.end();
    await server.close();
  });

  test('the token table holds SHA-256 hex digests, and no table anywhere holds a plaintext bearer or claim token', async () => {
    const bearer = Object.values(w.tokens).filter(
      (token): token is string => token !== null && token.startsWith('dkt_') && !/^dkt_A+$/.test(token),
    );
    const claims = Object.values(w.claims);
    expect(bearer.length).toBeGreaterThanOrEqual(8);

    const { rows: tokenRows } = await db.query<{ tokenHash: string }>('select * from "IdentityToken"');
    for (const row of tokenRows) expect(row.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    const tokenHashes = new Set(tokenRows.map((row) => row.tokenHash));
    for (const token of bearer) expect(tokenHashes.has(sha256(token))).toBe(true);
    const { rows: claimRows } = await db.query<{ tokenHash: string }>('select "tokenHash" from "Claim"');
    const claimHashes = new Set(claimRows.map((row) => row.tokenHash));
    for (const token of claims) expect(claimHashes.has(sha256(token))).toBe(true);

    // Every row of every table, as text, searched for each token and for its random part alone.
    const { rows: tables } = await db.query<{ name: string }>(
      `select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'`,
    );
    expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(['IdentityToken', 'Claim']));
    const needles = [...bearer, ...claims].flatMap((token) => [token, token.slice(4)]);
    const found: string[] = [];
    for (const { name } of tables) {
      const { rows } = await db.query<{ needle: string }>(
        `select needle from unnest($1::text[]) as needle where exists (select 1 from "${name.replaceAll('"', '""')}" t where strpos(t::text, needle) > 0)`,
        [needles],
      );
      found.push(...rows.map((row) => `${name}: ${row.needle.slice(0, 8)}…`));
    }
    expect(found).toEqual([]);
  });

  test('a revoked token is refused (401 UNAUTHENTICATED) at the very next request; the identity’s other tokens keep working', async () => {
    const alice = server.client(w.tokens.alice!);
    const { issueToken } = await alice.request<{ issueToken: { token: string; info: { id: string } } }>(
      'mutation ($id: ID!) { issueToken(identityId: $id, label: "laptop") { token info { id } } }',
      { id: w.identityIds.alice },
    );
    await expect(server.client(issueToken.token).request(viewer)).resolves.toBeDefined();
    const { revokeToken } = await alice.request<{ revokeToken: { revokedAt: string | null } }>(
      'mutation ($id: ID!) { revokeToken(tokenId: $id) { revokedAt } }',
      { id: issueToken.info.id },
    );
    expect(revokeToken.revokedAt).not.toBeNull();

    const response = await fetch(`${server.app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${issueToken.token}` },
      body: JSON.stringify({ query: viewer }),
    });
    expect(response.status).toBe(401);
    expect(await codeOf(server.client(issueToken.token).request(viewer))).toBe('UNAUTHENTICATED');
    await expect(alice.request(viewer)).resolves.toBeDefined();
    const { rows } = await db.query<{ revokedAt: Date | null }>('select "revokedAt" from "IdentityToken" where id = $1', [
      issueToken.info.id,
    ]);
    expect(rows[0]?.revokedAt).toBeInstanceOf(Date);
  });

  test('requests arriving together are each answered as their own token’s identity, and unknown or revoked tokens among them are refused', async () => {
    const alice = server.client(w.tokens.alice!);
    const { issueToken } = await alice.request<{ issueToken: { token: string; info: { id: string } } }>(
      'mutation ($id: ID!) { issueToken(identityId: $id, label: "soon revoked") { token info { id } } }',
      { id: w.identityIds.alice },
    );
    await alice.request('mutation ($id: ID!) { revokeToken(tokenId: $id) { revokedAt } }', { id: issueToken.info.id });
    const ids: Record<string, string> = w.identityIds;
    const named = Object.entries(w.tokens).filter((entry): entry is [string, string] => entry[1] !== null && ids[entry[0]] !== undefined);
    expect(named.length).toBeGreaterThan(2);
    const asking = [
      ...named.map(([name, token]) => ({ token, expected: ids[name]! })),
      { token: issueToken.token, expected: null },
      { token: `dkt_${'x'.repeat(43)}`, expected: null },
    ];
    // Token lookups of requests in flight at once share statements (IdentityService); mixing them must not mix the answers.
    for (let round = 0; round < 3; round += 1) {
      const answers = await Promise.all(
        [...asking, ...asking].map(async ({ token }) => {
          const response = await fetch(`${server.app.url}/graphql`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            body: JSON.stringify({ query: viewer }),
          });
          if (response.status === 401) return null;
          return ((await response.json()) as { data: { viewer: { id: string } } }).data.viewer.id;
        }),
      );
      expect(answers).toEqual([...asking, ...asking].map((a) => a.expected));
    }
  });

  test('a token created with tokenExpiresInSeconds works until then and is refused after', async () => {
    const created = await createIdentity(server.admin, {
      kind: 'COMPUTE',
      name: 'short-lived',
      scopes: ['acme-*-*'],
      tokenExpiresInSeconds: 1,
    });
    const { viewer: me } = await server
      .client(created.token)
      .request<{ viewer: { tokens: Array<{ expiresAt: string }> } }>('{ viewer { tokens { expiresAt } } }');
    const expiresAt = new Date(me.tokens[0]!.expiresAt).getTime();
    expect(expiresAt).toBe(clock.now() + 1000);
    clock.advance(999);
    await expect(server.client(created.token).request(viewer)).resolves.toBeDefined();
    clock.advance(1);
    expect(await codeOf(server.client(created.token).request(viewer))).toBe('UNAUTHENTICATED');
  });

  test('a token cannot mint a longer-lived one: a token an identity issues for itself expires no later than the issuing token', async () => {
    const created = await createIdentity(server.admin, { kind: 'USER', name: 'temp-user', scopes: [scope], tokenExpiresInSeconds: 600 });
    const asTemp = server.client(created.token);
    const { viewer: me } = await asTemp.request<{ viewer: { tokens: Array<{ expiresAt: string }> } }>(
      '{ viewer { tokens { expiresAt } } }',
    );
    const limit = me.tokens[0]!.expiresAt;
    const issue = async (client: typeof asTemp, expiresInSeconds: number | null) =>
      (
        await client.request<{ issueToken: { token: string; info: { expiresAt: string | null } } }>(
          'mutation ($id: ID!, $s: Int) { issueToken(identityId: $id, expiresInSeconds: $s) { token info { expiresAt } } }',
          { id: created.id, s: expiresInSeconds },
        )
      ).issueToken;

    expect((await issue(asTemp, null)).info.expiresAt).toBe(limit);
    expect((await issue(asTemp, 86_400)).info.expiresAt).toBe(limit);
    const shorter = await issue(asTemp, 60);
    expect(new Date(shorter.info.expiresAt!).getTime()).toBeLessThan(new Date(limit).getTime());
    // A capped token cannot lift the cap either.
    expect((await issue(server.client(shorter.token), null)).info.expiresAt).toBe(shorter.info.expiresAt);
    // An administrator issues for others whatever lifetime it decides, and a non-expiring token may issue a non-expiring one.
    expect((await issue(server.admin, null)).info.expiresAt).toBeNull();
    const { issueToken: own } = await server
      .client(w.tokens.alice!)
      .request<{ issueToken: { info: { expiresAt: string | null } } }>(
        'mutation ($id: ID!) { issueToken(identityId: $id) { info { expiresAt } } }',
        { id: w.identityIds.alice },
      );
    expect(own.info.expiresAt).toBeNull();
  });
});
