import { floored, uncertaintyFloor } from './uncertaintyFloor.js';

/** One repeat of a transformation: the estimate of one ok ProtocolDAGResult. */
export interface RepeatEstimate {
  taskId: string;
  dagResultId: string;
  seed: number;
  value: number;
  uncertainty: number;
  unit: string;
  completedAt: Date;
}

export interface TransformationEstimate {
  value: number;
  uncertainty: number;
  unit: string;
  n: number;
  /** The repeats combined, oldest first. */
  repeats: RepeatEstimate[];
  /** Sample standard deviation of the repeats' values; null while n < 2. */
  spread: number | null;
}

/**
 * A transformation's repeats combined (schema.graphql, TransformationEstimate): the inverse-variance
 * weighted mean; as uncertainty the larger of its standard error and spread/√n, so repeats that
 * disagree beyond their error bars widen it. Only repeats in the newest repeat's unit take part (units
 * are compared by name, never converted). Null without repeats.
 */
export function combineRepeats(all: readonly RepeatEstimate[]): TransformationEstimate | null {
  const ordered = [...all].sort((a, b) => a.completedAt.getTime() - b.completedAt.getTime() || a.dagResultId.localeCompare(b.dagResultId));
  const newest = ordered.at(-1);
  if (newest === undefined) return null;
  const repeats = ordered.filter((repeat) => repeat.unit === newest.unit);
  const floor = uncertaintyFloor(repeats.map((r) => r.uncertainty));
  let weights = 0;
  let weighted = 0;
  for (const repeat of repeats) {
    const weight = 1 / floored(repeat.uncertainty, floor) ** 2;
    weights += weight;
    weighted += weight * repeat.value;
  }
  const n = repeats.length;
  const value = weighted / weights;
  const standardError = n === 1 ? newest.uncertainty : Math.sqrt(1 / weights);
  const spread = n < 2 ? null : sampleStandardDeviation(repeats.map((r) => r.value));
  const uncertainty = spread === null ? standardError : Math.max(standardError, spread / Math.sqrt(n));
  return { value, uncertainty, unit: newest.unit, n, repeats, spread };
}

function sampleStandardDeviation(values: readonly number[]): number {
  const mean = values.reduce((sum, v) => sum + v, 0) / values.length;
  const squares = values.reduce((sum, v) => sum + (v - mean) ** 2, 0);
  return Math.sqrt(squares / (values.length - 1));
}
