import { validateProtocolDag } from '../../../domain/dag/protocolDag.js';
import type { Protocol } from '../../protocol.js';
import { runExternalCommand } from '../../units/externalCommand.js';

interface CommandUnitSettings {
  key: string;
  name: string;
  dependencies?: string[];
  command: string[];
  parentFiles?: string[];
}

function unitsOf(settings: unknown): CommandUnitSettings[] {
  const units = (settings as { units?: unknown } | null)?.units;
  if (!Array.isArray(units)) throw new Error('the command protocol needs settings { units: [{ key, name, dependencies, command: [argv…] }] }');
  for (const unit of units as CommandUnitSettings[]) {
    if (!Array.isArray(unit.command) || unit.command.length === 0 || !unit.command.every((a) => typeof a === 'string')) {
      throw new Error(`unit ${String(unit.key)} needs a command: a non-empty list of strings`);
    }
  }
  return units as CommandUnitSettings[];
}

/**
 * `command`: every unit is an external program (Python, a gufe protocol's CLI, a shell script), as
 * the transformation's settings list them. Lets code in any language run under dagkeeper.
 */
const commandProtocol: Protocol = {
  name: 'command',
  createDag(transformation) {
    return validateProtocolDag({
      name: transformation.name,
      units: unitsOf(transformation.settings).map((unit) => ({
        key: unit.key,
        name: unit.name,
        dependencies: unit.dependencies ?? [],
        inputs: { command: unit.command, ...(unit.parentFiles === undefined ? {} : { parentFiles: unit.parentFiles }) },
      })),
    });
  },
  async runUnit(context) {
    const { command } = context.unit.inputs as { command: string[] };
    return runExternalCommand(context, command);
  },
};

export default commandProtocol;
