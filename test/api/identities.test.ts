import { codeOf } from '../support/refusals.js';
import { jsonOf } from '../support/http.js';
import type { GraphQLBody } from '../support/http.js';
import { ManualClock } from '../support/manualClock.js';
import { createIdentity, startTestApp } from '../support/testApp.js';
import type { StateKind, TestApp } from '../support/testApp.js';

const viewer = '{ viewer { id name kind isAdmin scopes } }';

describe.each<StateKind>(['postgres', 'pglite'])('identities and tokens on %s', (state) => {
  let server: TestApp;
  /** The server's time: token expiry is tested by moving it, not by waiting. */
  const clock = new ManualClock();
  beforeAll(async () => {
    server = await startTestApp(state, {}, { clock });
  });
  afterAll(async () => {
    await server.close();
  });

  test('the first start creates an administrator whose token works', async () => {
    const { viewer: me } = await server.admin.request<{ viewer: { name: string; isAdmin: boolean; scopes: string[] } }>(viewer);
    expect(me).toMatchObject({ name: 'admin', isAdmin: true, scopes: ['*-*-*'] });
  });

  test('a created identity authenticates with its token and sees its own scopes', async () => {
    const alice = await createIdentity(server.admin, { kind: 'USER', name: `alice-${state}`, scopes: ['acme-c1-p1', 'acme-c2-*'] });
    const { viewer: me } = await server.client(alice.token).request<{ viewer: Record<string, unknown> }>(viewer);
    expect(me).toEqual({ id: alice.id, name: `alice-${state}`, kind: 'USER', isAdmin: false, scopes: ['acme-c1-p1', 'acme-c2-*'] });
  });

  test('requests without a token, or with an unknown one, are refused as UNAUTHENTICATED', async () => {
    const anonymous = await fetch(`${server.app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: viewer }),
    });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
    expect((await jsonOf<GraphQLBody>(anonymous)).errors?.[0]?.extensions.code).toBe('UNAUTHENTICATED');
    expect(await codeOf(server.client('dkt_' + 'x'.repeat(43)).request(viewer))).toBe('UNAUTHENTICATED');
    expect(await codeOf(server.client('not-even-a-token').request(viewer))).toBe('UNAUTHENTICATED');
  });

  test('tokens are stored only as hashes', async () => {
    const bob = await createIdentity(server.admin, { kind: 'USER', name: `bob-${state}`, scopes: ['acme-c1-p1'] });
    const rows = await server.app.state.db.identityToken.findMany({ where: { identityId: bob.id } });
    expect(rows).toHaveLength(1);
    expect(rows[0]?.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(rows)).not.toContain(bob.token);
  });

  test('a revoked token stops working at once while the identity’s other tokens keep working', async () => {
    const carol = await createIdentity(server.admin, { kind: 'USER', name: `carol-${state}`, scopes: ['acme-c1-p1'] });
    const { issueToken } = await server
      .client(carol.token)
      .request<{ issueToken: { token: string; info: { id: string } } }>(
        'mutation ($id: ID!) { issueToken(identityId: $id, label: "laptop") { token info { id } } }',
        { id: carol.id },
      );
    await server.client(carol.token).request('mutation ($id: ID!) { revokeToken(tokenId: $id) { revokedAt } }', { id: issueToken.info.id });
    expect(await codeOf(server.client(issueToken.token).request(viewer))).toBe('UNAUTHENTICATED');
    await expect(server.client(carol.token).request(viewer)).resolves.toBeDefined();
  });

  test('a token is accepted until its expiry and refused as UNAUTHENTICATED from then on', async () => {
    const dave = await createIdentity(server.admin, {
      kind: 'COMPUTE',
      name: `dave-${state}`,
      scopes: ['acme-*-*'],
      tokenExpiresInSeconds: 1,
    });
    await expect(server.client(dave.token).request(viewer)).resolves.toBeDefined();
    clock.advance(999);
    await expect(server.client(dave.token).request(viewer)).resolves.toBeDefined();
    clock.advance(1);
    expect(await codeOf(server.client(dave.token).request(viewer))).toBe('UNAUTHENTICATED');
  });

  test('a disabled identity can no longer authenticate', async () => {
    const erin = await createIdentity(server.admin, { kind: 'USER', name: `erin-${state}`, scopes: ['acme-c1-p1'] });
    await server.admin.request('mutation ($id: ID!) { disableIdentity(id: $id) { disabledAt } }', { id: erin.id });
    expect(await codeOf(server.client(erin.token).request(viewer))).toBe('UNAUTHENTICATED');
  });

  test('disabling an identity that does not exist is refused as NOT_FOUND and logs no revocation', async () => {
    const revocationsBefore = await server.app.state.db.revocation.count();
    const missing = '0190a5f4-0000-7000-8000-000000000000';
    expect(await codeOf(server.admin.request('mutation ($id: ID!) { disableIdentity(id: $id) { disabledAt } }', { id: missing }))).toBe(
      'NOT_FOUND',
    );
    expect(await server.app.state.db.revocation.count()).toBe(revocationsBefore);
  });

  test('only administrators manage identities', async () => {
    const frank = await createIdentity(server.admin, { kind: 'USER', name: `frank-${state}`, scopes: ['acme-c1-p1'] });
    const asFrank = server.client(frank.token);
    expect(await codeOf(createIdentity(asFrank, { kind: 'USER', name: 'mallory', scopes: ['*-*-*'] }))).toBe('FORBIDDEN');
    expect(await codeOf(asFrank.request('{ identities { id } }'))).toBe('FORBIDDEN');
    const adminId = (await server.admin.request<{ viewer: { id: string } }>(viewer)).viewer.id;
    const issueForAdmin = asFrank.request('mutation ($id: ID!) { issueToken(identityId: $id) { token } }', { id: adminId });
    expect(await codeOf(issueForAdmin)).toBe('FORBIDDEN');
    expect(await codeOf(asFrank.request('query ($id: ID!) { identity(id: $id) { id } }', { id: adminId }))).toBe('FORBIDDEN');
  });

  test('bad identity input is refused with a clear code and creates nothing', async () => {
    const before = await server.app.state.db.identity.count();
    expect(await codeOf(createIdentity(server.admin, { kind: 'USER', name: 'x', scopes: ['not-a'] }))).toBe('BAD_USER_INPUT');
    expect(await codeOf(createIdentity(server.admin, { kind: 'USER', name: 'has space', scopes: ['a-b-c'] }))).toBe('BAD_USER_INPUT');
    expect(await codeOf(createIdentity(server.admin, { kind: 'USER', name: 'y', scopes: [] }))).toBe('BAD_USER_INPUT');
    expect(await codeOf(createIdentity(server.admin, { kind: 'USER', name: 'admin', scopes: ['a-b-c'] }))).toBe('CONFLICT');
    expect(await server.app.state.db.identity.count()).toBe(before);
  });

  test('an administrator lists every identity with its scopes and tokens', async () => {
    const { identities } = await server.admin.request<{ identities: Array<{ name: string; scopes: string[]; tokens: unknown[] }> }>(
      '{ identities { name scopes tokens { id } } }',
    );
    expect(identities.length).toBeGreaterThan(3);
    expect(identities.find((i) => i.name === 'admin')?.scopes).toEqual(['*-*-*']);
  });
});
