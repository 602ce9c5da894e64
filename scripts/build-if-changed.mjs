// `npm start` runs this before the server: it compiles src/ to dist/ only when the sources (or the
// compiler settings, or the installed packages) changed since the last build, so a second start is
// not held up by a whole `tsc` run. The fingerprint is of file contents, not times: a checkout that
// only touches files does not rebuild, an edit always does. `--always` (`npm run build`) always compiles,
// and records what it compiled.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const stampPath = join(root, 'dist', '.source-fingerprint');

function* filesUnder(directory) {
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) yield* filesUnder(path);
    else yield path;
  }
}

function fingerprint() {
  const hash = createHash('sha256');
  const inputs = [
    ...filesUnder(join(root, 'src')),
    ...['tsconfig.json', 'tsconfig.build.json', 'package-lock.json'].map((f) => join(root, f)),
  ];
  for (const path of inputs.filter((p) => existsSync(p)).sort()) {
    hash.update(relative(root, path)).update('\0').update(readFileSync(path)).update('\0');
  }
  return hash.digest('hex');
}

const current = fingerprint();
const built = existsSync(stampPath) && existsSync(join(root, 'dist', 'cli', 'main.js')) ? readFileSync(stampPath, 'utf8').trim() : null;
if (built === current && !process.argv.includes('--always')) {
  console.log('dist/ is up to date with src/; not rebuilding');
} else {
  console.log(built === null ? 'building dist/ from src/' : 'src/ changed since the last build; rebuilding dist/');
  const tsc = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (tsc.status !== 0) process.exit(tsc.status ?? 1);
  writeFileSync(stampPath, `${current}\n`);
}
