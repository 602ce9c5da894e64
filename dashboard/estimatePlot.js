// A transformation's estimate against its completed repeats, as inline SVG: each repeat's value ± σ
// as a point with an error bar, and behind them the combination of the first k repeats ± its σ as a
// stepped band, so one sees the estimate settle and its uncertainty shrink as repeats arrive. The last
// step is the server's TransformationEstimate (the test checks they agree).
import { el, plusMinus, svgEl, toPlaceOf } from './dom.js';

/**
 * The server's combination rule (TransformationEstimate in schema.graphql; src/domain/estimates/
 * combineRepeats.ts): the inverse-variance weighted mean; as uncertainty the larger of its standard
 * error and the sample standard deviation of the values over √n (repeats that disagree beyond their
 * error bars widen it). A zero σ weighs as a thousandth of the smallest positive one (1e-9 when all
 * are zero), so a weight is never infinite (docs/estimates.md).
 */
export function combineRepeats(repeats) {
  const n = repeats.length;
  const positive = repeats.map((r) => r.uncertainty).filter((sigma) => sigma > 0);
  const floor = positive.length === 0 ? 1e-9 : Math.min(...positive) * 1e-3;
  const weights = repeats.map((r) => 1 / Math.max(r.uncertainty, floor) ** 2);
  const totalWeight = weights.reduce((sum, w) => sum + w, 0);
  const value = repeats.reduce((sum, r, i) => sum + weights[i] * r.value, 0) / totalWeight;
  const standardError = n === 1 ? repeats[0].uncertainty : Math.sqrt(1 / totalWeight);
  const spread = n < 2 ? null : sampleStandardDeviation(repeats.map((r) => r.value));
  const uncertainty = spread === null ? standardError : Math.max(standardError, spread / Math.sqrt(n));
  return { value, uncertainty, spread, n };
}

function sampleStandardDeviation(values) {
  const mean = values.reduce((sum, v) => sum + v, 0) / values.length;
  return Math.sqrt(values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (values.length - 1));
}

/** After each repeat, the combination of the repeats so far. */
export function runningCombination(repeats) {
  return repeats.map((_, i) => combineRepeats(repeats.slice(0, i + 1)));
}

const width = 600;
const height = 240;
const margin = { left: 64, right: 16, top: 14, bottom: 34 };

export function drawEstimatePlot(svg, estimate) {
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  const repeats = estimate?.repeats ?? [];
  if (repeats.length === 0) {
    svg.removeAttribute('data-n');
    svg.replaceChildren(svgEl('text', { x: 10, y: 24 }, 'No estimate yet: it appears when a task of this transformation completes.'));
    return;
  }
  const running = runningCombination(repeats);
  const last = running[running.length - 1];
  svg.setAttribute('data-n', repeats.length);
  svg.setAttribute('data-value', last.value);
  svg.setAttribute('data-uncertainty', last.uncertainty);

  const lows = [...repeats.map((r) => r.value - r.uncertainty), ...running.map((c) => c.value - c.uncertainty)];
  const highs = [...repeats.map((r) => r.value + r.uncertainty), ...running.map((c) => c.value + c.uncertainty)];
  const ticks = niceTicks(Math.min(...lows), Math.max(...highs));
  const [yMin, yMax] = [ticks[0], ticks[ticks.length - 1]];
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const column = plotW / repeats.length;
  const x = (i) => margin.left + (i + 0.5) * column;
  const y = (v) => margin.top + (yMax === yMin ? plotH / 2 : ((yMax - v) / (yMax - yMin)) * plotH);

  const axes = [
    svgEl('line', { class: 'axis', x1: margin.left, y1: margin.top, x2: margin.left, y2: margin.top + plotH }),
    svgEl('line', { class: 'axis', x1: margin.left, y1: margin.top + plotH, x2: margin.left + plotW, y2: margin.top + plotH }),
    ...ticks.flatMap((tick) => [
      svgEl('line', { class: 'grid', x1: margin.left, y1: y(tick), x2: margin.left + plotW, y2: y(tick) }),
      svgEl('text', { class: 'tick', x: margin.left - 6, y: y(tick) + 4, 'text-anchor': 'end' }, String(Number(tick.toPrecision(6)))),
    ]),
    svgEl(
      'text',
      { class: 'axis-label', x: 12, y: margin.top + plotH / 2, transform: `rotate(-90 12 ${margin.top + plotH / 2})` },
      `ΔF (${estimate.unit})`,
    ),
    svgEl('text', { class: 'axis-label', x: margin.left + plotW / 2, y: height - 4, 'text-anchor': 'middle' }, 'completed repeats'),
  ];
  const labelEvery = Math.ceil(repeats.length / 20);
  const xLabels = repeats
    .map((_, i) => i)
    .filter((i) => (i + 1) % labelEvery === 0 || i === 0)
    .map((i) => svgEl('text', { class: 'tick', x: x(i), y: margin.top + plotH + 14, 'text-anchor': 'middle' }, String(i + 1)));

  const band = running.map((c, i) =>
    svgEl('rect', {
      class: 'combined-band',
      x: margin.left + i * column,
      y: y(c.value + c.uncertainty),
      width: column,
      height: Math.max(1, y(c.value - c.uncertainty) - y(c.value + c.uncertainty)),
    }),
  );
  const line = svgEl('path', {
    class: 'combined-line',
    d: running
      .map((c, i) => `${i === 0 ? 'M' : 'L'} ${margin.left + i * column} ${y(c.value)} H ${margin.left + (i + 1) * column}`)
      .join(' '),
  });
  const points = repeats.map((repeat, i) => {
    const group = svgEl('g', { class: 'repeat', 'data-task': repeat.taskId, 'data-value': repeat.value });
    group.append(
      svgEl('line', { x1: x(i), x2: x(i), y1: y(repeat.value - repeat.uncertainty), y2: y(repeat.value + repeat.uncertainty) }),
      svgEl('circle', { cx: x(i), cy: y(repeat.value), r: 3.5 }),
      svgEl(
        'title',
        {},
        `repeat ${i + 1}: ${plusMinus(repeat.value, repeat.uncertainty)} ${estimate.unit} · task ${repeat.taskId} · seed ${repeat.seed} · ${repeat.completedAt}\n` +
          `combined after it: ${plusMinus(running[i].value, running[i].uncertainty)}`,
      ),
    );
    return group;
  });
  svg.replaceChildren(...axes, ...xLabels, ...band, line, ...points);
}

/** About five round tick values covering [low, high]. */
function niceTicks(low, high) {
  if (!(high > low)) {
    const pad = Math.abs(low) > 0 ? Math.abs(low) * 0.01 : 1;
    return niceTicks(low - pad, high + pad);
  }
  const rough = (high - low) / 4;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough);
  const ticks = [];
  for (let t = Math.floor(low / step) * step; t < high + step * 0.999; t += step) ticks.push(t);
  return ticks;
}

/** The line above the plot: the combined ΔF ± σ, from how many repeats, and their spread. */
export function renderEstimateSummary(node, estimate) {
  if (estimate === null) {
    node.replaceChildren('No estimate yet.');
    for (const name of ['data-value', 'data-uncertainty', 'data-n']) node.removeAttribute(name);
    return;
  }
  node.setAttribute('data-value', estimate.value);
  node.setAttribute('data-uncertainty', estimate.uncertainty);
  node.setAttribute('data-n', estimate.n);
  const spread = estimate.spread === null ? '' : ` · spread between repeats ${toPlaceOf(estimate.spread, estimate.spread)}`;
  node.replaceChildren(
    el('strong', {}, `ΔF = ${plusMinus(estimate.value, estimate.uncertainty)} ${estimate.unit}`),
    ` from ${estimate.n} repeat${estimate.n === 1 ? '' : 's'}${spread}`,
  );
}
