import type { TaskRow } from './tasksByIds.js';
import type { ClaimableCountRow, ClaimableHub, ClaimEligibility, ClaimOffer, HubQuestion } from '../../../domain/claims/ClaimRepository.js';
import type { ScopePattern } from '../../../domain/scope.js';
import { sqlRows } from '../directSql.js';
import type { StateTx } from '../openStateStore.js';
import { empty, raw, sql } from '../sqlStatement.js';
import type { Sql } from '../sqlStatement.js';
import { appendEventsCte, notifyListeners } from './taskEvents.js';

/**
 * Every open hub of the claimer's scopes that holds at least one task it could take now: what a claim
 * falls back on when a random draw of hubs (sampleHubs.ts) found none with work. Its cost grows with
 * the hubs of those scopes, so claims ask only then.
 */
export function claimableHubs({ protocols, scopes }: HubQuestion): Sql {
  return sql`
    SELECT h.id::text AS "hubId", h.weight, s.org, s.campaign, s.project
      FROM "TaskHub" h
      JOIN "AlchemicalNetwork" n ON n.id = h."networkId"
      JOIN "Scope" s ON s.id = n."scopeId"
      ${hubHasClaimableTask(protocols)}
     WHERE h.weight > 0 AND n.state = 'ACTIVE' AND ${inScopes(scopes)}`;
}

/**
 * Keeps hub `h` only if it holds a task a claimer could take now. The lateral `LIMIT 1` stops at the
 * first claimable task; as a plain EXISTS the planner may instead hash every waiting task, which makes
 * each claim cost in proportion to the queue. The callers repeat `h.weight > 0` and the network's
 * state, which claimableActions requires, so the planner skips closed hubs before it looks for tasks.
 */
export function hubHasClaimableTask(protocols: readonly string[] | null): Sql {
  return sql`
      CROSS JOIN LATERAL (
         SELECT 1 ${claimableActions(protocols)} AND a."hubId" = h.id
          ORDER BY ${claimOrder}
          LIMIT 1) claimable`;
}

/**
 * Scope `s` matches one of the patterns (a part may be `*`): scopeMatches (src/domain/scope.ts) in SQL,
 * so a claim looks only at hubs its claimer may claim from. The domain checks each hub it is given
 * again with mayClaimFrom, which stays the rule.
 */
export function inScopes(scopes: readonly ScopePattern[]): Sql {
  return sql`EXISTS (
         SELECT 1 FROM unnest(${scopes.map((p) => p.org)}::text[], ${scopes.map((p) => p.campaign)}::text[],
                              ${scopes.map((p) => p.project)}::text[]) AS p(org, campaign, project)
          WHERE p.org IN ('*', s.org) AND p.campaign IN ('*', s.campaign) AND p.project IN ('*', s.project))`;
}

/**
 * What "claimable" means, once: a task actioned on a hub of weight above zero whose network is ACTIVE
 * (aliases a, ah, an, t, tf, parent), WAITING, of one of the protocols (any, for null), not extending
 * an unfinished task. The claimer's scopes are the callers' to add. The claim, the hubs with work (drawn
 * or listed) and the claimable counts a compute manager watches all start from here, so they cannot
 * disagree; and the claim itself checks the hub, so a hub closed since a claimer's check-in is not
 * claimed from.
 *
 * `a."taskWaiting"` is the action's copy of the task's status (kept by triggers, see the TaskAction
 * model): it lets a hub's waiting tasks be read from TaskAction_claim_order_idx, in claimOrder. The
 * task's own status is still what decides; the copy only finds the rows.
 */
function claimableActions(protocols: readonly string[] | null): Sql {
  return sql`
      FROM "TaskAction" a
      JOIN "TaskHub" ah ON ah.id = a."hubId"
      JOIN "AlchemicalNetwork" an ON an.id = ah."networkId"
      JOIN "Task" t ON t.id = a."taskId"
      JOIN "Transformation" tf ON tf.id = t."transformationId"
      LEFT JOIN "Task" parent ON parent.id = t."extendsId"
     WHERE a."taskWaiting" AND t.status = 'WAITING'
       AND ah.weight > 0 AND an.state = 'ACTIVE'
       ${protocolFilter(protocols)}
       AND (t."extendsId" IS NULL OR parent.status = 'COMPLETE')`;
}

/**
 * Most urgent priority first, then oldest, then by id: the task's order, read from its action's copies
 * so that one hub's waiting tasks come straight from TaskAction_claim_order_idx.
 */
const claimOrder = sql`a."taskPriority", a."taskCreatedAt", a."taskId"`;

/**
 * Claimable tasks per protocol and hub scope: what a claimer could take now, before its scopes narrow
 * it (the domain applies them as claims do). A task actioned on several hubs of one scope counts once.
 */
export async function claimableTaskCounts(tx: StateTx, protocols: readonly string[] | null): Promise<ClaimableCountRow[]> {
  return sqlRows<ClaimableCountRow[]>(tx)`
    SELECT c.protocol, s.org, s.campaign, s.project, count(DISTINCT c.task_id)::int AS count
      FROM (SELECT tf.protocol, an."scopeId" AS scope_id, t.id AS task_id ${claimableActions(protocols)}) c
      JOIN "Scope" s ON s.id = c.scope_id
     GROUP BY c.protocol, s.org, s.campaign, s.project
     ORDER BY c.protocol, s.org, s.campaign, s.project`;
}

export async function hubsWithClaimableTasks(tx: StateTx, question: HubQuestion): Promise<ClaimableHub[]> {
  return sqlRows<ClaimableHub[]>(tx)`${claimableHubs(question)}`;
}

/**
 * Every claim runs a prepared statement, and PostgreSQL keeps planning it anew on each call unless
 * the plan it would reuse (made without the parameters' values) looks as cheap as a fresh one. The
 * statements are therefore written so that it does: no "parameter OR …" switches (one text with the
 * protocol filter, one without) and the limit as a literal (at most 100 texts).
 */
function protocolFilter(protocols: readonly string[] | null): Sql {
  return protocols === null ? empty : sql`AND tf.protocol = ANY(${protocols}::text[])`;
}

function literalLimit(limit: number): Sql {
  if (!(Number.isInteger(limit) && limit >= 1 && limit <= 100)) throw new RangeError(`a claim takes 1 to 100 tasks, not ${limit}`);
  return raw(String(limit));
}

/**
 * Up to `limit` claimable tasks of one hub: WAITING, of a protocol the claimer runs, not extending an
 * unfinished task; most urgent priority first, then oldest. `SKIP LOCKED` lets concurrent claimers
 * pass over rows another transaction is claiming, so no task is handed out twice and nobody waits.
 */
function claimableTasks(hubId: string, protocols: readonly string[] | null, limit: number): Sql {
  return sql`
    SELECT t.id, t.fence, t.priority, t."createdAt"
      ${claimableActions(protocols)}
       AND a."hubId" = ${hubId}::uuid
     ORDER BY ${claimOrder}
     LIMIT ${literalLimit(limit)}
       FOR UPDATE OF t SKIP LOCKED`;
}

/** The claim query on its own (for EXPLAIN and inspection): the rows stay locked until the caller's transaction ends. */
export async function lockClaimableTasks(
  tx: StateTx,
  hubId: string,
  protocols: readonly string[] | null,
  limit: number,
): Promise<Array<{ id: string; fence: bigint }>> {
  const rows = await sqlRows<Array<{ id: string; fence: bigint }>>(
    tx,
  )`SELECT id::text AS id, fence FROM (${claimableTasks(hubId, protocols, limit)}) AS claimable`;
  return rows;
}

/** A claim made, with the claimed task as it is now (so answering the claimer needs no second read). */
export type ClaimedRow = Omit<TaskRow, 'id' | 'status'> & { claimId: string; taskId: string; status: 'RUNNING' };

/**
 * Claims up to `offers.length` tasks of one hub in one statement, so one round trip: locks the next
 * claimable tasks, gives the n-th of them the n-th eligible offer (a new claim at the task's next
 * fence, for the offer's compute service), moves them WAITING → RUNNING under it, records each change
 * as a TaskStatusChanged event, and returns each claimed task as it now is. Offers may name different
 * services: concurrent claims share one statement (see Coalescer).
 *
 * An offer is eligible only if its service is, as the statement runs: not expired, deregistered or
 * silent, and not over its failure limit. The claimer's check-in said so moments earlier, but it may
 * be reused for a while (ClaimService), and an expiry may have run in between: here is where it holds.
 */
export async function claimFromHub(
  db: StateTx,
  claim: { hubId: string; protocols: readonly string[] | null; offers: readonly ClaimOffer[]; eligibility: ClaimEligibility },
): Promise<ClaimedRow[]> {
  const { silentBefore, failuresSince, failureLimit } = claim.eligibility;
  const events = sql`
    SELECT 'TaskStatusChanged'::text AS kind, c."taskId" AS task_id,
           jsonb_build_object('from', 'WAITING', 'to', 'RUNNING', 'reason', 'claimed by compute service ' || c."computeServiceId") AS payload,
           o.slot AS n
      FROM claims c JOIN offers o ON o.claim_id = c.id`;
  return sqlRows<ClaimedRow[]>(db)`
    WITH locked AS (${claimableTasks(claim.hubId, claim.protocols, claim.offers.length)}),
    picked AS (SELECT id, fence, row_number() OVER (ORDER BY priority, "createdAt", id) AS slot FROM locked),
    offered AS (
      SELECT * FROM unnest(${claim.offers.map((o) => o.claimId)}::uuid[], ${claim.offers.map((o) => o.tokenHash)}::text[],
                           ${claim.offers.map((o) => o.computeServiceId)}::uuid[])
             WITH ORDINALITY AS o(claim_id, token_hash, service_id, n)),
    eligible_services AS (
      SELECT cs.id FROM "ComputeService" cs
       WHERE cs.id IN (SELECT service_id FROM offered)
         AND cs."expiredAt" IS NULL AND cs."deregisteredAt" IS NULL AND cs."lastHeartbeatAt" >= ${silentBefore}
         AND (SELECT count(*) FROM "ProtocolDagResult" r
               WHERE r."computeServiceId" = cs.id AND NOT r.ok AND r."createdAt" > ${failuresSince}) <= ${failureLimit}::int),
    offers AS (
      SELECT o.claim_id, o.token_hash, o.service_id, row_number() OVER (ORDER BY o.n) AS slot
        FROM offered o WHERE o.service_id IN (SELECT id FROM eligible_services)),
    claims AS (
      INSERT INTO "Claim" (id, "taskId", "computeServiceId", fence, "tokenHash")
      SELECT o.claim_id, p.id, o.service_id, p.fence + 1, o.token_hash
        FROM picked p JOIN offers o ON o.slot = p.slot
      RETURNING id, "taskId", "computeServiceId", fence),
    running AS (
      UPDATE "Task" t SET status = 'RUNNING', fence = c.fence, "currentClaimId" = c.id, "updatedAt" = now()
        FROM claims c WHERE t.id = c."taskId"
      RETURNING t.id, t."scopeId", t."transformationId", t.priority, t."extendsId", t.seed, t."createdAt", t."updatedAt"),
    ${appendEventsCte(events)}
    SELECT c."taskId"::text AS "taskId", c.id::text AS "claimId", c.fence, 'RUNNING' AS status, r.priority,
           r."transformationId"::text AS "transformationId", tf.key AS "transformationKey", r."extendsId"::text AS "extendsId", r.seed,
           r."createdAt", r."updatedAt", s.org, s.campaign, s.project, (SELECT count(*) FROM appended)::int AS appended
      FROM claims c
      JOIN offers o ON o.claim_id = c.id
      JOIN running r ON r.id = c."taskId"
      JOIN "Scope" s ON s.id = r."scopeId"
      JOIN "Transformation" tf ON tf.id = r."transformationId",
           ${notifyListeners}
     ORDER BY o.slot`;
}
