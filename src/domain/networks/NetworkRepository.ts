import type { Scope } from '../scope.js';
import type { LookupQuery } from './lookupQuery.js';
import type { KeyedNetwork } from './networkInput.js';
import type { NetworkState } from './networkState.js';

export interface NetworkRecord {
  id: string;
  scopedKey: string;
  key: string;
  scope: Scope;
  name: string;
  /** Its task hub's weight. */
  weight: number;
  state: NetworkState;
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

/** Alchemical networks, their chemical systems and transformations, and each network's task hub. */
export interface NetworkRepository {
  /**
   * Stores the network in the scope with a task hub, unless a network with its key is there already;
   * chemical systems and transformations the scope already holds (same keys) are shared, not copied.
   * Whether it stored it. Run it inside a transaction: the network appears whole or not at all.
   */
  storeNetwork(scope: Scope, network: KeyedNetwork): Promise<boolean>;
  findNetwork(scope: Scope, key: string): Promise<NetworkRecord | null>;
  /** The networks a lookup names, in these states. */
  findNetworks(query: LookupQuery & { states: readonly NetworkState[] }): Promise<NetworkRecord[]>;
  /** The network's task hub; null when there is no such network. */
  findHub(scope: Scope, networkKey: string): Promise<{ hubId: string; networkId: string; state: NetworkState } | null>;
  setHubWeight(networkId: string, weight: number): Promise<void>;
  /**
   * Sets the networks' state; DELETED also takes every task off their hubs (the tasks stay as they are).
   * Run it inside a transaction.
   */
  setNetworkStates(networkIds: readonly string[], state: NetworkState): Promise<void>;
  findTransformation(scope: Scope, key: string): Promise<TransformationRecord | null>;
  /** The transformations a lookup names, of one network when `networkId` is given. */
  findTransformations(query: LookupQuery & { networkId?: string }): Promise<TransformationRecord[]>;
  findChemicalSystem(scope: Scope, key: string): Promise<ChemicalSystemRecord | null>;
  /** The chemical systems a lookup names, of one network when `networkId` is given. */
  findChemicalSystems(query: LookupQuery & { networkId?: string }): Promise<ChemicalSystemRecord[]>;
  /** The networks in these states holding the transformation or the chemical system, oldest first. */
  networksHolding(
    holding: { transformationId: string } | { chemicalSystemId: string },
    states: readonly NetworkState[],
  ): Promise<NetworkRecord[]>;
  /** The transformations starting or ending at the chemical system, by name. */
  transformationsTouching(chemicalSystemId: string): Promise<TransformationRecord[]>;
  /** The network's transformations by name. */
  transformationsOf(networkId: string): Promise<TransformationRecord[]>;
  /** The network's chemical systems by name. */
  chemicalSystemsOf(networkId: string): Promise<ChemicalSystemRecord[]>;
  /** The ids of the network's chemical systems in the order they were first submitted. */
  chemicalSystemOrder(networkId: string): Promise<string[]>;
  /**
   * Locks the transformations until the transaction ends (in id order), so that changes of their
   * estimates follow one another: each locker reads what the previous one committed.
   */
  lockTransformations(transformationIds: readonly string[]): Promise<void>;
  /** The networks holding each of these transformations, as scoped keys. */
  networkKeysOfTransformations(transformationIds: readonly string[]): Promise<Array<{ transformationId: string; networkKey: string }>>;
  /** Those of the ids that exist, in no particular order. */
  transformationsByIds(ids: readonly string[]): Promise<TransformationRecord[]>;
  /** Those of the ids that exist, in no particular order. */
  chemicalSystemsByIds(ids: readonly string[]): Promise<ChemicalSystemRecord[]>;
}
