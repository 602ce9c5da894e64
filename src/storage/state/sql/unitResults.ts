import type { GuardedUnitResultWrite, NewUnitResult, UnitSubmissionFacts } from '../../../domain/results/UnitResultRepository.js';
import type { UnitResultRecord } from '../../../domain/results/UnitResultService.js';
import { sqlRows } from '../directSql.js';
import type { SqlClient } from '../directSql.js';
import { empty, raw, sql } from '../sqlStatement.js';
import { uuidv7 } from '../uuidv7.js';
import type { ClaimWithTask } from '../../../domain/claims/ClaimRepository.js';
import { claimByTokenSelect, toClaimWithTask } from './claimByToken.js';
import type { ClaimRow } from './claimByToken.js';
import { arrayRowsBound, uuidsIn } from './arrayRowsBound.js';
import { appendEventsCte, notifyListeners } from './taskEvents.js';
import type { Sql } from '../sqlStatement.js';

/** Unit results' hot statements: what a submission checks and writes, one statement each. */

const columns = raw(`id::text AS id, "taskId"::text AS "taskId", "unitKey", attempt, ok, "objectKey", document, sha256, size, "logKey",
       log, exception, traceback, "startedAt", "endedAt", "createdAt", "claimId"::text AS "claimId"`);

type Row = Omit<UnitResultRecord, 'size'> & { size: bigint };

function toRecord(row: Row): UnitResultRecord {
  return { ...row, size: Number(row.size) };
}

export async function insertUnitResult(db: SqlClient, result: NewUnitResult): Promise<UnitResultRecord> {
  const [row] = await sqlRows<Row[]>(db)`
    INSERT INTO "UnitResult" (id, "taskId", "unitKey", attempt, ok, "objectKey", document, sha256, size, "logKey", log, exception, traceback,
                              "startedAt", "endedAt", "claimId", "createdAt")
    VALUES (${uuidv7()}::uuid, ${result.taskId}::uuid, ${result.unitKey}, ${result.attempt}::int, ${result.ok}, ${result.objectKey}, ${result.document},
            ${result.sha256}, ${result.size}::bigint, ${result.logKey}, ${result.log}, ${result.exception}, ${result.traceback},
            ${result.startedAt}::timestamp(3), ${result.endedAt}::timestamp(3), ${result.claimId}::uuid, ${new Date()}::timestamp(3))
    RETURNING ${columns}`;
  return toRecord(row!);
}

/**
 * Records each result only if its claim is still its task's current claim at that fence, with its
 * events, all in one statement: the tasks' rows locked (those another transaction holds are skipped:
 * their results are not recorded here, and the caller's locked path waits for them instead), each
 * claim judged again on its task's row as locked (PostgreSQL re-reads a row changed since the
 * statement began), each row inserted unless its unit has a result in that attempt already, the
 * events appended under the outbox's lock (taskEvents.ts). Of two writes of one unit in one attempt the
 * first given is recorded. Answers in the order given: the result as
 * recorded, or null when nothing was (the claim moved on, the attempt has the unit's result, or the
 * task was held; UnitResultService says which).
 */
export async function insertUnitResultsIfClaimsCurrent(
  db: SqlClient,
  writes: readonly GuardedUnitResultWrite[],
): Promise<Array<UnitResultRecord | null>> {
  const createdAt = new Date();
  const created = writes.map(({ result }): UnitResultRecord => ({ ...result, id: uuidv7(), createdAt }));
  const events = writes.flatMap((write, i) => write.eventsFor(created[i]!).map((event) => ({ event, resultId: created[i]!.id })));
  const source = sql`
    SELECT u.kind, u.task_id, u.payload, u.n
      FROM unnest(${events.map((e) => e.event.kind)}::text[], ${events.map((e) => e.event.taskId)}::uuid[],
                  ${events.map((e) => JSON.stringify(e.event.payload))}::jsonb[], ${events.map((e) => e.resultId)}::uuid[])
           WITH ORDINALITY AS u(kind, task_id, payload, result_id, n)
     WHERE u.result_id IN (SELECT id FROM inserted)
     LIMIT ${arrayRowsBound(events.length)}`;
  const column = <T>(pick: (row: UnitResultRecord, i: number) => T) => created.map(pick);
  const [row] = await sqlRows<Array<{ inserted: string[] }>>(db)`
    WITH input AS (
      SELECT * FROM unnest(${column((r) => r.id)}::uuid[], ${column((r) => r.taskId)}::uuid[], ${column((r) => r.unitKey)}::text[],
                           ${column((r) => r.attempt)}::int[], ${column((r) => r.ok)}::boolean[], ${column((r) => r.objectKey)}::text[],
                           ${column((r) => r.document)}::text[], ${column((r) => r.sha256)}::text[], ${column((r) => String(r.size))}::bigint[],
                           ${column((r) => r.logKey)}::text[], ${column((r) => r.log)}::text[], ${column((r) => r.exception)}::text[],
                           ${column((r) => r.traceback)}::text[], ${column((r) => r.startedAt.toISOString())}::timestamp(3)[],
                           ${column((r) => r.endedAt.toISOString())}::timestamp(3)[], ${column((r) => r.claimId)}::uuid[],
                           ${column((_, i) => String(writes[i]!.fence))}::bigint[]) WITH ORDINALITY
             AS i(id, task_id, unit_key, attempt, ok, object_key, document, sha256, size, log_key, log, exception, traceback,
                  started_at, ended_at, claim_id, fence, n)
       LIMIT ${arrayRowsBound(created.length)}),
    locked AS MATERIALIZED (
      SELECT t.id, t."currentClaimId", t.fence, t.status FROM "Task" t
       WHERE t.id IN (SELECT task_id FROM input)
       ORDER BY t.id
         FOR UPDATE SKIP LOCKED),
    inserted AS (
      INSERT INTO "UnitResult" (id, "taskId", "unitKey", attempt, ok, "objectKey", document, sha256, size, "logKey", log, exception,
                                traceback, "startedAt", "endedAt", "claimId", "createdAt")
      SELECT i.id, i.task_id, i.unit_key, i.attempt, i.ok, i.object_key, i.document, i.sha256, i.size, i.log_key, i.log, i.exception,
             i.traceback, i.started_at, i.ended_at, i.claim_id, ${createdAt}::timestamp(3)
        FROM input i
        JOIN locked t ON t.id = i.task_id AND t."currentClaimId" = i.claim_id AND t.fence = i.fence AND t.status = 'RUNNING'
       ORDER BY i.n
      ON CONFLICT ("taskId", "unitKey", attempt) DO NOTHING
      RETURNING id),
    ${appendEventsCte(source)}
    SELECT coalesce((SELECT array_agg(id::text) FROM inserted), '{}') AS inserted, (SELECT count(*) FROM appended)::int AS appended
      FROM ${notifyListeners}`;
  const recorded = new Set(row!.inserted);
  return created.map((result) => (recorded.has(result.id) ? result : null));
}

/** The tasks' results (only ok or only failed ones, with `ok`), by attempt, then by when they ended. */
export async function unitResultsOfTasks(db: SqlClient, taskIds: readonly string[], ok?: boolean): Promise<UnitResultRecord[]> {
  const rows = await sqlRows<Row[]>(db)`
    SELECT ${columns} FROM "UnitResult"
     WHERE "taskId" IN ${uuidsIn(taskIds)} ${ok === undefined ? empty : sql`AND ok = ${ok}`}
     ORDER BY attempt, "endedAt", id`;
  return rows.map(toRecord);
}

export async function okAttemptOfUnit(db: SqlClient, taskId: string, unitKey: string): Promise<number | null> {
  const [row] = await sqlRows<Array<{ attempt: number }>>(db)`
    SELECT attempt FROM "UnitResult" WHERE "taskId" = ${taskId}::uuid AND "unitKey" = ${unitKey} AND ok LIMIT 1`;
  return row?.attempt ?? null;
}

/** The keys of the task's units with an ok result, each once; with `among`, only of those units. */
export async function okUnitKeys(db: SqlClient, taskId: string, among?: readonly string[]): Promise<string[]> {
  const rows = await sqlRows<Array<{ unitKey: string }>>(db)`
    SELECT DISTINCT "unitKey" FROM "UnitResult"
     WHERE "taskId" = ${taskId}::uuid AND ok ${among === undefined ? empty : sql`AND "unitKey" = ANY(${[...among]}::text[])`}`;
  return rows.map((row) => row.unitKey);
}

export async function failedInAttempt(
  db: SqlClient,
  taskId: string,
  attempt: number,
): Promise<Array<{ id: string; exception: string | null; traceback: string | null }>> {
  return sqlRows<Array<{ id: string; exception: string | null; traceback: string | null }>>(db)`
    SELECT id::text AS id, exception, traceback FROM "UnitResult" WHERE "taskId" = ${taskId}::uuid AND attempt = ${attempt}::int AND NOT ok`;
}

type FactsRow = {
  hasDag: boolean;
  unitKey: string | null;
  unitName: string | null;
  dependencies: string[] | null;
  okAttempt: number | null;
  okDependencies: string[] | null;
  dependedOn: boolean | null;
  otherTerminals: number | null;
} & { [K in keyof Row as `e_${K}`]: Row[K] | null };

/**
 * Everything a unit result submission checks, in one statement (so one round trip while the claim's
 * task is locked): the unit, the DAG, the unit's result in this attempt, its ok attempt and its
 * dependencies' ok results.
 */
export async function unitSubmissionFacts(db: SqlClient, taskId: string, unitKey: string, attempt: number): Promise<UnitSubmissionFacts> {
  const [row] = await sqlRows<FactsRow[]>(
    db,
  )`${submissionFactsSelect(sql`${taskId}::uuid`, sql`${unitKey}::text`, sql`${attempt}::int`, null)}`;
  return toFacts(row!);
}

/**
 * For each (token hash, unit key) asked, in the order asked: the claim the token names and, when there
 * is one, the submission facts at its task and fence (with the DAG's shape around the unit when asked),
 * all read in one statement without locking anything (UnitResultRepository.claimsAndSubmissionFacts).
 */
export async function claimsAndSubmissionFacts(
  db: SqlClient,
  asked: ReadonlyArray<{ tokenHash: string; unitKey: string; withShape?: boolean }>,
): Promise<Array<{ claim: ClaimWithTask | null; facts: UnitSubmissionFacts | null }>> {
  // Only a batch that asks a shape carries its subquery: PostgreSQL sets up every subquery a statement
  // has on every call, asked or not.
  const withShape = asked.some((q) => q.withShape === true) ? raw('a.with_shape') : null;
  const rows = await sqlRows<Array<{ n: bigint } & ClaimRow & FactsRow>>(db)`
    SELECT a.n, claim.*, facts.*
      FROM (SELECT * FROM unnest(${asked.map((q) => q.tokenHash)}::text[], ${asked.map((q) => q.unitKey)}::text[],
                                 ${asked.map((q) => q.withShape === true)}::boolean[]) WITH ORDINALITY AS a(token_hash, unit_key, with_shape, n)
             LIMIT ${arrayRowsBound(asked.length)}) AS a
      LEFT JOIN LATERAL (${claimByTokenSelect(raw('a.token_hash'))}) AS claim ON true
      LEFT JOIN LATERAL (${submissionFactsSelect(raw('claim."taskId"::uuid'), raw('a.unit_key'), raw('claim.fence::int'), withShape)}) AS facts
        ON claim.id IS NOT NULL
     ORDER BY a.n`;
  return rows.map((row) => (row.id === null ? { claim: null, facts: null } : { claim: toClaimWithTask(row), facts: toFacts(row) }));
}

/**
 * The facts of submitting unit `unitKey` (a text expression) of task `taskId` in `attempt` (uuid and int
 * expressions); where `withShape` (a boolean expression, or null for none) holds, also whether another
 * unit depends on the unit and how many other units none depends on (the DAG's terminal units), from one
 * pass over its units.
 */
function submissionFactsSelect(taskId: Sql, unitKey: Sql, attempt: Sql, withShape: Sql | null): Sql {
  return sql`
    WITH unit AS (
      SELECT u.key, u.name, u.dependencies
        FROM "ProtocolDag" d JOIN "ProtocolUnit" u ON u."dagId" = d.id
       WHERE d."taskId" = ${taskId} AND u.key = ${unitKey})
    SELECT EXISTS (SELECT 1 FROM "ProtocolDag" WHERE "taskId" = ${taskId}) AS "hasDag",
           unit.key AS "unitKey", unit.name AS "unitName", unit.dependencies,
           (SELECT r.attempt FROM "UnitResult" r WHERE r."taskId" = ${taskId} AND r."unitKey" = ${unitKey} AND r.ok LIMIT 1) AS "okAttempt",
           (SELECT array_agg(DISTINCT r."unitKey") FROM "UnitResult" r
             WHERE r."taskId" = ${taskId} AND r.ok AND r."unitKey" = ANY(unit.dependencies)) AS "okDependencies",
           e.id::text AS e_id, e."taskId"::text AS "e_taskId", e."unitKey" AS "e_unitKey", e.attempt AS e_attempt, e.ok AS e_ok,
           e."objectKey" AS "e_objectKey", e.document AS e_document, e.sha256 AS e_sha256, e.size AS e_size, e."logKey" AS "e_logKey",
           e.log AS e_log, e.exception AS e_exception,
           e.traceback AS e_traceback, e."startedAt" AS "e_startedAt", e."endedAt" AS "e_endedAt", e."createdAt" AS "e_createdAt",
           e."claimId"::text AS "e_claimId", ${withShape === null ? raw('NULL::boolean AS "dependedOn", NULL::int AS "otherTerminals"') : raw('shape."dependedOn", shape."otherTerminals"')}
      FROM (SELECT 1) AS one
      LEFT JOIN unit ON true
      LEFT JOIN "UnitResult" e ON e."taskId" = ${taskId} AND e."unitKey" = ${unitKey} AND e.attempt = ${attempt}
      ${withShape === null ? empty : shapeJoin(taskId, unitKey, withShape)}`;
}

/** The DAG's shape around the unit, as the LEFT JOIN LATERAL `shape`, where `withShape` holds. */
function shapeJoin(taskId: Sql, unitKey: Sql, withShape: Sql): Sql {
  return sql`
      LEFT JOIN LATERAL (
        WITH units AS (
          SELECT u.key, u.dependencies FROM "ProtocolDag" d JOIN "ProtocolUnit" u ON u."dagId" = d.id WHERE d."taskId" = ${taskId}),
        depended AS (SELECT DISTINCT unnest(dependencies) AS key FROM units)
        SELECT EXISTS (SELECT 1 FROM depended WHERE key = ${unitKey}) AS "dependedOn",
               (SELECT count(*)::int FROM units WHERE key <> ${unitKey} AND key NOT IN (SELECT key FROM depended)) AS "otherTerminals"
         WHERE ${withShape}) AS shape ON true`;
}

function toFacts(facts: FactsRow): UnitSubmissionFacts {
  return {
    hasDag: facts.hasDag,
    unit: facts.unitKey === null ? null : { key: facts.unitKey, name: facts.unitName!, dependencies: facts.dependencies ?? [] },
    inAttempt:
      facts.e_id === null
        ? null
        : toRecord({
            id: facts.e_id,
            taskId: facts.e_taskId!,
            unitKey: facts.e_unitKey!,
            attempt: facts.e_attempt!,
            ok: facts.e_ok!,
            objectKey: facts.e_objectKey,
            document: facts.e_document,
            sha256: facts.e_sha256!,
            size: facts.e_size!,
            logKey: facts.e_logKey,
            log: facts.e_log,
            exception: facts.e_exception,
            traceback: facts.e_traceback,
            startedAt: facts.e_startedAt!,
            endedAt: facts.e_endedAt!,
            createdAt: facts.e_createdAt!,
            claimId: facts.e_claimId!,
          }),
    okAttempt: facts.okAttempt,
    okDependencies: facts.okDependencies ?? [],
    ...(facts.dependedOn === null ? {} : { shape: { dependedOn: facts.dependedOn, otherTerminals: facts.otherTerminals! } }),
  };
}
