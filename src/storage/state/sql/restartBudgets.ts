import type { RestartBudget } from '../../../domain/restarts/restartPolicy.js';
import { sqlRows } from '../directSql.js';
import type { SqlClient } from '../directSql.js';

/** The patterns of every network whose hub the task is actioned on, oldest first, with this task's use of each. */
export function restartBudgets(db: SqlClient, taskId: string): Promise<RestartBudget[]> {
  return sqlRows<RestartBudget[]>(db)`
    SELECT p.id::text AS "patternId", p.pattern, p."maxRetries", coalesce(c.count, 0) AS used
      FROM "RestartPattern" p
      LEFT JOIN "TaskRestartCount" c ON c."patternId" = p.id AND c."taskId" = ${taskId}::uuid
     WHERE EXISTS (SELECT 1 FROM "TaskHub" h JOIN "TaskAction" a ON a."hubId" = h.id
                    WHERE h."networkId" = p."networkId" AND a."taskId" = ${taskId}::uuid)
     ORDER BY p."createdAt", p.id`;
}

/** Counts one more restart of the task by the pattern. */
export async function countRestart(db: SqlClient, taskId: string, patternId: string): Promise<void> {
  await sqlRows(db)`
    INSERT INTO "TaskRestartCount" ("taskId", "patternId", count) VALUES (${taskId}::uuid, ${patternId}::uuid, 1)
    ON CONFLICT ("taskId", "patternId") DO UPDATE SET count = "TaskRestartCount".count + 1`;
}
