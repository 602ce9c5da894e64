// The network as a graph: chemical systems as nodes (labelled with their fitted value ± σ), the
// transformations as arrows stateA → stateB (coloured by their tasks' state, labelled ΔF ± σ), and
// under it the parts that are not connected and how well each cycle closes.
import { el, plusMinus, svgEl } from './dom.js';

const width = 600;
const height = 420;
const nodeRadius = 16;
/** Parallel transformations between the same two systems bow apart by this much each. */
const parallelGap = 30;
/** Edge labels sit this far along their edge, not halfway: crossing diagonals would put theirs on top of each other. */
const labelAt = 0.4;

/**
 * `edgeEstimates`: transformation key → {value, uncertainty, unit, n} (its estimate; events update it
 * before the network's fit is read again); `fit`: the network's NetworkEstimates, or null.
 */
export function drawNetwork(svg, { network, edgeEstimates, fit, selectedKey, onSelect }) {
  const radius = Math.min(width, height) / 2 - 60;
  const at = new Map(
    network.chemicalSystems.map((system, i) => {
      const angle = (2 * Math.PI * i) / network.chemicalSystems.length - Math.PI / 2;
      return [system.scopedKey, { x: width / 2 + radius * Math.cos(angle), y: height / 2 + radius * Math.sin(angle), system }];
    }),
  );
  // Before any transformation has an estimate every system is "0 (reference)" of a part of its own: say nothing instead.
  const usable = fit !== null && fit.unit !== null ? fit : null;
  const fitted = new Map((usable?.chemicalSystems ?? []).map((s) => [s.chemicalSystem.scopedKey, s]));
  const references = new Set((usable?.components ?? []).map((c) => c.reference));
  const residuals = new Map((usable?.transformations ?? []).map((t) => [t.transformation.scopedKey, t]));

  const marker = svgEl('marker', {
    id: 'edge-arrow',
    viewBox: '0 0 10 10',
    refX: 10,
    refY: 5,
    markerWidth: 12,
    markerHeight: 12,
    orient: 'auto',
    // The same size on a selected (thicker) edge.
    markerUnits: 'userSpaceOnUse',
  });
  marker.append(svgEl('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'edge-arrowhead' }));
  const defs = svgEl('defs');
  defs.append(marker);

  const parallels = new Map();
  for (const t of network.transformations) {
    const pair = [t.stateA.scopedKey, t.stateB.scopedKey].sort().join(' ');
    parallels.set(pair, [...(parallels.get(pair) ?? []), t.scopedKey]);
  }

  const edges = network.transformations.map((t) => {
    const a = at.get(t.stateA.scopedKey);
    const b = at.get(t.stateB.scopedKey);
    const pair = [t.stateA.scopedKey, t.stateB.scopedKey].sort().join(' ');
    const siblings = parallels.get(pair);
    // The same pair always bows the same way, whichever of its systems is stateA.
    const sign = t.stateA.scopedKey < t.stateB.scopedKey ? 1 : -1;
    const bow = (siblings.indexOf(t.scopedKey) - (siblings.length - 1) / 2) * parallelGap * sign;
    const geometry = edgeGeometry(a, b, bow);
    const estimate = edgeEstimates.get(t.scopedKey) ?? null;
    const group = svgEl('g', {
      class: 'edge',
      'data-transformation': t.scopedKey,
      'data-state': edgeState(t.statusCounts),
      'aria-selected': String(t.scopedKey === selectedKey),
      ...(estimate === null ? {} : { 'data-value': estimate.value, 'data-uncertainty': estimate.uncertainty }),
    });
    const link = svgEl('path', { class: 'link', d: geometry.path, 'marker-end': 'url(#edge-arrow)' });
    link.append(svgEl('title', {}, edgeTooltip(t, estimate, residuals.get(t.scopedKey))));
    const label = svgEl(
      'text',
      {
        class: estimate === null ? 'edge-label no-estimate' : 'edge-label',
        x: geometry.label.x,
        y: geometry.label.y,
        'text-anchor': 'middle',
      },
      estimate === null ? t.name : `ΔF ${plusMinus(estimate.value, estimate.uncertainty)} ${estimate.unit}`,
    );
    group.append(link, label);
    group.addEventListener('click', () => onSelect(t.scopedKey));
    return group;
  });

  const nodes = [...at.values()].map(({ x, y, system }) => {
    const value = fitted.get(system.scopedKey);
    const group = svgEl('g', {
      class: 'node',
      'data-system': system.scopedKey,
      ...(value === undefined
        ? {}
        : { 'data-value': value.value, 'data-uncertainty': value.uncertainty, 'data-component': value.component }),
    });
    const circle = svgEl('circle', {
      cx: x,
      cy: y,
      r: nodeRadius,
      class: value === undefined ? '' : `component-${value.component % 6}`,
    });
    const onLeft = x < width / 2 - 1;
    const anchor = { x: onLeft ? x - nodeRadius - 4 : x + nodeRadius + 4, 'text-anchor': onLeft ? 'end' : 'start' };
    const name = svgEl('text', { ...anchor, y: y - 2, class: 'node-name' }, system.name);
    group.append(circle, name);
    if (value !== undefined) {
      const text = references.has(system.scopedKey) ? `0 (reference)` : `${plusMinus(value.value, value.uncertainty)} ${usable.unit}`;
      group.append(svgEl('text', { ...anchor, y: y + 11, class: 'node-value' }, text));
    }
    return group;
  });
  svg.replaceChildren(defs, ...edges, ...nodes);
}

/** A straight edge, or a bowed one for parallels, stopping at the nodes' rims; and where its label goes. */
function edgeGeometry(a, b, bow) {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const length = Math.hypot(dx, dy) || 1;
  const normal = { x: -dy / length, y: dx / length };
  const control = { x: (a.x + b.x) / 2 + normal.x * bow * 2, y: (a.y + b.y) / 2 + normal.y * bow * 2 };
  const rim = (from, toward) => {
    const d = Math.hypot(toward.x - from.x, toward.y - from.y) || 1;
    return { x: from.x + ((toward.x - from.x) / d) * nodeRadius, y: from.y + ((toward.y - from.y) / d) * nodeRadius };
  };
  const start = rim(a, control);
  const end = rim(b, control);
  const t = labelAt;
  const label = {
    x: (1 - t) ** 2 * start.x + 2 * t * (1 - t) * control.x + t ** 2 * end.x,
    y: (1 - t) ** 2 * start.y + 2 * t * (1 - t) * control.y + t ** 2 * end.y - 5,
  };
  return { path: `M ${start.x} ${start.y} Q ${control.x} ${control.y} ${end.x} ${end.y}`, label };
}

function edgeTooltip(t, estimate, fitted) {
  const c = t.statusCounts;
  const lines = [`${t.name}: ${c.waiting} waiting, ${c.running} running, ${c.complete} complete, ${c.error} error`];
  if (estimate !== null) {
    lines.push(`ΔF = ${plusMinus(estimate.value, estimate.uncertainty)} ${estimate.unit} from ${estimate.n} repeat(s)`);
  }
  if (fitted !== undefined && fitted.residual !== null) {
    lines.push(`network fit: ${plusMinus(fitted.fitted, fitted.fittedUncertainty)}, residual ${fitted.residual.toPrecision(3)}`);
  }
  return lines.join('\n');
}

export function edgeState(counts) {
  if (counts.error > 0) return 'error';
  if (counts.running > 0) return 'running';
  if (counts.waiting > 0) return 'waiting';
  if (counts.complete > 0) return 'complete';
  return 'none';
}

/** Under the graph: the gauge, the disconnected parts (if any) and each independent cycle's closure. */
export function renderFitSummary(container, network, fit) {
  if (fit === null || fit.unit === null) {
    container.replaceChildren(el('p', { class: 'hint' }, 'No estimates yet: they appear as tasks complete.'));
    return;
  }
  const names = new Map(network.chemicalSystems.map((s) => [s.scopedKey, s.name]));
  const transformations = new Map(network.transformations.map((t) => [t.scopedKey, t]));
  const children = [el('p', { class: 'hint' }, `Values in ${fit.unit}. ${fit.gauge}`)];

  if (fit.disconnected) {
    children.push(
      el(
        'p',
        { class: 'disconnected', 'data-parts': fit.components.length },
        `Disconnected: ${fit.components.length} parts. Values in different parts cannot be compared.`,
      ),
      el(
        'ul',
        { id: 'network-parts' },
        fit.components.map((part) =>
          el('li', { 'data-component': part.index, class: `component-${part.index % 6}` }, [
            el('strong', {}, `Part ${part.index + 1}: `),
            part.chemicalSystemKeys.map((key) => (key === part.reference ? `${names.get(key)} (reference)` : names.get(key))).join(', '),
          ]),
        ),
      ),
    );
  }

  children.push(el('h4', {}, fit.cycles.length === 0 ? 'No cycles' : 'Cycle closures'));
  children.push(
    el(
      'ul',
      { id: 'network-cycles' },
      fit.cycles.map((cycle, i) => {
        const within = Math.abs(cycle.value) <= 3 * cycle.uncertainty;
        return el('li', { 'data-cycle': i, 'data-closes': String(within), 'data-value': cycle.value }, [
          cyclePath(cycle, transformations, names),
          `: ${plusMinus(cycle.value, cycle.uncertainty)} ${fit.unit}`,
          el('small', {}, within ? ' closes within 3σ' : ' does not close within 3σ'),
        ]);
      }),
    ),
  );
  container.replaceChildren(...children);
}

/** "A → B → C → A", walking each transformation forward (+1) or backward (−1). */
function cyclePath(cycle, transformations, names) {
  const stops = [];
  cycle.transformationKeys.forEach((key, i) => {
    const t = transformations.get(key);
    if (t === undefined) return;
    const [from, to] = cycle.directions[i] === 1 ? [t.stateA, t.stateB] : [t.stateB, t.stateA];
    if (stops.length === 0) stops.push(names.get(from.scopedKey));
    stops.push(names.get(to.scopedKey));
  });
  return stops.join(' → ');
}
