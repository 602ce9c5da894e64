import type { ObjectStore } from '../objects/ObjectStore.js';
import type { StateDb } from '../../storage/state/openStateStore.js';
import { currentClaim } from '../claims/claimFence.js';
import type { Principal } from '../principal.js';
import { readJsonObject } from '../results/readJsonObject.js';
import { remainingUnits } from './protocolDag.js';
import { prepareProtocolDag, storeProtocolDag } from './storeProtocolDag.js';

export interface ProtocolUnitRecord {
  key: string;
  name: string;
  dependencies: string[];
  inputs: unknown;
}

export interface DagRecord {
  id: string;
  taskId: string;
  objectKey: string;
  sha256: string;
  size: number;
  createdAt: Date;
  units: ProtocolUnitRecord[];
}

/** A task's one ProtocolDAG: registered by its first claimer (or given at creation) and never replaced. */
export class DagService {
  constructor(private readonly db: StateDb, private readonly objects: ObjectStore) {}

  /** Accepted once per task; the same DAG again is a no-op, a different one is refused (CONFLICT). */
  async register(actor: Principal, claimToken: string, dagInput: unknown): Promise<DagRecord> {
    const dag = await prepareProtocolDag(dagInput);
    const taskId = await this.db.$transaction(async (tx) => {
      const claim = await currentClaim(tx, actor, claimToken, { lock: true });
      await storeProtocolDag(tx, this.objects, { id: claim.taskId, scope: claim.scope }, dag, claim.computeServiceId);
      return claim.taskId;
    }, { timeout: 60_000 });
    const stored = await this.ofTasks([taskId]);
    const record = stored.get(taskId);
    if (record === undefined) throw new Error(`the DAG of task ${taskId} vanished after it was stored`);
    return record;
  }

  async ofTasks(taskIds: readonly string[]): Promise<Map<string, DagRecord>> {
    const rows = await this.db.protocolDag.findMany({ where: { taskId: { in: [...taskIds] } }, include: { units: true } });
    return new Map(rows.map((row) => [row.taskId, {
      id: row.id, taskId: row.taskId, objectKey: row.objectKey, sha256: row.sha256, size: Number(row.size), createdAt: row.createdAt,
      units: row.units.map((u) => ({ key: u.key, name: u.name, dependencies: u.dependencies, inputs: u.inputs })),
    }]));
  }

  /** The serialized DAG as it was registered. */
  async serialized(dag: DagRecord): Promise<unknown> {
    return readJsonObject(this.objects, dag.objectKey);
  }

  /** Units without an ok result: those whose dependencies are all ok can run now. */
  async remaining(dag: DagRecord): Promise<{ runnable: string[]; blocked: string[] }> {
    const ok = await this.db.unitResult.findMany({ where: { taskId: dag.taskId, ok: true }, select: { unitKey: true }, distinct: ['unitKey'] });
    return remainingUnits({ units: dag.units.map(({ key, name, dependencies }) => ({ key, name, dependencies })) }, new Set(ok.map((r) => r.unitKey)));
  }
}
