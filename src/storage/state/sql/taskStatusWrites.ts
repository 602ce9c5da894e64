import type { StatusWrite } from '../../../domain/tasks/TaskRepository.js';
import { sqlRows } from '../directSql.js';
import type { SqlClient } from '../directSql.js';
import { sql } from '../sqlStatement.js';
import type { Sql } from '../sqlStatement.js';
import { uuidsIn } from './arrayRowsBound.js';

/**
 * The writes of a status change as applyStatusChange (the state machine) decides them, in one
 * statement (one round trip): the claims still held end, with the reason and how their attempts
 * ended; the tasks move to `to`, lose their current claim and advance their fence; and, when the
 * status says so, they leave every hub. It runs on the direct path inside a finish
 * (directTransaction.ts) and through Prisma elsewhere. The three touch different tables, so one
 * snapshot serves them all.
 */
export async function writeStatusChange(db: SqlClient, write: StatusWrite): Promise<void> {
  if (write.taskIds.length === 0) return;
  await sqlRows(db)`
    WITH ${statusWriteCtes(write)}
    SELECT (SELECT count(*) FROM released)::int AS released, (SELECT count(*) FROM changed)::int AS changed,
           (SELECT count(*) FROM unhubbed)::int AS unhubbed`;
}

/**
 * writeStatusChange's writes as the common table expressions `released`, `changed` (the tasks as they
 * now are) and `unhubbed`, for a statement that writes more.
 */
export function statusWriteCtes(write: StatusWrite): Sql {
  const { release } = write;
  return sql`
    released AS (
      UPDATE "Claim" SET "releasedAt" = ${release.at}::timestamp(3), "releaseReason" = ${release.reason},
                         ending = ${release.ending}::"AttemptEnding"
       WHERE id IN ${uuidsIn(release.claimIds)} AND "releasedAt" IS NULL
      RETURNING 1),
    changed AS (
      UPDATE "Task" SET status = ${write.to}::"TaskStatus", "currentClaimId" = NULL, fence = fence + 1,
                        "updatedAt" = ${new Date()}::timestamp(3)
       WHERE id IN ${uuidsIn(write.taskIds)}
      RETURNING id, status, priority, "transformationId", "extendsId", fence, seed, "createdAt", "updatedAt", "scopeId"),
    unhubbed AS (
      DELETE FROM "TaskAction" WHERE ${write.leaveHubs}::boolean AND "taskId" IN ${uuidsIn(write.taskIds)}
      RETURNING 1)`;
}

/** Takes the tasks off every hub. */
export async function removeTasksFromHubs(db: SqlClient, taskIds: readonly string[]): Promise<void> {
  if (taskIds.length === 0) return;
  await sqlRows(db)`DELETE FROM "TaskAction" WHERE "taskId" = ANY(${[...taskIds]}::uuid[])`;
}

/** Each of these tasks' transformation (tasks that do not exist left out). */
export async function transformationsOfTasks(
  db: SqlClient,
  taskIds: readonly string[],
): Promise<Array<{ taskId: string; transformationId: string }>> {
  if (taskIds.length === 0) return [];
  return sqlRows<Array<{ taskId: string; transformationId: string }>>(db)`
    SELECT id::text AS "taskId", "transformationId"::text AS "transformationId" FROM "Task" WHERE id = ANY(${[...taskIds]}::uuid[])`;
}
