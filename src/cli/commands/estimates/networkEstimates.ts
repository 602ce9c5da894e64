import { printCsv, printTable } from '../../output.js';
import type { NetworkEstimatesView } from './estimateQueries.js';
import { formatNumber, optionalNumber, plusMinus } from './formatEstimate.js';

/** Chemical systems (value ± σ, part), transformations (measured, fitted, residual), cycle closures. */
export function printNetworkEstimates(network: { scopedKey: string; name: string }, estimates: NetworkEstimatesView): void {
  console.log(`network ${network.name}: ${network.scopedKey}`);
  console.log(`unit ${estimates.unit ?? '(no transformation has an estimate yet)'}; ${estimates.gauge}`);
  if (estimates.disconnected) {
    console.log(
      `DISCONNECTED: ${estimates.components.length} parts; values in different parts cannot be compared (each part's reference is 0)`,
    );
  }
  const names = new Map(estimates.chemicalSystems.map((c) => [c.chemicalSystem.scopedKey, c.chemicalSystem.name]));
  console.log('');
  console.log('chemical systems');
  printTable(
    estimates.chemicalSystems.map((c) => {
      const part = estimates.components[c.component];
      return {
        name: c.chemicalSystem.name,
        value: plusMinus(c.value, c.uncertainty),
        part: c.component,
        reference: part?.reference === c.chemicalSystem.scopedKey ? 'yes' : '',
      };
    }),
  );
  console.log('');
  console.log('transformations');
  printTable(
    estimates.transformations.map((t) => ({
      name: t.transformation.name,
      states: `${t.transformation.stateA.name} -> ${t.transformation.stateB.name}`,
      measured: t.measured === null ? '(none)' : plusMinus(t.measured.value, t.measured.uncertainty),
      n: t.measured?.n ?? 0,
      fitted: plusMinus(t.fitted, t.fittedUncertainty),
      residual: optionalNumber(t.residual),
    })),
  );
  console.log('');
  console.log('cycle closures');
  const transformationNames = new Map(estimates.transformations.map((t) => [t.transformation.scopedKey, t.transformation.name]));
  printTable(
    estimates.cycles.map((c) => ({
      cycle: c.transformationKeys
        .map((key, i) => `${(c.directions[i] ?? 1) < 0 ? '-' : '+'}${transformationNames.get(key) ?? names.get(key) ?? key}`)
        .join(' '),
      closure: plusMinus(c.value, c.uncertainty),
      sigmas: c.uncertainty > 0 ? formatNumber(Math.abs(c.value) / c.uncertainty) : '',
    })),
  );
}

const columns = [
  'section',
  'key',
  'name',
  'value',
  'uncertainty',
  'unit',
  'part',
  'measured',
  'measuredUncertainty',
  'n',
  'fitted',
  'fittedUncertainty',
  'residual',
];

/** One table: a `section` column says whether a row is a chemical system, a transformation or a cycle. */
export function printNetworkCsv(estimates: NetworkEstimatesView): void {
  const unit = estimates.unit;
  printCsv(columns, [
    ...estimates.chemicalSystems.map((c) => ({
      section: 'chemicalSystem',
      key: c.chemicalSystem.scopedKey,
      name: c.chemicalSystem.name,
      value: c.value,
      uncertainty: c.uncertainty,
      unit,
      part: c.component,
    })),
    ...estimates.transformations.map((t) => ({
      section: 'transformation',
      key: t.transformation.scopedKey,
      name: t.transformation.name,
      unit,
      measured: t.measured?.value,
      measuredUncertainty: t.measured?.uncertainty,
      n: t.measured?.n ?? 0,
      fitted: t.fitted,
      fittedUncertainty: t.fittedUncertainty,
      residual: t.residual,
    })),
    ...estimates.cycles.map((c) => ({
      section: 'cycle',
      key: c.transformationKeys.map((key, i) => `${(c.directions[i] ?? 1) < 0 ? '-' : '+'}${key}`).join(' '),
      value: c.value,
      uncertainty: c.uncertainty,
      unit,
    })),
  ]);
}
