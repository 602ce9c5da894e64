import { sqlRows } from '../directSql.js';
import type { StateDb, StateTx } from '../openStateStore.js';

/**
 * Of `protocols`, those no live compute service offers: none that is neither expired nor deregistered,
 * heard from since `liveSince`, and that said it runs the protocol or did not say what it runs (an
 * empty list). Read only when someone asks (a task's `waitingForProtocol`), never on the claim path.
 */
export async function unservedProtocols(db: StateDb | StateTx, protocols: readonly string[], liveSince: Date): Promise<string[]> {
  if (protocols.length === 0) return [];
  const rows = await sqlRows<Array<{ protocol: string }>>(db)`
    SELECT p.protocol FROM unnest(${[...protocols]}::text[]) AS p(protocol)
     WHERE NOT EXISTS (
       SELECT 1 FROM "ComputeService" cs
        WHERE cs."expiredAt" IS NULL AND cs."deregisteredAt" IS NULL AND cs."lastHeartbeatAt" >= ${liveSince}
          AND (coalesce(cardinality(cs.protocols), 0) = 0 OR p.protocol = ANY(cs.protocols)))`;
  return rows.map((row) => row.protocol);
}
