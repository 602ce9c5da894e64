import type { ComputeServiceAtWorkRecord } from '../../../domain/compute/ComputeServiceRegistry.js';
import type { Scope, ScopePattern } from '../../../domain/scope.js';
import { sqlRows } from '../directSql.js';
import type { StateDb, StateTx } from '../openStateStore.js';
import { empty, sql } from '../sqlStatement.js';

/**
 * Live compute services at work on tasks a reader may see, with those tasks, in one statement. It starts
 * from the RUNNING tasks (a range of the claim-order index: few, however many tasks wait or finished),
 * follows each one's current claim to its service, and keeps the tasks in a scope one of the reader's
 * patterns matches (`*` matches any part). A service that is silent but not yet expired still counts.
 */
export async function computeServicesAtWork(
  db: StateDb | StateTx,
  filter: { visibleIn: readonly ScopePattern[]; scope?: Scope | undefined },
): Promise<ComputeServiceAtWorkRecord[]> {
  if (filter.visibleIn.length === 0) return [];
  const { scope } = filter;
  const narrowed =
    scope === undefined ? empty : sql`AND s.org = ${scope.org} AND s.campaign = ${scope.campaign} AND s.project = ${scope.project}`;
  return sqlRows<ComputeServiceAtWorkRecord[]>(db)`
    SELECT cs.id::text AS id, cs.name, cs.host, cs."lastHeartbeatAt",
           array_agg(t.id::text ORDER BY t.id) AS "taskIds"
      FROM "Task" t
      JOIN "Claim" c ON c.id = t."currentClaimId"
      JOIN "ComputeService" cs ON cs.id = c."computeServiceId"
      JOIN "Scope" s ON s.id = t."scopeId"
     WHERE t.status = 'RUNNING'
       AND cs."expiredAt" IS NULL AND cs."deregisteredAt" IS NULL
       ${narrowed}
       AND EXISTS (
         SELECT 1 FROM unnest(${filter.visibleIn.map((p) => p.org)}::text[], ${filter.visibleIn.map((p) => p.campaign)}::text[],
                              ${filter.visibleIn.map((p) => p.project)}::text[]) AS p(org, campaign, project)
          WHERE p.org IN ('*', s.org) AND p.campaign IN ('*', s.campaign) AND p.project IN ('*', s.project))
     GROUP BY cs.id
     ORDER BY cs."registeredAt", cs.id`;
}
