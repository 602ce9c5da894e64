// A protocol module for worker tests (`dagkeeper worker --protocol-module …`): one unit that writes
// its process id to the transformation's `settings.pidFile`, then keeps its event loop busy without
// ever yielding — the hardest kind of unit process to notice anything in. It gives up after
// `settings.seconds` (default 300) so that nothing spins on if a test's clean-up failed too.
import { renameSync, writeFileSync } from 'node:fs';

export default {
  name: 'spin-forever',
  createDag(transformation) {
    return { name: transformation.name, units: [{ key: 'spin', name: 'spin', dependencies: [], inputs: null }] };
  },
  async runUnit(context) {
    const { pidFile, seconds = 300 } = context.transformation.settings;
    writeFileSync(`${pidFile}.tmp`, String(process.pid));
    renameSync(`${pidFile}.tmp`, pidFile);
    const end = Date.now() + seconds * 1000;
    let spins = 0;
    while (Date.now() < end) spins += 1;
    return { spins };
  },
};
