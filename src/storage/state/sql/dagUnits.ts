import type { DagRecord, ProtocolUnitRecord } from '../../../domain/dag/DagService.js';
import { sqlRows } from '../directSql.js';
import type { SqlClient } from '../directSql.js';

/** One unit of the task's DAG (without its inputs), or null when the DAG has none of that key or there is no DAG. */
export async function dagUnit(db: SqlClient, taskId: string, unitKey: string): Promise<Omit<ProtocolUnitRecord, 'inputs'> | null> {
  const [row] = await sqlRows<Array<Omit<ProtocolUnitRecord, 'inputs'>>>(db)`
    SELECT u.key, u.name, u.dependencies
      FROM "ProtocolDag" d JOIN "ProtocolUnit" u ON u."dagId" = d.id
     WHERE d."taskId" = ${taskId}::uuid AND u.key = ${unitKey}`;
  return row ?? null;
}

export async function hasDag(db: SqlClient, taskId: string): Promise<boolean> {
  const [row] = await sqlRows<Array<{ has: boolean }>>(
    db,
  )`SELECT EXISTS (SELECT 1 FROM "ProtocolDag" WHERE "taskId" = ${taskId}::uuid) AS has`;
  return row?.has === true;
}

/** The task's DAG with its units (by key), in one statement. */
export async function dagOfTask(db: SqlClient, taskId: string): Promise<DagRecord | null> {
  const [row] = await sqlRows<Array<Omit<DagRecord, 'size'> & { size: bigint }>>(db)`
    SELECT d.id::text AS id, d."taskId"::text AS "taskId", d."objectKey", d.sha256, d.size, d."createdAt",
           coalesce((SELECT json_agg(json_build_object('key', u.key, 'name', u.name, 'dependencies', u.dependencies, 'inputs', u.inputs)
                                     ORDER BY u.key)
                       FROM "ProtocolUnit" u WHERE u."dagId" = d.id), '[]'::json) AS units
      FROM "ProtocolDag" d
     WHERE d."taskId" = ${taskId}::uuid`;
  return row === undefined ? null : { ...row, size: Number(row.size) };
}
