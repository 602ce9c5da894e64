import { createHash } from 'node:crypto';
import type { ObjectStore } from '../../storage/objects/ObjectStore.js';
import { taskDagKey } from '../../storage/objects/keys.js';
import { jsonInput } from '../../storage/state/json.js';
import type { StateTx } from '../../storage/state/openStateStore.js';
import { canonicalJson } from '../contentKey.js';
import { conflict } from '../errors.js';
import { formatScope } from '../scope.js';
import type { Scope } from '../scope.js';
import type { ProtocolDagSpec } from './protocolDag.js';

/**
 * Gives a task its one ProtocolDAG: the serialized DAG to the object store, its units indexed in the
 * state store. Storing the same DAG again is a no-op; a different one is refused. Call it inside a
 * transaction holding the task's row lock, so two writers cannot both believe they were first.
 */
export async function storeProtocolDag(
  tx: StateTx,
  objects: ObjectStore,
  task: { id: string; scope: Scope },
  dag: ProtocolDagSpec,
  registeredBy: string | null,
): Promise<{ created: boolean }> {
  const text = canonicalJson(dag);
  const sha256 = createHash('sha256').update(text).digest('hex');
  const existing = await tx.protocolDag.findUnique({ where: { taskId: task.id }, select: { sha256: true } });
  if (existing !== null) {
    if (existing.sha256 === sha256) return { created: false };
    throw conflict(`task ${task.id} already has a different ProtocolDAG; a task keeps its first DAG`, { taskId: task.id });
  }
  const key = taskDagKey(formatScope(task.scope), task.id);
  const stored = await objects.put(key, text, { sha256, contentType: 'application/json' });
  await tx.protocolDag.create({
    data: {
      taskId: task.id,
      objectKey: key,
      sha256: stored.sha256,
      size: BigInt(stored.size),
      registeredBy,
      units: {
        createMany: {
          data: dag.units.map((u) => ({ key: u.key, name: u.name, dependencies: u.dependencies, inputs: jsonInput(u.inputs) })),
        },
      },
    },
  });
  return { created: true };
}
