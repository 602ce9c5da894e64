import type { ProtocolDagRow } from '../../../domain/dag/DagRepository.js';
import { sqlRows } from '../directSql.js';
import type { StateTx } from '../openStateStore.js';

/**
 * Records the ProtocolDAG of each task and indexes its units, for any number of tasks sharing one DAG,
 * in one statement: the units are read out of the DAG's canonical JSON text on the database side.
 * Through Prisma's nested `createMany` the same rows cost about a second of the server's CPU per
 * 10,000 units (its query compiler and interpreter run on the event loop, so no other request was
 * answered meanwhile), and a round trip per task. A unit without inputs gets JSON `null`, as Prisma's
 * `JsonNull` gave it.
 */
export async function insertProtocolDags(
  tx: StateTx,
  dags: readonly ProtocolDagRow[],
  shared: { canonicalDagJson: string; registeredBy: string | null },
): Promise<{ dags: number; units: number }> {
  const [counts] = await sqlRows<Array<{ dags: number; units: number }>>(tx)`
    WITH given AS (
      SELECT * FROM unnest(${dags.map((d) => d.id)}::uuid[], ${dags.map((d) => d.taskId)}::uuid[], ${dags.map((d) => d.objectKey)}::text[],
                           ${dags.map((d) => d.sha256)}::text[], ${dags.map((d) => String(d.size))}::bigint[])
             WITH ORDINALITY AS g(id, task_id, object_key, sha256, size, n)),
    dags AS (
      INSERT INTO "ProtocolDag" (id, "taskId", "objectKey", sha256, size, "registeredBy")
      SELECT id, task_id, object_key, sha256, size, ${shared.registeredBy}::uuid FROM given ORDER BY n
      RETURNING 1),
    units AS (
      INSERT INTO "ProtocolUnit" ("dagId", key, name, dependencies, inputs)
      SELECT g.id, u.unit->>'key', u.unit->>'name',
             ARRAY(SELECT d.key FROM jsonb_array_elements_text(u.unit->'dependencies') WITH ORDINALITY AS d(key, n) ORDER BY d.n),
             coalesce(u.unit->'inputs', 'null'::jsonb)
        FROM given g CROSS JOIN jsonb_array_elements(${shared.canonicalDagJson}::jsonb->'units') WITH ORDINALITY AS u(unit, n)
       ORDER BY g.n, u.n
      RETURNING 1)
    SELECT (SELECT count(*) FROM dags)::int AS dags, (SELECT count(*) FROM units)::int AS units`;
  return counts ?? { dags: 0, units: 0 };
}
