import type { Row } from './benchmark.js';
import { fmtCpuMs, fmtRatio, fmtSpread } from './benchmark.js';
import type { CpuUse } from './cpu.js';
import { pairedRatios } from './stats.js';

/** The report's rows of CPU per operation (bench/support/cpu.ts), dagkeeper's rounds next to the anchor's. */

/** Everything one operation cost: the server, its database backends and the client that asked. */
export const totalMs = (use: CpuUse): number => use.processMs + use.backendsMs + use.clientMs;

export interface AnchorCpu {
  /** The anchor's CPU per its own operation, one entry per round, paired in order with dagkeeper's. */
  rounds: CpuUse[];
  /** e.g. `per job`. */
  per: string;
  /** The anchor is its own client (graphile-worker's process): no client row to compare. */
  clientInProcess?: boolean;
}

export function cpuRows(per: string, dagkeeper: CpuUse[], anchor?: AnchorCpu): Row[] {
  /** `fixedAnchor`: the anchor's cell when its number is not comparable, then without a ratio. */
  const row = (metric: string, pick: (use: CpuUse) => number, fixedAnchor?: string): Row => {
    const mine = dagkeeper.map(pick);
    if (anchor === undefined || fixedAnchor !== undefined)
      return { metric, dagkeeper: fmtSpread(mine, fmtCpuMs), anchor: fixedAnchor ?? '', ratio: '' };
    const theirs = anchor.rounds.map(pick);
    return {
      metric,
      dagkeeper: fmtSpread(mine, fmtCpuMs),
      anchor: `${fmtSpread(theirs, fmtCpuMs)} ${anchor.per}`,
      ratio: `${fmtSpread(pairedRatios(mine, theirs), fmtRatio)} (lower is better)`,
    };
  };
  return [
    row(`server process CPU ${per}`, (u) => u.processMs),
    row(`PostgreSQL CPU ${per}: the database's backends`, (u) => u.backendsMs),
    row(`PostgreSQL CPU ${per}: all its processes`, (u) => u.postgresMs),
    row(`benchmark client CPU ${per}`, (u) => u.clientMs, anchor?.clientInProcess === true ? 'in its own process (above)' : undefined),
    row(`CPU ${per}: server + backends + client`, totalMs),
  ];
}
