import { sqlRows } from '../directSql.js';
import type { StateDb, StateTx } from '../openStateStore.js';

/**
 * Moves `unitKey` to the end of the claim's started units (adding it if new), only while the claim is
 * open: one statement, so a release that commits first leaves nothing to record, and the list holds
 * each unit of the DAG at most once however often a worker says it started one.
 */
export async function markUnitStarted(db: StateDb | StateTx, claimId: string, unitKey: string): Promise<boolean> {
  const rows = await sqlRows<unknown[]>(db)`
    UPDATE "Claim" SET "startedUnits" = array_append(array_remove(coalesce("startedUnits", '{}'), ${unitKey}::text), ${unitKey}::text)
     WHERE id = ${claimId}::uuid AND "releasedAt" IS NULL
    RETURNING 1`;
  return rows.length > 0;
}
