import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { openStateStore } from '../../src/storage/state/openStateStore.js';
import type { StateStore } from '../../src/storage/state/openStateStore.js';
import { spawnNode } from '../support/nodeProcess.js';
import { createTestDatabase } from '../support/postgres.js';
import type { TestDatabase } from '../support/postgres.js';
import { decodingRow, expectedRow, tagged } from './directRows/decodingStatement.js';

/**
 * Outside transactions the sql/ statements run on pg's pool (src/storage/state/directSql.ts), inside
 * them through Prisma's `$queryRaw`: a statement must read and send values the same either way, and
 * the same in any time zone the server runs in (Prisma keeps DateTime as UTC in `timestamp(3)`).
 */
describe('rows of the direct statement path, on PostgreSQL', () => {
  let database: TestDatabase;
  let store: StateStore;

  beforeAll(async () => {
    database = await createTestDatabase();
    store = await openStateStore({ kind: 'postgres', url: database.url }, { migrate: false, poolSize: 2 });
  });
  afterAll(async () => {
    await store?.close();
    await database?.drop();
  });

  test('int8 reads as bigint, numeric as Decimal, timestamps as UTC, json parsed, arrays item by item, parameters sent as given', async () => {
    expect(await decodingRow(store.db)).toEqual(expectedRow);
  });

  test('a statement inside a transaction (through Prisma) reads the same row', async () => {
    expect(await store.db.$transaction((tx) => decodingRow(tx))).toEqual(expectedRow);
  });

  test('in a process whose time zone is not UTC, timestamps read and sent still mean the same instants', async () => {
    const probe = spawnNode(['--import', 'tsx', fileURLToPath(new URL('./directRows/probe.ts', import.meta.url)), database.url], {
      label: 'the direct-rows probe in Asia/Kathmandu',
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      env: { ...process.env, TZ: 'Asia/Kathmandu' },
    });
    let stdout = '';
    let stderr = '';
    probe.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    probe.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const [code] = (await once(probe, 'close')) as [number | null];
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const answer = JSON.parse(stdout) as { offsetMinutes: number; direct: unknown; throughPrisma: unknown };
    // UTC+05:45: a local-time reading or sending of a timestamp would be off by hours.
    expect(answer.offsetMinutes).toBe(-345);
    expect(answer.direct).toEqual(tagged(expectedRow));
    expect(answer.throughPrisma).toEqual(tagged(expectedRow));
  });
});
