import { badInput } from '../errors.js';
import type { ObjectStore } from '../objects/ObjectStore.js';
import { readPlacedJson } from '../results/placedText.js';
import type { HotRepositories } from '../state/StateAccess.js';
import { estimateField, reportedEstimate } from './reportedEstimate.js';
import type { Estimate } from './reportedEstimate.js';

interface UnitShape {
  key: string;
  dependencies: readonly string[];
}

/** Units no other unit depends on: where a DAG's answer comes out. */
export function terminalUnitKeys(units: readonly UnitShape[]): Set<string> {
  const depended = new Set(units.flatMap((unit) => unit.dependencies));
  return new Set(units.filter((unit) => !depended.has(unit.key)).map((unit) => unit.key));
}

/**
 * Refuses a unit result whose `outputs.estimate` the server could not use: malformed, on a unit that
 * other units depend on, or a second one in the DAG (another terminal unit reported one already).
 * Runs in the submitting transaction, under the claim's lock, so two units cannot both slip through.
 */
export async function checkUnitEstimate(
  tx: Pick<HotRepositories, 'dags' | 'unitResults'>,
  objects: ObjectStore,
  taskId: string,
  unitKey: string,
  outputs: unknown,
): Promise<Estimate | null> {
  const estimate = reportedEstimate(outputs);
  if (estimate === null) return null;
  const dag = await tx.dags.ofTask(taskId);
  const terminal = terminalUnitKeys(dag?.units ?? []);
  requireTerminal(unitKey, terminal.has(unitKey));
  const others = (await tx.unitResults.ofTasks([taskId], { ok: true })).filter((r) => r.unitKey !== unitKey && terminal.has(r.unitKey));
  for (const other of others) {
    const document = (await readPlacedJson(objects, { objectKey: other.objectKey, inline: other.document })) as { outputs?: unknown };
    if (safeEstimate(document.outputs) !== null) {
      throw badInput(`${estimateField}: unit ${other.unitKey} of this DAG reported the estimate already; a DAG reports one`, {
        field: estimateField,
        unitKey,
        reportedBy: other.unitKey,
      });
    }
  }
  return estimate;
}

/** Refuses an estimate on a unit other units depend on: a DAG's answer comes out of a terminal unit. */
export function requireTerminal(unitKey: string, terminal: boolean): void {
  if (terminal) return;
  throw badInput(`${estimateField} belongs on the DAG's terminal unit (one no other unit depends on); unit ${unitKey} is not one`, {
    field: estimateField,
    unitKey,
  });
}

/**
 * The estimate of a finished DAG: the one its terminal units' outputs carry. Results stored before
 * the convention was checked may hold something else under the name, or two: then there is none.
 */
export function estimateOfDag(units: ReadonlyArray<UnitShape & { outputs: unknown }>): Estimate | null {
  const terminal = terminalUnitKeys(units);
  const found = units.filter((unit) => terminal.has(unit.key)).flatMap((unit) => safeEstimate(unit.outputs) ?? []);
  return found.length === 1 ? found[0]! : null;
}

function safeEstimate(outputs: unknown): Estimate | null {
  try {
    return reportedEstimate(outputs);
  } catch {
    return null;
  }
}
