import type { ObjectStore } from '../objects/ObjectStore.js';
import { currentClaim } from '../claims/claimFence.js';
import type { Principal } from '../principal.js';
import { readJsonObject } from '../results/readJsonObject.js';
import type { StateAccess } from '../state/StateAccess.js';
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
  constructor(
    private readonly state: StateAccess,
    private readonly objects: ObjectStore,
  ) {}

  /** Accepted once per task; the same DAG again is a no-op, a different one is refused (CONFLICT). */
  async register(actor: Principal, claimToken: string, dagInput: unknown): Promise<DagRecord> {
    const dag = await prepareProtocolDag(dagInput);
    const taskId = await this.state.transaction(
      async (tx) => {
        const claim = await currentClaim(tx, actor, claimToken, { lock: true });
        await storeProtocolDag(tx, this.objects, { id: claim.taskId, scope: claim.scope }, dag, claim.computeServiceId);
        return claim.taskId;
      },
      { timeoutMs: 60_000 },
    );
    const stored = await this.ofTasks([taskId]);
    const record = stored.get(taskId);
    if (record === undefined) throw new Error(`the DAG of task ${taskId} vanished after it was stored`);
    return record;
  }

  async ofTasks(taskIds: readonly string[]): Promise<Map<string, DagRecord>> {
    const dags = await this.state.dags.ofTasks(taskIds);
    return new Map(dags.map((dag) => [dag.taskId, dag]));
  }

  /** The serialized DAG as it was registered. */
  async serialized(dag: DagRecord): Promise<unknown> {
    return readJsonObject(this.objects, dag.objectKey);
  }

  /** Units without an ok result: those whose dependencies are all ok can run now. */
  async remaining(dag: DagRecord): Promise<{ runnable: string[]; blocked: string[] }> {
    const ok = await this.state.unitResults.okUnitKeys(dag.taskId);
    return remainingUnits({ units: dag.units.map(({ key, name, dependencies }) => ({ key, name, dependencies })) }, new Set(ok));
  }
}
