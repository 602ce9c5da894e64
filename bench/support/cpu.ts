import { execFileSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import pg from 'pg';
import { adminUrl } from '../../test/support/postgres.js';

/**
 * CPU time spent between two marks, from /proc (Linux): by a server process (with everything in its
 * process group), by the PostgreSQL backends of its databases, by every PostgreSQL process, and by this
 * benchmark process (the client). On a shared machine throughput moves with whatever else runs; CPU
 * per operation holds steadier, and on few cores it is what sets throughput.
 *
 * - process: utime+stime of every live process in the group, plus the leader's reaped children.
 * - backends: utime+stime of the connections to the named databases (pg_stat_activity) alive at the
 *   end of the window, minus what each had at the start. A backend that exits inside the window is
 *   missed; the pools measured here keep theirs open (a server replaces a connection only after
 *   DAGKEEPER_PG_CONNECTION_LIFETIME_SECONDS, 600 s, or 10 s idle, as between rounds).
 * - postgres: the postmaster's own and reaped children's time plus every live child's: all of
 *   PostgreSQL, including the WAL writer, checkpointer and other databases' backends (other work on the
 *   machine shows up here, not in `backends`).
 */

export interface CpuUse {
  processMs: number;
  backendsMs: number;
  postgresMs: number;
  clientMs: number;
}

export interface CpuMark {
  process: number;
  backends: Map<number, number>;
  postgres: number;
  client: NodeJS.CpuUsage;
}

export interface CpuMeter {
  mark(): Promise<CpuMark>;
  since(mark: CpuMark): Promise<CpuUse>;
  /** Runs `work` between two marks. */
  measure<T>(work: () => Promise<T>): Promise<{ value: T; cpu: CpuUse }>;
  close(): Promise<void>;
}

const ticksPerSecond = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();
const msPerTick = 1000 / ticksPerSecond;

interface ProcStat {
  pid: number;
  ppid: number;
  pgrp: number;
  /** utime + stime, in clock ticks. */
  own: number;
  /** cutime + cstime: children it has reaped. */
  reaped: number;
}

function parseStat(pid: number, text: string): ProcStat | undefined {
  // The command name (field 2) may hold spaces and parentheses: the fields after the last ')' are fixed.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const field = (n: number) => Number(fields[n - 3]);
  if (fields.length < 17) return undefined;
  return { pid, ppid: field(4), pgrp: field(5), own: field(14) + field(15), reaped: field(16) + field(17) };
}

async function readStat(pid: number): Promise<ProcStat | undefined> {
  try {
    return parseStat(pid, await readFile(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

async function allStats(): Promise<ProcStat[]> {
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name)).map(Number);
  const stats = await Promise.all(pids.map(readStat));
  return stats.filter((s): s is ProcStat => s !== undefined);
}

/**
 * A meter for one server process (`pid`, the leader of its process group; undefined for none) and
 * the PostgreSQL databases it uses.
 */
export async function openCpuMeter(target: { pid: number | undefined; databases: readonly string[] }): Promise<CpuMeter> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const ownBackend = Number((await admin.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid);
  const postmaster = (await readStat(ownBackend))?.ppid;

  const backendPids = async () =>
    (await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = ANY($1::text[])', [target.databases])).rows.map(
      (r) => Number(r.pid),
    );

  const mark = async (): Promise<CpuMark> => {
    const pids = await backendPids();
    const stats = await allStats();
    const byPid = new Map(stats.map((s) => [s.pid, s]));
    const group = target.pid === undefined ? [] : stats.filter((s) => s.pgrp === target.pid);
    const leader = target.pid === undefined ? undefined : byPid.get(target.pid);
    const master = postmaster === undefined ? undefined : byPid.get(postmaster);
    return {
      process: group.reduce((sum, s) => sum + s.own, 0) + (leader?.reaped ?? 0),
      backends: new Map(pids.map((pid) => [pid, byPid.get(pid)?.own ?? 0])),
      postgres:
        master === undefined
          ? Number.NaN
          : master.own + master.reaped + stats.filter((s) => s.ppid === master.pid).reduce((sum, s) => sum + s.own, 0),
      client: process.cpuUsage(),
    };
  };

  const since = async (start: CpuMark): Promise<CpuUse> => {
    const end = await mark();
    let backends = 0;
    for (const [pid, ticks] of end.backends) backends += ticks - (start.backends.get(pid) ?? 0);
    const client = process.cpuUsage(start.client);
    return {
      processMs: target.pid === undefined ? Number.NaN : (end.process - start.process) * msPerTick,
      backendsMs: backends * msPerTick,
      postgresMs: (end.postgres - start.postgres) * msPerTick,
      clientMs: (client.user + client.system) / 1000,
    };
  };

  return {
    mark,
    since,
    measure: async (work) => {
      const start = await mark();
      const value = await work();
      return { value, cpu: await since(start) };
    },
    close: () => admin.end(),
  };
}

/** CPU per operation, in milliseconds (NaN for no operations). */
export function perOperation(use: CpuUse, operations: number): CpuUse {
  const per = (ms: number) => (operations > 0 ? ms / operations : Number.NaN);
  return {
    processMs: per(use.processMs),
    backendsMs: per(use.backendsMs),
    postgresMs: per(use.postgresMs),
    clientMs: per(use.clientMs),
  };
}

export const addCpu = (a: CpuUse, b: CpuUse): CpuUse => ({
  processMs: a.processMs + b.processMs,
  backendsMs: a.backendsMs + b.backendsMs,
  postgresMs: a.postgresMs + b.postgresMs,
  clientMs: a.clientMs + b.clientMs,
});
