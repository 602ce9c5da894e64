import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { defaultPrismaDir, pendingSchemaChange, readMigrations, readSchemaFile } from '../../src/storage/state/migrations.js';
import { openStateStore, withPostgresAdapter } from '../../src/storage/state/openStateStore.js';
import { noSchemaFilter, openSchemaEngine } from '../../src/storage/state/schemaEngine.js';
import { createTestDatabase } from '../support/postgres.js';
import type { TestDatabase } from '../support/postgres.js';

const catalogQueries = {
  columns: `select table_name, column_name, data_type, udt_name, is_nullable, column_default
              from information_schema.columns
             where table_schema = 'public' and table_name <> '_prisma_migrations' order by 1, 2`,
  indexes: `select tablename, indexname, indexdef from pg_indexes
             where schemaname = 'public' and tablename <> '_prisma_migrations' order by 1, 2`,
  constraints: `select conrelid::regclass::text as tbl, conname, pg_get_constraintdef(oid) as def
                  from pg_constraint
                 where connamespace = 'public'::regnamespace and conrelid::regclass::text <> '_prisma_migrations'
                 order by 1, 2`,
  enums: `select t.typname, e.enumlabel from pg_type t join pg_enum e on e.enumtypid = t.oid
           order by 1, e.enumsortorder`,
};

async function catalogOf(url: string): Promise<Record<string, unknown[]>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const snapshot: Record<string, unknown[]> = {};
    for (const [name, sql] of Object.entries(catalogQueries)) snapshot[name] = (await client.query(sql)).rows;
    return snapshot;
  } finally {
    await client.end();
  }
}

describe('schema drift gate', () => {
  const databases: TestDatabase[] = [];
  afterAll(async () => {
    await Promise.all(databases.map((db) => db.drop()));
  });

  test('the committed migrations build exactly what schema.prisma describes', async () => {
    expect(await pendingSchemaChange()).toBe('');
  });

  test('a schema change without a migration is caught', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dagkeeper-drift-'));
    try {
      await cp(defaultPrismaDir, dir, { recursive: true });
      const schema = await readFile(join(dir, 'schema.prisma'), 'utf8');
      await writeFile(join(dir, 'schema.prisma'), schema.replace('  label      String?\n', '  label      String?\n  note       String?\n'));
      expect(await pendingSchemaChange(dir)).toMatch(/ALTER TABLE "IdentityToken" ADD COLUMN\s+"note" TEXT/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('real PostgreSQL migrated from an empty database matches a database built straight from schema.prisma', async () => {
    const migrated = await createTestDatabase({ migrated: false });
    const direct = await createTestDatabase({ migrated: false });
    databases.push(migrated, direct);

    const store = await openStateStore({ kind: 'postgres', url: migrated.url });
    const migrationNames = (await readMigrations()).migrationDirectories.map((m) => m.path);
    expect(store.appliedMigrations).toEqual(migrationNames);
    await store.close();

    const schema = await readSchemaFile();
    const directSql = await withPostgresAdapter(direct.url, async (factory) => {
      const engine = await openSchemaEngine(schema, factory);
      try {
        const to = { tag: 'schemaDatamodel' as const, files: [schema] };
        return (await engine.diff({ from: { tag: 'empty' }, to, script: true, exitCode: null, filters: noSchemaFilter })).stdout ?? '';
      } finally {
        engine.free();
      }
    });
    const client = new pg.Client({ connectionString: direct.url });
    await client.connect();
    await client.query(directSql);
    await client.end();

    expect(await catalogOf(migrated.url)).toEqual(await catalogOf(direct.url));
  });

  test('migrations are recorded as prisma migrate deploy records them, once each', async () => {
    const db = await createTestDatabase({ migrated: false });
    databases.push(db);
    const first = await openStateStore({ kind: 'postgres', url: db.url });
    await first.close();
    const again = await openStateStore({ kind: 'postgres', url: db.url });
    expect(again.appliedMigrations).toEqual([]);
    await again.close();

    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const { rows } = await client.query<{ migration_name: string; checksum: string; finished_at: Date | null }>(
      'select migration_name, checksum, finished_at from _prisma_migrations order by migration_name',
    );
    await client.end();
    const expected = await Promise.all(
      (await readMigrations()).migrationDirectories.map(async (m) => ({
        migration_name: m.path,
        checksum: createHash('sha256')
          .update(await readFile(join(defaultPrismaDir, 'migrations', m.path, 'migration.sql')))
          .digest('hex'),
      })),
    );
    expect(rows.map(({ migration_name, checksum }) => ({ migration_name, checksum }))).toEqual(expected);
    expect(rows.every((r) => r.finished_at !== null)).toBe(true);
  });

  test('the embedded PGlite store migrates to the same catalog as PostgreSQL', async () => {
    const pgliteDir = await mkdtemp(join(tmpdir(), 'dagkeeper-pglite-'));
    const db = await createTestDatabase();
    databases.push(db);
    try {
      const store = await openStateStore({ kind: 'pglite', dataDir: pgliteDir });
      const rows = await store.db.$queryRawUnsafe<
        Array<{ table_name: string; column_name: string; udt_name: string; is_nullable: string }>
      >(
        `select table_name::text, column_name::text, udt_name::text, is_nullable::text from information_schema.columns
          where table_schema = 'public' and table_name <> '_prisma_migrations' order by 1, 2`,
      );
      await store.close();
      const postgres = (await catalogOf(db.url)).columns as Array<Record<string, unknown>>;
      expect(rows).toEqual(
        postgres.map(({ table_name, column_name, udt_name, is_nullable }) => ({ table_name, column_name, udt_name, is_nullable })),
      );
    } finally {
      await rm(pgliteDir, { recursive: true, force: true });
    }
  });
});
