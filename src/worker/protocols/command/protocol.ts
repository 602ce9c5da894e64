import type { Protocol } from '../../protocol.js';
import { runExternalCommand } from '../../units/externalCommand.js';
import { parseCommandUnits } from './settings.js';
import type { CommandUnitInputs } from './settings.js';
import { settingsFromFile } from '../settingsFromFile.js';

/**
 * `command`: every unit is an external program (Python, a gufe protocol's CLI, a shell script), as
 * the transformation's settings list them (settings.ts). Lets code in any language run under dagkeeper.
 */
const commandProtocol: Protocol = {
  name: 'command',
  checkSettings: parseCommandUnits,
  createDag(transformation, _parent, task) {
    // Each program finds the task's seed in its unit's inputs ($DAGKEEPER_INPUTS: unit.inputs.seed).
    const units = parseCommandUnits(settingsFromFile(transformation.settings)).map((unit) => ({
      ...unit,
      inputs: { ...(unit.inputs as CommandUnitInputs), seed: task.seed },
    }));
    return { name: transformation.name, units };
  },
  async runUnit(context) {
    const { command } = context.unit.inputs as CommandUnitInputs;
    return runExternalCommand(context, command);
  },
};

export default commandProtocol;
