import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { UploadSweeper } from '../../../src/domain/results/UploadSweeper.js';
import { createStateAccess } from '../../../src/storage/state/repositories/createStateAccess.js';
import type { SweepReport } from '../../../src/domain/results/UploadSweeper.js';
import type { ObjectStore } from '../../../src/domain/objects/ObjectStore.js';
import type { StateDb } from '../../../src/storage/state/openStateStore.js';
import type { NamedWorker } from './campaign.js';

/** What the faults left for the sweeper: the scenarios check that theirs really left something. */
export interface Leftovers {
  uncommittedUploads: number;
  unreferencedObjects: string[];
  /** Entries of the local store's `.incoming` and `.multipart`. */
  staging: string[];
}

export interface ChaosOutcome {
  before: Leftovers;
  sweep: SweepReport;
}

export interface InvariantOptions {
  db: StateDb;
  objects: ObjectStore;
  taskIds: string[];
  /** The status each task must end in; COMPLETE when not named. */
  expectedStatus?: Record<string, 'COMPLETE' | 'ERROR'>;
  workers: NamedWorker[];
  /** The local store's root, whose staging directories must be empty after the sweep. */
  localRoot?: string;
  uploadUrlSeconds: number;
}

interface UnitEvent {
  worker: string;
  taskId: string;
  unitKey: string;
  time: number;
}

/**
 * The promises every chaos scenario ends on:
 * - every task ends COMPLETE or (as expected) ERROR, each unit of a COMPLETE task with exactly one ok
 *   result, recorded at the attempt of the claim that wrote it;
 * - no completed unit lost: every unit a worker shipped as ok has its ok result, written through that
 *   worker's compute service, by a worker that really started it;
 * - no completed unit re-run: no worker starts a unit after its ok result was recorded;
 * - no ref to a missing or partial object: every DAG, unit result, log, ResultFile and DAG result ref
 *   names an object of exactly the recorded size and SHA-256, before and after the sweep;
 * - no orphan: after a sweep at a time when every upload URL has expired and every grace period has
 *   passed, every object in the store is named by a row, no upload is left uncommitted, every ended
 *   claim is swept and the local staging directories are empty.
 */
export async function checkChaosInvariants(options: InvariantOptions): Promise<ChaosOutcome> {
  const { db, objects, taskIds } = options;
  const tasks = await db.task.findMany({
    where: { id: { in: taskIds } },
    include: { dag: { include: { units: true } }, unitResults: { include: { claim: { include: { computeService: true } } } } },
  });
  expect(Object.fromEntries(tasks.map((t) => [t.id, t.status]))).toEqual(
    Object.fromEntries(taskIds.map((id) => [id, options.expectedStatus?.[id] ?? 'COMPLETE'])),
  );

  const started = unitEvents(options.workers, taskIds, (line) => line.msg === 'unit started');
  const shipped = unitEvents(options.workers, taskIds, (line) => line.msg === 'unit result shipped' && line.ok === true);
  for (const task of tasks) {
    const okResults = task.unitResults.filter((r) => r.ok);
    for (const result of task.unitResults) expect([result.unitKey, result.attempt]).toEqual([result.unitKey, Number(result.claim.fence)]);
    for (const unit of task.dag?.units ?? []) {
      const ok = okResults.filter((r) => r.unitKey === unit.key);
      expect([unit.key, ok.length]).toEqual([unit.key, task.status === 'COMPLETE' ? 1 : Math.min(ok.length, 1)]);
      const result = ok[0];
      if (result === undefined) continue;
      const startedBy = started.filter((e) => e.taskId === task.id && e.unitKey === unit.key);
      // Written by a worker that ran the unit, and never started again once it was recorded.
      expect(startedBy.map((e) => e.worker)).toContain(result.claim.computeService.name);
      expect(startedBy.filter((e) => e.time > result.createdAt.getTime()).map((e) => `${e.worker} re-ran ${unit.key}`)).toEqual([]);
    }
    for (const event of shipped.filter((e) => e.taskId === task.id)) {
      const result = okResults.find((r) => r.unitKey === event.unitKey);
      expect([event.unitKey, result?.claim.computeService.name]).toEqual([event.unitKey, event.worker]);
    }
  }

  await expectEveryRefIntact(db, objects, taskIds);
  const before = await leftovers(options);
  const sweeper = new UploadSweeper(createStateAccess(db), objects, { graceSeconds: 60, uploadUrlSeconds: options.uploadUrlSeconds });
  const sweep = await sweeper.sweep(new Date(Date.now() + 30 * 86_400_000));
  expect(sweep.failures).toBe(0);
  await expectEveryRefIntact(db, objects, taskIds);
  const after = await leftovers(options);
  expect(after).toEqual({ uncommittedUploads: 0, unreferencedObjects: [], staging: [] });
  expect(await db.claim.count({ where: { releasedAt: { not: null }, orphansSweptAt: null } })).toBe(0);
  return { before, sweep };
}

function unitEvents(workers: NamedWorker[], taskIds: string[], match: (line: Record<string, unknown>) => boolean): UnitEvent[] {
  return workers.flatMap((worker) =>
    worker.process
      .logs()
      .filter((line) => match(line) && taskIds.includes(String(line.taskId)))
      .map((line) => ({ worker: worker.name, taskId: String(line.taskId), unitKey: String(line.unitKey), time: logTime(line) })),
  );
}

/** When a JSON log line was written, in ms since the epoch. */
export function logTime(line: Record<string, unknown>): number {
  const time = Date.parse(String(line.time));
  if (Number.isNaN(time)) throw new Error(`log line without a time: ${JSON.stringify(line)}`);
  return time;
}

async function expectEveryRefIntact(db: StateDb, objects: ObjectStore, taskIds: string[]): Promise<void> {
  const where = { taskId: { in: taskIds } };
  const refs: Array<{ key: string; size: number; sha256: string }> = [];
  // A document kept in its row (domain/results/placedText.ts) must be the bytes the row describes.
  const documents: Array<{ id: string; objectKey: string | null; document: string | null; size: bigint; sha256: string }> = [
    ...(await db.unitResult.findMany({ where })),
    ...(await db.protocolDagResult.findMany({ where })),
  ];
  for (const row of documents) {
    if (row.objectKey !== null) {
      refs.push({ key: row.objectKey, size: Number(row.size), sha256: row.sha256 });
      continue;
    }
    const bytes = Buffer.from(row.document ?? '');
    expect({ id: row.id, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') }).toEqual({
      id: row.id,
      size: Number(row.size),
      sha256: row.sha256,
    });
  }
  for (const row of await db.protocolDag.findMany({ where })) refs.push({ key: row.objectKey, size: Number(row.size), sha256: row.sha256 });
  for (const row of await db.resultFile.findMany({ where })) refs.push({ key: row.objectKey, size: Number(row.size), sha256: row.sha256 });
  for (const ref of refs) {
    const actual = await objects.digest(ref.key).catch((error: Error) => ({ key: ref.key, missing: error.message }));
    expect(actual).toEqual({ key: ref.key, size: ref.size, sha256: ref.sha256 });
  }
  for (const row of await db.unitResult.findMany({ where: { ...where, logKey: { not: null } } })) {
    expect([row.logKey, (await objects.stat(row.logKey!)) === null ? 'missing' : 'present']).toEqual([row.logKey, 'present']);
  }
}

async function leftovers(options: InvariantOptions): Promise<Leftovers> {
  const { db, objects } = options;
  const referenced = new Set<string>();
  for (const row of await db.protocolDag.findMany({ select: { objectKey: true } })) referenced.add(row.objectKey);
  for (const row of await db.unitResult.findMany({ select: { objectKey: true, logKey: true } })) {
    if (row.objectKey !== null) referenced.add(row.objectKey);
    if (row.logKey !== null) referenced.add(row.logKey);
  }
  for (const row of await db.resultFile.findMany({ select: { objectKey: true } })) referenced.add(row.objectKey);
  for (const row of await db.resultFileUpload.findMany({ where: { committedAt: { not: null } }, select: { objectKey: true } }))
    referenced.add(row.objectKey);
  for (const row of await db.protocolDagResult.findMany({ select: { objectKey: true } }))
    if (row.objectKey !== null) referenced.add(row.objectKey);
  const unreferencedObjects: string[] = [];
  for await (const object of objects.list('')) if (!referenced.has(object.key)) unreferencedObjects.push(object.key);
  const staging: string[] = [];
  if (options.localRoot !== undefined) {
    for (const directory of ['.incoming', '.multipart']) {
      for (const name of await readdir(join(options.localRoot, directory))) staging.push(`${directory}/${name}`);
    }
  }
  return { uncommittedUploads: await db.resultFileUpload.count({ where: { committedAt: null } }), unreferencedObjects, staging };
}
