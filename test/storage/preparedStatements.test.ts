import { randomUUID } from 'node:crypto';
import { sqlRows } from '../../src/storage/state/directSql.js';
import { openStateStore } from '../../src/storage/state/openStateStore.js';
import type { StateStore } from '../../src/storage/state/openStateStore.js';
import { statementNamer } from '../../src/storage/state/preparedStatements.js';
import { checkInForClaims } from '../../src/storage/state/sql/claimCheckIn.js';
import { claimFromHub } from '../../src/storage/state/sql/claimTasks.js';
import { repeatsOfTransformations } from '../../src/storage/state/sql/dagResults.js';
import { findTokenHolders } from '../../src/storage/state/sql/identityTokens.js';
import { lockTransformations } from '../../src/storage/state/sql/lockTransformations.js';
import { unitResultsOfTasks } from '../../src/storage/state/sql/unitResults.js';
import { createTestDatabase } from '../support/postgres.js';
import { waitFor } from '../support/waitFor.js';

interface Prepared {
  statement: string;
  runs: number;
}

/** The statements prepared on the store's one connection, with how often each ran (the query asking is left out). */
async function preparedOnTheConnection(store: StateStore): Promise<Prepared[]> {
  return store.db.$queryRaw<Prepared[]>`
    SELECT statement, (generic_plans + custom_plans)::int AS runs FROM pg_prepared_statements
     WHERE statement NOT LIKE '%pg_prepared_statements%' ORDER BY statement`;
}

/** The claim path's three statements, as a claimer's request runs them (outside transactions). */
async function runClaimPath(store: StateStore): Promise<void> {
  const now = new Date();
  const serviceId = randomUUID();
  await findTokenHolders(store.db, ['no such token hash']);
  await checkInForClaims(store.db, {
    requests: [{ serviceId, identityId: randomUUID() }],
    now,
    silentBefore: now,
    failuresSince: now,
    hubs: { protocols: ['some-protocol'], scopes: [{ org: 'acme', campaign: '*', project: '*' }] },
    points: [{ slot: 0.5, accept: 0.5 }],
  });
  await claimFromHub(store.db, {
    hubId: randomUUID(),
    protocols: ['some-protocol'],
    offers: [{ claimId: randomUUID(), tokenHash: 'a token hash', computeServiceId: serviceId }],
    eligibility: { silentBefore: now, failuresSince: now, failureLimit: 3 },
  });
}

describe('prepared statements', () => {
  test('one text always gets one name, two texts never share one', () => {
    const name = statementNamer();
    expect(name('SELECT 1')).toBe(name('SELECT 1'));
    expect(name('SELECT 1')).not.toBe(name('SELECT 2'));
  });

  test('past the limit new texts run unnamed, and the texts already named keep their names', () => {
    const name = statementNamer(2);
    const first = name('SELECT 1');
    name('SELECT 2');
    expect(name('SELECT 3')).toBeUndefined();
    expect(name('SELECT 1')).toBe(first);
  });

  test.each([
    [true, 'the token, check-in and claim statements are each prepared on the connection once, then only run'],
    [false, 'turned off, none of them is prepared'],
  ])('preparedStatements %s: %s', async (prepared) => {
    const database = await createTestDatabase();
    const store = await openStateStore(
      { kind: 'postgres', url: database.url },
      { migrate: false, poolSize: 1, preparedStatements: prepared },
    );
    try {
      await runClaimPath(store);
      await runClaimPath(store);
      const statements = await preparedOnTheConnection(store);
      const runsOf = (pattern: RegExp) => statements.filter((s) => pattern.test(s.statement)).map((s) => s.runs);
      expect({
        token: runsOf(/FROM "IdentityToken" t/),
        checkIn: runsOf(/WITH asking AS/),
        claim: runsOf(/INSERT INTO "Claim"/),
      }).toEqual(prepared ? { token: [2], checkIn: [2], claim: [2] } : { token: [], checkIn: [], claim: [] });
    } finally {
      await store.close();
      await database.drop();
    }
  });

  test('a text run by Prisma and by a direct statement is one prepared statement on the connection they share', async () => {
    const database = await createTestDatabase();
    const store = await openStateStore({ kind: 'postgres', url: database.url }, { migrate: false, poolSize: 1 });
    try {
      for (let i = 0; i < 2; i += 1) {
        await store.db.$queryRaw`SELECT ${i}::int AS i FROM "Task" LIMIT 1`;
        await sqlRows(store.db)`SELECT ${i}::int AS i FROM "Task" LIMIT 1`;
      }
      const statements = (await preparedOnTheConnection(store)).filter((s) => s.statement.includes('FROM "Task" LIMIT 1'));
      expect(statements).toEqual([{ statement: 'SELECT $1::int AS i FROM "Task" LIMIT 1', runs: 4 }]);
    } finally {
      await store.close();
      await database.drop();
    }
  });

  test('a statement over a list of ids keeps one plan for all its calls, as it does for one id', async () => {
    const database = await createTestDatabase();
    const store = await openStateStore({ kind: 'postgres', url: database.url }, { migrate: false, poolSize: 1 });
    try {
      // PostgreSQL plans a prepared statement for its first five calls' values, then keeps a plan for
      // all calls only when that looks as cheap: with `= ANY($1)` it never did, and planned every call.
      for (let i = 0; i < 8; i += 1) {
        await repeatsOfTransformations(store.db, [randomUUID()]);
        await unitResultsOfTasks(store.db, [randomUUID()], true);
        await lockTransformations(store.db, [randomUUID()]);
      }
      const plans = await store.db.$queryRaw<Array<{ statement: string; generic: number; custom: number }>>`
        SELECT statement, generic_plans::int AS generic, custom_plans::int AS custom FROM pg_prepared_statements
         WHERE statement NOT LIKE '%pg_prepared_statements%'`;
      const of = (pattern: RegExp) => plans.filter((p) => pattern.test(p.statement)).map(({ generic, custom }) => ({ generic, custom }));
      expect({
        repeats: of(/"estimateValue" IS NOT NULL/),
        unitResults: of(/FROM "UnitResult"/),
        lock: of(/FOR NO KEY UPDATE/),
      }).toEqual({
        repeats: [{ generic: 3, custom: 5 }],
        unitResults: [{ generic: 3, custom: 5 }],
        lock: [{ generic: 3, custom: 5 }],
      });
    } finally {
      await store.close();
      await database.drop();
    }
  });

  test('a connection is replaced once its lifetime is over, and the new one plans its statements afresh', async () => {
    const database = await createTestDatabase();
    const store = await openStateStore(
      { kind: 'postgres', url: database.url },
      { migrate: false, poolSize: 1, connectionLifetimeSeconds: 1 },
    );
    const lookup = async () => await sqlRows<Array<{ pid: number }>>(store.db)`SELECT pg_backend_pid() AS pid FROM "Task" LIMIT 1 OFFSET 0`;
    const pidNow = async () => Number((await sqlRows<Array<{ pid: number }>>(store.db)`SELECT pg_backend_pid() AS pid`)[0]!.pid);
    const runsOfLookup = async () =>
      (await preparedOnTheConnection(store)).filter((s) => s.statement.includes('FROM "Task" LIMIT 1 OFFSET 0')).map((s) => s.runs);
    try {
      const first = await pidNow();
      await lookup();
      await lookup();
      expect(await runsOfLookup()).toEqual([2]);
      // The pool replaces the connection when it is handed back after its lifetime: poll until it has.
      await waitFor('the connection to be replaced', async () => (await pidNow()) !== first, 15_000, 50);
      await lookup();
      expect(await runsOfLookup()).toEqual([1]);
    } finally {
      await store.close();
      await database.drop();
    }
  });
});
