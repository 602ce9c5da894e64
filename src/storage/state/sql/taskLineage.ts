import type { LockedTask } from '../../../domain/tasks/TaskRepository.js';
import { sqlRows } from '../directSql.js';
import type { SqlClient } from '../directSql.js';

/** The given tasks and every task that extends them, transitively (INVALID and DELETED cascade down it). */
export async function tasksAndDescendants(tx: SqlClient, taskIds: readonly string[]): Promise<string[]> {
  if (taskIds.length === 0) return [];
  const rows = await sqlRows<Array<{ id: string }>>(tx)`
    WITH RECURSIVE lineage(id) AS (
      SELECT id FROM "Task" WHERE id = ANY(${[...taskIds]}::uuid[])
      UNION
      SELECT child.id FROM "Task" child JOIN lineage ON child."extendsId" = lineage.id
    )
    SELECT id::text AS id FROM lineage`;
  return rows.map((r) => r.id);
}

/**
 * Locks the tasks' rows for the rest of the transaction, in id order so that two transactions locking
 * overlapping sets cannot deadlock, and returns what a status change needs to know about each.
 */
export async function lockTasks(tx: SqlClient, taskIds: readonly string[]): Promise<LockedTask[]> {
  if (taskIds.length === 0) return [];
  return sqlRows<LockedTask[]>(tx)`
    SELECT id::text AS id, status::text AS status, "currentClaimId"::text AS "currentClaimId", fence
      FROM "Task" WHERE id = ANY(${[...taskIds]}::uuid[])
     ORDER BY id
       FOR UPDATE`;
}
