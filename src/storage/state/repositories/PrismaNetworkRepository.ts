import type {
  ChemicalSystemRecord,
  NetworkRecord,
  NetworkRepository,
  TransformationRecord,
} from '../../../domain/networks/NetworkRepository.js';
import type { LookupQuery } from '../../../domain/networks/lookupQuery.js';
import type { KeyedNetwork } from '../../../domain/networks/networkInput.js';
import type { NetworkState } from '../../../domain/networks/networkState.js';
import type { Scope } from '../../../domain/scope.js';
import { formatScopedKey } from '../../../domain/scopedKey.js';
import { jsonInput } from '../json.js';
import { ensureScopeId, scopeFilter } from '../scopes.js';
import { lockTransformations } from '../sql/lockTransformations.js';
import { networkKeysOfTransformations } from '../sql/networkKeys.js';
import type { StateClient } from './stateClient.js';

const scopeSelect = { select: { org: true, campaign: true, project: true } } as const;

export class PrismaNetworkRepository implements NetworkRepository {
  constructor(protected readonly db: StateClient) {}

  async storeNetwork(scope: Scope, keyed: KeyedNetwork): Promise<boolean> {
    const scopeId = await ensureScopeId(this.db, scope);
    const existing = await this.db.alchemicalNetwork.findUnique({ where: { scopeId_key: { scopeId, key: keyed.key } } });
    if (existing !== null) return false;

    await this.db.chemicalSystem.createMany({
      data: keyed.chemicalSystems.map((s) => ({ scopeId, key: s.key, name: s.name, components: jsonInput(s.components) })),
      skipDuplicates: true,
    });
    const systems = await this.db.chemicalSystem.findMany({
      where: { scopeId, key: { in: keyed.chemicalSystems.map((s) => s.key) } },
      select: { id: true, key: true },
    });
    const systemId = new Map(systems.map((s) => [s.key, s.id]));
    const idOf = (key: string): string => {
      const id = systemId.get(key);
      if (id === undefined) throw new Error(`chemical system ${key} vanished while creating a network`);
      return id;
    };

    await this.db.transformation.createMany({
      data: keyed.transformations.map((t) => ({
        scopeId,
        key: t.key,
        name: t.name,
        protocol: t.protocol,
        settings: jsonInput(t.settings),
        stateAId: idOf(t.stateAKey),
        stateBId: idOf(t.stateBKey),
      })),
      skipDuplicates: true,
    });
    const transformations = await this.db.transformation.findMany({
      where: { scopeId, key: { in: keyed.transformations.map((t) => t.key) } },
      select: { id: true },
    });

    const network = await this.db.alchemicalNetwork.create({
      data: { scopeId, key: keyed.key, name: keyed.name, hub: { create: {} } },
    });
    await this.db.networkNode.createMany({
      data: keyed.chemicalSystems.map((s, position) => ({ networkId: network.id, chemicalSystemId: idOf(s.key), position })),
    });
    await this.db.networkEdge.createMany({ data: transformations.map((t) => ({ networkId: network.id, transformationId: t.id })) });
    return true;
  }

  async findNetwork(scope: Scope, key: string): Promise<NetworkRecord | null> {
    const row = await this.db.alchemicalNetwork.findFirst({ where: { key, scope }, include: { scope: scopeSelect, hub: true } });
    return row === null ? null : toNetworkRecord(row);
  }

  async findNetworks(query: LookupQuery & { states: readonly NetworkState[] }): Promise<NetworkRecord[]> {
    const rows = await this.db.alchemicalNetwork.findMany({
      where: { AND: [lookupWhere(query), { state: { in: [...query.states] } }] },
      include: { scope: scopeSelect, hub: true },
      orderBy: { id: 'asc' },
      take: query.limit,
    });
    return rows.map(toNetworkRecord);
  }

  async findHub(scope: Scope, networkKey: string): Promise<{ hubId: string; networkId: string; state: NetworkState } | null> {
    const hub = await this.db.taskHub.findFirst({
      where: { network: { key: networkKey, scope } },
      select: { id: true, networkId: true, network: { select: { state: true } } },
    });
    return hub === null ? null : { hubId: hub.id, networkId: hub.networkId, state: hub.network.state };
  }

  async setHubWeight(networkId: string, weight: number): Promise<void> {
    await this.db.taskHub.update({ where: { networkId }, data: { weight } });
  }

  async setNetworkStates(networkIds: readonly string[], state: NetworkState): Promise<void> {
    await this.db.alchemicalNetwork.updateMany({ where: { id: { in: [...networkIds] } }, data: { state } });
    if (state === 'DELETED') await this.db.taskAction.deleteMany({ where: { hub: { networkId: { in: [...networkIds] } } } });
  }

  async findTransformations(query: LookupQuery & { networkId?: string }): Promise<TransformationRecord[]> {
    const rows = await this.db.transformation.findMany({
      where: { AND: [lookupWhere(query), query.networkId === undefined ? {} : { networks: { some: { networkId: query.networkId } } }] },
      include: { scope: scopeSelect },
      orderBy: { id: 'asc' },
      take: query.limit,
    });
    return rows.map(toTransformationRecord);
  }

  async findChemicalSystem(scope: Scope, key: string): Promise<ChemicalSystemRecord | null> {
    const row = await this.db.chemicalSystem.findFirst({ where: { key, scope }, include: { scope: scopeSelect } });
    return row === null ? null : toChemicalSystemRecord(row);
  }

  async findChemicalSystems(query: LookupQuery & { networkId?: string }): Promise<ChemicalSystemRecord[]> {
    const rows = await this.db.chemicalSystem.findMany({
      where: { AND: [lookupWhere(query), query.networkId === undefined ? {} : { networks: { some: { networkId: query.networkId } } }] },
      include: { scope: scopeSelect },
      orderBy: { id: 'asc' },
      take: query.limit,
    });
    return rows.map(toChemicalSystemRecord);
  }

  async networksHolding(
    holding: { transformationId: string } | { chemicalSystemId: string },
    states: readonly NetworkState[],
  ): Promise<NetworkRecord[]> {
    const rows = await this.db.alchemicalNetwork.findMany({
      where: {
        state: { in: [...states] },
        ...('transformationId' in holding
          ? { edges: { some: { transformationId: holding.transformationId } } }
          : { nodes: { some: { chemicalSystemId: holding.chemicalSystemId } } }),
      },
      include: { scope: scopeSelect, hub: true },
      orderBy: { id: 'asc' },
    });
    return rows.map(toNetworkRecord);
  }

  async transformationsTouching(chemicalSystemId: string): Promise<TransformationRecord[]> {
    const rows = await this.db.transformation.findMany({
      where: { OR: [{ stateAId: chemicalSystemId }, { stateBId: chemicalSystemId }] },
      include: { scope: scopeSelect },
      orderBy: [{ name: 'asc' }, { id: 'asc' }],
    });
    return rows.map(toTransformationRecord);
  }

  async findTransformation(scope: Scope, key: string): Promise<TransformationRecord | null> {
    const row = await this.db.transformation.findFirst({ where: { key, scope }, include: { scope: scopeSelect } });
    return row === null ? null : toTransformationRecord(row);
  }

  async transformationsOf(networkId: string): Promise<TransformationRecord[]> {
    const rows = await this.db.transformation.findMany({
      where: { networks: { some: { networkId } } },
      include: { scope: scopeSelect },
      orderBy: { name: 'asc' },
    });
    return rows.map(toTransformationRecord);
  }

  async chemicalSystemsOf(networkId: string): Promise<ChemicalSystemRecord[]> {
    const rows = await this.db.chemicalSystem.findMany({
      where: { networks: { some: { networkId } } },
      include: { scope: scopeSelect },
      orderBy: { name: 'asc' },
    });
    return rows.map(toChemicalSystemRecord);
  }

  async chemicalSystemOrder(networkId: string): Promise<string[]> {
    const rows = await this.db.networkNode.findMany({
      where: { networkId },
      select: { chemicalSystemId: true },
      orderBy: [{ position: 'asc' }, { chemicalSystem: { name: 'asc' } }],
    });
    return rows.map((row) => row.chemicalSystemId);
  }

  lockTransformations(transformationIds: readonly string[]): Promise<void> {
    return lockTransformations(this.db, transformationIds);
  }

  networkKeysOfTransformations(transformationIds: readonly string[]): Promise<Array<{ transformationId: string; networkKey: string }>> {
    return networkKeysOfTransformations(this.db, transformationIds);
  }

  async transformationsByIds(ids: readonly string[]): Promise<TransformationRecord[]> {
    const rows = await this.db.transformation.findMany({ where: { id: { in: [...ids] } }, include: { scope: scopeSelect } });
    return rows.map(toTransformationRecord);
  }

  async chemicalSystemsByIds(ids: readonly string[]): Promise<ChemicalSystemRecord[]> {
    const rows = await this.db.chemicalSystem.findMany({ where: { id: { in: [...ids] } }, include: { scope: scopeSelect } });
    return rows.map(toChemicalSystemRecord);
  }
}

/** A LookupQuery as a Prisma filter on a model with id, key, name and scope. */
function lookupWhere(query: LookupQuery) {
  return {
    AND: [
      scopeFilter(query.visibleIn),
      query.scope === undefined ? {} : { scope: query.scope },
      query.namePrefix === undefined ? {} : { name: { startsWith: escapeLike(query.namePrefix) } },
      query.key === undefined ? {} : { key: query.key },
      query.afterId === undefined ? {} : { id: { gt: query.afterId } },
    ],
  };
}

/** Prisma hands startsWith to LIKE unescaped: `%`, `_` and a backslash would act as wildcards and an escape. */
const escapeLike = (text: string): string => text.replace(/[\\%_]/g, (c) => `\\${c}`);

function toNetworkRecord(row: {
  id: string;
  key: string;
  name: string;
  state: NetworkState;
  createdAt: Date;
  scope: Scope;
  hub: { weight: number } | null;
}): NetworkRecord {
  return {
    id: row.id,
    key: row.key,
    scopedKey: formatScopedKey(row.key, row.scope),
    scope: row.scope,
    name: row.name,
    weight: row.hub?.weight ?? 0,
    state: row.state,
    createdAt: row.createdAt,
  };
}

function toChemicalSystemRecord(row: { id: string; key: string; name: string; components: unknown; scope: Scope }): ChemicalSystemRecord {
  return { id: row.id, scopedKey: formatScopedKey(row.key, row.scope), scope: row.scope, name: row.name, components: row.components };
}

function toTransformationRecord(row: {
  id: string;
  key: string;
  name: string;
  protocol: string;
  settings: unknown;
  stateAId: string;
  stateBId: string;
  scope: Scope;
}): TransformationRecord {
  return {
    id: row.id,
    scopedKey: formatScopedKey(row.key, row.scope),
    scope: row.scope,
    name: row.name,
    protocol: row.protocol,
    settings: row.settings,
    stateAId: row.stateAId,
    stateBId: row.stateBId,
  };
}
