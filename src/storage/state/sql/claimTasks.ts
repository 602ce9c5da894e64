import type { StateTx } from '../openStateStore.js';

export interface ClaimableHub {
  hubId: string;
  weight: number;
  org: string;
  campaign: string;
  project: string;
}

/**
 * Hubs with weight above zero that hold at least one task a claimer could take now. The lateral
 * `LIMIT 1` stops at the first claimable task of each hub; as a plain EXISTS the planner may instead
 * hash every waiting task, which makes each claim cost in proportion to the queue.
 */
export async function hubsWithClaimableTasks(tx: StateTx, protocols: readonly string[] | null): Promise<ClaimableHub[]> {
  return tx.$queryRaw`
    SELECT h.id::text AS "hubId", h.weight, s.org, s.campaign, s.project
      FROM "TaskHub" h
      JOIN "AlchemicalNetwork" n ON n.id = h."networkId"
      JOIN "Scope" s ON s.id = n."scopeId"
      CROSS JOIN LATERAL (
         SELECT 1 FROM "TaskAction" a
           JOIN "Task" t ON t.id = a."taskId"
           JOIN "Transformation" tf ON tf.id = t."transformationId"
           LEFT JOIN "Task" parent ON parent.id = t."extendsId"
          WHERE a."hubId" = h.id AND t.status = 'WAITING'
            AND (${protocols === null} OR tf.protocol = ANY(${protocols ?? []}::text[]))
            AND (t."extendsId" IS NULL OR parent.status = 'COMPLETE')
          LIMIT 1) claimable
     WHERE h.weight > 0`;
}

/**
 * Picks and locks up to `limit` claimable tasks of one hub: WAITING, of a protocol the claimer runs,
 * not extending an unfinished task; most urgent priority first, then oldest. `SKIP LOCKED` lets
 * concurrent claimers pass over rows another transaction is claiming, so no task is handed out twice
 * and nobody waits. The rows stay locked until the caller's transaction ends.
 */
export async function lockClaimableTasks(
  tx: StateTx,
  hubId: string,
  protocols: readonly string[] | null,
  limit: number,
): Promise<Array<{ id: string; fence: bigint }>> {
  return tx.$queryRaw`
    SELECT t.id::text AS id, t.fence
      FROM "TaskAction" a
      JOIN "Task" t ON t.id = a."taskId"
      JOIN "Transformation" tf ON tf.id = t."transformationId"
      LEFT JOIN "Task" parent ON parent.id = t."extendsId"
     WHERE a."hubId" = ${hubId}::uuid
       AND t.status = 'WAITING'
       AND (${protocols === null} OR tf.protocol = ANY(${protocols ?? []}::text[]))
       AND (t."extendsId" IS NULL OR parent.status = 'COMPLETE')
     ORDER BY t.priority, t."createdAt", t.id
     LIMIT ${limit}
       FOR UPDATE OF t SKIP LOCKED`;
}

/** WAITING → RUNNING for locked tasks, each under its new claim and advanced fence. */
export async function markClaimed(tx: StateTx, claims: ReadonlyArray<{ taskId: string; claimId: string; fence: bigint }>): Promise<void> {
  await tx.$executeRaw`
    UPDATE "Task" t
       SET status = 'RUNNING', fence = c.fence, "currentClaimId" = c.claim_id, "updatedAt" = now()
      FROM unnest(${claims.map((c) => c.taskId)}::uuid[], ${claims.map((c) => c.claimId)}::uuid[], ${claims.map((c) => c.fence.toString())}::bigint[])
           AS c(task_id, claim_id, fence)
     WHERE t.id = c.task_id AND t.status = 'WAITING'`;
}
