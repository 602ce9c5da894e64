import { createHash, randomUUID } from 'node:crypto';
import type { Logger } from '../../observability/logger.js';
import type { ObjectStore } from '../../storage/objects/ObjectStore.js';
import { dagResultKey } from '../../storage/objects/keys.js';
import type { StateDb, StateTx } from '../../storage/state/openStateStore.js';
import { currentClaim } from '../claims/claimFence.js';
import type { CurrentClaim } from '../claims/claimFence.js';
import { canonicalJson } from '../contentKey.js';
import { badInput } from '../errors.js';
import type { Principal } from '../principal.js';
import { formatScope } from '../scope.js';
import { transactionWithEvents } from '../events/taskEvents.js';
import type { TaskEventBatch } from '../events/taskEvents.js';
import { applyStatusChange } from '../tasks/applyStatusChange.js';
import type { TaskStatus } from '../tasks/taskStatus.js';
import { readJsonObject } from './readJsonObject.js';
import { restartFor } from './restartPolicy.js';

export interface FinishOutcome {
  dagResultId: string;
  ok: boolean;
  status: TaskStatus;
  restartedBy: string | null;
}

/**
 * Ends a claim's execution. Every unit ok → a successful ProtocolDAGResult and COMPLETE; a unit failed
 * in this attempt → a failed ProtocolDAGResult and ERROR, unless a restart pattern sends it back to
 * WAITING. Units neither ok nor failed mean the DAG is not finished: refused, nothing changes.
 */
export class TaskFinisher {
  constructor(private readonly db: StateDb, private readonly objects: ObjectStore, private readonly log?: Logger) {}

  async finish(actor: Principal, claimToken: string): Promise<FinishOutcome> {
    const outcome = await transactionWithEvents(this.db, async (tx, events) => {
      const claim = await currentClaim(tx, actor, claimToken, { lock: true });
      const dag = await tx.protocolDag.findUnique({ where: { taskId: claim.taskId }, include: { units: true } });
      if (dag === null) throw badInput(`task ${claim.taskId} has no ProtocolDAG; nothing to finish`);
      const results = await tx.unitResult.findMany({ where: { taskId: claim.taskId }, orderBy: { attempt: 'asc' } });
      const okByUnit = new Map(results.filter((r) => r.ok).map((r) => [r.unitKey, r]));
      const failedNow = results.filter((r) => !r.ok && r.attempt === Number(claim.fence));
      const ok = dag.units.every((u) => okByUnit.has(u.key));
      if (!ok && failedNow.length === 0) {
        const left = dag.units.filter((u) => !okByUnit.has(u.key)).map((u) => u.key);
        throw badInput(`task ${claim.taskId} still has units without a result: ${left.join(', ')}`, { unitsLeft: left });
      }

      const units = await Promise.all(dag.units.map(async (unit) => {
        const result = okByUnit.get(unit.key) ?? failedNow.find((r) => r.unitKey === unit.key);
        return {
          key: unit.key,
          name: unit.name,
          dependencies: unit.dependencies,
          result: result === undefined ? null : { id: result.id, attempt: result.attempt, objectKey: result.objectKey, sha256: result.sha256, ...(await readJsonObject(this.objects, result.objectKey) as object) },
        };
      }));
      const files = await tx.resultFile.findMany({ where: { taskId: claim.taskId }, orderBy: [{ unitKey: 'asc' }, { path: 'asc' }] });
      const id = randomUUID();
      const document = {
        id, taskId: claim.taskId, ok, attempt: Number(claim.fence), dag: { objectKey: dag.objectKey, sha256: dag.sha256 }, units,
        files: files.filter((f) => okByUnit.has(f.unitKey)).map((f) => ({ unitKey: f.unitKey, path: f.path, size: Number(f.size), sha256: f.sha256, objectKey: f.objectKey })),
        createdAt: new Date().toISOString(),
      };
      const text = canonicalJson(document);
      const sha256 = createHash('sha256').update(text).digest('hex');
      const key = dagResultKey(formatScope(claim.scope), claim.taskId, id);
      const stored = await this.objects.put(key, text, { sha256, contentType: 'application/json' });
      await tx.protocolDagResult.create({
        data: {
          id, taskId: claim.taskId, ok, successfulTaskId: ok ? claim.taskId : null, objectKey: key, sha256, size: BigInt(stored.size),
          claimId: claim.claimId, computeServiceId: claim.computeServiceId,
        },
      });
      events.add(claim.taskId, { kind: 'ProtocolDagResultRecorded', dagResultId: id, ok });
      await applyStatusChange(tx, events, [claim.taskId], ok ? 'COMPLETE' : 'ERROR', ok ? 'finished' : 'finished with failure');
      const restartedBy = ok ? null : await restartIfPatternMatches(tx, events, claim, failedNow.flatMap((r) => [r.exception ?? '', r.traceback ?? '']));
      const status: TaskStatus = ok ? 'COMPLETE' : restartedBy === null ? 'ERROR' : 'WAITING';
      return { dagResultId: id, ok, status, restartedBy };
    }, { timeout: 120_000 });
    this.log?.info({ ...outcome }, 'task finished');
    return outcome;
  }
}

/** Sends an ERROR task back to WAITING when a restart pattern of a network it is actioned on matches. */
async function restartIfPatternMatches(tx: StateTx, events: TaskEventBatch, claim: CurrentClaim, failureTexts: string[]): Promise<string | null> {
  const patterns = await tx.restartPattern.findMany({
    where: { network: { hub: { actions: { some: { taskId: claim.taskId } } } } },
    include: { counts: { where: { taskId: claim.taskId } } },
    orderBy: { createdAt: 'asc' },
  });
  const chosen = restartFor(
    patterns.map((p) => ({ patternId: p.id, pattern: p.pattern, maxRetries: p.maxRetries, used: p.counts[0]?.count ?? 0 })),
    failureTexts,
  );
  if (chosen === undefined) return null;
  await tx.taskRestartCount.upsert({
    where: { taskId_patternId: { taskId: claim.taskId, patternId: chosen.patternId } },
    create: { taskId: claim.taskId, patternId: chosen.patternId, count: 1 },
    update: { count: { increment: 1 } },
  });
  await applyStatusChange(tx, events, [claim.taskId], 'WAITING', `restart pattern ${chosen.pattern}`);
  return chosen.pattern;
}
