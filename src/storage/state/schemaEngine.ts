import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import * as engineBindings from '@prisma/schema-engine-wasm/schema_engine_bg';
import type { SchemaEngine } from '@prisma/schema-engine-wasm/schema_engine_bg';

/**
 * Prisma's schema engine compiled to WebAssembly, driving the database through a driver adapter.
 *
 * The Prisma CLI downloads a native engine, which an offline machine cannot do; the WASM engine is
 * the same code (same migration SQL, same `_prisma_migrations` bookkeeping), so `prisma migrate
 * deploy` in production agrees with what runs here. The package's own entry point imports the .wasm
 * file as an ES module, which needs `--experimental-wasm-modules`; instantiating it by hand avoids
 * that flag for the server, the CLI and the tests alike. Its version is pinned in package.json to the
 * engines version of the pinned `prisma` package.
 */

export type { SchemaEngine };

// @types/node 20 does not declare the WebAssembly global; this is the one call made on it.
declare const WebAssembly: {
  instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: { exports: Record<string, unknown> } }>;
};

let initialised: Promise<void> | undefined;

function initialiseWasm(): Promise<void> {
  initialised ??= (async () => {
    const require = createRequire(import.meta.url);
    // The .wasm file is not in the package's exports map; it sits beside the resolved bindings.
    const bindingsPath = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
    const wasmPath = join(dirname(bindingsPath), 'schema_engine_bg.wasm');
    const bytes = await readFile(wasmPath);
    const { instance } = await WebAssembly.instantiate(bytes, { './schema_engine_bg.js': withUnrefTimers(engineBindings) });
    engineBindings.__wbg_set_wasm(instance.exports);
    (instance.exports as { __wbindgen_start: () => void }).__wbindgen_start();
  })();
  return initialised;
}

/**
 * The engine arms a timer around every lock and connection (10 s) and never clears it when the guarded
 * work finishes first, which holds a finished CLI or test process open for those 10 s. Its timers are
 * guards, never work of their own, so they need not keep the process alive.
 */
function withUnrefTimers(bindings: typeof engineBindings): Record<string, unknown> {
  const patched: Record<string, unknown> = { ...bindings };
  for (const name of Object.keys(bindings).filter((n) => n.startsWith('__wbg_setTimeout_'))) {
    patched[name] = (callback: () => void, ms: number) => setTimeout(callback, ms >>> 0).unref();
  }
  return patched;
}

export interface SchemaFile {
  path: string;
  content: string;
}

export async function openSchemaEngine(schema: SchemaFile, adapterFactory: SqlMigrationAwareDriverAdapterFactory): Promise<SchemaEngine> {
  await initialiseWasm();
  const ignoreEngineLogs = () => {};
  return engineBindings.SchemaEngine.new(
    { datamodels: [[schema.path, schema.content]] },
    ignoreEngineLogs,
    bindMigrationAwareSqlAdapterFactory(adapterFactory),
  );
}

export const noSchemaFilter = { externalTables: [], externalEnums: [] };
