import type { Estimate } from './reportedEstimate.js';
import { invertPositiveDefinite } from './positiveDefinite.js';
import { floored, uncertaintyFloor } from './uncertaintyFloor.js';

/** A transformation as the fit sees it: an edge from → to (stateA → stateB) and its measured ΔF, if any. */
export interface FitEdge {
  id: string;
  from: string;
  to: string;
  measured: Estimate | null;
}

export interface NetworkFit {
  /** The unit the fit is in: the one most measured edges report; null when none is measured. */
  unit: string | null;
  /** In the order the nodes were given; values relative to their part's reference. */
  nodes: Array<{ id: string; value: number; uncertainty: number; component: number }>;
  /** In the order the edges were given. `inFit`: measured in the fit's unit, so it took part. */
  edges: Array<{ id: string; fitted: number; fittedUncertainty: number; residual: number | null; inFit: boolean }>;
  cycles: Array<{ edgeIds: string[]; directions: number[]; value: number; uncertainty: number }>;
  components: Array<{ index: number; nodeIds: string[]; reference: string }>;
}

/**
 * Maximum likelihood over a network of relative measurements: weighted least squares, each edge
 * saying x(to) − x(from) = value with weight 1/σ². Absolute values are free up to one constant per
 * connected part, so each part pins its reference at 0 (`reference` for its own part, otherwise the
 * part's first node in the order given) and the fit solves the normal equations of the others. Their
 * inverse is the covariance: a node's uncertainty is relative to its reference, and a fitted edge's is
 * var(x_to) + var(x_from) − 2·cov. Cycle closures: one per edge beyond a spanning forest of the measured
 * edges, the signed sum of measured values around it and √Σσ². Edges in another unit than the
 * majority's, or not measured, take no part (docs/estimates.md).
 */
export function fitNetwork(nodeIds: readonly string[], edges: readonly FitEdge[], reference?: string): NetworkFit {
  if (reference !== undefined && !nodeIds.includes(reference)) throw new RangeError(`reference ${reference} is not a node of the network`);
  const unit = majorityUnit(edges);
  const fitEdges = edges.filter((edge): edge is FitEdge & { measured: Estimate } => edge.measured !== null && edge.measured.unit === unit);
  const components = connectedComponents(nodeIds, fitEdges, reference);
  const componentOf = new Map<string, number>();
  for (const component of components) for (const id of component.nodeIds) componentOf.set(id, component.index);

  const floor = uncertaintyFloor(fitEdges.map((edge) => edge.measured.uncertainty));
  const solved = new Map<string, { value: number; position: number; covariance: number[][] }>();
  for (const component of components) {
    const free = component.nodeIds.filter((id) => id !== component.reference);
    const position = new Map(free.map((id, index) => [id, index]));
    solved.set(component.reference, { value: 0, position: -1, covariance: [] });
    if (free.length === 0) continue;
    const normal = free.map(() => new Array<number>(free.length).fill(0));
    const rhs = new Array<number>(free.length).fill(0);
    for (const edge of fitEdges) {
      if (componentOf.get(edge.from) !== component.index) continue;
      const weight = 1 / floored(edge.measured.uncertainty, floor) ** 2;
      const a = position.get(edge.from) ?? -1;
      const b = position.get(edge.to) ?? -1;
      if (b >= 0) {
        normal[b]![b]! += weight;
        rhs[b]! += weight * edge.measured.value;
      }
      if (a >= 0) {
        normal[a]![a]! += weight;
        rhs[a]! -= weight * edge.measured.value;
      }
      if (a >= 0 && b >= 0) {
        normal[a]![b]! -= weight;
        normal[b]![a]! -= weight;
      }
    }
    const covariance = invertPositiveDefinite(normal);
    for (const [id, index] of position) {
      const row = covariance[index]!;
      solved.set(id, { value: row.reduce((sum, c, j) => sum + c * rhs[j]!, 0), position: index, covariance });
    }
  }

  const node = (id: string) => solved.get(id) ?? { value: 0, position: -1, covariance: [] };
  const variance = (id: string) => {
    const { position, covariance } = node(id);
    return position < 0 ? 0 : covariance[position]![position]!;
  };
  const covarianceOf = (a: string, b: string) => {
    if (componentOf.get(a) !== componentOf.get(b)) return 0;
    const pa = node(a).position;
    const pb = node(b).position;
    return pa < 0 || pb < 0 ? 0 : node(a).covariance[pa]![pb]!;
  };

  return {
    unit,
    nodes: nodeIds.map((id) => ({ id, value: node(id).value, uncertainty: Math.sqrt(variance(id)), component: componentOf.get(id)! })),
    edges: edges.map((edge) => {
      const fitted = node(edge.to).value - node(edge.from).value;
      const inFit = edge.measured !== null && edge.measured.unit === unit;
      const fittedVariance = variance(edge.to) + variance(edge.from) - 2 * covarianceOf(edge.to, edge.from);
      return {
        id: edge.id,
        fitted,
        fittedUncertainty: Math.sqrt(Math.max(0, fittedVariance)),
        residual: inFit ? edge.measured!.value - fitted : null,
        inFit,
      };
    }),
    cycles: cycleClosures(components, fitEdges),
    components,
  };
}

/** The unit most measured edges report (the first such edge's, on a tie). */
function majorityUnit(edges: readonly FitEdge[]): string | null {
  const counts = new Map<string, number>();
  for (const edge of edges) if (edge.measured !== null) counts.set(edge.measured.unit, (counts.get(edge.measured.unit) ?? 0) + 1);
  let best: string | null = null;
  for (const [unit, count] of counts) if (best === null || count > counts.get(best)!) best = unit;
  return best;
}

/** Parts joined by the fit's edges, numbered by their first node in the order given. */
function connectedComponents(
  nodeIds: readonly string[],
  edges: readonly FitEdge[],
  reference: string | undefined,
): NetworkFit['components'] {
  const parent = new Map(nodeIds.map((id) => [id, id]));
  const root = (id: string): string => {
    let current = id;
    while (parent.get(current) !== current) current = parent.get(current)!;
    parent.set(id, current);
    return current;
  };
  for (const edge of edges) parent.set(root(edge.from), root(edge.to));
  const byRoot = new Map<string, string[]>();
  for (const id of nodeIds) {
    const members = byRoot.get(root(id));
    if (members === undefined) byRoot.set(root(id), [id]);
    else members.push(id);
  }
  return [...byRoot.values()].map((members, index) => ({
    index,
    nodeIds: members,
    reference: reference !== undefined && members.includes(reference) ? reference : members[0]!,
  }));
}

interface TreeLink {
  parent: string;
  edge: FitEdge & { measured: Estimate };
  depth: number;
}

/** A spanning forest grown from each part's reference, edges taken in the order given; every other edge closes one cycle. */
function cycleClosures(components: NetworkFit['components'], edges: ReadonlyArray<FitEdge & { measured: Estimate }>): NetworkFit['cycles'] {
  const adjacent = new Map<string, Array<FitEdge & { measured: Estimate }>>();
  for (const edge of edges) {
    for (const end of [edge.from, edge.to]) adjacent.set(end, [...(adjacent.get(end) ?? []), edge]);
  }
  const links = new Map<string, TreeLink | null>();
  const treeEdges = new Set<string>();
  for (const component of components) {
    links.set(component.reference, null);
    const queue = [component.reference];
    for (let head = 0; head < queue.length; head += 1) {
      const current = queue[head]!;
      const depth = (links.get(current)?.depth ?? 0) + 1;
      for (const edge of adjacent.get(current) ?? []) {
        const other = edge.from === current ? edge.to : edge.from;
        if (links.has(other)) continue;
        links.set(other, { parent: current, edge, depth });
        treeEdges.add(edge.id);
        queue.push(other);
      }
    }
  }
  const depthOf = (id: string) => links.get(id)?.depth ?? 0;
  const step = (edge: FitEdge, from: string, to: string) => ({ edge, direction: edge.from === from && edge.to === to ? 1 : -1 });

  return edges
    .filter((edge) => !treeEdges.has(edge.id))
    .map((closing) => {
      // Around the cycle: the closing edge from → to, then back through the tree from `to` to `from`.
      const up: Array<{ edge: FitEdge & { measured: Estimate }; direction: number }> = [];
      const down: typeof up = [];
      let a = closing.to;
      let b = closing.from;
      while (a !== b) {
        if (depthOf(a) >= depthOf(b)) {
          const link = links.get(a)!;
          up.push({ ...step(link.edge, a, link.parent), edge: link.edge });
          a = link.parent;
        } else {
          const link = links.get(b)!;
          down.unshift({ ...step(link.edge, link.parent, b), edge: link.edge });
          b = link.parent;
        }
      }
      const around = [{ edge: closing, direction: 1 }, ...up, ...down];
      return {
        edgeIds: around.map((s) => s.edge.id),
        directions: around.map((s) => s.direction),
        value: around.reduce((sum, s) => sum + s.direction * s.edge.measured.value, 0),
        uncertainty: Math.sqrt(around.reduce((sum, s) => sum + s.edge.measured.uncertainty ** 2, 0)),
      };
    });
}
