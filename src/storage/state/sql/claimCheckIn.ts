import type { ClaimCheckIn, ClaimCheckInRequest, HubDrawPoint, HubQuestion } from '../../../domain/claims/ClaimRepository.js';
import { sqlRows } from '../directSql.js';
import type { StateTx } from '../openStateStore.js';
import { sampledHubs } from './sampleHubs.js';

/**
 * Everything a claim must know before it takes work, for several claimers of the same protocols in
 * one round trip: asking for work counts as a heartbeat (unless the service is already past its
 * expiry: then it is not revived, it is expired), whether anyone needs expiring, each service's
 * recent failures, and a draw of hubs with work (sampledHubs, the same for every claimer: they share
 * protocols and scopes). Answers in request order.
 */
export async function checkInForClaims(
  db: StateTx,
  check: {
    requests: readonly ClaimCheckInRequest[];
    now: Date;
    silentBefore: Date;
    failuresSince: Date;
    hubs: HubQuestion;
    points: readonly HubDrawPoint[];
  },
): Promise<ClaimCheckIn[]> {
  const rows = await sqlRows<Array<ClaimCheckIn & { n: bigint }>>(db)`
    WITH asking AS (
      SELECT * FROM unnest(${check.requests.map((r) => r.serviceId)}::uuid[], ${check.requests.map((r) => r.identityId)}::uuid[])
             WITH ORDINALITY AS a(service_id, identity_id, n)),
    beat AS (
      UPDATE "ComputeService" cs SET "lastHeartbeatAt" = ${check.now}
        FROM asking a
       WHERE cs.id = a.service_id AND cs."identityId" = a.identity_id
         AND cs."expiredAt" IS NULL AND cs."deregisteredAt" IS NULL AND cs."lastHeartbeatAt" >= ${check.silentBefore}
      RETURNING cs.id, cs."identityId"),
    shared AS MATERIALIZED (
      SELECT EXISTS (SELECT 1 FROM "ComputeService"
                      WHERE "lastHeartbeatAt" < ${check.silentBefore} AND "expiredAt" IS NULL AND "deregisteredAt" IS NULL) AS "someoneSilent",
             (SELECT coalesce(jsonb_agg(hub), '[]'::jsonb) FROM (${sampledHubs(check.hubs, check.points)}) AS hub) AS hubs)
    SELECT a.n,
           EXISTS (SELECT 1 FROM beat b WHERE b.id = a.service_id AND b."identityId" = a.identity_id) AS alive,
           shared."someoneSilent",
           (SELECT count(*) FROM "ProtocolDagResult"
             WHERE "computeServiceId" = a.service_id AND NOT ok AND "createdAt" > ${check.failuresSince})::int AS "recentFailures",
           shared.hubs
      FROM asking a CROSS JOIN shared
     ORDER BY a.n`;
  if (rows.length !== check.requests.length)
    throw new Error(`the claim check-in answered ${rows.length} of ${check.requests.length} claimers`);
  return rows.map(({ n: _n, ...answer }) => answer);
}
