import type { HeldTask } from '../../../domain/compute/ComputeServiceRepository.js';
import { sqlRows } from '../directSql.js';
import type { StateTx } from '../openStateStore.js';

/** Whether any live service has been silent since `cutoff`: one indexed probe, so callers can skip the expiry transaction. */
export async function anySilentService(db: StateTx, cutoff: Date): Promise<boolean> {
  const rows = await sqlRows<unknown[]>(db)`
    SELECT 1 FROM "ComputeService"
     WHERE "lastHeartbeatAt" < ${cutoff} AND "expiredAt" IS NULL AND "deregisteredAt" IS NULL LIMIT 1`;
  return rows.length > 0;
}

/**
 * Marks every compute service silent since `cutoff` as expired and returns the tasks they held.
 * `UPDATE … RETURNING` makes each expiry happen once even with several server replicas sweeping.
 */
export async function expireSilentServices(tx: StateTx, cutoff: Date): Promise<{ serviceIds: string[]; held: HeldTask[] }> {
  const services = await sqlRows<Array<{ id: string }>>(tx)`
    UPDATE "ComputeService" SET "expiredAt" = now()
     WHERE "expiredAt" IS NULL AND "deregisteredAt" IS NULL AND "lastHeartbeatAt" < ${cutoff}
    RETURNING id::text AS id`;
  if (services.length === 0) return { serviceIds: [], held: [] };
  const serviceIds = services.map((s) => s.id);
  const held = await sqlRows<HeldTask[]>(tx)`
    SELECT t.id::text AS "taskId", cs.id::text AS "computeServiceId", cs.name AS "computeServiceName"
      FROM "Task" t JOIN "Claim" c ON c.id = t."currentClaimId" JOIN "ComputeService" cs ON cs.id = c."computeServiceId"
     WHERE cs.id = ANY(${serviceIds}::uuid[])`;
  return { serviceIds, held };
}

/** Tasks whose current claim belongs to one of these services. */
export async function tasksHeldBy(tx: StateTx, serviceIds: readonly string[]): Promise<string[]> {
  const rows = await sqlRows<Array<{ id: string }>>(tx)`
    SELECT t.id::text AS id FROM "Task" t JOIN "Claim" c ON c.id = t."currentClaimId"
     WHERE c."computeServiceId" = ANY(${[...serviceIds]}::uuid[])`;
  return rows.map((r) => r.id);
}
