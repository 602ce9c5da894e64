import type { ApiClient } from '../../src/client/ApiClient.js';

export interface CreatedNetwork {
  key: string;
  transformation: (name: string) => string;
  chemicalSystem: (name: string) => string;
}

/** A network of chemical systems `a`, `b` (and `c`) and the named transformations, created through the API. */
export async function createNetwork(
  as: ApiClient,
  scope: string,
  name: string,
  transformations: Array<{ name: string; stateA?: string; stateB?: string; protocol?: string }>,
): Promise<CreatedNetwork> {
  const { createNetwork: created } = await as.request<{
    createNetwork: {
      network: {
        scopedKey: string;
        transformations: Array<{ scopedKey: string; name: string }>;
        chemicalSystems: Array<{ scopedKey: string; name: string }>;
      };
    };
  }>(
    `mutation ($s: String!, $i: NetworkInput!) {
      createNetwork(scope: $s, input: $i) { network { scopedKey transformations { scopedKey name } chemicalSystems { scopedKey name } } }
    }`,
    { s: scope, i: networkInput(name, transformations) },
  );
  const transformationKeys = new Map(created.network.transformations.map((t) => [t.name, t.scopedKey]));
  const systemKeys = new Map(created.network.chemicalSystems.map((s) => [s.name, s.scopedKey]));
  return {
    key: created.network.scopedKey,
    transformation: (n) => transformationKeys.get(n) ?? fail(`no transformation ${n}`),
    chemicalSystem: (n) => systemKeys.get(n) ?? fail(`no chemical system ${n}`),
  };
}

export function networkInput(name: string, transformations: Array<{ name: string; stateA?: string; stateB?: string; protocol?: string }>) {
  return {
    name,
    chemicalSystems: [
      { name: 'a', components: { x: 1 } },
      { name: 'b', components: { x: 2 } },
      { name: 'c', components: { x: 3 } },
    ],
    transformations: transformations.map((t) => ({
      name: t.name,
      stateA: t.stateA ?? 'a',
      stateB: t.stateB ?? 'b',
      protocol: t.protocol ?? 'proto-a',
      settings: {},
    })),
  };
}

export async function createTasks(as: ApiClient, transformationKey: string, count: number): Promise<string[]> {
  const { createTasks: tasks } = await as.request<{ createTasks: Array<{ id: string }> }>(
    'mutation ($t: ID!, $n: Int) { createTasks(transformationKey: $t, count: $n) { id } }',
    { t: transformationKey, n: count },
  );
  return tasks.map((t) => t.id);
}

export const actionTasks = (as: ApiClient, networkKey: string, ids: string[]) =>
  as.request<{ actionTasks: string[] }>('mutation ($n: ID!, $ids: [ID!]!) { actionTasks(networkKey: $n, taskIds: $ids) }', {
    n: networkKey,
    ids,
  });

/** The key without its scope: `Kind-<32 hex>`. */
export const unscoped = (scopedKey: string): string => scopedKey.split('-').slice(0, 2).join('-');

function fail(message: string): never {
  throw new Error(message);
}
