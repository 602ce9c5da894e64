// A protocol module for worker tests (`dagkeeper worker --protocol-module …`) that reads input objects:
// its one unit reads the files behind the references in the transformation's settings (`settings`), in
// state A's components (`protein`) and in its own inputs (the settings reference, passed on by createDag),
// and reports their text and paths as its outputs. createDag says whether it was given the cached file.
import { existsSync, readFileSync } from 'node:fs';

export default {
  name: 'input-reader',
  createDag(transformation) {
    const reference = transformation.settings.settings;
    return {
      name: transformation.name,
      units: [
        {
          key: 'read',
          name: 'read',
          dependencies: [],
          inputs: { passedOn: reference, builtWithFile: typeof reference.path === 'string' && existsSync(reference.path) },
        },
      ],
    };
  },
  async runUnit(context) {
    const read = (reference) => ({ path: reference.path, text: readFileSync(reference.path, 'utf8') });
    return {
      settings: read(context.transformation.settings.settings),
      protein: read(context.transformation.stateA.components.protein),
      passedOn: read(context.unit.inputs.passedOn),
      passedOnReference: Object.keys(context.unit.inputs.passedOn).sort(),
      builtWithFile: context.unit.inputs.builtWithFile,
    };
  },
};
