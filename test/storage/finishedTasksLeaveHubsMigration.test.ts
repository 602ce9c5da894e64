import pg from 'pg';
import { applyMigrations } from '../../src/storage/state/migrations.js';
import { withPostgresAdapter } from '../../src/storage/state/openStateStore.js';
import { databaseBeforeMigration } from '../support/postgres.js';
import type { TestDatabase } from '../support/postgres.js';

describe('migration finished_tasks_leave_hubs (real PostgreSQL)', () => {
  let database: TestDatabase | undefined;
  afterAll(async () => {
    await database?.drop();
  });

  test('takes COMPLETE tasks off their hubs and leaves the hub links of tasks that may still run', async () => {
    // The database as it was before this migration (so without it and every later one), with links as the old code left them.
    const staged = await databaseBeforeMigration('finished_tasks_leave_hubs');
    database = staged.database;
    const { fromThisOn } = staged;

    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      await client.query(`
        WITH scope AS (INSERT INTO "Scope" (id, org, campaign, project) VALUES (gen_random_uuid(), 'acme', 'c1', 'p1') RETURNING id),
        a AS (INSERT INTO "ChemicalSystem" (id, key, "scopeId", name, components) SELECT gen_random_uuid(), 'a', id, 'a', '{}' FROM scope RETURNING id),
        b AS (INSERT INTO "ChemicalSystem" (id, key, "scopeId", name, components) SELECT gen_random_uuid(), 'b', id, 'b', '{}' FROM scope RETURNING id),
        tf AS (INSERT INTO "Transformation" (id, key, "scopeId", name, "stateAId", "stateBId", protocol, settings)
               SELECT gen_random_uuid(), 'a-b', scope.id, 'a->b', a.id, b.id, 'demo', '{}' FROM scope, a, b RETURNING id, "scopeId"),
        net AS (INSERT INTO "AlchemicalNetwork" (id, key, "scopeId", name) SELECT gen_random_uuid(), 'net', id, 'net' FROM scope RETURNING id),
        hub AS (INSERT INTO "TaskHub" (id, "networkId") SELECT gen_random_uuid(), id FROM net RETURNING id),
        tasks AS (INSERT INTO "Task" (id, "scopeId", "transformationId", status, "updatedAt")
                  SELECT gen_random_uuid(), tf."scopeId", tf.id, s.status::"TaskStatus", now()
                    FROM tf, unnest(ARRAY['WAITING', 'RUNNING', 'COMPLETE', 'ERROR']) AS s(status) RETURNING id)
        INSERT INTO "TaskAction" ("hubId", "taskId") SELECT hub.id, tasks.id FROM hub, tasks`);
      const linked = async () =>
        (
          await client.query<{ status: string }>(
            'SELECT t.status::text AS status FROM "TaskAction" a JOIN "Task" t ON t.id = a."taskId" ORDER BY 1',
          )
        ).rows.map((r) => r.status);
      expect(await linked()).toEqual(['COMPLETE', 'ERROR', 'RUNNING', 'WAITING']);

      expect(await withPostgresAdapter(database.url, (factory) => applyMigrations(factory))).toEqual(fromThisOn);
      expect(await linked()).toEqual(['ERROR', 'RUNNING', 'WAITING']);
    } finally {
      await client.end();
    }
  });
});
