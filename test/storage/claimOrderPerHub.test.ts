import pg from 'pg';
import { applyMigrations } from '../../src/storage/state/migrations.js';
import { withPostgresAdapter } from '../../src/storage/state/openStateStore.js';
import { lockClaimableTasks } from '../../src/storage/state/sql/claimTasks.js';
import { createTestDatabase, databaseBeforeMigration } from '../support/postgres.js';
import type { TestDatabase } from '../support/postgres.js';
import { statementSent } from '../support/statementSent.js';

interface PlanNode {
  'Shared Hit Blocks': number;
  'Shared Read Blocks': number;
}

describe('claim order per hub (real PostgreSQL)', () => {
  let database: TestDatabase | undefined;
  let client: pg.Client | undefined;
  afterAll(async () => {
    await client?.end();
    await database?.drop();
  });

  test("a claim from one hub reads none of another hub's waiting tasks, however many come before its own", async () => {
    database = await createTestDatabase();
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const {
      rows: [ids],
    } = await client.query<{ crowded: string; quiet: string }>(`
      WITH scope AS (INSERT INTO "Scope" (id, org, campaign, project) VALUES (gen_random_uuid(), 'acme', 'c1', 'p1') RETURNING id),
      a AS (INSERT INTO "ChemicalSystem" (id, key, "scopeId", name, components) SELECT gen_random_uuid(), 'a', id, 'a', '{}' FROM scope RETURNING id),
      b AS (INSERT INTO "ChemicalSystem" (id, key, "scopeId", name, components) SELECT gen_random_uuid(), 'b', id, 'b', '{}' FROM scope RETURNING id),
      tf AS (INSERT INTO "Transformation" (id, key, "scopeId", name, "stateAId", "stateBId", protocol, settings)
             SELECT gen_random_uuid(), 'a-b', scope.id, 'a->b', a.id, b.id, 'demo', '{}' FROM scope, a, b RETURNING id, "scopeId"),
      nets AS (INSERT INTO "AlchemicalNetwork" (id, key, "scopeId", name)
               SELECT gen_random_uuid(), n, id, n FROM scope, unnest(ARRAY['crowded', 'quiet']) AS n RETURNING id, key),
      hubs AS (INSERT INTO "TaskHub" (id, "networkId") SELECT gen_random_uuid(), id FROM nets RETURNING id, "networkId"),
      -- 3,000 tasks waiting on each hub, the crowded hub's all older than the quiet hub's (seed: age order).
      tasks AS (INSERT INTO "Task" (id, "scopeId", "transformationId", status, seed, "createdAt", "updatedAt")
                SELECT gen_random_uuid(), tf."scopeId", tf.id, 'WAITING', g, now() - (6001 - g) * interval '1 second', now()
                  FROM tf, generate_series(1, 6000) AS g RETURNING id, seed),
      named AS (SELECT h.id AS hub_id, n.key FROM hubs h JOIN nets n ON n.id = h."networkId"),
      actions AS (INSERT INTO "TaskAction" ("hubId", "taskId")
                  SELECT (SELECT hub_id FROM named WHERE key = CASE WHEN t.seed > 3000 THEN 'quiet' ELSE 'crowded' END), t.id
                    FROM tasks t RETURNING "hubId")
      SELECT (SELECT hub_id FROM named WHERE key = 'crowded')::text AS crowded, (SELECT hub_id FROM named WHERE key = 'quiet')::text AS quiet
        FROM (SELECT count(*) FROM actions) AS done`);
    await client.query('ANALYZE');
    const { rows: oldestQuiet } = await client.query<{ id: string }>('SELECT id::text AS id FROM "Task" WHERE seed = 3001');

    const { text, values } = await statementSent((tx) => lockClaimableTasks(tx, ids!.quiet, ['demo'], 1));
    // The server's prepared statements run on a generic plan once PostgreSQL settles on one: both must hold.
    for (const mode of ['force_custom_plan', 'force_generic_plan']) {
      await client.query('BEGIN');
      try {
        await client.query(`SET LOCAL plan_cache_mode = ${mode}`);
        const { rows } = await client.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(
          `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${text}`,
          values,
        );
        const plan = rows[0]!['QUERY PLAN'][0]!.Plan;
        // A few index pages and one task's rows: walking past the crowded hub's 3,000 tasks reads thousands.
        expect({ mode, blocks: plan['Shared Hit Blocks'] + plan['Shared Read Blocks'] < 100 }).toEqual({ mode, blocks: true });
        const { rows: locked } = await client.query<{ id: string }>(text, values);
        expect(locked.map((r) => r.id)).toEqual(oldestQuiet.map((r) => r.id));
      } finally {
        await client.query('ROLLBACK');
      }
    }
  });

  test('an action written before its task, even within one statement, is refused naming the task', async () => {
    const { rows } = await client!.query<{ hub: string; tf: string; scope: string }>(
      'SELECT h.id::text AS hub, tf.id::text AS tf, tf."scopeId"::text AS scope FROM "TaskHub" h, "Transformation" tf LIMIT 1',
    );
    const { hub, tf, scope } = rows[0]!;
    // The action's CTE does not read the task's, so PostgreSQL may write it first: the copy has nothing to copy.
    const refusal = await client!
      .query(
        `WITH task AS (INSERT INTO "Task" (id, "scopeId", "transformationId", status, seed, "updatedAt")
                       VALUES ('01900000-0000-7000-8000-000000000001', $2, $3, 'WAITING', 1, now()) RETURNING id),
              action AS (INSERT INTO "TaskAction" ("hubId", "taskId") VALUES ($1, '01900000-0000-7000-8000-000000000001'))
         SELECT 1`,
        [hub, scope, tf],
      )
      .then(
        () => null,
        (error: { code?: string; message: string }) => ({ code: error.code, message: error.message }),
      );
    expect(refusal).toEqual({
      code: '23503',
      message: 'task 01900000-0000-7000-8000-000000000001 is actioned before it exists: insert a task before its actions',
    });
  });

  test("the migration gives the actions already on hubs their tasks' order and status", async () => {
    const { database: old, fromThisOn } = await databaseBeforeMigration('claim_order_per_hub');
    const oldClient = new pg.Client({ connectionString: old.url });
    try {
      await oldClient.connect();
      await oldClient.query(`
        WITH scope AS (INSERT INTO "Scope" (id, org, campaign, project) VALUES (gen_random_uuid(), 'acme', 'c1', 'p1') RETURNING id),
        a AS (INSERT INTO "ChemicalSystem" (id, key, "scopeId", name, components) SELECT gen_random_uuid(), 'a', id, 'a', '{}' FROM scope RETURNING id),
        b AS (INSERT INTO "ChemicalSystem" (id, key, "scopeId", name, components) SELECT gen_random_uuid(), 'b', id, 'b', '{}' FROM scope RETURNING id),
        tf AS (INSERT INTO "Transformation" (id, key, "scopeId", name, "stateAId", "stateBId", protocol, settings)
               SELECT gen_random_uuid(), 'a-b', scope.id, 'a->b', a.id, b.id, 'demo', '{}' FROM scope, a, b RETURNING id, "scopeId"),
        net AS (INSERT INTO "AlchemicalNetwork" (id, key, "scopeId", name) SELECT gen_random_uuid(), 'net', id, 'net' FROM scope RETURNING id),
        hub AS (INSERT INTO "TaskHub" (id, "networkId") SELECT gen_random_uuid(), id FROM net RETURNING id),
        tasks AS (INSERT INTO "Task" (id, "scopeId", "transformationId", status, priority, seed, "createdAt", "updatedAt")
                  SELECT gen_random_uuid(), tf."scopeId", tf.id, s.status::"TaskStatus", s.priority, s.priority, timestamp '2026-01-01' + s.priority * interval '1 day', now()
                    FROM tf, (VALUES ('WAITING', 3), ('RUNNING', 1), ('ERROR', 2)) AS s(status, priority) RETURNING id)
        INSERT INTO "TaskAction" ("hubId", "taskId", "actionedAt") SELECT hub.id, tasks.id, now() FROM hub, tasks`);

      expect(await withPostgresAdapter(old.url, (factory) => applyMigrations(factory))).toEqual(fromThisOn);
      const { rows } = await oldClient.query(`
        SELECT t.status::text AS status, a."taskWaiting" AS waiting, a."taskPriority" AS priority, a."taskCreatedAt" = t."createdAt" AS "sameAge"
          FROM "TaskAction" a JOIN "Task" t ON t.id = a."taskId" ORDER BY t.priority`);
      expect(rows).toEqual([
        { status: 'RUNNING', waiting: false, priority: 1, sameAge: true },
        { status: 'ERROR', waiting: false, priority: 2, sameAge: true },
        { status: 'WAITING', waiting: true, priority: 3, sameAge: true },
      ]);
    } finally {
      await oldClient.end();
      await old.drop();
    }
  });
});
