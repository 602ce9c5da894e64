import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory, SqlQuery } from '@prisma/driver-adapter-utils';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient } from './generated/client.js';
import type { Prisma } from './generated/client.js';
import { registerDirectSql } from './directSql.js';
import { applyMigrations } from './migrations.js';
import { queueTransactions } from './queuedTransactions.js';
import { createStateAccess } from './repositories/createStateAccess.js';
import { listenOnPGlite, listenOnPostgres } from './notifications.js';
import { statementNamer } from './preparedStatements.js';
import type { Listening } from './notifications.js';
import type { StateAccess } from '../../domain/state/StateAccess.js';

export type StateDb = PrismaClient;
/** The client inside an interactive transaction. */
export type StateTx = Prisma.TransactionClient;

/** Where state lives: a PostgreSQL server, or PGlite (Postgres compiled to WASM) in a local folder. */
export type StateLocation =
  | { kind: 'postgres'; url: string }
  | { kind: 'pglite'; dataDir: string | undefined };

export interface StateStore {
  readonly kind: StateLocation['kind'];
  /** Prisma itself, for storage code and tests; the domain goes through `access`. */
  readonly db: StateDb;
  /** The domain's repositories and transactions on this store. */
  readonly access: StateAccess;
  /** Names of the migrations applied while opening (empty when the database was current or migrate was off). */
  readonly appliedMigrations: string[];
  /** Calls `onWake` on every NOTIFY on `channel` (and after a lost connection comes back). */
  listen(channel: string, onWake: () => void, onError: (error: unknown) => void): Promise<Listening>;
  close(): Promise<void>;
}

export interface OpenStateStoreOptions {
  /** Apply pending migrations before handing out the client (default true). */
  migrate?: boolean;
  /** Postgres connection pool size (default 10). */
  poolSize?: number;
  /**
   * Prepare statements once per connection (default true). Turn it off behind a connection pooler
   * that hands one server connection to many clients (PgBouncer in transaction mode before 1.21).
   */
  preparedStatements?: boolean;
}

export async function openStateStore(location: StateLocation, options: OpenStateStoreOptions = {}): Promise<StateStore> {
  const migrate = options.migrate ?? true;
  if (location.kind === 'postgres') {
    const appliedMigrations = migrate
      ? await withPostgresAdapter(location.url, (factory) => applyMigrations(factory))
      : [];
    const factory = new PrismaPg(
      { connectionString: location.url, max: options.poolSize ?? 10 },
      // The adapter's type says a name is always given; an unnamed statement (undefined) is what it does without one.
      options.preparedStatements === false ? {} : { statementNameGenerator: statementNamer() as (query: SqlQuery) => string },
    );
    // Prisma connects through the factory; keeping what it connected lets sql/ statements use the same pool directly.
    let connected: SqlDriverAdapter | undefined;
    const db = new PrismaClient({
      adapter: { provider: factory.provider, adapterName: factory.adapterName, connect: async () => (connected = await factory.connect()) },
    });
    await db.$connect();
    if (connected === undefined) throw new Error('Prisma connected without its driver adapter');
    registerDirectSql(db, connected);
    return {
      kind: 'postgres',
      access: createStateAccess(db),
      db,
      appliedMigrations,
      listen: (channel, onWake, onError) => listenOnPostgres(location.url, channel, onWake, onError),
      close: () => db.$disconnect(),
    };
  }

  // PGlite keeps its data folder for one process; everything in this process shares one instance.
  if (location.dataDir !== undefined) await mkdir(location.dataDir, { recursive: true });
  const pglite = new PGlite(location.dataDir);
  try {
    const adapter = new PrismaPGlite(pglite);
    const appliedMigrations = migrate ? await applyMigrations(adapter) : [];
    const db = queueTransactions(new PrismaClient({ adapter }));
    return {
      kind: 'pglite',
      access: createStateAccess(db),
      db,
      appliedMigrations,
      listen: (channel, onWake) => listenOnPGlite(pglite, channel, onWake),
      close: async () => {
        await db.$disconnect();
        await pglite.close();
      },
    };
  } catch (error) {
    await pglite.close();
    throw error;
  }
}

/** Runs `work` with a migration-capable adapter on its own short-lived pool, closed afterwards. */
export async function withPostgresAdapter<T>(
  url: string,
  work: (factory: SqlMigrationAwareDriverAdapterFactory) => Promise<T>,
): Promise<T> {
  const pool = new (await import('pg')).default.Pool({ connectionString: url, max: 2 });
  try {
    return await work(new PrismaPg(pool));
  } finally {
    await pool.end();
  }
}
