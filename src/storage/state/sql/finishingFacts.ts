import type { ClaimWithTask } from '../../../domain/claims/ClaimRepository.js';
import type { FinishingFacts } from '../../../domain/results/DagResultRepository.js';
import { DirectTx, sqlRows } from '../directSql.js';
import type { SqlClient } from '../directSql.js';
import { sql } from '../sqlStatement.js';
import type { Sql } from '../sqlStatement.js';
import { claimByTokenHash } from './claimByToken.js';

interface FactsRow {
  objectKey: string;
  sha256: string;
  seed: bigint;
  units: FinishingFacts['dag']['units'];
  results: FinishingFacts['results'];
  files: FinishingFacts['files'];
}

/**
 * The claim its token's hash names, its task's row locked for the rest of the transaction (as
 * claimByTokenHash with `lockTask`), and then everything a ProtocolDAGResult is written from for that
 * claim's task (finishingFactsOf; null for an unknown claim). The second statement runs once the lock is
 * held, so it sees every unit result committed before; in a direct transaction it is sent behind the
 * first without waiting for it (the pool's connections pipeline), the two in one round trip. Each call
 * below sends its statement before it first waits: that keeps them in this order.
 */
export async function lockedClaimWithFinishingFacts(
  db: SqlClient,
  tokenHash: string,
): Promise<{ claim: ClaimWithTask | null; facts: FinishingFacts | null }> {
  const taskOfClaim = sql`(SELECT c."taskId" FROM "Claim" c WHERE c."tokenHash" = ${tokenHash})`;
  if (db instanceof DirectTx) {
    const [claim, facts] = await Promise.all([claimByTokenHash(db, tokenHash, true), finishingFactsOf(db, taskOfClaim)]);
    return { claim, facts };
  }
  const claim = await claimByTokenHash(db, tokenHash, true);
  return { claim, facts: await finishingFactsOf(db, taskOfClaim) };
}

/**
 * Everything a ProtocolDAGResult is written from, in one statement: the DAG and its units (without
 * their inputs), the task's seed, its unit results (by attempt, then by when they ended) and its
 * ResultFiles (by unit and path), for the task `taskId` (a uuid expression) names. Null without a DAG.
 */
async function finishingFactsOf(db: SqlClient, taskId: Sql): Promise<FinishingFacts | null> {
  const [row] = await sqlRows<FactsRow[]>(db)`
    SELECT d."objectKey", d.sha256, t.seed,
           coalesce((SELECT json_agg(json_build_object('key', u.key, 'name', u.name, 'dependencies', u.dependencies) ORDER BY u.key)
                       FROM "ProtocolUnit" u WHERE u."dagId" = d.id), '[]'::json) AS units,
           coalesce((SELECT json_agg(json_build_object('id', r.id, 'unitKey', r."unitKey", 'attempt', r.attempt, 'ok', r.ok,
                                                       'objectKey', r."objectKey", 'document', r.document, 'sha256', r.sha256,
                                                       'claimId', r."claimId")
                                     ORDER BY r.attempt, r."endedAt", r.id)
                       FROM "UnitResult" r WHERE r."taskId" = d."taskId"), '[]'::json) AS results,
           coalesce((SELECT json_agg(json_build_object('unitKey', f."unitKey", 'path', f.path, 'size', f.size, 'sha256', f.sha256,
                                                       'objectKey', f."objectKey", 'claimId', f."claimId")
                                     ORDER BY f."unitKey", f.path)
                       FROM "ResultFile" f WHERE f."taskId" = d."taskId"), '[]'::json) AS files
      FROM "ProtocolDag" d JOIN "Task" t ON t.id = d."taskId"
     WHERE d."taskId" = ${taskId}`;
  if (row === undefined) return null;
  return {
    dag: { objectKey: row.objectKey, sha256: row.sha256, units: row.units },
    seed: Number(row.seed),
    results: row.results,
    files: row.files.map((file) => ({ ...file, size: Number(file.size) })),
  };
}
