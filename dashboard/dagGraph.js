// A task's ProtocolDAG: units in columns by dependency depth, so every arrow points right; each box
// coloured by its unit's state, and the unit a worker is running now outlined (markRunning).
import { svgEl } from './dom.js';

const boxW = 120;
const boxH = 30;
const gapX = 50;
const gapY = 14;

export function drawDag(svg, dag, runningUnit) {
  if (dag === null) {
    svg.setAttribute('viewBox', '0 0 400 40');
    svg.replaceChildren(svgEl('text', { x: 10, y: 24 }, 'No ProtocolDAG yet: the first worker to claim the task registers it.'));
    return;
  }
  const depth = new Map();
  const depthOf = (unit, seen = new Set()) => {
    if (depth.has(unit.key)) return depth.get(unit.key);
    if (seen.has(unit.key)) return 0;
    seen.add(unit.key);
    const deps = unit.dependencies.map((key) => dag.units.find((u) => u.key === key)).filter(Boolean);
    const d = deps.length === 0 ? 0 : 1 + Math.max(...deps.map((u) => depthOf(u, seen)));
    depth.set(unit.key, d);
    return d;
  };
  const columns = [];
  for (const unit of dag.units) (columns[depthOf(unit)] ??= []).push(unit);
  const place = new Map();
  columns.forEach((units, col) =>
    units.forEach((unit, row) => place.set(unit.key, { x: 10 + col * (boxW + gapX), y: 10 + row * (boxH + gapY) })),
  );
  const width = 20 + columns.length * (boxW + gapX);
  const height = 20 + Math.max(...columns.map((c) => c.length)) * (boxH + gapY);
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  const marker = svgEl('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 6, markerHeight: 6, orient: 'auto' });
  marker.append(svgEl('path', { d: 'M 0 0 L 10 5 L 0 10 z', fill: '#9aa3ae' }));
  const defs = svgEl('defs');
  defs.append(marker);
  const arrows = dag.units.flatMap((unit) =>
    unit.dependencies
      .filter((key) => place.has(key))
      .map((key) => {
        const from = place.get(key);
        const to = place.get(unit.key);
        return svgEl('path', {
          class: 'dependency',
          d: `M ${from.x + boxW} ${from.y + boxH / 2} C ${from.x + boxW + gapX / 2} ${from.y + boxH / 2}, ${to.x - gapX / 2} ${to.y + boxH / 2}, ${to.x} ${to.y + boxH / 2}`,
        });
      }),
  );
  const boxes = dag.units.map((unit) => {
    const { x, y } = place.get(unit.key);
    const group = svgEl('g', { class: 'unit', 'data-unit': unit.key, 'data-state': unit.state, 'data-running': 'false' });
    group.append(
      svgEl('rect', { x, y, width: boxW, height: boxH }),
      svgEl('text', { x: x + 8, y: y + 19 }, unit.name.length > 18 ? `${unit.name.slice(0, 17)}…` : unit.name),
    );
    group.firstChild.append(svgEl('title', {}, `${unit.key}: ${unit.state}`));
    return group;
  });
  svg.replaceChildren(defs, ...arrows, ...boxes);
  markRunning(svg, runningUnit);
}

/** Outlines the unit running now (TaskAttempt.runningUnit), and no other; null clears it. */
export function markRunning(svg, runningUnit) {
  for (const box of svg.querySelectorAll('.unit')) {
    const running = box.dataset.unit === runningUnit;
    box.setAttribute('data-running', String(running));
    box.querySelector('title').textContent = `${box.dataset.unit}: ${running ? 'running now' : box.dataset.state}`;
  }
}
