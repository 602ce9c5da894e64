// A protocol module for worker tests (`dagkeeper worker --protocol-module …`): first → held → last,
// where `held` runs until the file `settings.releaseFile` exists (or `settings.seconds`, default 300,
// pass), so a test can look at a task while one of its units is running and let it end when it likes.
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export default {
  name: 'gated',
  createDag(transformation) {
    return {
      name: transformation.name,
      units: [
        { key: 'first', name: 'first', dependencies: [] },
        { key: 'held', name: 'held', dependencies: ['first'] },
        { key: 'last', name: 'last', dependencies: ['held'] },
      ],
    };
  },
  async runUnit(context) {
    if (context.unit.key !== 'held') return { unit: context.unit.key };
    const { releaseFile, seconds = 300 } = context.transformation.settings;
    const end = Date.now() + seconds * 1000;
    while (!existsSync(releaseFile) && Date.now() < end) await sleep(20);
    return { released: existsSync(releaseFile) };
  },
};
