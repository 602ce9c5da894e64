import { sqlRows } from '../directSql.js';
import type { StateTx } from '../openStateStore.js';
import { claimableHubs } from './claimTasks.js';
import type { ClaimableHub } from './claimTasks.js';

export interface ClaimCheckIn {
  /** The service is the identity's, live, and heard from since the cutoff; its heartbeat is now. */
  alive: boolean;
  /** Some live service (maybe this one) has been silent since the cutoff: time to run the expiry. */
  someoneSilent: boolean;
  /** Failed ProtocolDAGResults of this service since `failuresSince`. */
  recentFailures: number;
  /** Hubs holding a task of the given protocols that could be claimed now (before any expiry runs). */
  hubs: ClaimableHub[];
}

/**
 * Everything a claim must know before it takes work, in one round trip: asking for work counts as a
 * heartbeat (unless the service is already past its expiry: then it is not revived, it is expired),
 * whether anyone needs expiring, the service's recent failures, and which hubs have work.
 */
export async function checkInForClaim(
  db: StateTx,
  check: { serviceId: string; identityId: string; silentBefore: Date; failuresSince: Date; protocols: readonly string[] | null },
): Promise<ClaimCheckIn> {
  const [row] = await sqlRows<ClaimCheckIn[]>(db)`
    WITH beat AS (
      UPDATE "ComputeService" SET "lastHeartbeatAt" = now()
       WHERE id = ${check.serviceId}::uuid AND "identityId" = ${check.identityId}::uuid
         AND "expiredAt" IS NULL AND "deregisteredAt" IS NULL AND "lastHeartbeatAt" >= ${check.silentBefore}
      RETURNING id)
    SELECT EXISTS (SELECT 1 FROM beat) AS alive,
           EXISTS (SELECT 1 FROM "ComputeService"
                    WHERE "lastHeartbeatAt" < ${check.silentBefore} AND "expiredAt" IS NULL AND "deregisteredAt" IS NULL) AS "someoneSilent",
           (SELECT count(*) FROM "ProtocolDagResult"
             WHERE "computeServiceId" = ${check.serviceId}::uuid AND NOT ok AND "createdAt" > ${check.failuresSince})::int AS "recentFailures",
           (SELECT coalesce(jsonb_agg(hub), '[]'::jsonb) FROM (${claimableHubs(check.protocols)}) AS hub) AS hubs`;
  if (row === undefined) throw new Error('the claim check-in returned no row');
  return row;
}
