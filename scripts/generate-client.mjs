// Generates the Prisma client from prisma/schema.prisma (runs on `npm ci` as the root postinstall).
// The Prisma CLI insists on finding its native schema engine binary, which it cannot download on an
// offline machine; `generate` never runs that engine, so any existing file satisfies the check.
// Migrations use the schema engine compiled to WebAssembly instead (src/storage/state/schemaEngine.ts).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = fileURLToPath(new URL('..', import.meta.url));
const cli = require.resolve('prisma/build/index.js');
const result = spawnSync(process.execPath, [cli, 'generate', '--schema', 'prisma/schema.prisma'], {
  cwd: root,
  stdio: 'inherit',
  env: {
    ...process.env,
    PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath,
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
    CHECKPOINT_DISABLE: '1',
  },
});
process.exit(result.status ?? 1);
