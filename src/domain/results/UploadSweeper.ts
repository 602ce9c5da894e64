import type { Logger } from '../../observability/logger.js';
import { systemClock } from '../Clock.js';
import type { Clock } from '../Clock.js';
import { taskPrefix } from '../objects/objectKeys.js';
import type { ObjectStore } from '../objects/ObjectStore.js';
import { formatScope } from '../scope.js';
import type { Scope } from '../scope.js';
import type { StateAccess, StateRepositories } from '../state/StateAccess.js';
import type { UploadRecord } from './ResultFileRepository.js';

export interface UploadSweepSettings {
  /** How long after its URLs expired an uncommitted upload is swept, and after its end a claim's leftovers. */
  graceSeconds: number;
  /** Lifetime of upload URLs: a local staging entry untouched for this plus the grace is abandoned. */
  uploadUrlSeconds: number;
}

export interface SweepReport {
  /** Uncommitted uploads removed, each with its multipart upload and, unless something else uses it, its object. */
  uploads: number;
  /** Ended claims whose task's objects were checked against the rows that reference them. */
  claims: number;
  /** Keys of the objects deleted. */
  removedKeys: string[];
  /** Staged bodies and multipart uploads a killed process left behind (the local store's `.incoming` and `.multipart`). */
  staging: number;
  /** Uploads and claims that could not be swept this time (the object store did not answer, say); retried next sweep. */
  failures: number;
  /** Import uploads (network import) removed: their URLs expired and no import took them. */
  importUploads: number;
  /** Input uploads removed: their URLs expired (docs/inputs.md). */
  inputUploads: number;
}

/** Removes import uploads whose URLs expired before the cutoff (ImportService). */
export interface ImportUploadSweep {
  sweep(cutoff: Date): Promise<number>;
}

const batchSize = 100;
/** Object-store calls happen under the task's row lock: allow them time, but do not hold it forever. */
const transactionOptions = { timeoutMs: 60_000, maxWaitMs: 10_000 };

/**
 * Every object dagkeeper writes is referenced by a row, or will be, or is removed here. Two ways an
 * object can lose its row, and the rule for each:
 *
 * - A ResultFile upload that is never committed (the worker died, or gave up and uploaded again): its
 *   row stays uncommitted. Once its URLs expired and the grace period passed, the row goes, its
 *   multipart upload is aborted and its object deleted, unless a ResultFile or another upload row
 *   names the same key (uploads made before each got a key of its own may share one).
 * - A write whose transaction never committed (the server was killed, the database went away) after
 *   its object was stored: a unit result, its log, a DAG, a DAG result. These happen only through a
 *   claim, so once a claim has ended and the grace period passed, its task's objects that no row
 *   names are deleted, and the claim is marked swept.
 *
 * Deletions happen under the task's row lock: a new upload row (an insert referencing the task) and
 * every write through a claim wait for it, so nothing can start using a key between the check and
 * the delete. Safe to run on every replica at once. A store that stages bodies still being written
 * (the local directory) has its staging cleared of entries older than an upload can live.
 *
 * Time is the clock's: an upload's grace ends, and a claim's leftovers become removable, when the
 * clock says so (tests move it by hand); only the interval between sweeps is real time.
 */
export class UploadSweeper {
  private readonly log: Logger | undefined;
  private readonly clock: Clock;
  private readonly importUploads: ImportUploadSweep | undefined;
  private readonly inputUploads: ImportUploadSweep | undefined;

  constructor(
    private readonly state: StateAccess,
    private readonly objects: ObjectStore,
    private readonly settings: UploadSweepSettings,
    options: {
      log?: Logger | undefined;
      clock?: Clock | undefined;
      importUploads?: ImportUploadSweep | undefined;
      /** Input uploads (docs/inputs.md) sweep the same way as import uploads. */
      inputUploads?: ImportUploadSweep | undefined;
    } = {},
  ) {
    this.log = options.log;
    this.clock = options.clock ?? systemClock;
    this.importUploads = options.importUploads;
    this.inputUploads = options.inputUploads;
  }

  /** Sweeps as of `now`: the clock's time unless given. */
  async sweep(now = new Date(this.clock.now())): Promise<SweepReport> {
    const report: SweepReport = { uploads: 0, claims: 0, removedKeys: [], staging: 0, failures: 0, importUploads: 0, inputUploads: 0 };
    const cutoff = new Date(now.getTime() - this.settings.graceSeconds * 1000);
    await this.sweepUploads(cutoff, report);
    await this.sweepEndedClaims(cutoff, now, report);
    if (this.importUploads !== undefined) {
      report.importUploads = await this.importUploads.sweep(cutoff).catch((error: unknown) => {
        report.failures += 1;
        this.log?.warn({ err: error }, 'could not sweep import uploads; will retry');
        return 0;
      });
    }
    if (this.inputUploads !== undefined) {
      report.inputUploads = await this.inputUploads.sweep(cutoff).catch((error: unknown) => {
        report.failures += 1;
        this.log?.warn({ err: error }, 'could not sweep input uploads; will retry');
        return 0;
      });
    }
    if (this.objects.removeAbandonedStaging !== undefined) {
      const abandonedBefore = new Date(cutoff.getTime() - this.settings.uploadUrlSeconds * 1000);
      report.staging = await this.objects.removeAbandonedStaging(abandonedBefore);
    }
    if (report.uploads + report.removedKeys.length + report.staging + report.failures + report.importUploads + report.inputUploads > 0) {
      this.log?.info({ ...report, removedKeys: report.removedKeys.length }, 'swept uncommitted uploads and unreferenced objects');
    }
    return report;
  }

  /** Sweeps now and then every `everyMs`, one sweep at a time; `stop` waits for a sweep under way. */
  start(everyMs = sweepIntervalMs(this.settings.graceSeconds)): { stop(): Promise<void> } {
    let running: Promise<void> | undefined;
    const timer = setInterval(() => {
      running ??= this.sweep()
        .then(
          () => undefined,
          (error: unknown) => this.log?.error({ err: error }, 'sweeping uploads failed'),
        )
        .finally(() => {
          running = undefined;
        });
    }, everyMs);
    timer.unref();
    return {
      stop: async () => {
        clearInterval(timer);
        await running;
      },
    };
  }

  private async sweepUploads(cutoff: Date, report: SweepReport): Promise<void> {
    const failed: string[] = [];
    for (;;) {
      const uploads = await this.state.resultFiles.expiredUploads(cutoff, failed, batchSize);
      for (const upload of uploads) {
        try {
          const outcome = await this.removeUpload(upload, cutoff);
          if (outcome.removed) report.uploads += 1;
          report.removedKeys.push(...outcome.deletedKeys);
        } catch (error) {
          failed.push(upload.id);
          report.failures += 1;
          this.log?.warn({ err: error, uploadId: upload.id, taskId: upload.taskId }, 'could not sweep an uncommitted upload; will retry');
        }
      }
      if (uploads.length < batchSize) return;
    }
  }

  /**
   * Not removed when it was committed after all, or given fresh URLs meanwhile; its objects (the final
   * key, and the staging key of a single PUT) are kept while anything else names them.
   */
  private async removeUpload(upload: UploadRecord, cutoff: Date): Promise<{ removed: boolean; deletedKeys: string[] }> {
    return this.state.transaction(async (tx) => {
      await tx.tasks.lock([upload.taskId]);
      if (!(await tx.resultFiles.removeExpiredUpload(upload.id, cutoff))) return { removed: false, deletedKeys: [] };
      if (upload.uploadId !== null) await this.objects.abortMultipartUpload(upload.objectKey, upload.uploadId);
      const deletedKeys: string[] = [];
      for (const key of [upload.objectKey, upload.stagingKey]) {
        if (key === null || (await tx.resultFiles.keyInUse(upload.taskId, key))) continue;
        await this.objects.delete(key);
        deletedKeys.push(key);
      }
      return { removed: true, deletedKeys };
    }, transactionOptions);
  }

  private async sweepEndedClaims(cutoff: Date, now: Date, report: SweepReport): Promise<void> {
    const failed: string[] = [];
    for (;;) {
      const claims = await this.state.claims.endedUnswept(cutoff, failed, batchSize);
      const byTask = new Map<string, { scope: Scope; claimIds: string[] }>();
      for (const claim of claims) {
        const entry = byTask.get(claim.taskId) ?? { scope: claim.scope, claimIds: [] };
        entry.claimIds.push(claim.id);
        byTask.set(claim.taskId, entry);
      }
      for (const [taskId, { scope, claimIds }] of byTask) {
        try {
          report.removedKeys.push(...(await this.removeUnreferenced(taskId, scope, cutoff)));
          await this.state.claims.markSwept(claimIds, now);
          report.claims += claimIds.length;
        } catch (error) {
          failed.push(...claimIds);
          report.failures += claimIds.length;
          this.log?.warn({ err: error, taskId }, 'could not sweep the objects of ended claims; will retry');
        }
      }
      if (claims.length < batchSize) return;
    }
  }

  /** Deletes the task's objects, older than `cutoff`, that no row names. */
  private async removeUnreferenced(taskId: string, scope: Scope, cutoff: Date): Promise<string[]> {
    const candidates: string[] = [];
    for await (const object of this.objects.list(taskPrefix(formatScope(scope), taskId))) {
      if (object.lastModified < cutoff) candidates.push(object.key);
    }
    const referenced = await referencedKeys(this.state, taskId);
    const unreferenced = candidates.filter((key) => !referenced.has(key));
    if (unreferenced.length === 0) return [];
    // Listing took a while: check again under the lock, which holds off anything that could start using a key.
    return this.state.transaction(async (tx) => {
      await tx.tasks.lock([taskId]);
      const stillReferenced = await referencedKeys(tx, taskId);
      const removable = unreferenced.filter((key) => !stillReferenced.has(key));
      for (const key of removable) await this.objects.delete(key);
      return removable;
    }, transactionOptions);
  }
}

/** Every object key a row of the task names, uploads not yet committed (and their staging keys) included. */
async function referencedKeys(state: StateRepositories, taskId: string): Promise<Set<string>> {
  const dag = await state.dags.objectKeyOf(taskId);
  const keys = new Set<string>([
    ...(dag === null ? [] : [dag]),
    ...(await state.unitResults.objectKeysOf(taskId)),
    ...(await state.resultFiles.objectKeysOf(taskId)),
    ...(await state.dagResults.objectKeysOf(taskId)),
  ]);
  return keys;
}

/** A few sweeps per grace period, at most every minute and at least every quarter of an hour. */
export function sweepIntervalMs(graceSeconds: number): number {
  return Math.min(15 * 60, Math.max(60, graceSeconds / 4)) * 1000;
}
