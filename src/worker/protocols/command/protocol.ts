import type { Protocol } from '../../protocol.js';
import { runExternalCommand } from '../../units/externalCommand.js';
import { parseCommandUnits } from './settings.js';
import type { CommandUnitInputs } from './settings.js';

/**
 * `command`: every unit is an external program (Python, a gufe protocol's CLI, a shell script), as
 * the transformation's settings list them (settings.ts). Lets code in any language run under dagkeeper.
 */
const commandProtocol: Protocol = {
  name: 'command',
  checkSettings: parseCommandUnits,
  createDag(transformation) {
    return { name: transformation.name, units: parseCommandUnits(transformation.settings) };
  },
  async runUnit(context) {
    const { command } = context.unit.inputs as CommandUnitInputs;
    return runExternalCommand(context, command);
  },
};

export default commandProtocol;
