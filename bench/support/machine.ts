import { cpus, loadavg, totalmem } from 'node:os';
import pg from 'pg';

/** What a number depends on: printed with every run, so numbers from two machines are never mixed up. */
export interface MachineFacts {
  cores: number;
  cpuModel: string;
  ramGiB: number;
  node: string;
  postgres: string;
  /**
   * PostgreSQL's autovacuum setting. A queue's hot tables slow down as dead row versions pile up; where
   * it is off (as in this machine's CI configuration) the benchmarks vacuum between rounds themselves.
   */
  autovacuum: string;
  platform: string;
  /** 1-minute load average when the run started and ended: a busy machine shows here. */
  loadAtStart: number;
  loadAtEnd?: number;
}

export async function machineFacts(adminUrl: string): Promise<MachineFacts> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
    const { rows: vacuum } = await client.query<{ autovacuum: string }>('SHOW autovacuum');
    return {
      cores: cpus().length,
      cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
      ramGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
      node: process.version,
      postgres: rows[0]?.server_version ?? 'unknown',
      autovacuum: vacuum[0]?.autovacuum ?? 'unknown',
      platform: `${process.platform} ${process.arch}`,
      loadAtStart: loadavg()[0] ?? 0,
    };
  } finally {
    await client.end();
  }
}

export const currentLoad = (): number => loadavg()[0] ?? 0;
