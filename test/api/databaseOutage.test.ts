import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApp } from '../../src/app.js';
import type { App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { startPostgresCluster } from '../chaos/support/postgresCluster.js';
import type { PostgresCluster } from '../chaos/support/postgresCluster.js';
import { createIdentity, settingsFromTestRun } from '../support/testApp.js';
import { WebSocket } from 'ws';
import { ApiClient } from '../../src/client/ApiClient.js';

/**
 * While PostgreSQL is down (or goes down under a request), nothing the client did is wrong: every
 * request is answered 503 SERVICE_UNAVAILABLE with Retry-After, authentication included, never 500
 * INTERNAL_SERVER_ERROR, and answered as usual once the database is back. A PostgreSQL cluster of the
 * test's own (never the shared one on 5432), stopped and started for real.
 */

interface Answer {
  status: number;
  retryAfter: string | null;
  codes: string[];
}

describe('requests while PostgreSQL is down (a cluster of its own, server in-process)', () => {
  let cluster: PostgresCluster;
  let dataDir: string;
  let app: App;
  let adminToken: string;

  beforeAll(async () => {
    cluster = await startPostgresCluster();
    dataDir = await mkdtemp(join(tmpdir(), 'dagkeeper-db-outage-'));
    // Token lookups reused for a minute: a token used before the outage authenticates without the
    // database, so its operations reach the resolvers; a token never used must read the database.
    app = await startApp(
      loadConfig({
        PORT: '0',
        DAGKEEPER_DATA: dataDir,
        LOG_LEVEL: 'silent',
        DATABASE_URL: cluster.url,
        DAGKEEPER_TOKEN_REUSE_MS: '60000',
        DAGKEEPER_SHUTDOWN_GRACE_MS: '2000',
        ...settingsFromTestRun(),
      }),
    );
    adminToken = (await readFile(join(dataDir, 'admin-token'), 'utf8')).trim();
  });
  afterAll(async () => {
    await app?.stop().catch(() => undefined);
    await cluster?.destroy();
    await rm(dataDir, { recursive: true, force: true });
  });

  const send = async (token: string, query: string): Promise<Answer> => {
    const response = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query }),
    });
    const body = (await response.json()) as { errors?: Array<{ extensions?: { code?: string } }> };
    return {
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      codes: (body.errors ?? []).map((e) => e.extensions?.code ?? '?'),
    };
  };
  /** Opens a graphql-ws connection with `token` and resolves with the code it is closed with. */
  const webSocketCloseCode = (token: string): Promise<number> =>
    new Promise((resolve, reject) => {
      const socket = new WebSocket(`${app.url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
      socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
      socket.on('close', (code) => resolve(code));
      socket.on('error', reject);
    });
  const retryLater: Answer = { status: 503, retryAfter: '1', codes: ['SERVICE_UNAVAILABLE'] };
  const ok: Answer = { status: 200, retryAfter: null, codes: [] };

  test('authentication, queries and mutations are answered 503 SERVICE_UNAVAILABLE with Retry-After while it is stopped, as usual once it is back', async () => {
    const user = await createIdentity(new ApiClient(app.url, adminToken), { kind: 'USER', name: 'unseen', scopes: ['acme-c1-p1'] });
    expect(await send(adminToken, '{ identities { name } }')).toEqual(ok);

    await cluster.stop('fast');
    try {
      // The token was never used: authenticating it needs the database.
      expect(await send(user.token, '{ viewer { name } }')).toEqual(retryLater);
      // The admin's lookup is reused: the query and the mutations themselves find the database gone.
      expect(await send(adminToken, '{ identities { name } }')).toEqual(retryLater);
      expect(
        await send(adminToken, 'mutation { createIdentity(input: { kind: USER, name: "bob", scopes: ["acme-c1-p1"] }) { token } }'),
      ).toEqual(retryLater);
      expect(
        await send(
          adminToken,
          'mutation { createNetwork(scope: "acme-c1-p1", input: { name: "n", chemicalSystems: [], transformations: [] }) { created } }',
        ),
      ).toEqual(retryLater);
      expect((await fetch(`${app.url}/healthz`)).status).toBe(503);
      // A WebSocket whose token cannot be checked is told to come back (1013 Try Again Later), not refused (4403) or failed (4500).
      expect(await webSocketCloseCode(user.token)).toBe(1013);
    } finally {
      await cluster.start();
    }
    expect(await send(user.token, '{ viewer { name } }')).toEqual(ok);
    expect(
      await send(adminToken, 'mutation { createIdentity(input: { kind: USER, name: "bob", scopes: ["acme-c1-p1"] }) { token } }'),
    ).toEqual(ok);
  });

  test('requests in flight when it stops (fast) or crashes (immediate) are answered 200 or 503 with Retry-After, never 500', async () => {
    const answers: Answer[] = [];
    let running = true;
    let n = 0;
    const operations = [
      '{ identities { name scopes } }',
      '{ tasks(first: 5) { totalCount } }',
      // A fresh name each time: a write that takes a transaction.
      () =>
        `mutation { createNetwork(scope: "acme-c1-p1", input: { name: "n${(n += 1)}", chemicalSystems: [{ name: "a", components: {} }], transformations: [] }) { created } }`,
    ];
    const load = operations.map(async (operation) => {
      while (running) answers.push(await send(adminToken, typeof operation === 'string' ? operation : operation()));
    });
    try {
      for (const mode of ['fast', 'immediate'] as const) {
        const before = answers.length;
        await waitUntil(() => answers.length >= before + 20);
        await cluster.stop(mode);
        const stoppedAt = answers.length;
        await waitUntil(() => answers.length >= stoppedAt + 20);
        await cluster.start();
        const startedAt = answers.length;
        await waitUntil(() => answers.slice(startedAt).filter((a) => a.status === 200).length >= 20);
      }
    } finally {
      running = false;
      await Promise.all(load);
    }
    const kinds = new Set(answers.map((answer) => JSON.stringify(answer)));
    expect([...kinds].sort()).toEqual([JSON.stringify(ok), JSON.stringify(retryLater)].sort());
  });
});

/** Polls until `done()`; the deadline is generous, for a busy machine. */
async function waitUntil(done: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
