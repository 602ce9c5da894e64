import type { NewUnitResult, UnitSubmissionFacts } from '../../../domain/results/UnitResultRepository.js';
import type { UnitResultRecord } from '../../../domain/results/UnitResultService.js';
import { sqlRows } from '../directSql.js';
import type { SqlClient } from '../directSql.js';
import { empty, raw, sql } from '../sqlStatement.js';
import { uuidv7 } from '../uuidv7.js';
import type { ClaimWithTask } from '../../../domain/claims/ClaimRepository.js';
import type { NewTaskEvent } from '../../../domain/events/TaskEventOutbox.js';
import { claimByTokenSelect, toClaimWithTask } from './claimByToken.js';
import type { ClaimRow } from './claimByToken.js';
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
 * Records the result only if its claim is still its task's current claim at that fence, with its events
 * (`eventsFor` the result as recorded), in one statement: the task's row locked as the claim is judged
 * again (PostgreSQL re-reads a row it waited for), the row inserted unless the unit has one in that
 * attempt already, the events appended under the outbox's lock (taskEvents.ts). Null when nothing was
 * recorded: the claim moved on, or the attempt has the unit's result (UnitResultService says which).
 */
export async function insertUnitResultIfClaimCurrent(
  db: SqlClient,
  result: NewUnitResult,
  fence: bigint,
  eventsFor: (created: UnitResultRecord) => NewTaskEvent[],
): Promise<UnitResultRecord | null> {
  const created: UnitResultRecord = { ...result, id: uuidv7(), createdAt: new Date() };
  const events = eventsFor(created);
  const source = sql`
    SELECT * FROM unnest(${events.map((e) => e.kind)}::text[], ${events.map((e) => e.taskId)}::uuid[],
                         ${events.map((e) => JSON.stringify(e.payload))}::jsonb[]) WITH ORDINALITY AS u(kind, task_id, payload, n)
     WHERE EXISTS (SELECT 1 FROM inserted)`;
  const [row] = await sqlRows<Array<{ inserted: number }>>(db)`
    WITH current_claim AS MATERIALIZED (
      SELECT t.id FROM "Task" t
       WHERE t.id = ${result.taskId}::uuid AND t."currentClaimId" = ${result.claimId}::uuid AND t.fence = ${fence}::bigint
         AND t.status = 'RUNNING'
         FOR UPDATE),
    inserted AS (
      INSERT INTO "UnitResult" (id, "taskId", "unitKey", attempt, ok, "objectKey", document, sha256, size, "logKey", log, exception,
                                traceback, "startedAt", "endedAt", "claimId", "createdAt")
      SELECT ${created.id}::uuid, current_claim.id, ${result.unitKey}, ${result.attempt}::int, ${result.ok}, ${result.objectKey},
             ${result.document}, ${result.sha256}, ${result.size}::bigint, ${result.logKey}, ${result.log}, ${result.exception},
             ${result.traceback}, ${result.startedAt}::timestamp(3), ${result.endedAt}::timestamp(3), ${result.claimId}::uuid,
             ${created.createdAt}::timestamp(3)
        FROM current_claim
      ON CONFLICT ("taskId", "unitKey", attempt) DO NOTHING
      RETURNING id),
    ${appendEventsCte(source)}
    SELECT (SELECT count(*) FROM inserted)::int AS inserted, (SELECT count(*) FROM appended)::int AS appended FROM ${notifyListeners}`;
  return row!.inserted === 1 ? created : null;
}

/** The tasks' results (only ok or only failed ones, with `ok`), by attempt, then by when they ended. */
export async function unitResultsOfTasks(db: SqlClient, taskIds: readonly string[], ok?: boolean): Promise<UnitResultRecord[]> {
  const rows = await sqlRows<Row[]>(db)`
    SELECT ${columns} FROM "UnitResult"
     WHERE "taskId" = ANY(${[...taskIds]}::uuid[]) ${ok === undefined ? empty : sql`AND ok = ${ok}`}
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
} & { [K in keyof Row as `e_${K}`]: Row[K] | null };

/**
 * Everything a unit result submission checks, in one statement (so one round trip while the claim's
 * task is locked): the unit, the DAG, the unit's result in this attempt, its ok attempt and its
 * dependencies' ok results.
 */
export async function unitSubmissionFacts(db: SqlClient, taskId: string, unitKey: string, attempt: number): Promise<UnitSubmissionFacts> {
  const [row] = await sqlRows<FactsRow[]>(db)`${submissionFactsSelect(sql`${taskId}::uuid`, unitKey, sql`${attempt}::int`)}`;
  return toFacts(row!);
}

/**
 * The claim a token names and, when there is one, the submission facts at its task and fence, read in
 * one statement without locking anything (UnitResultRepository.claimAndSubmissionFacts).
 */
export async function claimAndSubmissionFacts(
  db: SqlClient,
  tokenHash: string,
  unitKey: string,
): Promise<{ claim: ClaimWithTask | null; facts: UnitSubmissionFacts | null }> {
  const [row] = await sqlRows<Array<ClaimRow & FactsRow>>(db)`
    WITH claim AS (${claimByTokenSelect(tokenHash)})
    SELECT claim.*, facts.* FROM claim
     CROSS JOIN LATERAL (${submissionFactsSelect(raw('claim."taskId"::uuid'), unitKey, raw('claim.fence::int'))}) AS facts`;
  if (row === undefined) return { claim: null, facts: null };
  return { claim: toClaimWithTask(row), facts: toFacts(row) };
}

function submissionFactsSelect(taskId: Sql, unitKey: string, attempt: Sql): Sql {
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
           e."claimId"::text AS "e_claimId"
      FROM (SELECT 1) AS one
      LEFT JOIN unit ON true
      LEFT JOIN "UnitResult" e ON e."taskId" = ${taskId} AND e."unitKey" = ${unitKey} AND e.attempt = ${attempt}`;
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
  };
}
