import { openStateStore } from '../../src/storage/state/openStateStore.js';
import { statementNamer } from '../../src/storage/state/preparedStatements.js';
import { createTestDatabase } from '../support/postgres.js';

const query = (sql: string) => ({ sql, args: [], argTypes: [] });

describe('prepared statements', () => {
  test('one text always gets one name, two texts never share one', () => {
    const name = statementNamer();
    expect(name(query('SELECT 1'))).toBe(name(query('SELECT 1')));
    expect(name(query('SELECT 1'))).not.toBe(name(query('SELECT 2')));
  });

  test('past the limit new texts run unnamed, and the texts already named keep their names', () => {
    const name = statementNamer(2);
    const first = name(query('SELECT 1'));
    name(query('SELECT 2'));
    expect(name(query('SELECT 3'))).toBeUndefined();
    expect(name(query('SELECT 1'))).toBe(first);
  });

  test.each([
    [true, 'a statement run twice is prepared on the connection once'],
    [false, 'turned off, nothing is prepared'],
  ])('preparedStatements %s: %s', async (prepared) => {
    const database = await createTestDatabase();
    const store = await openStateStore({ kind: 'postgres', url: database.url }, { migrate: false, poolSize: 1, preparedStatements: prepared });
    try {
      for (let i = 0; i < 2; i += 1) await store.db.$queryRaw`SELECT ${i}::int AS i FROM "Task" LIMIT 1`;
      const [row] = await store.db.$queryRaw<Array<{ n: number }>>`SELECT count(*)::int AS n FROM pg_prepared_statements WHERE statement LIKE '%FROM "Task" LIMIT 1%' AND statement NOT LIKE '%pg_prepared_statements%'`;
      expect(row?.n).toBe(prepared ? 1 : 0);
    } finally {
      await store.close();
      await database.drop();
    }
  });
});
