import type pg from 'pg';
import type { StateDb, StateTx } from './openStateStore.js';
import { sql } from './sqlStatement.js';
import type { Sql } from './sqlStatement.js';

/**
 * The hand-written statements of `sql/` run on pg's pool directly when they are not part of a
 * transaction: the pool Prisma's adapter uses, with the same prepared-statement names. Through
 * `$queryRaw` each call costs several times its own CPU in Prisma's client (parameters and rows
 * serialized to JSON and back, the query interpreter): measured here, 0.3–0.45 ms a call against
 * 0.08 ms without it, on a claim path of three statements.
 *
 * pg encodes the parameters, and the pool reads the rows as `$queryRaw` gives them (directRowTypes.ts),
 * so a statement reads the same either way. Inside a transaction (whose connection only Prisma
 * holds), and on a store that registered no pool (PGlite, whose one connection Prisma's
 * transactions hold), the statement goes through the client it was given. A transaction made only of
 * these statements can skip Prisma altogether: directTransaction.ts.
 */
export interface DirectPath {
  pool: pg.Pool;
  /** The prepared statement's name for a text, or undefined to run it unnamed (preparedStatements.ts). */
  statementName: (text: string) => string | undefined;
}

const direct = new WeakMap<object, DirectPath>();

export function registerDirectSql(db: StateDb, path: DirectPath): void {
  direct.set(db, path);
}

/** The direct path a store registered, if it did (directTransaction.ts runs on it). */
export function directPathOf(db: StateDb): DirectPath | undefined {
  return direct.get(db);
}

/**
 * One pooled connection inside a transaction of hand-written statements only (directTransaction.ts).
 * The pool's connections pipeline (pg's `pipeline`): a statement is sent without waiting for the one
 * before it to be answered, so the transaction's BEGIN goes with its first statement and its COMMIT
 * with its last (finalSqlRows), each in one round trip.
 */
export class DirectTx {
  /** COMMIT went with the last statement (finalSqlRows): the transaction is over, committed or not. */
  ended = false;

  constructor(
    readonly connection: pg.PoolClient,
    readonly statementName: (text: string) => string | undefined,
  ) {}
}

/** What a `sql/` statement runs on: the client, the client inside a Prisma transaction, or a direct transaction. */
export type SqlClient = StateDb | StateTx | DirectTx;

async function queryRows<T>(db: SqlClient, statement: Sql, final = false): Promise<T[]> {
  const { text, values } = statement;
  if (db instanceof DirectTx) {
    if (db.ended) throw new Error('a statement after its transaction was committed');
    const answer = db.connection.query({ text, values: values.map(toParameter), name: db.statementName(text) });
    if (!final) return (await answer).rows as T[];
    db.ended = true;
    // Sent behind the statement without waiting for it. After a failed statement PostgreSQL answers a
    // COMMIT with a rollback, so nothing of the transaction is kept; that failure is the one reported.
    const commit = db.connection.query('COMMIT');
    const [rows, committed] = await Promise.allSettled([answer, commit]);
    if (rows.status === 'rejected') throw rows.reason;
    if (committed.status === 'rejected') throw committed.reason;
    return rows.value.rows as T[];
  }
  const path = direct.get(db);
  // "Unsafe" only in that Prisma takes the text as given: it is sqlStatement's, every value a parameter.
  if (path === undefined) return db.$queryRawUnsafe<T[]>(text, ...values);
  const result = await path.pool.query({ text, values: values.map(toParameter), name: path.statementName(text) });
  return result.rows as T[];
}

/**
 * pg sends a Date as local time with its offset, and a `timestamp` parameter drops the offset: the
 * process's local wall-clock time would be taken for UTC. As ISO text in UTC it is right for
 * `timestamp` (Prisma's UTC) and `timestamptz` alike.
 */
function toParameter(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(toParameter);
  return value;
}

/** `sqlRows<Row[]>(db)\`SELECT …\`` reads like `db.$queryRaw<Row[]>\`SELECT …\`` and takes the direct path when it can. */
export function sqlRows<T = unknown[]>(db: SqlClient) {
  return (strings: TemplateStringsArray, ...values: unknown[]): Promise<T> => queryRows(db, sql(strings, ...values)) as Promise<T>;
}

/**
 * As sqlRows, for a statement that must be its transaction's last: one that appends events, whose
 * outbox lock (taskEvents.ts) every other writer of events waits on until the commit. In a direct
 * transaction its COMMIT goes in the same round trip, so the lock is not held while the answer travels
 * to the server and the COMMIT back; no statement may follow. Elsewhere (a Prisma transaction, no
 * transaction) it is sqlRows.
 */
export function finalSqlRows<T = unknown[]>(db: SqlClient) {
  return (strings: TemplateStringsArray, ...values: unknown[]): Promise<T> => queryRows(db, sql(strings, ...values), true) as Promise<T>;
}
