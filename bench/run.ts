// `npm run bench [-- name…] [--scale small|full] [--out FILE] [--no-write] [--list]`
//
// Runs the benchmarks of issue 7 one after another (all, or those named), prints a table and writes
// BENCHMARKS.md. Exits 1 when a correctness check fails (a double claim, a lost event, wrong bytes)
// or a benchmark cannot finish; a missed target is reported, not an error. Not part of `npm test`.
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { adminUrl } from '../test/support/postgres.js';
import { bigInputs } from './bigInputs.js';
import { bigNetwork } from './bigNetwork.js';
import { claimHubScaling } from './claimHubScaling.js';
import { claimScaling } from './claimScaling.js';
import { claimThroughput } from './claimThroughput.js';
import { deadWorker } from './deadWorker.js';
import { eventFanOut } from './eventFanOut.js';
import { resultFileTransfer } from './resultFileTransfer.js';
import { resume } from './resume.js';
import { smallWrites } from './smallWrites.js';
import { unitCycle } from './unitCycle.js';
import type { Benchmark } from './support/benchmark.js';
import { currentLoad, machineFacts } from './support/machine.js';
import { failedChecks, printSummary, renderMarkdown } from './support/report.js';
import type { Outcome } from './support/report.js';
import { isScaleName, loadScale } from './support/scale.js';
import { cliPath, killChildrenOnExit } from './support/processes.js';

const benchmarks: Benchmark[] = [
  claimThroughput,
  claimScaling,
  resultFileTransfer,
  resume,
  eventFanOut,
  smallWrites,
  deadWorker,
  bigNetwork,
  claimHubScaling,
  unitCycle,
  bigInputs,
];

interface Arguments {
  names: string[];
  scale: string;
  out: string;
  write: boolean;
  list: boolean;
}

function parseArguments(argv: string[]): Arguments {
  const args: Arguments = {
    names: [],
    scale: process.env.BENCH_SCALE ?? 'full',
    out: fileURLToPath(new URL('../BENCHMARKS.md', import.meta.url)),
    write: true,
    list: false,
  };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] as string;
    const value = () => {
      const next = argv[i + 1];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      i += 1;
      return next;
    };
    if (arg === '--scale') args.scale = value();
    else if (arg === '--out') args.out = value();
    else if (arg === '--no-write') args.write = false;
    else if (arg === '--list') args.list = true;
    else if (arg.startsWith('-')) throw new Error(`unknown option ${arg}`);
    else args.names.push(arg);
  }
  return args;
}

async function main(): Promise<number> {
  const args = parseArguments(process.argv.slice(2));
  if (args.list) {
    for (const b of benchmarks) console.log(`${b.id}  ${b.name.padEnd(10)} ${b.title}`);
    return 0;
  }
  if (!isScaleName(args.scale)) throw new Error(`--scale (or BENCH_SCALE) is small or full, got "${args.scale}"`);
  const unknown = args.names.filter((n) => !benchmarks.some((b) => b.name === n || String(b.id) === n));
  if (unknown.length > 0) throw new Error(`no benchmark named ${unknown.join(', ')}; --list shows them`);
  if (!existsSync(fileURLToPath(new URL('../dist/cli/main.js', import.meta.url)))) {
    throw new Error(`the benchmarks run the compiled server (${cliPath}); run \`npm run build\` first`);
  }
  killChildrenOnExit();
  const selected =
    args.names.length === 0 ? benchmarks : benchmarks.filter((b) => args.names.includes(b.name) || args.names.includes(String(b.id)));
  const scale = loadScale(args.scale, process.env);
  const machine = await machineFacts(adminUrl);
  console.log(
    `dagkeeper benchmarks, ${scale.name} sizes: ${machine.cores} × ${machine.cpuModel}, ${machine.ramGiB} GiB, Node ${machine.node}, PostgreSQL ${machine.postgres} (autovacuum ${machine.autovacuum}), load ${machine.loadAtStart.toFixed(2)}`,
  );

  const startedAt = new Date();
  const outcomes: Outcome[] = [];
  for (const benchmark of selected) {
    const started = Date.now();
    const log = (message: string) => console.log(`[${benchmark.name} ${((Date.now() - started) / 1000).toFixed(1)} s] ${message}`);
    log(`${benchmark.id}. ${benchmark.title}`);
    try {
      const result = await benchmark.run({ scale, machine, log });
      outcomes.push({ benchmark, result, seconds: (Date.now() - started) / 1000 });
      for (const row of result.rows) log(`${row.metric}: ${row.dagkeeper} vs ${row.anchor} ${row.ratio}`);
    } catch (error) {
      const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
      log(`failed: ${text}`);
      outcomes.push({ benchmark, error: text, seconds: (Date.now() - started) / 1000 });
    }
  }
  machine.loadAtEnd = currentLoad();

  const command = `npm run bench${args.names.length > 0 ? ` -- ${args.names.join(' ')}` : ''}${scale.name === 'full' ? '' : ` (BENCH_SCALE=${scale.name})`}`;
  const record = { command, startedAt, finishedAt: new Date(), scale, machine, outcomes };
  printSummary(record);
  if (args.write) {
    await writeFile(args.out, renderMarkdown(record));
    console.log(`\nwrote ${args.out}`);
  }
  const broken = outcomes.filter((o) => o.error !== undefined || failedChecks(o).length > 0);
  return broken.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(2);
  },
);
