import type { NewTaskEvent, StoredTaskEvent } from '../../../domain/events/TaskEventOutbox.js';
import { finalSqlRows, sqlRows } from '../directSql.js';
import type { SqlClient } from '../directSql.js';
import type { StateDb, StateTx } from '../openStateStore.js';
import { sql } from '../sqlStatement.js';
import type { Sql } from '../sqlStatement.js';
import { arrayRowsBound } from './arrayRowsBound.js';

/** The channel every replica listens on; a notification only says "read the outbox", it carries nothing. */
export const taskEventsChannel = 'dagkeeper_task_events';

/**
 * Serializes the last step of every transaction that records events. Holding it from the INSERT to
 * the commit makes id order equal commit order, so a reader never skips an id that commits later.
 */
const outboxLock = 0x6461_676b; // "dagk"

/**
 * The common table expressions `outbox_locked` and `appended` of a statement that appends the rows of
 * `source` (columns kind, task_id, payload, n; in n order) as events, filling in each task's scope and
 * transformation key. The lock is a row the INSERT joins, so it is held before the first id is drawn,
 * and only when there is something to append. Every event is written through this: it is the rule
 * that makes id order commit order.
 */
export function appendEventsCte(source: Sql): Sql {
  return sql`
    outbox_locked AS MATERIALIZED (
      SELECT pg_advisory_xact_lock(${outboxLock}::bigint) FROM (SELECT 1 FROM (${source}) AS any_event LIMIT 1) AS needed),
    appended AS (
      INSERT INTO "TaskEvent" (kind, "taskId", scope, "transformationKey", payload)
      SELECT e.kind, t.id, s.org || '-' || s.campaign || '-' || s.project,
             tf.key || '-' || ts.org || '-' || ts.campaign || '-' || ts.project, e.payload
        FROM outbox_locked
       CROSS JOIN (${source}) AS e
        JOIN "Task" t ON t.id = e.task_id
        JOIN "Scope" s ON s.id = t."scopeId"
        JOIN "Transformation" tf ON tf.id = t."transformationId"
        JOIN "Scope" ts ON ts.id = tf."scopeId"
       ORDER BY e.n
      RETURNING id)`;
}

/** Wakes every replica's hub; Postgres delivers it at commit, and drops it on rollback. */
export const notifyListeners = sql`(SELECT pg_notify(${taskEventsChannel}, '')) AS notified`;

/**
 * Appends events in the given order, in one statement, and wakes the listeners. It is the
 * transaction's last statement (finalSqlRows): other writers wait on the lock until this one commits.
 */
export async function appendTaskEvents(tx: SqlClient, events: readonly NewTaskEvent[]): Promise<void> {
  if (events.length === 0) return;
  await finalSqlRows(
    tx,
  )`WITH ${appendEventsCte(eventsSource(events))} SELECT (SELECT count(*) FROM appended)::int AS appended FROM ${notifyListeners}`;
}

/** The events as appendEventsCte's source rows, in the given order. */
export function eventsSource(events: readonly NewTaskEvent[]): Sql {
  return sql`
    SELECT * FROM unnest(${events.map((e) => e.kind)}::text[], ${events.map((e) => e.taskId)}::uuid[],
                         ${events.map((e) => JSON.stringify(e.payload))}::jsonb[]) WITH ORDINALITY AS u(kind, task_id, payload, n)
     LIMIT ${arrayRowsBound(events.length)}`;
}

/** Events after `afterId` in id order, optionally only one task's. */
export async function readTaskEvents(
  db: StateDb | StateTx,
  afterId: bigint,
  limit: number,
  filter: { taskId?: string } = {},
): Promise<StoredTaskEvent[]> {
  const rows =
    filter.taskId === undefined
      ? await sqlRows<StoredTaskEvent[]>(db)`
        SELECT id, kind, "taskId"::text AS "taskId", scope, "transformationKey", payload, "createdAt"
          FROM "TaskEvent" WHERE id > ${afterId} ORDER BY id LIMIT ${limit}`
      : await sqlRows<StoredTaskEvent[]>(db)`
        SELECT id, kind, "taskId"::text AS "taskId", scope, "transformationKey", payload, "createdAt"
          FROM "TaskEvent" WHERE "taskId" = ${filter.taskId}::uuid AND id > ${afterId} ORDER BY id LIMIT ${limit}`;
  return rows;
}

/** The newest event id (0 when there is none): where a hub starting now begins. */
export async function latestTaskEventId(db: StateDb | StateTx): Promise<bigint> {
  const [row] = await sqlRows<Array<{ id: bigint | null }>>(db)`SELECT max(id) AS id FROM "TaskEvent"`;
  const latest = row?.id ?? null;
  if (latest !== null) return BigInt(latest);
  return prunedThrough(db);
}

/** Events up to this id are gone; a cursor below it cannot be resumed from. */
export async function prunedThrough(db: StateDb | StateTx): Promise<bigint> {
  const [row] = await sqlRows<Array<{ id: bigint }>>(db)`SELECT "prunedThroughId" AS id FROM "TaskEventRetention" WHERE id = 1`;
  return row === undefined ? 0n : BigInt(row.id);
}

/** Deletes events older than `before` and records how far pruning reached; returns how many went. */
export async function pruneTaskEvents(db: StateDb, before: Date): Promise<number> {
  return db.$transaction(async (tx) => {
    const [edge] = await sqlRows<Array<{ id: bigint | null }>>(tx)`
      SELECT max(id) AS id FROM "TaskEvent" WHERE "createdAt" < ${before}`;
    if (edge?.id === null || edge?.id === undefined) return 0;
    const through = BigInt(edge.id);
    const deleted = await tx.$executeRaw`DELETE FROM "TaskEvent" WHERE id <= ${through}`;
    await tx.$executeRaw`
      UPDATE "TaskEventRetention" SET "prunedThroughId" = GREATEST("prunedThroughId", ${through}) WHERE id = 1`;
    return deleted;
  });
}
