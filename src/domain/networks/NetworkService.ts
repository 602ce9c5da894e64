import type { StateDb } from '../../storage/state/openStateStore.js';
import { jsonInput } from '../../storage/state/json.js';
import { ensureScopeId } from '../../storage/state/scopes.js';
import { badInput, notFound } from '../errors.js';
import { canAccessScope, requireKind, requireScope } from '../principal.js';
import type { Principal } from '../principal.js';
import { parseScope } from '../scope.js';
import type { Scope } from '../scope.js';
import { formatScopedKey, parseScopedKey } from '../scopedKey.js';
import { keyNetwork } from './networkInput.js';
import type { NetworkInput } from './networkInput.js';
import { checkProtocolSettings, noProtocolSettingsChecks } from './protocolSettings.js';
import type { ProtocolSettingsChecks } from './protocolSettings.js';
import { checkRestartPattern, maxRestartPatternChars } from '../restarts/checkRestartPattern.js';
import { checkLength } from '../textLimits.js';
import { Re2Matcher } from '../restarts/Re2Matcher.js';

export interface NetworkRecord {
  id: string;
  scopedKey: string;
  key: string;
  scope: Scope;
  name: string;
  weight: number;
  createdAt: Date;
}

export interface TransformationRecord {
  id: string;
  scopedKey: string;
  scope: Scope;
  name: string;
  protocol: string;
  settings: unknown;
  stateAId: string;
  stateBId: string;
}

export interface ChemicalSystemRecord {
  id: string;
  scopedKey: string;
  scope: Scope;
  name: string;
  components: unknown;
}

const scopeSelect = { select: { org: true, campaign: true, project: true } } as const;

/** Alchemical networks: chemical systems, transformations, their task hub and restart patterns. */
export class NetworkService {
  constructor(
    private readonly db: StateDb,
    /** Settings checks of the protocols the server knows (see protocolSettings.ts). */
    private readonly settingsChecks: ProtocolSettingsChecks = noProtocolSettingsChecks,
    /** Compiles restart patterns off the event loop (see Re2Matcher). */
    private readonly patterns: Re2Matcher = new Re2Matcher(),
  ) {}

  /** Idempotent: the same network submitted again returns the stored one and changes nothing. */
  async create(actor: Principal, scopeText: string, input: NetworkInput): Promise<{ network: NetworkRecord; created: boolean }> {
    requireKind(actor, 'user');
    const scope = parseScope(scopeText);
    requireScope(actor, scope);
    const keyed = keyNetwork(input);
    checkProtocolSettings(this.settingsChecks, keyed.transformations);

    const created = await this.db.$transaction(async (tx) => {
      const scopeId = await ensureScopeId(tx, scope);
      const existing = await tx.alchemicalNetwork.findUnique({ where: { scopeId_key: { scopeId, key: keyed.key } } });
      if (existing !== null) return false;

      await tx.chemicalSystem.createMany({
        data: keyed.chemicalSystems.map((s) => ({ scopeId, key: s.key, name: s.name, components: jsonInput(s.components) })),
        skipDuplicates: true,
      });
      const systems = await tx.chemicalSystem.findMany({
        where: { scopeId, key: { in: keyed.chemicalSystems.map((s) => s.key) } },
        select: { id: true, key: true },
      });
      const systemId = new Map(systems.map((s) => [s.key, s.id]));
      const idOf = (key: string): string => {
        const id = systemId.get(key);
        if (id === undefined) throw new Error(`chemical system ${key} vanished while creating a network`);
        return id;
      };

      await tx.transformation.createMany({
        data: keyed.transformations.map((t) => ({
          scopeId, key: t.key, name: t.name, protocol: t.protocol, settings: jsonInput(t.settings),
          stateAId: idOf(t.stateAKey), stateBId: idOf(t.stateBKey),
        })),
        skipDuplicates: true,
      });
      const transformations = await tx.transformation.findMany({
        where: { scopeId, key: { in: keyed.transformations.map((t) => t.key) } },
        select: { id: true },
      });

      const network = await tx.alchemicalNetwork.create({
        data: { scopeId, key: keyed.key, name: keyed.name, hub: { create: {} } },
      });
      await tx.networkNode.createMany({ data: systems.map((s) => ({ networkId: network.id, chemicalSystemId: s.id })) });
      await tx.networkEdge.createMany({ data: transformations.map((t) => ({ networkId: network.id, transformationId: t.id })) });
      return true;
    }, { timeout: 60_000 });

    const network = await this.get(actor, formatScopedKey(keyed.key, scope));
    return { network, created };
  }

  async get(actor: Principal, scopedKeyText: string): Promise<NetworkRecord> {
    const { key, scope } = parseScopedKey(scopedKeyText, 'AlchemicalNetwork');
    requireScope(actor, scope);
    const row = await this.db.alchemicalNetwork.findFirst({
      where: { key, scope },
      include: { scope: scopeSelect, hub: true },
    });
    if (row === null) throw notFound(`network ${scopedKeyText}`);
    return toNetworkRecord(row);
  }

  /** Networks in the actor's scopes, optionally narrowed to one scope. */
  async list(actor: Principal, filter: { scope?: string | undefined } = {}): Promise<NetworkRecord[]> {
    const scope = filter.scope === undefined ? undefined : parseScope(filter.scope);
    if (scope !== undefined) requireScope(actor, scope);
    const rows = await this.db.alchemicalNetwork.findMany({
      where: scope === undefined ? {} : { scope },
      include: { scope: scopeSelect, hub: true },
      orderBy: { createdAt: 'asc' },
    });
    return rows.map(toNetworkRecord).filter((n) => canAccessScope(actor, n.scope));
  }

  async setWeight(actor: Principal, scopedKeyText: string, weight: number): Promise<NetworkRecord> {
    requireKind(actor, 'user');
    if (!(Number.isFinite(weight) && weight >= 0 && weight <= 1)) {
      throw badInput(`a hub weight is a number from 0 to 1, got ${weight}`);
    }
    const network = await this.get(actor, scopedKeyText);
    await this.db.taskHub.update({ where: { networkId: network.id }, data: { weight } });
    return { ...network, weight };
  }

  async transformations(networkId: string): Promise<TransformationRecord[]> {
    const rows = await this.db.transformation.findMany({
      where: { networks: { some: { networkId } } },
      include: { scope: scopeSelect },
      orderBy: { name: 'asc' },
    });
    return rows.map(toTransformationRecord);
  }

  async chemicalSystems(networkId: string): Promise<ChemicalSystemRecord[]> {
    const rows = await this.db.chemicalSystem.findMany({
      where: { networks: { some: { networkId } } },
      include: { scope: scopeSelect },
      orderBy: { name: 'asc' },
    });
    return rows.map(toChemicalSystemRecord);
  }

  async transformationsByIds(ids: readonly string[]): Promise<Map<string, TransformationRecord>> {
    const rows = await this.db.transformation.findMany({ where: { id: { in: [...ids] } }, include: { scope: scopeSelect } });
    return new Map(rows.map((r) => [r.id, toTransformationRecord(r)]));
  }

  async chemicalSystemsByIds(ids: readonly string[]): Promise<Map<string, ChemicalSystemRecord>> {
    const rows = await this.db.chemicalSystem.findMany({ where: { id: { in: [...ids] } }, include: { scope: scopeSelect } });
    return new Map(rows.map((r) => [r.id, toChemicalSystemRecord(r)]));
  }

  async getTransformation(actor: Principal, scopedKeyText: string): Promise<TransformationRecord> {
    const { key, scope } = parseScopedKey(scopedKeyText, 'Transformation');
    requireScope(actor, scope);
    const row = await this.db.transformation.findFirst({ where: { key, scope }, include: { scope: scopeSelect } });
    if (row === null) throw notFound(`transformation ${scopedKeyText}`);
    return toTransformationRecord(row);
  }

  /** Adds a restart pattern to a network (or changes its retry budget). */
  async addRestartPattern(actor: Principal, networkKey: string, pattern: string, maxRetries: number): Promise<{ id: string; pattern: string; maxRetries: number }> {
    requireKind(actor, 'user');
    await checkRestartPattern(this.patterns, pattern);
    if (!(Number.isInteger(maxRetries) && maxRetries >= 0 && maxRetries <= 1000)) {
      throw badInput('maxRetries is a whole number from 0 to 1000');
    }
    const network = await this.get(actor, networkKey);
    const row = await this.db.restartPattern.upsert({
      where: { networkId_pattern: { networkId: network.id, pattern } },
      create: { networkId: network.id, pattern, maxRetries },
      update: { maxRetries },
    });
    return { id: row.id, pattern: row.pattern, maxRetries: row.maxRetries };
  }

  async removeRestartPattern(actor: Principal, networkKey: string, pattern: string): Promise<boolean> {
    requireKind(actor, 'user');
    checkLength('pattern', pattern, maxRestartPatternChars);
    const network = await this.get(actor, networkKey);
    const { count } = await this.db.restartPattern.deleteMany({ where: { networkId: network.id, pattern } });
    return count > 0;
  }

  async restartPatterns(networkId: string): Promise<Array<{ id: string; pattern: string; maxRetries: number }>> {
    return this.db.restartPattern.findMany({ where: { networkId }, select: { id: true, pattern: true, maxRetries: true }, orderBy: { createdAt: 'asc' } });
  }
}

function toNetworkRecord(row: { id: string; key: string; name: string; createdAt: Date; scope: Scope; hub: { weight: number } | null }): NetworkRecord {
  return {
    id: row.id, key: row.key, scopedKey: formatScopedKey(row.key, row.scope), scope: row.scope,
    name: row.name, weight: row.hub?.weight ?? 0, createdAt: row.createdAt,
  };
}

function toChemicalSystemRecord(row: { id: string; key: string; name: string; components: unknown; scope: Scope }): ChemicalSystemRecord {
  return { id: row.id, scopedKey: formatScopedKey(row.key, row.scope), scope: row.scope, name: row.name, components: row.components };
}

function toTransformationRecord(row: {
  id: string; key: string; name: string; protocol: string; settings: unknown; stateAId: string; stateBId: string; scope: Scope;
}): TransformationRecord {
  return {
    id: row.id, scopedKey: formatScopedKey(row.key, row.scope), scope: row.scope, name: row.name,
    protocol: row.protocol, settings: row.settings, stateAId: row.stateAId, stateBId: row.stateBId,
  };
}

