import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const src = fileURLToPath(new URL('../../src/', import.meta.url));
const domain = join(src, 'domain');

/** Where the domain must not reach: storage and its drivers, the transports that call the domain, and the clients of those. */
const outerFolders = ['storage', 'graphql', 'http', 'ws', 'cli', 'client', 'worker', 'transfers', 'net'].map((folder) => join(src, folder));
const outerFiles = [join(src, 'app.ts')];
const driverPackages = /^(@prisma\/|prisma$|pg$|pg-|@electric-sql\/|pglite-prisma-adapter$|minio$)/;

async function sourceFiles(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => join(e.parentPath, e.name));
}

/** Every import of the file that leaves the domain for storage, a driver or a transport, as `file → specifier`. */
async function outwardImports(file: string): Promise<string[]> {
  const { importedFiles } = ts.preProcessFile(await readFile(file, 'utf8'), true, true);
  return importedFiles
    .map((i) => i.fileName)
    .filter((specifier) => {
      if (!specifier.startsWith('.')) return driverPackages.test(specifier);
      const target = resolve(dirname(file), specifier.replace(/\.js$/, '.ts'));
      return outerFolders.some((folder) => target.startsWith(`${folder}/`)) || outerFiles.includes(target);
    })
    .map((specifier) => `${relative(src, file)} → ${specifier}`);
}

describe('the dependency rule', () => {
  test('src/domain imports nothing from storage, its drivers (Prisma, pg, PGlite, minio) or the transports: they depend on it', async () => {
    const files = await sourceFiles(domain);
    expect(files.length).toBeGreaterThan(50);
    const outward = (await Promise.all(files.map(outwardImports))).flat();
    expect(outward).toEqual([]);
  });
});
