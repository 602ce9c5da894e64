import { sqlRows } from './directSql.js';
import type { StateDb } from './openStateStore.js';

/**
 * Every claim and requeue updates a task row, and the old version stays in the claim-order index
 * until a vacuum; the claims after it walk over it. With autovacuum off and nothing else vacuuming,
 * a busy queue's claims slow down as they accumulate (measured: a third slower after 180,000), so an
 * operator should hear about it when the server starts, not find it in a graph weeks later.
 */
export async function autovacuumWarning(db: StateDb): Promise<string | null> {
  const [row] = await sqlRows<Array<{ setting: string }>>(db)`SELECT current_setting('autovacuum') AS setting`;
  return warningFor(row?.setting);
}

/** The warning for a server whose `autovacuum` setting reads `setting`, or null when it is on. */
export function warningFor(setting: string | undefined): string | null {
  if (setting === undefined || setting === 'on') return null;
  return (
    "PostgreSQL's autovacuum is off: claims slow down as claimed tasks' old row versions pile up; " +
    'turn it on, or run VACUUM (ANALYZE) "Task", "TaskAction", "Claim", "TaskEvent" regularly'
  );
}
