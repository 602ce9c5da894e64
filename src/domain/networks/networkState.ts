import { badInput } from '../errors.js';
import { echo } from '../textLimits.js';

/**
 * A network's lifecycle (alchemiscale's network state). ACTIVE: listed, its hub claimed from. INACTIVE:
 * listed on request; its hub keeps its tasks but nothing is claimed from it until it is ACTIVE again.
 * DELETED: a mark, not an erasure: the network, its chemical systems, transformations, tasks and results
 * are kept (other networks may share them), its hub is emptied and refuses new actions. Any state may be
 * set from any other; a DELETED network set ACTIVE again starts with an empty hub.
 */
export const NetworkStates = ['ACTIVE', 'INACTIVE', 'DELETED'] as const;
export type NetworkState = (typeof NetworkStates)[number];

export function checkNetworkState(state: string): NetworkState {
  const found = NetworkStates.find((s) => s === state);
  if (found === undefined) throw badInput(`"${echo(state)}" is not a network state: ${NetworkStates.join(', ')}`, { field: 'state' });
  return found;
}

/** The states a listing shows: ACTIVE unless asked; an empty list is refused rather than read as "none". */
export function checkNetworkStates(states: readonly string[] | null | undefined): NetworkState[] {
  if (states === null || states === undefined) return ['ACTIVE'];
  if (states.length === 0) throw badInput(`name at least one network state: ${NetworkStates.join(', ')}`, { field: 'state' });
  return [...new Set(states.map(checkNetworkState))];
}
