import { sqlRows } from '../directSql.js';
import type { SqlClient } from '../directSql.js';
import { sql } from '../sqlStatement.js';
import type { Sql } from '../sqlStatement.js';
import { uuidsIn } from './arrayRowsBound.js';

/**
 * Locks transformation rows until the transaction ends, in id order (no deadlock between two lockers
 * of overlapping sets). Transactions that change a transformation's estimate take it before reading
 * the repeats they combine, so the second of two concurrent finishes reads the first's result and its
 * EstimateChanged event (committed after the first's) carries the estimate that holds. NO KEY UPDATE:
 * creating tasks of the transformation (a foreign key's KEY SHARE lock) is not held up by it.
 */
export async function lockTransformations(tx: SqlClient, transformationIds: readonly string[]): Promise<void> {
  if (transformationIds.length === 0) return;
  await sqlRows<Array<{ id: string }>>(tx)`${transformationsLock(transformationIds)}`;
}

/** lockTransformations' SELECT, for a statement that takes the lock along with its writes (a finish: dagResults.ts). */
export function transformationsLock(transformationIds: readonly string[]): Sql {
  return sql`
    SELECT id::text AS id FROM "Transformation" WHERE id IN ${uuidsIn(transformationIds)}
     ORDER BY id
       FOR NO KEY UPDATE`;
}
