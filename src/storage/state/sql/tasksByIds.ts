import { toTaskRecord } from '../../../domain/tasks/taskRecords.js';
import type { TaskRecord } from '../../../domain/tasks/taskRecords.js';
import type { TaskStatus } from '../../../domain/tasks/taskStatus.js';
import { sqlRows } from '../directSql.js';
import type { SqlClient } from '../directSql.js';

/** A task as a statement reads it with its scope and its transformation's key (tasksByIds, a claim: claimTasks.ts). */
export interface TaskRow {
  id: string;
  status: TaskStatus;
  priority: number;
  transformationId: string;
  transformationKey: string;
  extendsId: string | null;
  fence: bigint;
  seed: bigint;
  createdAt: Date;
  updatedAt: Date;
  org: string;
  campaign: string;
  project: string;
}

/**
 * The tasks with these ids (those that exist, in no order), with their scope and transformation key: one
 * statement. Every GraphQL answer that names a task reads it this way (the task loader), a finishing
 * worker's among them, where Prisma's findMany with its two includes cost more than the finish's writes.
 */
export async function tasksByIds(db: SqlClient, taskIds: readonly string[]): Promise<TaskRecord[]> {
  if (taskIds.length === 0) return [];
  const rows = await sqlRows<TaskRow[]>(db)`
    SELECT t.id::text AS id, t.status::text AS status, t.priority, t."transformationId"::text AS "transformationId",
           tr.key AS "transformationKey", t."extendsId"::text AS "extendsId", t.fence, t.seed, t."createdAt", t."updatedAt",
           s.org, s.campaign, s.project
      FROM "Task" t
      JOIN "Scope" s ON s.id = t."scopeId"
      JOIN "Transformation" tr ON tr.id = t."transformationId"
     WHERE t.id = ANY(${[...taskIds]}::uuid[])`;
  return rows.map(taskRecordOfRow);
}

/** A TaskRow as the domain's TaskRecord. */
export function taskRecordOfRow({ org, campaign, project, transformationKey, fence, seed, ...row }: TaskRow): TaskRecord {
  return toTaskRecord({
    ...row,
    fence: BigInt(fence),
    seed: BigInt(seed),
    scope: { org, campaign, project },
    transformation: { key: transformationKey },
  });
}
