import type { AttemptEnding } from '../../../domain/claims/taskAttempts.js';
import type { TaskStatus } from '../../../domain/tasks/taskStatus.js';
import { sqlRows } from '../directSql.js';
import type { SqlClient } from '../directSql.js';

/**
 * The writes of a status change, one statement each, as applyStatusChange (the state machine) decides
 * them: they run on the direct path inside a finish (directTransaction.ts) and through Prisma elsewhere.
 */

/** Ends the claims still held, with the reason and how their attempts ended. */
export async function releaseClaims(
  db: SqlClient,
  claimIds: readonly string[],
  reason: string,
  ending: AttemptEnding,
  at: Date,
): Promise<void> {
  if (claimIds.length === 0) return;
  await sqlRows(db)`
    UPDATE "Claim" SET "releasedAt" = ${at}::timestamp(3), "releaseReason" = ${reason}, ending = ${ending}::"AttemptEnding"
     WHERE id = ANY(${[...claimIds]}::uuid[]) AND "releasedAt" IS NULL`;
}

/** Moves the tasks to `to`, ends their current claim and advances their fence. */
export async function changeTaskStatus(db: SqlClient, taskIds: readonly string[], to: TaskStatus): Promise<void> {
  if (taskIds.length === 0) return;
  await sqlRows(db)`
    UPDATE "Task" SET status = ${to}::"TaskStatus", "currentClaimId" = NULL, fence = fence + 1, "updatedAt" = ${new Date()}::timestamp(3)
     WHERE id = ANY(${[...taskIds]}::uuid[])`;
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
