import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlMigrationAwareDriverAdapterFactory, SqlQuery } from '@prisma/driver-adapter-utils';
import pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient } from './generated/client.js';
import type { Prisma } from './generated/client.js';
import { directRowTypes } from './directRowTypes.js';
import { registerDirectSql } from './directSql.js';
import { applyMigrations } from './migrations.js';
import { queueTransactions } from './queuedTransactions.js';
import { createStateAccess } from './repositories/createStateAccess.js';
import { listenOnPGlite, listenOnPostgres } from './notifications.js';
import { defaultConnectionLifetimeSeconds } from './connectionLifetime.js';
import { statementNamer } from './preparedStatements.js';
import type { Listening } from './notifications.js';
import type { StateAccess } from '../../domain/state/StateAccess.js';

export type StateDb = PrismaClient;
/** The client inside an interactive transaction. */
export type StateTx = Prisma.TransactionClient;

/** Where state lives: a PostgreSQL server, or PGlite (Postgres compiled to WASM) in a local folder. */
export type StateLocation = { kind: 'postgres'; url: string } | { kind: 'pglite'; dataDir: string | undefined };

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
  /**
   * Seconds a connection serves before the pool replaces it (default 600, connectionLifetime.ts; 0 keeps connections as long
   * as they work). A prepared statement's reused plan was made for the tables as they were when it was
   * made, and is remade only when ANALYZE runs: one planned while a table was small (a new campaign,
   * autovacuum off or behind) keeps scanning the whole table as it grows. A new connection plans with
   * the tables' sizes then.
   */
  connectionLifetimeSeconds?: number;
}

export async function openStateStore(location: StateLocation, options: OpenStateStoreOptions = {}): Promise<StateStore> {
  const migrate = options.migrate ?? true;
  if (location.kind === 'postgres') {
    const appliedMigrations = migrate ? await withPostgresAdapter(location.url, (factory) => applyMigrations(factory)) : [];
    // One pool for Prisma and the sql/ statements (directSql.ts), so one set of connections and of
    // prepared statements; its type parsers are for the direct statements (Prisma's adapter brings its own).
    const pool = new pg.Pool({
      connectionString: location.url,
      max: options.poolSize ?? 10,
      maxLifetimeSeconds: options.connectionLifetimeSeconds ?? defaultConnectionLifetimeSeconds,
      types: directRowTypes,
      // A direct transaction sends its BEGIN with its first statement and its COMMIT with its last
      // (directSql.ts); everything else waits for each answer before sending more, as without it.
      pipeline: true,
    });
    // An idle connection that breaks (the server restarting) leaves the pool; the next query opens another.
    pool.on('error', () => undefined);
    const statementName = options.preparedStatements === false ? () => undefined : statementNamer();
    // The adapter's type says a name is always given; an unnamed statement (undefined) is what it does without one.
    const factory = new PrismaPg(pool, {
      statementNameGenerator: ((query: SqlQuery) => statementName(query.sql)) as (query: SqlQuery) => string,
    });
    const db = new PrismaClient({ adapter: factory });
    await db.$connect();
    registerDirectSql(db, { pool, statementName });
    return {
      kind: 'postgres',
      access: createStateAccess(db),
      db,
      appliedMigrations,
      listen: (channel, onWake, onError) => listenOnPostgres(location.url, channel, onWake, onError),
      close: async () => {
        try {
          await db.$disconnect();
        } finally {
          if (!pool.ending) await pool.end();
        }
      },
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
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  try {
    return await work(new PrismaPg(pool));
  } finally {
    await pool.end();
  }
}
