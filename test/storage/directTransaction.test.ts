import pg from 'pg';
import { finalSqlRows, sqlRows } from '../../src/storage/state/directSql.js';
import type { DirectTx, SqlClient } from '../../src/storage/state/directSql.js';
import { directTransaction } from '../../src/storage/state/directTransaction.js';
import { openStateStore } from '../../src/storage/state/openStateStore.js';
import type { StateStore } from '../../src/storage/state/openStateStore.js';
import { createTestDatabase } from '../support/postgres.js';
import type { TestDatabase } from '../support/postgres.js';

/**
 * The hot worker writes run as transactions of hand-written statements on one pooled connection
 * (src/storage/state/directTransaction.ts), without Prisma: they must commit and roll back as
 * Prisma's transactions do, hold their locks until they end, and give the connection back clean.
 */

async function insert(tx: SqlClient, note: string): Promise<void> {
  await sqlRows(tx)`INSERT INTO direct_tx_probe (note) VALUES (${note})`;
}

async function notes(store: StateStore): Promise<string[]> {
  const rows = await sqlRows<Array<{ note: string }>>(store.db)`SELECT note FROM direct_tx_probe ORDER BY id`;
  return rows.map((row) => row.note);
}

describe('direct transactions on PostgreSQL', () => {
  let database: TestDatabase;
  let store: StateStore;

  beforeAll(async () => {
    database = await createTestDatabase();
    // One connection: a transaction left open on it would show in the next one.
    store = await openStateStore({ kind: 'postgres', url: database.url }, { migrate: false, poolSize: 1 });
    await store.db.$executeRawUnsafe('CREATE TABLE direct_tx_probe (id serial PRIMARY KEY, note text NOT NULL)');
  });
  afterEach(async () => {
    await store.db.$executeRawUnsafe('TRUNCATE direct_tx_probe');
  });
  afterAll(async () => {
    await store?.close();
    await database?.drop();
  });

  test('what the work writes is committed together, and its answer returned', async () => {
    const answer = await directTransaction(store.db, async (tx) => {
      await insert(tx, 'first');
      await insert(tx, 'second');
      return (await sqlRows<Array<{ n: number }>>(tx)`SELECT count(*)::int AS n FROM direct_tx_probe`)[0]!.n;
    });
    expect(answer).toBe(2);
    expect(await notes(store)).toEqual(['first', 'second']);
  });

  test('work that throws leaves nothing behind, and the connection it held serves the next transaction clean', async () => {
    await expect(
      directTransaction(store.db, async (tx) => {
        await insert(tx, 'doomed');
        throw new Error('refused half-way');
      }),
    ).rejects.toThrow('refused half-way');
    await directTransaction(store.db, (tx) => insert(tx, 'after'));
    expect(await notes(store)).toEqual(['after']);
  });

  test('a failing statement rolls back the statements before it', async () => {
    await expect(
      directTransaction(store.db, async (tx) => {
        await insert(tx, 'before the failure');
        await sqlRows(tx)`SELECT 1 / 0`;
      }),
    ).rejects.toThrow(/division by zero/);
    expect(await notes(store)).toEqual([]);
  });

  test('a last statement commits its transaction as it is answered, and no statement may follow it', async () => {
    await directTransaction(store.db, async (tx) => {
      await insert(tx, 'first');
      await finalSqlRows(tx)`INSERT INTO direct_tx_probe (note) VALUES ('last')`;
    });
    expect(await notes(store)).toEqual(['first', 'last']);

    await expect(
      directTransaction(store.db, async (tx) => {
        await finalSqlRows(tx)`INSERT INTO direct_tx_probe (note) VALUES ('committed')`;
        await insert(tx, 'too late');
      }),
    ).rejects.toThrow('a statement after its transaction was committed');
    expect(await notes(store)).toEqual(['first', 'last', 'committed']);
  });

  test('a last statement that fails leaves nothing of its transaction, and the connection serves the next one clean', async () => {
    await expect(
      directTransaction(store.db, async (tx) => {
        await insert(tx, 'before the failure');
        await finalSqlRows(tx)`SELECT 1 / 0`;
      }),
    ).rejects.toThrow(/division by zero/);
    expect(await notes(store)).toEqual([]);
    // One connection in the pool: this runs where the failed transaction ran.
    await directTransaction(store.db, async (tx) => {
      await insert(tx, 'next');
      await finalSqlRows(tx)`SELECT 1`;
    });
    expect(await notes(store)).toEqual(['next']);
  });

  test('a row locked in the transaction stays locked while the work awaits something else, until the commit', async () => {
    await insert(store.db, 'shared');
    const other = new pg.Client({ connectionString: database.url });
    await other.connect();
    try {
      const tryLock = () =>
        other.query('SELECT note FROM direct_tx_probe FOR UPDATE NOWAIT').then(
          () => 'free',
          (error: { code?: string }) => error.code,
        );
      let whileHeld: unknown;
      await directTransaction(store.db, async (tx) => {
        await sqlRows(tx)`SELECT note FROM direct_tx_probe FOR UPDATE`;
        // As a unit result's documents are written while its claim's task stays locked.
        whileHeld = await tryLock();
      });
      expect(whileHeld).toBe('55P03'); // lock_not_available
      expect(await tryLock()).toBe('free');
    } finally {
      await other.end();
    }
  });

  test('a connection dropped while the work awaits something else fails that transaction, not the process, and is not reused', async () => {
    const other = new pg.Client({ connectionString: database.url });
    await other.connect();
    try {
      await expect(
        directTransaction(store.db, async (tx) => {
          await insert(tx, 'lost with the connection');
          const [{ pid }] = await sqlRows<Array<{ pid: number }>>(tx)`SELECT pg_backend_pid() AS pid`;
          const gone = new Promise((resolve) => (tx as DirectTx).connection.once('end', resolve));
          // As the database restarting while a unit result's documents are being written.
          await other.query('SELECT pg_terminate_backend($1)', [pid]);
          await gone;
          await insert(tx, 'after the drop');
        }),
      ).rejects.toThrow();
      await directTransaction(store.db, (tx) => insert(tx, 'on a new connection'));
      expect(await notes(store)).toEqual(['on a new connection']);
    } finally {
      await other.end();
    }
  });

  test('a transaction running past its timeout is rolled back and fails, and the pool opens a new connection', async () => {
    await expect(
      directTransaction(
        store.db,
        async (tx) => {
          await insert(tx, 'too slow');
          // Ends only when the timeout closes the connection under it.
          await sqlRows(tx)`SELECT pg_sleep(600)`;
        },
        { timeoutMs: 300 },
      ),
    ).rejects.toThrow(/the transaction ran longer than 300 ms and was rolled back|statement timeout/);
    await directTransaction(store.db, (tx) => insert(tx, 'next'));
    expect(await notes(store)).toEqual(['next']);
  });
});

describe('direct transactions on PGlite (Prisma transactions there)', () => {
  let store: StateStore;

  beforeAll(async () => {
    store = await openStateStore({ kind: 'pglite', dataDir: undefined });
    await store.db.$executeRawUnsafe('CREATE TABLE direct_tx_probe (id serial PRIMARY KEY, note text NOT NULL)');
  });
  afterAll(async () => {
    await store?.close();
  });

  test('commit and roll back alike', async () => {
    await directTransaction(store.db, (tx) => insert(tx, 'kept'));
    await expect(
      directTransaction(store.db, async (tx) => {
        await insert(tx, 'dropped');
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect(await notes(store)).toEqual(['kept']);
  });
});
