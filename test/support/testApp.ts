import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApp } from '../../src/app.js';
import type { App } from '../../src/app.js';
import { ApiClient } from '../../src/client/ApiClient.js';
import { loadConfig } from '../../src/config.js';
import type { Clock } from '../../src/domain/Clock.js';
import type { Logger } from '../../src/observability/logger.js';
import { trackStoppable } from './leftovers.js';
import { createTestDatabase } from './postgres.js';
import type { TestDatabase } from './postgres.js';

export type StateKind = 'postgres' | 'pglite';

export interface TestApp {
  app: App;
  adminToken: string;
  admin: ApiClient;
  dataDir: string;
  client(token: string): ApiClient;
  close(): Promise<void>;
}

/**
 * The settings every in-process test server takes from the test run's environment: with
 * DAGKEEPER_GRAPHQL_FAST_PATH=0 (`npm run test:api-apollo-only`) Apollo Server answers every GraphQL
 * request, so the API tests check both roads an operation can take.
 */
export function settingsFromTestRun(): Record<string, string> {
  const fastPath = process.env.DAGKEEPER_GRAPHQL_FAST_PATH;
  return fastPath === undefined ? {} : { DAGKEEPER_GRAPHQL_FAST_PATH: fastPath };
}

/**
 * A whole server on a free loopback port, on real Postgres (own database) or PGlite (own folder).
 * `options.clock`: the time the domain reads (see startApp); a test that moves time by hand passes a ManualClock.
 */
export async function startTestApp(
  state: StateKind,
  env: Record<string, string> = {},
  options: { clock?: Clock; log?: Logger } = {},
): Promise<TestApp> {
  const dataDir = await mkdtemp(join(tmpdir(), 'dagkeeper-app-'));
  let database: TestDatabase | undefined;
  try {
    if (state === 'postgres') database = await createTestDatabase();
    const config = loadConfig({
      PORT: '0',
      DAGKEEPER_DATA: dataDir,
      LOG_LEVEL: 'silent',
      DAGKEEPER_SHUTDOWN_GRACE_MS: '2000',
      ...settingsFromTestRun(),
      ...(database === undefined ? {} : { DATABASE_URL: database.url }),
      ...env,
    });
    const app = await startApp(config, options);
    const adminToken = (await readFile(join(dataDir, 'admin-token'), 'utf8')).trim();
    return {
      app,
      adminToken,
      admin: new ApiClient(app.url, adminToken),
      dataDir,
      client: (token: string) => new ApiClient(app.url, token),
      close: trackStoppable(`in-process App at ${app.url} (${state})`, async () => {
        await app.stop();
        await database?.drop();
        await rm(dataDir, { recursive: true, force: true });
      }),
    };
  } catch (error) {
    await database?.drop();
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
}

export async function createIdentity(
  admin: ApiClient,
  input: { kind: 'USER' | 'COMPUTE'; name: string; scopes: string[]; tokenExpiresInSeconds?: number },
): Promise<{ id: string; token: string }> {
  const { createIdentity: created } = await admin.request<{ createIdentity: { token: string; identity: { id: string } } }>(
    'mutation ($input: CreateIdentityInput!) { createIdentity(input: $input) { token identity { id } } }',
    { input },
  );
  return { id: created.identity.id, token: created.token };
}
