import type { StateDb } from './openStateStore.js';
import { directPathOf, DirectTx } from './directSql.js';
import type { SqlClient } from './directSql.js';

/** As Prisma's interactive transactions: rolled back when they run longer than this. */
const defaultTimeoutMs = 5_000;

/**
 * A transaction whose every statement is a hand-written one of `sql/`, on one pooled connection held
 * from BEGIN to COMMIT: the hot worker writes run this way, where Prisma's interactive transaction
 * would cost more CPU than the statements themselves (directSql.ts). A transaction still running after
 * `timeoutMs` has its connection closed, which rolls it back, and fails; so does a statement running
 * longer than that. On a store without a pool
 * (PGlite) it is Prisma's transaction, queued like every other there (queuedTransactions.ts).
 */
export async function directTransaction<T>(
  db: StateDb,
  work: (tx: SqlClient) => Promise<T>,
  options: { timeoutMs?: number | undefined } = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  const path = directPathOf(db);
  if (path === undefined) return db.$transaction((tx) => work(tx), { timeout: timeoutMs });

  const connection = await path.pool.connect();
  // The pool listens for errors only on idle connections: one dropped while checked out here (the
  // database restarting while the transaction waits on the object store) would otherwise emit an
  // unhandled 'error' and take the server down. The statement that next uses it fails instead.
  let dropped: Error | undefined;
  const onDropped = (error: Error) => {
    dropped = error;
  };
  connection.on('error', onDropped);
  let ended = false;
  const end = (error?: Error) => {
    if (ended) return;
    ended = true;
    connection.removeListener('error', onDropped);
    connection.release(error ?? dropped);
  };
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    end(new Error('transaction timed out'));
  }, timeoutMs);
  const tx = new DirectTx(connection, path.statementName);
  try {
    // No parameters, so the simple protocol takes both; not waited for: the pool's connections pipeline,
    // so the transaction's first statement goes in the same round trip, and PostgreSQL runs it after
    // these. The statement timeout bounds a statement still running when the timer below closes the
    // connection: PostgreSQL would otherwise notice the closed connection only when that statement
    // ended, holding its locks until then.
    const begun = connection.query(`BEGIN; SET LOCAL statement_timeout = ${Math.ceil(timeoutMs)}`);
    // Both settled before anything else: a connection is never handed back while work still uses it.
    const [worked, began] = await Promise.allSettled([work(tx), begun]);
    if (began.status === 'rejected') throw began.reason;
    if (worked.status === 'rejected') throw worked.reason;
    // Committed with its last statement (finalSqlRows), however long it took.
    if (tx.ended) return worked.value;
    if (timedOut) throw new Error(`the transaction ran longer than ${timeoutMs} ms and was rolled back`);
    await connection.query('COMMIT');
    return worked.value;
  } catch (error) {
    if (timedOut) throw new Error(`the transaction ran longer than ${timeoutMs} ms and was rolled back`, { cause: error });
    // A connection that cannot roll back is broken: closing it rolls back whatever it held. A final
    // statement that failed was rolled back by the COMMIT sent behind it.
    if (!tx.ended) await connection.query('ROLLBACK').catch((rollbackError: unknown) => end(rollbackError as Error));
    throw error;
  } finally {
    clearTimeout(timer);
    end();
  }
}
