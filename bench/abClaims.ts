/**
 * Claims on two server configurations, rounds alternated (A, B, A, B …): the way to tell whether a
 * change to the claim path helps, on a machine whose speed drifts from minute to minute. Each side is
 * a `dagkeeper server` process on a database of its own, with 8 compute services claiming one task
 * per request from a hub topped up to 30,000 waiting tasks (and vacuumed) before every round, as
 * benchmark 1 does. Every round reports claims a second and CPU per claim from /proc: the server, its
 * database's PostgreSQL backends, and this process (the claimers' client).
 *
 *   node --import tsx bench/abClaims.ts [--pairs 5] [--seconds 10] [--b-cli ../other/bin/dagkeeper.js] [--b-env NAME=VALUE]…
 *
 * B differs from A by another build (`--b-cli`: a checkout's bin/dagkeeper.js, built) and/or settings
 * (`--b-env`, repeatable; `--a-env` likewise). The summary gives each side's medians with the range,
 * and B over A pair by pair.
 */
import { claim, countTasks, createNetwork, insertWaitingTasks, keepAlive, registerService, vacuumDatabase } from './support/campaign.js';
import { openCpuMeter, perOperation } from './support/cpu.js';
import type { CpuUse } from './support/cpu.js';
import { killChildrenOnExit } from './support/processes.js';
import { startBenchServer } from './support/server.js';
import type { BenchServerOptions } from './support/server.js';
import { nowMs, pairedRatios, spread } from './support/stats.js';

const protocol = 'bench-noop';
const transformation = 'ab-claims';
const claimers = 8;
const waiting = 30_000;

interface Round {
  perSecond: number;
  cpu: CpuUse;
}

interface Arguments {
  pairs: number;
  seconds: number;
  a: BenchServerOptions;
  b: BenchServerOptions;
}

function parseArguments(argv: readonly string[]): Arguments {
  const out: Arguments = { pairs: 5, seconds: 10, a: { env: {} }, b: { env: {} } };
  for (let i = 0; i < argv.length; i += 1) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    i += 1;
    if (flag === '--pairs' || flag === '--seconds') {
      const n = Number(value);
      if (!(Number.isInteger(n) && n >= 1)) throw new Error(`${flag} takes a whole number of at least 1, not ${value}`);
      out[flag === '--pairs' ? 'pairs' : 'seconds'] = n;
    } else if (flag === '--b-cli') {
      out.b.cli = value;
    } else if (flag === '--a-env' || flag === '--b-env') {
      const at = value.indexOf('=');
      if (at < 1) throw new Error(`${flag} takes NAME=VALUE, not ${value}`);
      out[flag === '--a-env' ? 'a' : 'b'].env![value.slice(0, at)] = value.slice(at + 1);
    } else {
      throw new Error(`unknown argument ${flag}`);
    }
  }
  return out;
}

async function side(options: BenchServerOptions) {
  const server = await startBenchServer(options);
  const { client: user } = await server.identity('USER', 'bench-user', ['bench-ab-run']);
  const { client } = await server.identity('COMPUTE', 'bench-cluster', ['bench-*-*']);
  await createNetwork(user, 'bench-ab-run', 'claims a/b', [{ name: transformation, protocol, settings: {} }]);
  const services = await Promise.all(Array.from({ length: claimers }, (_, i) => registerService(client, `claimer-${i}`)));
  const heartbeats = services.map((id) => keepAlive(client, id));
  const meter = await openCpuMeter({ pid: server.pid, databases: [server.database.name] });
  const round = async (seconds: number): Promise<Round> => {
    await insertWaitingTasks(server.database.url, transformation, waiting - (await countTasks(server.database.url, 'WAITING')));
    await vacuumDatabase(server.database.url);
    const { value, cpu } = await meter.measure(async () => {
      let claimed = 0;
      const started = nowMs();
      const deadline = started + seconds * 1000;
      await Promise.all(
        services.map(async (id) => {
          while (nowMs() < deadline) {
            const got = await claim(client, id, [protocol], 1);
            if (got.length === 0) throw new Error('a claim came back empty: the hub ran out of waiting tasks');
            claimed += got.length;
          }
        }),
      );
      return { claimed, ms: nowMs() - started };
    });
    return { perSecond: value.claimed / (value.ms / 1000), cpu: perOperation(cpu, value.claimed) };
  };
  const stop = async () => {
    heartbeats.forEach(clearInterval);
    await meter.close();
    await server.stop();
  };
  return { server, round, stop };
}

function report(label: string, r: Round): Round {
  const cpu = `server ${r.cpu.processMs.toFixed(3)} ms, backends ${r.cpu.backendsMs.toFixed(3)} ms, client ${r.cpu.clientMs.toFixed(3)} ms`;
  console.log(`${label}: ${r.perSecond.toFixed(0)} claims/s, CPU per claim: ${cpu}`);
  return r;
}

/** A side's medians over its rounds, with the range. */
function describe(label: string, rounds: readonly Round[]): string {
  const fmt = (pick: (r: Round) => number, digits: number) => {
    const s = spread(rounds.map(pick));
    return `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;
  };
  const server = fmt((r) => r.cpu.processMs, 3);
  const backends = fmt((r) => r.cpu.backendsMs, 3);
  const client = fmt((r) => r.cpu.clientMs, 3);
  return `${label}: ${fmt((r) => r.perSecond, 0)} claims/s; CPU per claim: server ${server} ms, backends ${backends} ms, client ${client} ms`;
}

async function main(): Promise<void> {
  killChildrenOnExit();
  const args = parseArguments(process.argv.slice(2));
  const sides: Array<Awaited<ReturnType<typeof side>>> = [];
  try {
    sides.push(await side(args.a), await side(args.b));
    const [a, b] = sides as [Awaited<ReturnType<typeof side>>, Awaited<ReturnType<typeof side>>];
    // One warm-up round each: the first round's plans are made on the fresh tables.
    await a.round(args.seconds);
    await b.round(args.seconds);
    const rounds: { a: Round[]; b: Round[] } = { a: [], b: [] };
    for (let pair = 1; pair <= args.pairs; pair += 1) {
      rounds.a.push(report(`pair ${pair} A`, await a.round(args.seconds)));
      rounds.b.push(report(`pair ${pair} B`, await b.round(args.seconds)));
    }
    console.log(describe('A', rounds.a));
    console.log(describe('B', rounds.b));
    const ratio = (pick: (r: Round) => number) => {
      const s = spread(pairedRatios(rounds.b.map(pick), rounds.a.map(pick)));
      return `${s.median.toFixed(2)}× (${s.min.toFixed(2)}–${s.max.toFixed(2)})`;
    };
    console.log(`B over A, pair by pair: claims/s ${ratio((r) => r.perSecond)}, server CPU per claim ${ratio((r) => r.cpu.processMs)}`);
  } finally {
    for (const s of sides) await s.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
