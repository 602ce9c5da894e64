// A protocol module for worker tests (`dagkeeper worker --protocol-module …`) whose units report what
// the worker handed them: each unit's outputs list the files of its dependencies and the extended
// task's files it received. Without a parent: u1 → u2. Extending a task: one unit, `look`, asking for
// every file of the parent's result (ParentResult.files).
export default {
  name: 'probe',
  createDag(transformation, parent) {
    if (parent !== null) {
      return { name: transformation.name, units: [{ key: 'look', name: 'look', dependencies: [], inputs: { parentFiles: parent.files } }] };
    }
    return {
      name: transformation.name,
      units: [
        { key: 'u1', name: 'u1', dependencies: [] },
        { key: 'u2', name: 'u2', dependencies: ['u1'] },
      ],
    };
  },
  async runUnit(context) {
    const dependencyFiles = Object.fromEntries(
      Object.entries(context.dependencies).map(([key, result]) => [key, Object.keys(result.files).sort()]),
    );
    return { dependencyFiles, parentFiles: Object.keys(context.parentFiles).sort() };
  },
};
