import { createHash, randomBytes } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { defaultPrismaDir, applyMigrations } from '../../src/storage/state/migrations.js';
import { withPostgresAdapter } from '../../src/storage/state/openStateStore.js';

/**
 * Real PostgreSQL for tests, isolated cheaply: the migrations run once into a template database named
 * after their content, and every test file gets its own `CREATE DATABASE … TEMPLATE` copy.
 */

export const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

export function urlForDatabase(name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function withAdminClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function migrationsFingerprint(): Promise<string> {
  const hash = createHash('sha256');
  const base = join(defaultPrismaDir, 'migrations');
  for (const name of (await readdir(base)).sort()) {
    if (name.endsWith('.toml')) continue;
    hash.update(name).update(await readFile(join(base, name, 'migration.sql')));
  }
  return hash.digest('hex').slice(0, 16);
}

async function ensureTemplate(): Promise<string> {
  const template = `dagkeeper_tpl_${await migrationsFingerprint()}`;
  await withAdminClient(async (client) => {
    // Test files run in parallel; one of them builds the template while the others wait.
    await client.query('select pg_advisory_lock(4242001)');
    try {
      const exists = await client.query('select 1 from pg_database where datname = $1', [template]);
      if (exists.rowCount === 0) {
        const building = `${template}_building`;
        await client.query(`drop database if exists "${building}"`);
        await client.query(`create database "${building}"`);
        await withPostgresAdapter(urlForDatabase(building), (factory) => applyMigrations(factory));
        await client.query(`alter database "${building}" rename to "${template}"`);
      }
    } finally {
      await client.query('select pg_advisory_unlock(4242001)');
    }
  });
  return template;
}

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(options: { migrated?: boolean } = {}): Promise<TestDatabase> {
  const name = `dagkeeper_test_${randomBytes(6).toString('hex')}`;
  const template = options.migrated === false ? 'template1' : await ensureTemplate();
  await withAdminClient(async (client) => {
    await client.query(`create database "${name}" template "${template}"`);
  });
  return {
    name,
    url: urlForDatabase(name),
    drop: () =>
      withAdminClient(async (client) => {
        await client.query(`drop database if exists "${name}" with (force)`);
      }).then(() => undefined),
  };
}

/**
 * A database as it was before the migration whose name ends with `_${suffix}`: migrated with every
 * migration before it and none from it on, which are returned, in order, for the test to apply after
 * writing rows as the older code left them.
 */
export async function databaseBeforeMigration(suffix: string): Promise<{ database: TestDatabase; fromThisOn: string[] }> {
  const names = (await readdir(join(defaultPrismaDir, 'migrations'))).filter((name) => /^\d+_/.test(name)).sort();
  const migration = names.find((name) => name.endsWith(`_${suffix}`));
  if (migration === undefined) throw new Error(`no migration named *_${suffix}`);
  const fromThisOn = names.slice(names.indexOf(migration));
  const before = await mkdtemp(join(tmpdir(), 'dagkeeper-before-migration-'));
  const database = await createTestDatabase({ migrated: false });
  try {
    await cp(defaultPrismaDir, before, { recursive: true });
    for (const name of fromThisOn) await rm(join(before, 'migrations', name), { recursive: true });
    await withPostgresAdapter(database.url, (factory) => applyMigrations(factory, before));
    return { database, fromThisOn };
  } catch (error) {
    await database.drop();
    throw error;
  } finally {
    await rm(before, { recursive: true, force: true });
  }
}
