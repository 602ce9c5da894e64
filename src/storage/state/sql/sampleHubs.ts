import type { ClaimableHub, HubDrawPoint, HubQuestion } from '../../../domain/claims/ClaimRepository.js';
import { sqlRows } from '../directSql.js';
import type { StateTx } from '../openStateStore.js';
import { sql } from '../sqlStatement.js';
import type { Sql } from '../sqlStatement.js';
import { hubHasClaimableTask, inScopes } from './claimTasks.js';

/**
 * Hubs drawn at random in proportion to weight among the open hubs of the claimer's scopes that hold
 * a task it could take now, at a cost that does not grow with the number of hubs: rejection sampling
 * over the hubs' slots. Each point picks the hub in slot `1 + floor(slot × max slot)` and keeps it when
 * `accept × largest weight < its weight` and it is open, in scope and has work; so every hub kept is
 * one draw in proportion to weight among those that qualify, and the answer lists the kept draws in
 * order, a hub as often as it was drawn. Points that land on a gap in the slots, a closed or empty
 * hub, or another scope's keep nothing: an empty answer says only that this draw found no work (the
 * claim then lists every hub, claimableHubs). Each hub drawn is probed for work once, however often
 * (`open` is MATERIALIZED: inlined, the planner would probe once per point).
 *
 * The points come from the caller (the claim service's random source), so a test can replay a draw.
 */
export function sampledHubs(question: HubQuestion, points: readonly HubDrawPoint[]): Sql {
  return sql`
    WITH bound AS (SELECT coalesce(max(slot), 0) AS slots, coalesce(max(weight), 0) AS weight FROM "TaskHub"),
    draws AS (
      SELECT d.n, 1 + floor(d.at * bound.slots)::int AS slot, d.accept * bound.weight AS threshold
        FROM unnest(${points.map((p) => p.slot)}::float8[], ${points.map((p) => p.accept)}::float8[]) WITH ORDINALITY AS d(at, accept, n)
       CROSS JOIN bound),
    drawn AS (SELECT slot, min(threshold) AS threshold FROM draws GROUP BY slot),
    open AS MATERIALIZED (
      SELECT h.slot, h.id, h.weight, s.org, s.campaign, s.project
        FROM drawn d
        JOIN "TaskHub" h ON h.slot = d.slot
        JOIN "AlchemicalNetwork" n ON n.id = h."networkId"
        JOIN "Scope" s ON s.id = n."scopeId"
        ${hubHasClaimableTask(question.protocols)}
       WHERE d.threshold < h.weight AND h.weight > 0 AND n.state = 'ACTIVE' AND ${inScopes(question.scopes)})
    SELECT o.id::text AS "hubId", o.weight, o.org, o.campaign, o.project
      FROM draws d JOIN open o ON o.slot = d.slot
     WHERE d.threshold < o.weight
     ORDER BY d.n`;
}

export async function sampleClaimableHubs(tx: StateTx, question: HubQuestion, points: readonly HubDrawPoint[]): Promise<ClaimableHub[]> {
  return sqlRows<ClaimableHub[]>(tx)`${sampledHubs(question, points)}`;
}
