import { FINAL_STATE_FILE, SAMPLES_FILE } from './sampleFiles.js';

/**
 * What the DAG hands each unit (its `inputs`), and the names units and files go by. Inputs arrive as
 * JSON the server stored, so they are checked again before use.
 */

export const SETUP_UNIT = 'setup';
export const ANALYSIS_UNIT = 'analysis';

export interface SetupInputs {
  kind: 'setup';
  /** The transformation's settings as given, validated by the unit. */
  settings: unknown;
}

export interface SampleInputs {
  kind: 'sample';
  window: number;
  lambda: number;
  k: number;
  /**
   * Seeds a fresh chain (with the window as its stream): the task's seed combined with the settings'
   * (combineSeeds). DAGs built before task seeds existed lack it; their chains use the settings' seed.
   */
  seed?: number;
  /** With a parent: that window's final state, to continue its chain. */
  parentFiles?: string[];
}

export interface AnalysisInputs {
  kind: 'analysis';
  /** With a parent: every window's samples, to pool with the new ones. */
  parentFiles?: string[];
}

export type UnitInputs = SetupInputs | SampleInputs | AnalysisInputs;

export function sampleUnitKey(window: number): string {
  return `sample-${window}`;
}

/** `unitKey/path`, the way a parent's ResultFiles are named. */
export function finalStateFileOf(window: number): string {
  return `${sampleUnitKey(window)}/${FINAL_STATE_FILE}`;
}

export function samplesFileOf(window: number): string {
  return `${sampleUnitKey(window)}/${SAMPLES_FILE}`;
}

export function parseUnitInputs(inputs: unknown): UnitInputs {
  if (typeof inputs !== 'object' || inputs === null || Array.isArray(inputs)) {
    throw new Error('harmonic-oscillator unit inputs must be an object with a "kind"');
  }
  const fields = inputs as Record<string, unknown>;
  const parentFiles = parseParentFiles(fields.parentFiles);
  switch (fields.kind) {
    case 'setup':
      return { kind: 'setup', settings: fields.settings };
    case 'sample': {
      const { window, lambda, k, seed } = fields;
      if (typeof window !== 'number' || !Number.isInteger(window) || window < 0) {
        throw new Error('a sample unit needs an integer window ≥ 0');
      }
      if (typeof lambda !== 'number' || !(lambda >= 0 && lambda <= 1)) {
        throw new Error('a sample unit needs λ in [0, 1]');
      }
      if (typeof k !== 'number' || !(k > 0) || !Number.isFinite(k)) {
        throw new Error('a sample unit needs a spring constant k > 0');
      }
      if (seed !== undefined && (typeof seed !== 'number' || !Number.isSafeInteger(seed))) {
        throw new Error('a sample unit seed must be a safe integer');
      }
      return { kind: 'sample', window, lambda, k, ...(seed === undefined ? {} : { seed }), ...(parentFiles ? { parentFiles } : {}) };
    }
    case 'analysis':
      return { kind: 'analysis', ...(parentFiles ? { parentFiles } : {}) };
    default:
      throw new Error(`unknown harmonic-oscillator unit kind ${JSON.stringify(fields.kind)}; expected setup, sample or analysis`);
  }
}

function parseParentFiles(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((name) => typeof name === 'string')) {
    throw new Error('unit inputs "parentFiles" must be a list of "unitKey/path" strings');
  }
  return value as string[];
}
