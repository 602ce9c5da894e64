import { badInput, notFound } from '../errors.js';
import { collectReferences } from '../inputs/inputReferences.js';
import { requireInputs } from '../inputs/requireInputs.js';
import { requireKind, requireScope } from '../principal.js';
import type { Principal } from '../principal.js';
import { parseScope } from '../scope.js';
import { formatScopedKey, parseScopedKey } from '../scopedKey.js';
import { lookupQuery } from './lookupQuery.js';
import type { LookupArguments } from './lookupQuery.js';
import { keyNetwork } from './networkInput.js';
import type { NetworkInput } from './networkInput.js';
import { checkNetworkState, checkNetworkStates } from './networkState.js';
import type { NetworkState } from './networkState.js';
import { checkProtocolSettings, noProtocolSettingsChecks } from './protocolSettings.js';
import type { ProtocolSettingsChecks } from './protocolSettings.js';
import { checkRestartPattern, maxRestartPatternChars } from '../restarts/checkRestartPattern.js';
import type { RestartPatternRecord } from '../restarts/RestartPatternRepository.js';
import { Re2Matcher } from '../restarts/Re2Matcher.js';
import type { StateAccess } from '../state/StateAccess.js';
import { checkLength } from '../textLimits.js';
import type { ChemicalSystemRecord, NetworkRecord, TransformationRecord } from './NetworkRepository.js';

export type { ChemicalSystemRecord, NetworkRecord, TransformationRecord } from './NetworkRepository.js';
export type { NetworkState };

const maxNetworksPerStateChange = 1000;

/** Alchemical networks: chemical systems, transformations, their task hub and restart patterns. */
export class NetworkService {
  constructor(
    private readonly state: StateAccess,
    /** Settings checks of the protocols the server knows (see protocolSettings.ts). */
    private readonly settingsChecks: ProtocolSettingsChecks = noProtocolSettingsChecks,
    /** Compiles restart patterns off the event loop (see Re2Matcher). */
    private readonly patterns: Re2Matcher = new Re2Matcher(),
  ) {}

  /**
   * Idempotent: the same network submitted again returns the stored one and changes nothing, its state
   * included (an INACTIVE or DELETED one stays so: setState brings it back).
   */
  async create(actor: Principal, scopeText: string, input: NetworkInput): Promise<{ network: NetworkRecord; created: boolean }> {
    requireKind(actor, 'user');
    const scope = parseScope(scopeText);
    requireScope(actor, scope);
    const keyed = keyNetwork(input);
    const references = collectReferences([
      ...keyed.chemicalSystems.map((s) => s.components),
      ...keyed.transformations.map((t) => t.settings),
    ]);
    checkProtocolSettings(this.settingsChecks, keyed.transformations);
    await requireInputs(this.state.inputs, scope, references);

    const created = await this.state.transaction((tx) => tx.networks.storeNetwork(scope, keyed), { timeoutMs: 60_000 });

    const network = await this.get(actor, formatScopedKey(keyed.key, scope));
    return { network, created };
  }

  async get(actor: Principal, scopedKeyText: string): Promise<NetworkRecord> {
    const { key, scope } = parseScopedKey(scopedKeyText, 'AlchemicalNetwork');
    requireScope(actor, scope);
    const network = await this.state.networks.findNetwork(scope, key);
    if (network === null) throw notFound(`network ${scopedKeyText}`);
    return network;
  }

  /** Networks in the actor's scopes by scope, name prefix, key and state (ACTIVE unless asked). */
  async list(actor: Principal, args: LookupArguments & { state?: readonly string[] | null | undefined } = {}): Promise<NetworkRecord[]> {
    const states = checkNetworkStates(args.state);
    const query = await lookupQuery(
      actor,
      'AlchemicalNetwork',
      args,
      async (scope, key) => (await this.state.networks.findNetwork(scope, key))?.id ?? null,
    );
    return this.state.networks.findNetworks({ ...query, states });
  }

  /**
   * Sets the networks' state, all or none: a user with access to every one's scope. DELETED keeps the
   * network and everything it holds (other networks may share its chemical systems, transformations
   * and tasks) and takes every task off its hub; see networkState.ts.
   */
  async setState(actor: Principal, networkKeys: readonly string[], stateText: string): Promise<NetworkRecord[]> {
    requireKind(actor, 'user');
    const state = checkNetworkState(stateText);
    if (networkKeys.length === 0) throw badInput('name at least one network', { field: 'networkKeys' });
    if (networkKeys.length > maxNetworksPerStateChange) {
      throw badInput(`at most ${maxNetworksPerStateChange} networks at once`, {
        field: 'networkKeys',
        maxItems: maxNetworksPerStateChange,
      });
    }
    const keys = [...new Set(networkKeys)];
    const networks = await Promise.all(keys.map((key) => this.get(actor, key)));
    await this.state.transaction((tx) =>
      tx.networks.setNetworkStates(
        networks.map((n) => n.id),
        state,
      ),
    );
    const byKey = new Map(networks.map((n) => [n.scopedKey, { ...n, state }]));
    return networkKeys.flatMap((key) => byKey.get(key) ?? []);
  }

  /** The networks holding the transformation or chemical system, in these states (ACTIVE unless asked). */
  async networksHolding(
    holding: { transformationId: string } | { chemicalSystemId: string },
    states: readonly string[] | null | undefined,
  ): Promise<NetworkRecord[]> {
    return this.state.networks.networksHolding(holding, checkNetworkStates(states));
  }

  async transformationsTouching(chemicalSystemId: string): Promise<TransformationRecord[]> {
    return this.state.networks.transformationsTouching(chemicalSystemId);
  }

  /** Transformations in the actor's scopes by scope, name prefix, key and network. */
  async findTransformations(
    actor: Principal,
    args: LookupArguments & { networkKey?: string | null | undefined },
  ): Promise<TransformationRecord[]> {
    const query = await lookupQuery(
      actor,
      'Transformation',
      args,
      async (scope, key) => (await this.state.networks.findTransformation(scope, key))?.id ?? null,
    );
    const networkId = args.networkKey === null || args.networkKey === undefined ? undefined : (await this.get(actor, args.networkKey)).id;
    return this.state.networks.findTransformations({ ...query, ...(networkId === undefined ? {} : { networkId }) });
  }

  /** Chemical systems in the actor's scopes by scope, name prefix, key and network. */
  async findChemicalSystems(
    actor: Principal,
    args: LookupArguments & { networkKey?: string | null | undefined },
  ): Promise<ChemicalSystemRecord[]> {
    const query = await lookupQuery(
      actor,
      'ChemicalSystem',
      args,
      async (scope, key) => (await this.state.networks.findChemicalSystem(scope, key))?.id ?? null,
    );
    const networkId = args.networkKey === null || args.networkKey === undefined ? undefined : (await this.get(actor, args.networkKey)).id;
    return this.state.networks.findChemicalSystems({ ...query, ...(networkId === undefined ? {} : { networkId }) });
  }

  async getChemicalSystem(actor: Principal, scopedKeyText: string): Promise<ChemicalSystemRecord> {
    const { key, scope } = parseScopedKey(scopedKeyText, 'ChemicalSystem');
    requireScope(actor, scope);
    const system = await this.state.networks.findChemicalSystem(scope, key);
    if (system === null) throw notFound(`chemical system ${scopedKeyText}`);
    return system;
  }

  async setWeight(actor: Principal, scopedKeyText: string, weight: number): Promise<NetworkRecord> {
    requireKind(actor, 'user');
    if (!(Number.isFinite(weight) && weight >= 0 && weight <= 1)) {
      throw badInput(`a hub weight is a number from 0 to 1, got ${weight}`);
    }
    const network = await this.get(actor, scopedKeyText);
    await this.state.networks.setHubWeight(network.id, weight);
    return { ...network, weight };
  }

  async transformations(networkId: string): Promise<TransformationRecord[]> {
    return this.state.networks.transformationsOf(networkId);
  }

  async chemicalSystems(networkId: string): Promise<ChemicalSystemRecord[]> {
    return this.state.networks.chemicalSystemsOf(networkId);
  }

  async transformationsByIds(ids: readonly string[]): Promise<Map<string, TransformationRecord>> {
    const found = await this.state.networks.transformationsByIds(ids);
    return new Map(found.map((t) => [t.id, t]));
  }

  async chemicalSystemsByIds(ids: readonly string[]): Promise<Map<string, ChemicalSystemRecord>> {
    const found = await this.state.networks.chemicalSystemsByIds(ids);
    return new Map(found.map((s) => [s.id, s]));
  }

  async getTransformation(actor: Principal, scopedKeyText: string): Promise<TransformationRecord> {
    const { key, scope } = parseScopedKey(scopedKeyText, 'Transformation');
    requireScope(actor, scope);
    const transformation = await this.state.networks.findTransformation(scope, key);
    if (transformation === null) throw notFound(`transformation ${scopedKeyText}`);
    return transformation;
  }

  /** Adds a restart pattern to a network (or changes its retry budget). */
  async addRestartPattern(actor: Principal, networkKey: string, pattern: string, maxRetries: number): Promise<RestartPatternRecord> {
    requireKind(actor, 'user');
    await checkRestartPattern(this.patterns, pattern);
    if (!(Number.isInteger(maxRetries) && maxRetries >= 0 && maxRetries <= 1000)) {
      throw badInput('maxRetries is a whole number from 0 to 1000');
    }
    const network = await this.get(actor, networkKey);
    return this.state.restartPatterns.addOrUpdate(network.id, pattern, maxRetries);
  }

  async removeRestartPattern(actor: Principal, networkKey: string, pattern: string): Promise<boolean> {
    requireKind(actor, 'user');
    checkLength('pattern', pattern, maxRestartPatternChars);
    const network = await this.get(actor, networkKey);
    return this.state.restartPatterns.remove(network.id, pattern);
  }

  async restartPatterns(networkId: string): Promise<RestartPatternRecord[]> {
    return this.state.restartPatterns.ofNetwork(networkId);
  }
}
