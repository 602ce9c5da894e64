import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import type { MigrationList } from '@prisma/schema-engine-wasm/schema_engine_bg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { noSchemaFilter, openSchemaEngine } from './schemaEngine.js';
import type { SchemaFile } from './schemaEngine.js';

/**
 * Prisma's migration layout (`prisma/migrations/<timestamp>_<name>/migration.sql` and
 * `migration_lock.toml`) applied by the WASM schema engine, which records each one in
 * `_prisma_migrations` exactly as `prisma migrate deploy` would.
 */

// Three levels up from src/storage/state (or dist/storage/state) is the package root.
const packageRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const defaultPrismaDir = join(packageRoot, 'prisma');

export async function readSchemaFile(prismaDir = defaultPrismaDir): Promise<SchemaFile> {
  const path = join(prismaDir, 'schema.prisma');
  return { path, content: await readFile(path, 'utf8') };
}

export async function readMigrations(prismaDir = defaultPrismaDir): Promise<MigrationList> {
  const baseDir = join(prismaDir, 'migrations');
  const entries = await readdir(baseDir, { withFileTypes: true }).catch(() => []);
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const migrationDirectories = await Promise.all(
    names.map(async (name) => {
      const content = await readFile(join(baseDir, name, 'migration.sql'), 'utf8').then(
        (value) => ({ tag: 'ok' as const, value }),
        (error: Error) => ({ tag: 'error' as const, value: error.message }),
      );
      return { path: name, migrationFile: { path: 'migration.sql', content } };
    }),
  );
  const lockfileContent = await readFile(join(baseDir, 'migration_lock.toml'), 'utf8').catch(() => null);
  return {
    baseDir,
    lockfile: { path: 'migration_lock.toml', content: lockfileContent },
    shadowDbInitScript: '',
    migrationDirectories,
  };
}

/** Applies every migration the database has not seen yet; returns the names applied. */
export async function applyMigrations(
  adapterFactory: SqlMigrationAwareDriverAdapterFactory,
  prismaDir = defaultPrismaDir,
): Promise<string[]> {
  const [schema, migrationsList] = await Promise.all([readSchemaFile(prismaDir), readMigrations(prismaDir)]);
  const engine = await openSchemaEngine(schema, adapterFactory);
  try {
    const { appliedMigrationNames } = await engine.applyMigrations({ migrationsList, filters: noSchemaFilter });
    return appliedMigrationNames;
  } finally {
    engine.free();
  }
}

/**
 * The SQL that would bring a database built by the committed migrations to `schema.prisma`, or the
 * empty string when they agree. Computed on a throwaway in-memory PGlite, so it needs no server.
 */
export async function pendingSchemaChange(prismaDir = defaultPrismaDir): Promise<string> {
  const [schema, migrationsList] = await Promise.all([readSchemaFile(prismaDir), readMigrations(prismaDir)]);
  const scratch = new PGlite();
  const factory = new ClosingShadowsPGlite(scratch);
  try {
    const engine = await openSchemaEngine(schema, factory);
    try {
      const from =
        migrationsList.migrationDirectories.length > 0 ? { tag: 'migrations' as const, ...migrationsList } : { tag: 'empty' as const };
      const result = await engine.diff({
        from,
        to: { tag: 'schemaDatamodel', files: [schema] },
        script: true,
        exitCode: true,
        filters: noSchemaFilter,
      });
      return result.exitCode === 0 ? '' : (result.stdout ?? '');
    } finally {
      engine.free();
    }
  } finally {
    await factory.closeShadows();
    await scratch.close();
  }
}

/** The adapter's shadow databases are PGlite instances it never closes; these are closed when done. */
class ClosingShadowsPGlite extends PrismaPGlite {
  private readonly shadows: PGlite[] = [];

  override connectToShadowDb(): ReturnType<PrismaPGlite['connectToShadowDb']> {
    const shadow = new PGlite();
    this.shadows.push(shadow);
    return new PrismaPGlite(shadow).connect();
  }

  async closeShadows(): Promise<void> {
    await Promise.all(this.shadows.splice(0).map((shadow) => shadow.close()));
  }
}

export async function migrationsDirExists(prismaDir = defaultPrismaDir): Promise<boolean> {
  return stat(join(prismaDir, 'migrations')).then(
    (s) => s.isDirectory(),
    () => false,
  );
}
