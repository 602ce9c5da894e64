import { combineRepeats } from '../../src/domain/estimates/combineRepeats.js';
import type { RepeatEstimate } from '../../src/domain/estimates/combineRepeats.js';
import { fitNetwork } from '../../src/domain/estimates/networkFit.js';
import type { FitEdge } from '../../src/domain/estimates/networkFit.js';
import { invertPositiveDefinite } from '../../src/domain/estimates/positiveDefinite.js';
import { reportedEstimate } from '../../src/domain/estimates/reportedEstimate.js';
import { DomainError } from '../../src/domain/errors.js';

const repeat = (value: number, uncertainty: number, minute: number, unit = 'kT'): RepeatEstimate => ({
  taskId: `task-${minute}`,
  dagResultId: `result-${minute}`,
  seed: minute,
  value,
  uncertainty,
  unit,
  completedAt: new Date(Date.UTC(2026, 0, 1, 0, minute)),
});

const edge = (id: string, from: string, to: string, value: number, uncertainty = 1, unit = 'kT'): FitEdge => ({
  id,
  from,
  to,
  measured: { value, uncertainty, unit },
});

describe('outputs.estimate as a unit reports it', () => {
  test('reads { value, uncertainty, unit } and ignores outputs without one', () => {
    expect(reportedEstimate({ estimate: { value: -1.5, uncertainty: 0.2, unit: 'kcal/mol' }, other: 1 })).toEqual({
      value: -1.5,
      uncertainty: 0.2,
      unit: 'kcal/mol',
    });
    expect(reportedEstimate({ deltaF: 1 })).toBeNull();
    expect(reportedEstimate(null)).toBeNull();
    expect(reportedEstimate([1, 2])).toBeNull();
  });

  test.each([
    ['not an object', 3],
    ['an infinite value', { value: Number.POSITIVE_INFINITY, uncertainty: 0.1, unit: 'kT' }],
    ['a missing value', { uncertainty: 0.1, unit: 'kT' }],
    ['a negative uncertainty', { value: 1, uncertainty: -0.1, unit: 'kT' }],
    ['a NaN uncertainty', { value: 1, uncertainty: Number.NaN, unit: 'kT' }],
    ['an empty unit', { value: 1, uncertainty: 0.1, unit: ' ' }],
    ['a long unit', { value: 1, uncertainty: 0.1, unit: 'k'.repeat(41) }],
    ['a unit with a newline', { value: 1, uncertainty: 0.1, unit: 'kT\n' }],
    ['an unknown field', { value: 1, uncertainty: 0.1, unit: 'kT', sigma: 2 }],
  ])('refuses %s, naming outputs.estimate', (_, estimate) => {
    let caught: unknown;
    try {
      reportedEstimate({ estimate });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(DomainError);
    expect((caught as DomainError).code).toBe('BAD_USER_INPUT');
    expect((caught as DomainError).details).toEqual({ field: 'outputs.estimate' });
  });
});

describe('combining the repeats of one transformation', () => {
  test('one repeat is itself, without a spread', () => {
    expect(combineRepeats([repeat(0.7, 0.01, 1)])).toMatchObject({ value: 0.7, uncertainty: 0.01, n: 1, spread: null, unit: 'kT' });
  });

  test('agreeing repeats: the inverse-variance weighted mean and its standard error', () => {
    const combined = combineRepeats([repeat(1.0, 0.1, 1), repeat(1.1, 0.2, 2)])!;
    const w1 = 100;
    const w2 = 25;
    expect(combined.value).toBeCloseTo((w1 * 1.0 + w2 * 1.1) / (w1 + w2), 12);
    expect(combined.uncertainty).toBeCloseTo(Math.sqrt(1 / (w1 + w2)), 12);
    expect(combined.spread).toBeCloseTo(Math.sqrt(0.005), 12);
    expect(combined.repeats.map((r) => r.taskId)).toEqual(['task-1', 'task-2']);
  });

  test('repeats that disagree beyond their error bars widen the uncertainty to spread/√n', () => {
    const combined = combineRepeats([repeat(1, 0.01, 1), repeat(2, 0.01, 2), repeat(3, 0.01, 3), repeat(4, 0.01, 4)])!;
    expect(combined.value).toBeCloseTo(2.5, 12);
    expect(combined.spread).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect(combined.uncertainty).toBeCloseTo(Math.sqrt(5 / 3) / 2, 12);
  });

  test('repeats in another unit than the newest one are left out', () => {
    const combined = combineRepeats([repeat(5, 0.1, 3, 'kcal/mol'), repeat(1, 0.1, 1), repeat(1.2, 0.1, 2)])!;
    expect(combined.unit).toBe('kcal/mol');
    expect(combined.n).toBe(1);
    expect(combined.value).toBe(5);
  });

  test('a repeat with zero uncertainty dominates without making the arithmetic infinite', () => {
    const combined = combineRepeats([repeat(1, 0, 1), repeat(2, 0.5, 2)])!;
    expect(Number.isFinite(combined.value)).toBe(true);
    expect(combined.value).toBeCloseTo(1, 5);
    expect(combined.uncertainty).toBeCloseTo(Math.SQRT1_2 / Math.SQRT2, 12); // the spread of 1 and 2 (1/√2), over √2
  });

  test('nothing to combine is null', () => {
    expect(combineRepeats([])).toBeNull();
  });
});

describe('the maximum-likelihood fit over a network', () => {
  test('a triangle with equal weights: the hand-solved values, covariances and closure', () => {
    // x_B − x_A = 1, x_C − x_B = 2, x_C − x_A = 2.5, σ = 1 each, x_A = 0. Normal equations
    // [[2, −1], [−1, 2]]·[x_B, x_C] = [1 − 2, 2 + 2.5]: x_B = 5/6, x_C = 8/3; covariance (1/3)·[[2, 1], [1, 2]].
    const fit = fitNetwork(['A', 'B', 'C'], [edge('ab', 'A', 'B', 1), edge('bc', 'B', 'C', 2), edge('ac', 'A', 'C', 2.5)]);
    const node = (id: string) => fit.nodes.find((n) => n.id === id)!;
    expect(node('A')).toEqual({ id: 'A', value: 0, uncertainty: 0, component: 0 });
    expect(node('B').value).toBeCloseTo(5 / 6, 12);
    expect(node('C').value).toBeCloseTo(8 / 3, 12);
    expect(node('B').uncertainty).toBeCloseTo(Math.sqrt(2 / 3), 12);
    expect(node('C').uncertainty).toBeCloseTo(Math.sqrt(2 / 3), 12);
    const bc = fit.edges.find((e) => e.id === 'bc')!;
    expect(bc.fitted).toBeCloseTo(8 / 3 - 5 / 6, 12);
    expect(bc.fittedUncertainty).toBeCloseTo(Math.sqrt(2 / 3 + 2 / 3 - 2 / 3), 12);
    expect(bc.residual).toBeCloseTo(1 / 6, 12);
    expect(fit.cycles).toEqual([{ edgeIds: ['bc', 'ac', 'ab'], directions: [1, -1, 1], value: 0.5, uncertainty: Math.sqrt(3) }]);
    expect(fit.components).toEqual([{ index: 0, nodeIds: ['A', 'B', 'C'], reference: 'A' }]);
    expect(fit.unit).toBe('kT');
  });

  test('another reference shifts every value and measures uncertainties from it', () => {
    const edges = [edge('ab', 'A', 'B', 1), edge('bc', 'B', 'C', 2, 0.5)];
    const fit = fitNetwork(['A', 'B', 'C'], edges, 'C');
    expect(fit.nodes.map((n) => [n.id, n.value, n.uncertainty])).toEqual([
      ['A', -3, Math.sqrt(1.25)],
      ['B', -2, 0.5],
      ['C', 0, 0],
    ]);
    expect(fit.cycles).toEqual([]);
    expect(fit.edges.map((e) => [e.fitted, e.fittedUncertainty])).toEqual([
      [1, 1],
      [2, 0.5],
    ]);
  });

  test('weights follow 1/σ²: a precise edge pulls the fit towards itself', () => {
    const fit = fitNetwork(['A', 'B'], [edge('precise', 'A', 'B', 1, 0.1), edge('rough', 'A', 'B', 2, 1)]);
    expect(fit.nodes[1]!.value).toBeCloseTo((100 * 1 + 1 * 2) / 101, 12);
    expect(fit.nodes[1]!.uncertainty).toBeCloseTo(Math.sqrt(1 / 101), 12);
    expect(fit.cycles).toEqual([{ edgeIds: ['rough', 'precise'], directions: [1, -1], value: 1, uncertainty: Math.sqrt(1.01) }]);
  });

  test('parts not joined by measured edges are fitted separately, each pinned at its first node', () => {
    const unmeasured: FitEdge = { id: 'cd', from: 'C', to: 'D', measured: null };
    const fit = fitNetwork(['A', 'B', 'C', 'D', 'E'], [edge('ab', 'A', 'B', 1), unmeasured, edge('ed', 'E', 'D', 3)]);
    expect(fit.components).toEqual([
      { index: 0, nodeIds: ['A', 'B'], reference: 'A' },
      { index: 1, nodeIds: ['C'], reference: 'C' },
      { index: 2, nodeIds: ['D', 'E'], reference: 'D' },
    ]);
    expect(fit.nodes.map((n) => [n.id, n.value, n.component])).toEqual([
      ['A', 0, 0],
      ['B', 1, 0],
      ['C', 0, 1],
      ['D', 0, 2],
      ['E', -3, 2],
    ]);
    expect(fit.edges.find((e) => e.id === 'cd')).toMatchObject({ inFit: false, residual: null });
  });

  test('a zero-σ edge is all but exact and the fit stays finite', () => {
    const fit = fitNetwork(['A', 'B', 'C'], [edge('ab', 'A', 'B', 1, 0), edge('bc', 'B', 'C', 1, 0.2), edge('ac', 'A', 'C', 2.3, 0.2)]);
    const b = fit.nodes[1]!;
    expect(b.value).toBeCloseTo(1, 6);
    expect(b.uncertainty).toBeLessThan(1e-3);
    expect(fit.nodes[2]!.value).toBeCloseTo(2.15, 6);
    for (const node of fit.nodes) expect(Number.isFinite(node.uncertainty)).toBe(true);
  });

  test('edges in a unit other than the majority take no part and have no residual', () => {
    const fit = fitNetwork(['A', 'B', 'C'], [edge('ab', 'A', 'B', 1), edge('bc', 'B', 'C', 2), edge('ac', 'A', 'C', 9, 1, 'kcal/mol')]);
    expect(fit.unit).toBe('kT');
    const ac = fit.edges.find((e) => e.id === 'ac')!;
    expect(ac).toMatchObject({ inFit: false, residual: null });
    expect(ac.fitted).toBeCloseTo(3, 12);
    expect(fit.cycles).toEqual([]);
  });

  test('a reference outside the nodes is refused', () => {
    expect(() => fitNetwork(['A'], [], 'Z')).toThrow(RangeError);
  });
});

test('the Cholesky inverse of a symmetric positive-definite matrix', () => {
  const inverse = invertPositiveDefinite([
    [4, 2, 0],
    [2, 5, 1],
    [0, 1, 3],
  ]);
  const product = [0, 1, 2].map((i) =>
    [0, 1, 2].map((j) =>
      [
        [4, 2, 0],
        [2, 5, 1],
        [0, 1, 3],
      ][i]!.reduce((sum, a, k) => sum + a * inverse[k]![j]!, 0),
    ),
  );
  for (let i = 0; i < 3; i += 1) for (let j = 0; j < 3; j += 1) expect(product[i]![j]).toBeCloseTo(i === j ? 1 : 0, 12);
  expect(() => invertPositiveDefinite([[0]])).toThrow(/not positive definite/);
});
