import { pathToFileURL } from 'node:url';
import type { Protocol } from '../protocol.js';

/** Protocols a worker can run, by name, each with the module URL its unit processes import. */
export class ProtocolRegistry {
  private readonly byName = new Map<string, { moduleUrl: string; protocol: Protocol }>();

  /** Loads a protocol module (its default export is a Protocol) and registers it under its name. */
  async load(moduleUrl: string): Promise<Protocol> {
    const module = (await import(moduleUrl)) as { default?: Protocol };
    const protocol = module.default;
    if (
      protocol === undefined ||
      typeof protocol.name !== 'string' ||
      typeof protocol.createDag !== 'function' ||
      typeof protocol.runUnit !== 'function'
    ) {
      throw new Error(`${moduleUrl} does not default-export a protocol { name, createDag, runUnit }`);
    }
    this.byName.set(protocol.name, { moduleUrl, protocol });
    return protocol;
  }

  get(name: string): { moduleUrl: string; protocol: Protocol } {
    const entry = this.byName.get(name);
    if (entry === undefined) throw new Error(`this worker has no protocol named ${name}`);
    return entry;
  }

  names(): string[] {
    return [...this.byName.keys()].sort();
  }
}

export const builtInProtocolModules = [
  new URL('./harmonicOscillator/protocol.js', import.meta.url).href,
  new URL('./command/protocol.js', import.meta.url).href,
];

/** The built-in protocols, plus modules given by path (a worker's --protocol-module). */
export async function loadProtocols(extraModulePaths: readonly string[] = []): Promise<ProtocolRegistry> {
  const registry = new ProtocolRegistry();
  for (const url of [...builtInProtocolModules, ...extraModulePaths.map((p) => pathToFileURL(p).href)]) await registry.load(url);
  return registry;
}
