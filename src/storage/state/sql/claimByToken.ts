import type { ClaimWithTask } from '../../../domain/claims/ClaimRepository.js';
import type { TaskStatus } from '../../../domain/tasks/taskStatus.js';
import { sqlRows } from '../directSql.js';
import type { SqlClient } from '../directSql.js';
import { empty, raw, sql } from '../sqlStatement.js';
import type { Sql } from '../sqlStatement.js';

export interface ClaimRow {
  id: string;
  taskId: string;
  computeServiceId: string;
  ownerIdentityId: string;
  fence: bigint;
  releasedAt: Date | null;
  releaseReason: string | null;
  status: TaskStatus;
  taskFence: bigint;
  currentClaimId: string | null;
  transformationId: string;
  extendsId: string | null;
  org: string;
  campaign: string;
  project: string;
}

/**
 * The claim with this token hash, its service's owner and what the fence needs of its task, in one
 * statement. With `lockTask` the task's row is locked for the rest of the transaction and the task's
 * values are those of the row as locked (PostgreSQL reads a row it waited for again), so the fence
 * (claimFence.ts) judges what no requeue can change before the transaction ends.
 */
export async function claimByTokenHash(db: SqlClient, tokenHash: string, lockTask: boolean): Promise<ClaimWithTask | null> {
  const [row] = await sqlRows<ClaimRow[]>(db)`${claimByTokenSelect(sql`${tokenHash}`)} ${lockTask ? raw('FOR UPDATE OF t') : empty}`;
  return row === undefined ? null : toClaimWithTask(row);
}

/** The SELECT of claimByTokenHash, for a statement that reads more with the claim (ClaimRow's columns); `tokenHash` is a text expression. */
export function claimByTokenSelect(tokenHash: Sql): Sql {
  return sql`
    SELECT c.id::text AS id, c."taskId"::text AS "taskId", c."computeServiceId"::text AS "computeServiceId",
           cs."identityId"::text AS "ownerIdentityId", c.fence, c."releasedAt", c."releaseReason",
           t.status::text AS status, t.fence AS "taskFence", t."currentClaimId"::text AS "currentClaimId",
           t."transformationId"::text AS "transformationId", t."extendsId"::text AS "extendsId", s.org, s.campaign, s.project
      FROM "Claim" c
      JOIN "ComputeService" cs ON cs.id = c."computeServiceId"
      JOIN "Task" t ON t.id = c."taskId"
      JOIN "Scope" s ON s.id = t."scopeId"
     WHERE c."tokenHash" = ${tokenHash}`;
}

export function toClaimWithTask(row: ClaimRow): ClaimWithTask {
  return {
    id: row.id,
    taskId: row.taskId,
    computeServiceId: row.computeServiceId,
    ownerIdentityId: row.ownerIdentityId,
    fence: BigInt(row.fence),
    releasedAt: row.releasedAt,
    releaseReason: row.releaseReason,
    task: {
      status: row.status,
      fence: BigInt(row.taskFence),
      currentClaimId: row.currentClaimId,
      transformationId: row.transformationId,
      extendsId: row.extendsId,
      scope: { org: row.org, campaign: row.campaign, project: row.project },
    },
  };
}
