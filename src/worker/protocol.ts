import type { ProtocolDagSpec } from '../domain/dag/protocolDag.js';

/**
 * What a protocol implements for the worker: how a transformation becomes a ProtocolDAG, and how each
 * unit of that DAG runs. A protocol module's default export is a Protocol. Units run in a child
 * process of the worker (so a CPU-bound unit never starves the worker's heartbeat), which imports
 * the protocol module by URL; everything a unit receives or returns is therefore plain JSON or a file.
 */

export interface ChemicalSystemInfo {
  name: string;
  components: unknown;
}

export interface TransformationInfo {
  scopedKey: string;
  name: string;
  protocol: string;
  settings: unknown;
  stateA: ChemicalSystemInfo;
  stateB: ChemicalSystemInfo;
}

/** The successful result of the task being extended, as a protocol may use it to plan a new DAG. */
export interface ParentResult {
  taskId: string;
  /** Outputs of every unit of the parent's successful ProtocolDAGResult, by unit key. */
  outputs: Record<string, unknown>;
  /** The parent's ResultFiles, as `unitKey/path`. */
  files: string[];
}

/** What a DAG is built for besides its transformation: the task. */
export interface DagTask {
  /**
   * The task's seed: random per task unless the user gave one, so repeats are independent and a run
   * can be reproduced. A protocol that draws random numbers seeds them from it (docs/estimates.md).
   */
  seed: number;
}

export interface UnitResultView {
  outputs: unknown;
  /** The unit's ResultFiles on local disk: relative path → absolute path. */
  files: Record<string, string>;
}

export interface UnitContext {
  unit: { key: string; name: string; inputs: unknown };
  transformation: TransformationInfo;
  /** This unit's dependencies, by unit key: their outputs and (downloaded) files. */
  dependencies: Record<string, UnitResultView>;
  /**
   * Files of the extended task this unit asked for (unit inputs `parentFiles: ["unitKey/path", …]`),
   * downloaded: `unitKey/path` → absolute path. Empty when the task extends nothing.
   */
  parentFiles: Record<string, string>;
  /** Outputs of the extended task's units, by unit key; null when the task extends nothing. */
  parentOutputs: Record<string, unknown> | null;
  /** Private to this unit; removed after the unit's results are uploaded. */
  scratchDir: string;
  /** Every file left here when the unit ends becomes one of its ResultFiles (path relative to it). */
  outputDir: string;
  /** Shared by the units of this task on this worker. */
  sharedDir: string;
}

export interface Protocol {
  readonly name: string;
  /**
   * Throws (InvalidProtocolSettings naming the field, from src/domain/networks/protocolSettings.ts) when
   * a transformation's settings cannot make a DAG: the parser createDag itself uses. The server runs the
   * built-in protocols' checks at createNetwork (src/worker/protocols/settingsChecks.ts).
   */
  checkSettings?(settings: unknown): void;
  /**
   * The DAG for a transformation (continuing from `parent` when the task extends another), for one task.
   * Its answer, if it has one, is `outputs.estimate = { value, uncertainty, unit }` of its terminal unit
   * (docs/estimates.md).
   */
  createDag(transformation: TransformationInfo, parent: ParentResult | null, task: DagTask): ProtocolDagSpec;
  /** Runs one unit; returns its outputs (JSON). Throwing makes it a failed unit (message + stack kept). */
  runUnit(context: UnitContext): Promise<unknown>;
}
