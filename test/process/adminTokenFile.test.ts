import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { jsonOf } from '../support/http.js';
import { createTestDatabase } from '../support/postgres.js';
import type { TestDatabase } from '../support/postgres.js';
import { startServerProcess } from '../support/serverProcess.js';
import type { ServerProcess } from '../support/serverProcess.js';

async function viewerName(url: string, token: string): Promise<string | undefined> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: '{ viewer { name } }' }),
  });
  return (await jsonOf<{ data?: { viewer: { name: string } } }>(response)).data?.viewer.name;
}

/** The file named for a PostgreSQL store, as README describes it: `admin-token-postgres-<host>-<port>-<database>`. */
function namedFor(database: TestDatabase): string {
  const url = new URL(database.url);
  return `admin-token-postgres-${url.hostname}-${url.port || '5432'}-${database.name}`;
}

async function withDatabase<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * `dagkeeper server` run in the folder of an embedded instance with DATABASE_URL set bootstraps an
 * administrator on PostgreSQL: its token must not replace the embedded store's `admin-token`, which is
 * shown nowhere else. Real processes, as a user would run them.
 */
describe('the admin-token file of another store is never overwritten', () => {
  let cwd: string;
  const databases: TestDatabase[] = [];
  const servers: ServerProcess[] = [];
  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'dagkeeper-admin-token-'));
  });
  afterAll(async () => {
    for (const server of servers) if (server.child.exitCode === null && server.child.signalCode === null) await server.stop();
    for (const database of databases) await database.drop();
    await rm(cwd, { recursive: true, force: true });
  });

  async function start(env: Record<string, string> = {}): Promise<ServerProcess> {
    const server = await startServerProcess(cwd, env);
    servers.push(server);
    return server;
  }

  test('a server on PostgreSQL started in an embedded instance’s folder writes its token to a file named for its store and says where', async () => {
    const dataDir = join(cwd, '.dagkeeper');
    const usual = join(dataDir, 'admin-token');
    const embedded = await start();
    const embeddedToken = (await readFile(usual, 'utf8')).trim();
    expect(await viewerName(embedded.url, embeddedToken)).toBe('admin');
    expect(await embedded.stop()).toBe(0);

    const database = await createTestDatabase();
    databases.push(database);
    const onPostgres = await start({ DATABASE_URL: database.url });
    expect(await readFile(usual, 'utf8')).toBe(`${embeddedToken}\n`);
    const named = join(dataDir, namedFor(database));
    const announced = onPostgres.logs().find((line) => line.path === named);
    expect(announced).toMatchObject({ level: 40, kept: usual });
    expect(String(announced?.msg)).toContain(named);
    expect((await stat(named)).mode & 0o777).toBe(0o600);
    const postgresToken = (await readFile(named, 'utf8')).trim();
    expect(postgresToken).not.toBe(embeddedToken);
    expect(await viewerName(onPostgres.url, postgresToken)).toBe('admin');
    expect(await onPostgres.stop()).toBe(0);

    // Each token still opens its own store.
    const embeddedAgain = await start();
    expect(await viewerName(embeddedAgain.url, embeddedToken)).toBe('admin');
    expect(embeddedAgain.logs().some((line) => String(line.msg).includes('administrator'))).toBe(false);
    expect(await embeddedAgain.stop()).toBe(0);
    expect((await readdir(dataDir)).filter((name) => name.startsWith('admin-token')).sort()).toEqual(['admin-token', namedFor(database)]);
  });

  test('a store emptied and bootstrapped again gets a numbered file: no token file is ever replaced', async () => {
    const dataDir = join(cwd, 'numbered');
    const database = await createTestDatabase();
    databases.push(database);
    const named = namedFor(database);
    const files = ['admin-token', named, `${named}-2`];
    const tokens: string[] = [];
    for (const [life, file] of files.entries()) {
      // An emptied store (every identity gone) bootstraps a new administrator on the next start.
      if (life > 0) await withDatabase(database.url, (client) => client.query('DELETE FROM "Identity"'));
      const server = await start({ DATABASE_URL: database.url, DAGKEEPER_DATA: dataDir });
      tokens.push((await readFile(join(dataDir, file), 'utf8')).trim());
      expect(await viewerName(server.url, tokens[life]!)).toBe('admin');
      expect(await server.stop()).toBe(0);
    }
    expect((await readdir(dataDir)).filter((name) => name.startsWith('admin-token')).sort()).toEqual(files);
    expect(new Set(tokens).size).toBe(3);
    // What the earlier lives wrote is still there, byte for byte.
    expect(await Promise.all(files.map(async (name) => (await readFile(join(dataDir, name), 'utf8')).trim()))).toEqual(tokens);
  });
});
