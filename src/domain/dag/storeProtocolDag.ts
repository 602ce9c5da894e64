import { createHash, randomUUID } from 'node:crypto';
import type { ObjectStore } from '../objects/ObjectStore.js';
import { taskDagKey } from '../objects/objectKeys.js';
import { canonicalJson } from '../contentKey.js';
import { conflict } from '../errors.js';
import { mapInSlices } from '../mapInSlices.js';
import { formatScope } from '../scope.js';
import type { Scope } from '../scope.js';
import { collectReferences } from '../inputs/inputReferences.js';
import type { ReferenceSet } from '../inputs/InputObjectRepository.js';
import { requireInputs } from '../inputs/requireInputs.js';
import type { StateRepositories } from '../state/StateAccess.js';
import type { ProtocolDagRow } from './DagRepository.js';
import { validateProtocolDagInSlices } from './protocolDag.js';
import type { ProtocolDagSpec } from './protocolDag.js';

/**
 * A validated ProtocolDAG as stored: its canonical JSON text, that text's SHA-256, how many units it has,
 * and the input objects its units' inputs refer to (checked against the task's scope when it is stored).
 */
export interface SerializedProtocolDag {
  text: string;
  sha256: string;
  unitCount: number;
  references: ReferenceSet;
}

/**
 * Validates a submitted DAG and serializes it (once, however many tasks it is then stored for). Both
 * walk every unit, a few hundred milliseconds for 10,000 units on a busy machine, so both go a slice
 * of units at a time, letting other requests run in between.
 */
export async function prepareProtocolDag(input: unknown): Promise<SerializedProtocolDag> {
  const dag = await validateProtocolDagInSlices(input);
  return serializeProtocolDag(dag);
}

/** Serializes a validated DAG; a malformed reference in a unit's inputs is BAD_USER_INPUT. */
export async function serializeProtocolDag(dag: ProtocolDagSpec): Promise<SerializedProtocolDag> {
  const text = await canonicalDagJson(dag);
  const references = collectReferences(dag.units.flatMap((unit) => (unit.inputs === undefined ? [] : [unit.inputs])));
  return { text, sha256: createHash('sha256').update(text).digest('hex'), unitCount: dag.units.length, references };
}

/** Exactly canonicalJson(dag), with the units (nearly all of it) serialized a slice at a time. */
export async function canonicalDagJson(dag: ProtocolDagSpec): Promise<string> {
  const units = await mapInSlices(dag.units, (unit) => canonicalJson(unit));
  const members = Object.keys(dag)
    .sort()
    .flatMap((key) => {
      if (key === 'units') return [`"units":[${units.join(',')}]`];
      // The member as canonicalJson writes it inside the DAG (an undefined one is left out), braces dropped.
      const member = canonicalJson({ [key]: dag[key] });
      return member === '{}' ? [] : [member.slice(1, -1)];
    });
  return `{${members.join(',')}}`;
}

/**
 * Gives a task its one ProtocolDAG: the serialized DAG to the object store, its units indexed in the
 * state store. Storing the same DAG again is a no-op; a different one is refused. Call it inside a
 * transaction holding the task's row lock, so two writers cannot both believe they were first.
 */
export async function storeProtocolDag(
  tx: StateRepositories,
  objects: ObjectStore,
  task: { id: string; scope: Scope },
  dag: SerializedProtocolDag,
  registeredBy: string | null,
): Promise<{ created: boolean }> {
  const existing = await tx.dags.sha256Of(task.id);
  if (existing !== null) {
    if (existing === dag.sha256) return { created: false };
    throw conflict(`task ${task.id} already has a different ProtocolDAG; a task keeps its first DAG`, { taskId: task.id });
  }
  await storeNewProtocolDags(tx, objects, [task], dag, registeredBy);
  return { created: true };
}

/** Object-store writes in flight at once while storing one DAG for many new tasks. */
const parallelPuts = 16;

/**
 * Gives each of several tasks created in this transaction (so none has a DAG yet) the same ProtocolDAG:
 * one object per task, written a few at a time, then every row in one statement. A reference in its
 * units' inputs that names no input object of the tasks' scope is INPUT_NOT_FOUND, before anything is written.
 */
export async function storeNewProtocolDags(
  tx: StateRepositories,
  objects: ObjectStore,
  tasks: ReadonlyArray<{ id: string; scope: Scope }>,
  dag: SerializedProtocolDag,
  registeredBy: string | null,
): Promise<void> {
  const scopes = new Map(tasks.map((task) => [formatScope(task.scope), task.scope]));
  for (const scope of scopes.values()) await requireInputs(tx.inputs, scope, dag.references);
  const rows: ProtocolDagRow[] = [];
  for (let start = 0; start < tasks.length; start += parallelPuts) {
    rows.push(
      ...(await Promise.all(
        tasks.slice(start, start + parallelPuts).map(async (task) => {
          const objectKey = taskDagKey(formatScope(task.scope), task.id);
          const stored = await objects.put(objectKey, dag.text, { sha256: dag.sha256, contentType: 'application/json' });
          return { id: randomUUID(), taskId: task.id, objectKey, sha256: stored.sha256, size: stored.size };
        }),
      )),
    );
  }
  await tx.dags.insert(rows, { canonicalDagJson: dag.text, registeredBy });
}
