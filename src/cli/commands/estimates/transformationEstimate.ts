import { printCsv, printTable } from '../../output.js';
import type { TransformationView } from './estimateQueries.js';
import { formatNumber, optionalNumber, plusMinus } from './formatEstimate.js';

export const transformationCsvColumns = [
  'row',
  'taskId',
  'dagResultId',
  'seed',
  'value',
  'uncertainty',
  'unit',
  'n',
  'spread',
  'completedAt',
];

/** The combined value, how many repeats and their spread, then each repeat. */
export function printTransformationEstimate(t: TransformationView): void {
  console.log(`transformation ${t.name} (${t.stateA.name} -> ${t.stateB.name}): ${t.scopedKey}`);
  const estimate = t.estimate;
  if (estimate === null) {
    console.log('no estimate yet: none of its tasks has an ok result that reports one');
    return;
  }
  const spread = estimate.spread === null ? 'spread n/a (one repeat)' : `spread ${formatNumber(estimate.spread)}`;
  console.log(`ΔF = ${plusMinus(estimate.value, estimate.uncertainty, estimate.unit)}  (n = ${estimate.n}, ${spread})`);
  console.log('');
  printTable(
    estimate.repeats.map((r) => ({
      task: r.taskId,
      seed: r.seed,
      value: formatNumber(r.value),
      uncertainty: formatNumber(r.uncertainty),
      completed: r.completedAt,
    })),
  );
}

/** One `combined` row, then one `repeat` row per repeat. */
export function printTransformationCsv(t: TransformationView): void {
  const estimate = t.estimate;
  const rows =
    estimate === null
      ? []
      : [
          {
            row: 'combined',
            value: estimate.value,
            uncertainty: estimate.uncertainty,
            unit: estimate.unit,
            n: estimate.n,
            spread: optionalNumber(estimate.spread),
          },
          ...estimate.repeats.map((r) => ({ row: 'repeat', ...r, unit: estimate.unit })),
        ];
  printCsv(transformationCsvColumns, rows);
}
