import type { Estimate } from '../estimates/reportedEstimate.js';
import type { ObjectStore } from '../objects/ObjectStore.js';
import { groupByKey } from '../groupByKey.js';
import type { StateAccess } from '../state/StateAccess.js';
import { readPlacedJson } from './placedText.js';

export interface DagResultRecord {
  id: string;
  taskId: string;
  ok: boolean;
  /** Where its document is when too big for the row; null when the row holds it (DagResultRepository.documentOf). */
  objectKey: string | null;
  sha256: string;
  createdAt: Date;
  /** The fence of the claim that recorded it; null for a result recorded without a claim. */
  attempt: number | null;
  /** Set only when the ProtocolDAG could not be built (DagBuildFailures): what the worker reported. */
  exception: string | null;
  traceback: string | null;
  /** The estimate its terminal unit reported (docs/estimates.md); null for a failed result or none reported. */
  estimate: Estimate | null;
  /** The seed of its task, with which its ProtocolDAG was built. */
  seed: number;
}

/** Reads recorded ProtocolDAGResults (TaskFinisher and DagBuildFailures write them). */
export class DagResultReader {
  constructor(
    private readonly state: StateAccess,
    private readonly objects: ObjectStore,
  ) {}

  async ofTasks(taskIds: readonly string[]): Promise<Map<string, DagResultRecord[]>> {
    const results = await this.state.dagResults.ofTasks(taskIds);
    return groupByKey(
      taskIds,
      results,
      (result) => result.taskId,
      (result) => result,
    );
  }

  byId(id: string): Promise<DagResultRecord | null> {
    return this.state.dagResults.byId(id);
  }

  async document(result: DagResultRecord): Promise<unknown> {
    const inline = result.objectKey === null ? await this.state.dagResults.documentOf(result.id) : null;
    return readPlacedJson(this.objects, { objectKey: result.objectKey, inline });
  }
}
