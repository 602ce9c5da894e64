// A protocol module for worker tests (`dagkeeper worker --protocol-module …`) that cannot make a DAG,
// as a protocol does with settings it cannot use: its createDag throws, or, with `settings.cyclic`,
// returns a DAG whose units form a cycle (which the server refuses). A poison transformation the
// server cannot judge at createNetwork: it knows only the built-in protocols' settings.
export default {
  name: 'poison',
  createDag(transformation) {
    if (transformation.settings.cyclic === true) {
      return {
        name: transformation.name,
        units: [
          { key: 'a', name: 'a', dependencies: ['b'] },
          { key: 'b', name: 'b', dependencies: ['a'] },
        ],
      };
    }
    throw new RangeError(`windows must be at least 2, got ${JSON.stringify(transformation.settings.windows)}`);
  },
  async runUnit() {
    throw new Error('no unit of a poison transformation can run: it has no DAG');
  },
};
