import { readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { App } from '../../src/app.js';

/**
 * A fingerprint of everything a request could change: one digest per table of the state store (every
 * row, every column but a token's lastUsedAt, which authentication itself updates) and the list of
 * objects with their sizes. Equal before and after a refused request means the refusal changed nothing.
 */
export async function stateDigest(app: App): Promise<Record<string, string>> {
  const tables = await app.state.db.$queryRawUnsafe<Array<{ name: string }>>(
    `select table_name as name from information_schema.tables
     where table_schema = current_schema() and table_type = 'BASE TABLE' and table_name <> '_prisma_migrations'
     order by table_name`,
  );
  const perTable = tables.map(({ name }) => {
    const quoted = `"${name.replaceAll('"', '""')}"`;
    const literal = `'${name.replaceAll("'", "''")}'`;
    return `select ${literal} as name, md5(coalesce(string_agg(r, '|' order by r), '')) as digest
            from (select (to_jsonb(t) - 'lastUsedAt')::text as r from ${quoted} t) rows`;
  });
  const rows = await app.state.db.$queryRawUnsafe<Array<{ name: string; digest: string }>>(perTable.join(' union all '));
  const digest: Record<string, string> = Object.fromEntries(rows.map((row) => [row.name, row.digest]));
  if (app.config.objects.kind === 'local') digest['objects'] = (await listFiles(app.config.objects.root)).join('\n');
  return digest;
}

async function listFiles(root: string, dir = root): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  const files: string[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await listFiles(root, path)));
    else files.push(`${relative(root, path)} ${(await stat(path)).size}`);
  }
  return files;
}
