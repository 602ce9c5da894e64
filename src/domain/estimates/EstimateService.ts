import { badInput } from '../errors.js';
import type { TaskEventBatch } from '../events/taskEvents.js';
import { groupByKey } from '../groupByKey.js';
import type { ChemicalSystemRecord, NetworkRecord, NetworkRepository, TransformationRecord } from '../networks/NetworkRepository.js';
import type { DagResultRepository } from '../results/DagResultRepository.js';
import type { StateAccess, StateRepositories } from '../state/StateAccess.js';
import type { TaskRepository } from '../tasks/TaskRepository.js';
import type { StatusChange } from '../tasks/applyStatusChange.js';
import { combineRepeats } from './combineRepeats.js';
import type { TransformationEstimate } from './combineRepeats.js';
import { fitNetwork } from './networkFit.js';

export interface NetworkEstimatesRecord {
  unit: string | null;
  gauge: string;
  chemicalSystems: Array<{ chemicalSystem: ChemicalSystemRecord; value: number; uncertainty: number; component: number }>;
  transformations: Array<{
    transformation: TransformationRecord;
    measured: TransformationEstimate | null;
    fitted: number;
    fittedUncertainty: number;
    residual: number | null;
  }>;
  cycles: Array<{ transformationKeys: string[]; directions: number[]; value: number; uncertainty: number }>;
  components: Array<{ index: number; chemicalSystemKeys: string[]; reference: string }>;
  disconnected: boolean;
}

/**
 * Free-energy answers, read from stored results (the server never runs protocol code): each
 * transformation's repeats combined, and a network's chemical systems fitted on one scale.
 */
export class EstimateService {
  constructor(private readonly state: StateAccess) {}

  /** Each transformation's combined estimate (null without repeats), in one query for all. */
  ofTransformations(transformationIds: readonly string[]): Promise<Map<string, TransformationEstimate | null>> {
    return combinedEstimates(this.state, transformationIds);
  }

  /** The network's maximum-likelihood fit; `referenceKey` pins its part (a chemical system of the network). */
  async ofNetwork(network: NetworkRecord, referenceKey?: string): Promise<NetworkEstimatesRecord> {
    const [transformations, systems, order] = await Promise.all([
      this.state.networks.transformationsOf(network.id),
      this.state.networks.chemicalSystemsOf(network.id),
      this.state.networks.chemicalSystemOrder(network.id),
    ]);
    const systemById = new Map(systems.map((system) => [system.id, system]));
    const ordered = order.flatMap((id) => systemById.get(id) ?? []);
    let reference: string | undefined;
    if (referenceKey !== undefined) {
      reference = ordered.find((system) => system.scopedKey === referenceKey)?.id;
      if (reference === undefined) {
        throw badInput(`reference must be a chemical system of network ${network.scopedKey}; ${referenceKey} is not one`, {
          field: 'reference',
        });
      }
    }
    const measured = await this.ofTransformations(transformations.map((t) => t.id));
    const fit = fitNetwork(
      ordered.map((system) => system.id),
      transformations.map((t) => ({ id: t.id, from: t.stateAId, to: t.stateBId, measured: measured.get(t.id) ?? null })),
      reference,
    );
    const keyOf = (id: string) => systemById.get(id)!.scopedKey;
    const transformationById = new Map(transformations.map((t) => [t.id, t]));
    return {
      unit: fit.unit,
      gauge: `each connected part's reference chemical system is 0: ${fit.components.map((c) => systemById.get(c.reference)!.name).join(', ')}`,
      chemicalSystems: fit.nodes.map((node) => ({
        chemicalSystem: systemById.get(node.id)!,
        value: node.value,
        uncertainty: node.uncertainty,
        component: node.component,
      })),
      transformations: fit.edges.map((edge) => ({
        transformation: transformationById.get(edge.id)!,
        measured: measured.get(edge.id) ?? null,
        fitted: edge.fitted,
        fittedUncertainty: edge.fittedUncertainty,
        residual: edge.residual,
      })),
      cycles: fit.cycles.map((cycle) => ({
        transformationKeys: cycle.edgeIds.map((id) => transformationById.get(id)!.scopedKey),
        directions: cycle.directions,
        value: cycle.value,
        uncertainty: cycle.uncertainty,
      })),
      components: fit.components.map((c) => ({ index: c.index, chemicalSystemKeys: c.nodeIds.map(keyOf), reference: keyOf(c.reference) })),
      disconnected: fit.components.length > 1,
    };
  }
}

/** The repository calls recording estimate changes makes: StateRepositories, or a hot transaction's (StateAccess.ts). */
export interface EstimateChangeRepositories {
  tasks: Pick<TaskRepository, 'transformationsOf'>;
  networks: Pick<NetworkRepository, 'lockTransformations' | 'networkKeysOfTransformations'>;
  dagResults: Pick<DagResultRepository, 'repeatsOf'>;
}

async function combinedEstimates(
  state: Pick<EstimateChangeRepositories, 'dagResults'>,
  transformationIds: readonly string[],
): Promise<Map<string, TransformationEstimate | null>> {
  const repeats = groupByKey(
    transformationIds,
    await state.dagResults.repeatsOf(transformationIds),
    (repeat) => repeat.transformationId,
    ({ transformationId: _, ...repeat }) => repeat,
  );
  return new Map(transformationIds.map((id) => [id, combineRepeats(repeats.get(id) ?? [])]));
}

/**
 * Records an EstimateChanged event for each of these tasks, in the transaction that changed what
 * their transformations' estimates combine: the new estimate, and the networks holding it. A caller
 * that knows the tasks' transformations and has locked them already says so (`known`).
 */
export async function recordEstimateChanges(
  tx: EstimateChangeRepositories,
  events: TaskEventBatch,
  taskIds: readonly string[],
  known?: { tasks: ReadonlyArray<{ taskId: string; transformationId: string }>; transformationsLocked: true },
): Promise<void> {
  if (taskIds.length === 0) return;
  const tasks = known?.tasks ?? (await tx.tasks.transformationsOf(taskIds));
  const transformationIds = [...new Set(tasks.map((task) => task.transformationId))];
  // Concurrent changes of one transformation's estimate queue here, so each event carries what holds
  // after it. A finish took the lock in the statement that recorded its result (`known`).
  if (known === undefined) await tx.networks.lockTransformations(transformationIds);
  const estimates = await combinedEstimates(tx, transformationIds);
  const networkKeys = groupByKey(
    transformationIds,
    await tx.networks.networkKeysOfTransformations(transformationIds),
    (row) => row.transformationId,
    (row) => row.networkKey,
  );
  const byId = new Map(tasks.map((task) => [task.taskId, task]));
  for (const taskId of taskIds) {
    const task = byId.get(taskId);
    if (task === undefined) continue;
    const estimate = estimates.get(task.transformationId) ?? null;
    events.add(taskId, {
      kind: 'EstimateChanged',
      networkKeys: networkKeys.get(task.transformationId) ?? [],
      value: estimate?.value ?? null,
      uncertainty: estimate?.uncertainty ?? null,
      unit: estimate?.unit ?? null,
      n: estimate?.n ?? 0,
    });
  }
}

/**
 * After a status change: the tasks that left the count (a COMPLETE task with an estimated result
 * becoming INVALID or DELETED) change their transformations' estimates.
 */
export async function recordEstimateChangesOfStatus(
  tx: StateRepositories,
  events: TaskEventBatch,
  changes: readonly StatusChange[],
): Promise<void> {
  const leaving = changes.filter((c) => c.from === 'COMPLETE' && (c.to === 'INVALID' || c.to === 'DELETED')).map((c) => c.taskId);
  if (leaving.length === 0) return;
  const results = await tx.dagResults.ofTasks(leaving);
  const estimated = new Set(results.filter((r) => r.ok && r.estimate !== null).map((r) => r.taskId));
  await recordEstimateChanges(
    tx,
    events,
    leaving.filter((id) => estimated.has(id)),
  );
}
