import pg from 'pg';
import { refusedAValue, unstorableValue } from '../../src/storage/state/driverErrors.js';
import { adminUrl } from '../support/postgres.js';

/** Errors as the real driver raises them, from a real PostgreSQL: what the store says about each. */
describe('what a driver error says (real PostgreSQL)', () => {
  const client = new pg.Client({ connectionString: adminUrl });
  beforeAll(() => client.connect());
  afterAll(() => client.end());

  const errorOf = (text: string, values: unknown[] = []) =>
    client.query(text, values).then(
      () => {
        throw new Error(`${text} did not fail`);
      },
      (error: unknown) => error,
    );

  test('a NUL in a text is a value refused, and a text that cannot be stored (BAD_USER_INPUT)', async () => {
    const error = await errorOf('SELECT $1::text', ['a\u0000b']);
    expect(refusedAValue(error)).toBe(true);
    expect(unstorableValue(error)).toMatchObject({ code: 'BAD_USER_INPUT' });
  });

  test('a value a constraint refuses is a value refused, but not an unstorable text', async () => {
    const error = await errorOf('SELECT 1 / 0');
    expect(refusedAValue(error)).toBe(true);
    expect(unstorableValue(error)).toBeUndefined();
  });

  test('a statement that cannot run, and a connection that cannot be made, are not a value refused', async () => {
    expect(refusedAValue(await errorOf('SELECT * FROM no_such_table'))).toBe(false);
    const nowhere = new pg.Client({ connectionString: 'postgresql://postgres@127.0.0.1:1/postgres' });
    const refused = await nowhere.connect().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeDefined();
    expect(refusedAValue(refused)).toBe(false);
  });

  test('the code is found where Prisma wraps it (its adapter error, a cause chain)', async () => {
    const error = await errorOf('SELECT $1::text', ['a\u0000b']);
    const wrapped = {
      name: 'PrismaClientKnownRequestError',
      code: 'P2010',
      meta: { driverAdapterError: { cause: { originalCode: (error as { code: string }).code } } },
    };
    expect(refusedAValue(wrapped)).toBe(true);
    expect(refusedAValue(new Error('outer', { cause: error }))).toBe(true);
  });
});
