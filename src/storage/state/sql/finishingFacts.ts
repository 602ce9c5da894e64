import type { FinishingFacts } from '../../../domain/results/DagResultRepository.js';
import { sqlRows } from '../directSql.js';
import type { SqlClient } from '../directSql.js';

interface FactsRow {
  objectKey: string;
  sha256: string;
  seed: bigint;
  units: FinishingFacts['dag']['units'];
  results: FinishingFacts['results'];
  files: FinishingFacts['files'];
}

/**
 * Everything a ProtocolDAGResult is written from, in one statement (one round trip while the finishing
 * task's row is locked): the DAG and its units (without their inputs), the task's seed, its unit results
 * (by attempt, then by when they ended) and its ResultFiles (by unit and path). Null without a DAG.
 */
export async function finishingFacts(db: SqlClient, taskId: string): Promise<FinishingFacts | null> {
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
     WHERE d."taskId" = ${taskId}::uuid`;
  if (row === undefined) return null;
  return {
    dag: { objectKey: row.objectKey, sha256: row.sha256, units: row.units },
    seed: Number(row.seed),
    results: row.results,
    files: row.files.map((file) => ({ ...file, size: Number(file.size) })),
  };
}
