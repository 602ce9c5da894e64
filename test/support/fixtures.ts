import type { Principal } from '../../src/domain/principal.js';
import type { Services } from '../../src/domain/services.js';

/** A small network: two chemical systems, `count` transformations between them under `protocol`. */
export async function createNetwork(
  services: Services,
  user: Principal,
  options: { name?: string; scope?: string; transformations?: number; protocol?: string } = {},
) {
  const count = options.transformations ?? 1;
  const { network } = await services.networks.create(user, options.scope ?? 'acme-c1-p1', {
    name: options.name ?? 'network',
    chemicalSystems: [
      { name: 'ligand-A', components: { smiles: 'c1ccccc1' } },
      { name: 'ligand-B', components: { smiles: 'c1ccccc1C' } },
    ],
    transformations: Array.from({ length: count }, (_, i) => ({
      name: `A->B #${i}`,
      stateA: 'ligand-A',
      stateB: 'ligand-B',
      protocol: options.protocol ?? 'demo',
      settings: { lambdaWindows: 3, replica: i },
    })),
  });
  const transformations = await services.networks.transformations(network.id);
  return { network, transformations };
}

/** setup → sim-0, sim-1 → analysis: the shape of a real free-energy DAG. */
export const diamondDag = {
  name: 'diamond',
  units: [
    { key: 'setup', name: 'Setup', dependencies: [] },
    { key: 'sim-0', name: 'Simulate window 0', dependencies: ['setup'] },
    { key: 'sim-1', name: 'Simulate window 1', dependencies: ['setup'] },
    { key: 'analysis', name: 'Analysis', dependencies: ['sim-0', 'sim-1'] },
  ],
};

export function okResult(unitKey: string, outputs: unknown = { unitKey }) {
  const startedAt = new Date(Date.now() - 1000);
  return { unitKey, ok: true, outputs, startedAt, endedAt: new Date() };
}

export function failedResult(unitKey: string, traceback = 'Traceback (most recent call last):\n  RuntimeError: boom') {
  return { unitKey, ok: false, exception: 'RuntimeError: boom', traceback, startedAt: new Date(Date.now() - 1000), endedAt: new Date() };
}
