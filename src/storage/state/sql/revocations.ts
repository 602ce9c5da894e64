import type { LoggedRevocation, Revoked } from '../../../domain/identities/RevocationFeed.js';
import { sqlRows } from '../directSql.js';
import type { StateTx } from '../openStateStore.js';
import type { StateClient } from '../repositories/stateClient.js';

/** The channel every replica listens on for revocations; a notification only says "read the log". */
export const revocationsChannel = 'dagkeeper_revocations';

/**
 * Held from the INSERT to the commit of every revocation, so ids commit in order and a reader that has
 * seen id n never misses a smaller one committing later (as the task event outbox does). Revocations
 * are rare: the serialization costs nothing.
 */
const revocationLock = 0x6461_6772; // "dagr"

/**
 * Records a revocation and wakes every replica's reader; Postgres delivers the notification at commit
 * and drops it on rollback. Call it as the transaction's last statement.
 */
export async function recordRevocation(tx: StateTx, revocation: Revoked): Promise<void> {
  await sqlRows(tx)`SELECT pg_advisory_xact_lock(${revocationLock}::bigint)::text AS locked`;
  await sqlRows(tx)`
    WITH recorded AS (
      INSERT INTO "Revocation" ("tokenId", "identityId") VALUES (${revocation.tokenId}::uuid, ${revocation.identityId}::uuid) RETURNING id)
    SELECT (SELECT count(*) FROM recorded)::int AS recorded, pg_notify(${revocationsChannel}, '')::text AS notified`;
}

/** Revocations after `afterId`, in id order (commit order). */
export async function readRevocations(db: StateClient, afterId: bigint): Promise<LoggedRevocation[]> {
  return sqlRows<LoggedRevocation[]>(db)`
    SELECT id, "tokenId"::text AS "tokenId", "identityId"::text AS "identityId"
      FROM "Revocation" WHERE id > ${afterId} ORDER BY id`;
}

/** The newest revocation's id (0 when there is none): where a replica starting now begins to read. */
export async function latestRevocationId(db: StateClient): Promise<bigint> {
  const [row] = await sqlRows<Array<{ id: bigint | null }>>(db)`SELECT max(id) AS id FROM "Revocation"`;
  return row?.id === null || row?.id === undefined ? 0n : BigInt(row.id);
}
