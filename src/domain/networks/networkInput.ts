import { canonicalJson, contentKey } from '../contentKey.js';
import { badInput } from '../errors.js';
import { isProtocolName } from '../protocolName.js';
import { echo, textLimits } from '../textLimits.js';

/** A network as a user submits it: transformations name their end states by chemical-system name. */
export interface NetworkInput {
  name: string;
  chemicalSystems: Array<{ name: string; components: unknown }>;
  transformations: Array<{ name: string; stateA: string; stateB: string; protocol: string; settings: unknown }>;
}

export interface KeyedNetwork {
  key: string;
  name: string;
  chemicalSystems: Array<{ key: string; name: string; components: unknown }>;
  transformations: Array<{ key: string; name: string; stateAKey: string; stateBKey: string; protocol: string; settings: unknown }>;
}

export const networkLimits = {
  maxChemicalSystems: 100_000,
  maxTransformations: 100_000,
  maxNameLength: textLimits.name,
  maxJsonBytes: 1024 * 1024,
};

function checkName(what: string, name: unknown): string {
  if (typeof name !== 'string' || name.trim() === '' || name.length > networkLimits.maxNameLength) {
    throw badInput(`${what} needs a name of 1 to ${networkLimits.maxNameLength} characters`, {
      field: 'name',
      maxLength: networkLimits.maxNameLength,
      ...(typeof name === 'string' ? { length: name.length } : {}),
    });
  }
  return name;
}

function checkJson(what: string, value: unknown): void {
  const text = canonicalJson(value);
  if (text.length > networkLimits.maxJsonBytes) {
    throw badInput(`${what} is larger than ${networkLimits.maxJsonBytes} bytes of JSON`);
  }
}

/**
 * Validates a submitted network and gives every object its content key. Keys hash what defines the
 * object, so submitting the same network again yields the same keys (and changes nothing).
 */
export function keyNetwork(input: NetworkInput): KeyedNetwork {
  const name = checkName('a network', input.name);
  if (input.chemicalSystems.length > networkLimits.maxChemicalSystems) {
    throw badInput(`a network may hold at most ${networkLimits.maxChemicalSystems} chemical systems`);
  }
  if (input.transformations.length > networkLimits.maxTransformations) {
    throw badInput(`a network may hold at most ${networkLimits.maxTransformations} transformations`);
  }

  const systemKeyByName = new Map<string, string>();
  const chemicalSystems = input.chemicalSystems.map((system) => {
    const systemName = checkName('a chemical system', system.name);
    if (systemKeyByName.has(systemName)) throw badInput(`two chemical systems are named "${systemName}"`);
    checkJson(`chemical system "${systemName}"'s components`, system.components);
    const key = contentKey('ChemicalSystem', { name: systemName, components: system.components });
    systemKeyByName.set(systemName, key);
    return { key, name: systemName, components: system.components };
  });

  const transformationNames = new Set<string>();
  const transformations = input.transformations.map((t) => {
    const tName = checkName('a transformation', t.name);
    if (transformationNames.has(tName)) throw badInput(`two transformations are named "${tName}"`);
    transformationNames.add(tName);
    if (!isProtocolName(t.protocol)) {
      throw badInput(`transformation "${tName}" needs a protocol name of letters, digits, ., _ or -, at most 100`, {
        protocol: typeof t.protocol === 'string' ? echo(t.protocol) : t.protocol,
      });
    }
    const stateAKey = systemKeyByName.get(t.stateA);
    const stateBKey = systemKeyByName.get(t.stateB);
    if (stateAKey === undefined || stateBKey === undefined) {
      const missing = stateAKey === undefined ? t.stateA : t.stateB;
      throw badInput(`transformation "${tName}" names chemical system "${echo(String(missing))}", which the network does not have`);
    }
    if (stateAKey === stateBKey) throw badInput(`transformation "${tName}" goes from a chemical system to itself`);
    checkJson(`transformation "${tName}"'s settings`, t.settings);
    const key = contentKey('Transformation', {
      name: tName,
      stateA: stateAKey,
      stateB: stateBKey,
      protocol: t.protocol,
      settings: t.settings,
    });
    return { key, name: tName, stateAKey, stateBKey, protocol: t.protocol, settings: t.settings };
  });

  const key = contentKey('AlchemicalNetwork', {
    name,
    chemicalSystems: chemicalSystems.map((s) => s.key).sort(),
    transformations: transformations.map((t) => t.key).sort(),
  });
  return { key, name, chemicalSystems, transformations };
}
