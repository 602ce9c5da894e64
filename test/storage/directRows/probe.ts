// `node --import tsx probe.ts <database url>`: prints, as tagged JSON, this process's time-zone offset
// and the decoding row read both ways (directRows.test.ts runs it with TZ set).
import { openStateStore } from '../../../src/storage/state/openStateStore.js';
import { decodingRow, tagged } from './decodingStatement.js';

const url = process.argv[2];
if (url === undefined) throw new Error('usage: probe.ts <database url>');
const store = await openStateStore({ kind: 'postgres', url }, { migrate: false, poolSize: 1 });
try {
  const direct = await decodingRow(store.db);
  const throughPrisma = await store.db.$transaction((tx) => decodingRow(tx));
  process.stdout.write(
    JSON.stringify(tagged({ offsetMinutes: new Date('2024-03-01T00:00:00Z').getTimezoneOffset(), direct, throughPrisma })),
  );
} finally {
  await store.close();
}
