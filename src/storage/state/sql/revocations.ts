import { sqlRows } from '../directSql.js';
import type { StateDb, StateTx } from '../openStateStore.js';

/** The channel every replica listens on for revocations; a notification only says "read the log". */
export const revocationsChannel = 'dagkeeper_revocations';

/**
 * Held from the INSERT to the commit of every revocation, so ids commit in order and a reader that has
 * seen id n never misses a smaller one committing later (as the task event outbox does). Revocations
 * are rare: the serialization costs nothing.
 */
const revocationLock = 0x6461_6772; // "dagr"

export interface StoredRevocation {
  id: bigint;
  /** The revoked token; null when the whole identity was disabled. */
  tokenId: string | null;
  identityId: string;
}

/**
 * Records a revocation and wakes every replica's reader; Postgres delivers the notification at commit
 * and drops it on rollback. Call it as the transaction's last statement.
 */
export async function recordRevocation(tx: StateTx, revocation: Omit<StoredRevocation, 'id'>): Promise<void> {
  await sqlRows(tx)`SELECT pg_advisory_xact_lock(${revocationLock}::bigint)::text AS locked`;
  await sqlRows(tx)`
    WITH recorded AS (
      INSERT INTO "Revocation" ("tokenId", "identityId") VALUES (${revocation.tokenId}::uuid, ${revocation.identityId}::uuid) RETURNING id)
    SELECT (SELECT count(*) FROM recorded)::int AS recorded, pg_notify(${revocationsChannel}, '')::text AS notified`;
}

/** Revocations after `afterId`, in id order (commit order). */
export async function readRevocations(db: StateDb, afterId: bigint): Promise<StoredRevocation[]> {
  return sqlRows<StoredRevocation[]>(db)`
    SELECT id, "tokenId"::text AS "tokenId", "identityId"::text AS "identityId"
      FROM "Revocation" WHERE id > ${afterId} ORDER BY id`;
}

/** The newest revocation's id (0 when there is none): where a replica starting now begins to read. */
export async function latestRevocationId(db: StateDb): Promise<bigint> {
  const [row] = await sqlRows<Array<{ id: bigint | null }>>(db)`SELECT max(id) AS id FROM "Revocation"`;
  return row?.id === null || row?.id === undefined ? 0n : BigInt(row.id);
}
