import type { NewTaskEvent } from '../../../domain/events/TaskEventOutbox.js';
import type { NewDagResult, TransformationRepeat } from '../../../domain/results/DagResultRepository.js';
import type { StatusWrite } from '../../../domain/tasks/TaskRepository.js';
import type { TaskRecord } from '../../../domain/tasks/taskRecords.js';
import { finalSqlRows, sqlRows } from '../directSql.js';
import type { SqlClient } from '../directSql.js';
import { empty, sql } from '../sqlStatement.js';
import type { Sql } from '../sqlStatement.js';
import { uuidsIn } from './arrayRowsBound.js';
import { appendEventsCte, eventsSource, notifyListeners } from './taskEvents.js';
import { transformationsLock } from './lockTransformations.js';
import { statusWriteCtes } from './taskStatusWrites.js';
import { taskRecordOfRow } from './tasksByIds.js';
import type { TaskRow } from './tasksByIds.js';

/** ProtocolDAGResults: the row a finish writes, and the repeats an estimate combines. */

export async function insertDagResult(db: SqlClient, result: NewDagResult): Promise<void> {
  await sqlRows(db)`${dagResultInsert(result)}`;
}

/**
 * A finish's writes in one statement: the result row, the status change (statusWriteCtes), the events
 * (appended under the outbox's lock, held to the commit: taskEvents.ts; so this is the transaction's
 * last statement when it has any) and the lock of the transformations whose estimate the finish then
 * recombines (none, for a finish without an estimate).
 */
export async function insertDagResultWithStatusChange(
  db: SqlClient,
  result: NewDagResult,
  write: StatusWrite,
  events: readonly NewTaskEvent[],
  lockTransformationIds: readonly string[] = [],
): Promise<TaskRecord> {
  // The lock is in the text only when there is one to take: PostgreSQL sets up every part of a
  // statement on each call. A SELECT's CTE runs only when read, hence the WHERE that reads it.
  const lock =
    lockTransformationIds.length === 0
      ? { cte: empty, read: empty }
      : {
          cte: sql`, transformations_locked AS (${transformationsLock(lockTransformationIds)})`,
          read: sql`WHERE (SELECT count(*) FROM transformations_locked) >= 0`,
        };
  // The task comes back as changed, so the finishing worker's answer reads nothing after the commit.
  // With events it is the transaction's last statement, its COMMIT in the same round trip.
  const rows = events.length > 0 ? finalSqlRows : sqlRows;
  const [row] = await rows<Array<TaskRow | { id: null }>>(db)`
    WITH recorded AS (${dagResultInsert(result)} RETURNING id),
    ${statusWriteCtes(write)},
    ${appendEventsCte(eventsSource(events))}${lock.cte}
    SELECT task.*
      FROM ${notifyListeners}
      LEFT JOIN (
        SELECT c.id::text AS id, c.status::text AS status, c.priority, c."transformationId"::text AS "transformationId",
               tr.key AS "transformationKey", c."extendsId"::text AS "extendsId", c.fence, c.seed, c."createdAt", c."updatedAt",
               s.org, s.campaign, s.project
          FROM changed c
          JOIN "Scope" s ON s.id = c."scopeId"
          JOIN "Transformation" tr ON tr.id = c."transformationId") AS task ON true
     ${lock.read}`;
  // Every CTE that writes runs to completion whatever the SELECT reads; the task's row was locked as the
  // claim was judged, so it is there to change.
  if (row === undefined || row.id === null) throw new Error(`task ${result.taskId} was not changed as its result was recorded`);
  return taskRecordOfRow(row);
}

function dagResultInsert({ estimate, ...result }: NewDagResult): Sql {
  // successfulTaskId is unique: it allows many failed results per task but one successful one.
  return sql`
    INSERT INTO "ProtocolDagResult" (id, "taskId", ok, "successfulTaskId", "objectKey", document, sha256, size, "claimId", "computeServiceId",
                                     exception, traceback, "estimateValue", "estimateUncertainty", "estimateUnit", "createdAt")
    VALUES (${result.id}::uuid, ${result.taskId}::uuid, ${result.ok}, ${result.ok ? result.taskId : null}::uuid, ${result.objectKey}, ${result.document},
            ${result.sha256}, ${result.size}::bigint, ${result.claimId}::uuid, ${result.computeServiceId}::uuid,
            ${result.exception ?? null}, ${result.traceback ?? null}, ${estimate?.value ?? null}::float8,
            ${estimate?.uncertainty ?? null}::float8, ${estimate?.unit ?? null}, ${result.createdAt ?? new Date()}::timestamp(3))`;
}

interface RepeatRow {
  transformationId: string;
  taskId: string;
  dagResultId: string;
  seed: bigint;
  value: number;
  uncertainty: number;
  unit: string;
  completedAt: Date;
}

/**
 * The repeats counting towards these transformations' estimates (DagResultRepository.repeatsOf): ok
 * results with an estimate, of tasks neither INVALID nor DELETED and without such an extension that has
 * such a result; oldest first.
 */
export async function repeatsOfTransformations(db: SqlClient, transformationIds: readonly string[]): Promise<TransformationRepeat[]> {
  if (transformationIds.length === 0) return [];
  const rows = await sqlRows<RepeatRow[]>(db)`
    SELECT t."transformationId"::text AS "transformationId", r."taskId"::text AS "taskId", r.id::text AS "dagResultId", t.seed,
           r."estimateValue" AS value, coalesce(r."estimateUncertainty", 0) AS uncertainty, coalesce(r."estimateUnit", '') AS unit,
           r."createdAt" AS "completedAt"
      FROM "ProtocolDagResult" r JOIN "Task" t ON t.id = r."taskId"
     WHERE r.ok AND r."estimateValue" IS NOT NULL
       AND t."transformationId" IN ${uuidsIn(transformationIds)}
       AND t.status NOT IN ('INVALID', 'DELETED')
       AND NOT EXISTS (
         SELECT 1 FROM "Task" child
          WHERE child."extendsId" = t.id AND child.status NOT IN ('INVALID', 'DELETED')
            AND EXISTS (SELECT 1 FROM "ProtocolDagResult" cr WHERE cr."taskId" = child.id AND cr.ok AND cr."estimateValue" IS NOT NULL))
     ORDER BY r."createdAt", r.id`;
  return rows.map((row) => ({ ...row, seed: Number(row.seed) }));
}
