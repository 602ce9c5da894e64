// `npm run test:under-load [-- --runs N --busy N]`: the whole suite, from a clean clone of the committed
// HEAD, while CPU-bound busy loops compete for the cores, N times in a row. CI machines are not always
// quiet; a test that orders events by sleeping or waits on a tight timeout fails here first.
// Exits non-zero at the first failed or over-time run; the busy loops and the clone go in every case.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    busy: { type: 'string', default: '4' },
    'minutes-per-run': { type: 'string', default: '30' },
    keep: { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
const busy = Number(values.busy);
const limitMs = Number(values['minutes-per-run']) * 60_000;
for (const [name, n] of [
  ['runs', runs],
  ['busy', busy],
  ['minutes-per-run', limitMs],
]) {
  if (!(Number.isInteger(n) && n >= (name === 'busy' ? 0 : 1))) throw new Error(`--${name} must be a whole number`);
}

const source = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'dagkeeper-under-load-'));
const clone = join(work, 'main');
const loops = [];
let current;

function cleanUp() {
  for (const loop of loops) loop.kill('SIGKILL');
  if (current !== undefined && current.exitCode === null) {
    try {
      process.kill(-current.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  if (!values.keep) rmSync(work, { recursive: true, force: true });
}
process.on('exit', cleanUp);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));

function runOrDie(command, args, cwd) {
  const result = spawnSync(command, args, { cwd, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`${command} ${args.join(' ')} failed (${result.status ?? result.signal})`);
    process.exit(1);
  }
}

runOrDie('git', ['clone', '-q', source, clone], work);
const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: clone, encoding: 'utf8' }).stdout.trim();
console.log(`clean clone of ${head} in ${clone}`);
runOrDie('npm', ['ci', '--no-audit', '--no-fund'], clone);

for (let i = 0; i < busy; i += 1) {
  loops.push(spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
}
console.log(`${busy} busy loops running (pids ${loops.map((l) => l.pid).join(', ')})`);

const durations = [];
for (let run = 1; run <= runs; run += 1) {
  const started = Date.now();
  // Its own process group, so an over-time run is stopped with everything it started.
  current = spawn('npm', ['test'], { cwd: clone, stdio: 'inherit', detached: true });
  const timer = setTimeout(() => {
    console.error(`run ${run} passed its ${values['minutes-per-run']} min limit; stopping it`);
    try {
      process.kill(-current.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }, limitMs);
  const code = await new Promise((resolve) => current.on('exit', (c, s) => resolve(c ?? s)));
  clearTimeout(timer);
  const seconds = Math.round((Date.now() - started) / 1000);
  durations.push(seconds);
  console.log(`run ${run} of ${runs}: ${code === 0 ? 'passed' : `failed (${code})`} in ${seconds} s`);
  if (code !== 0 || seconds * 1000 > limitMs) process.exit(1);
}
console.log(`all ${runs} runs passed under ${busy} busy loops: ${durations.join(' s, ')} s`);
