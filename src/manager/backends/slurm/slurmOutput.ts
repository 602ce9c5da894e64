import type { JobState, JobStatus } from '../../jobs.js';

/** The job id `sbatch --parsable` prints: `id` or `id;cluster`. */
export function parseSbatchJobId(stdout: string): string {
  const line = stdout.trim().split('\n').at(-1)?.trim() ?? '';
  const id = line.split(';')[0]!;
  if (!/^\d+(_\d+)?$/.test(id)) throw new Error(`sbatch printed no job id: ${JSON.stringify(stdout.slice(0, 200))}`);
  return id;
}

/** The squeue format `parseSqueue` reads: id, state, start, end, reason, separated by |. */
export const squeueFormat = '%i|%T|%S|%e|%r';

/**
 * Rows of `squeue -h -o '%i|%T|%S|%e|%r'` by job id. Lines that do not have that shape are skipped, so
 * a warning squeue prints among them does not break the rest.
 */
export function parseSqueue(stdout: string): Map<string, JobStatus> {
  const jobs = new Map<string, JobStatus>();
  for (const line of stdout.split('\n')) {
    const fields = line.trim().split('|');
    if (fields.length !== 5) continue;
    const [id, rawState, start, end, reason] = fields as [string, string, string, string, string];
    if (!/^\d+(_\d+)?$/.test(id)) continue;
    const { state, detail } = slurmState(rawState);
    const said = [detail, reason !== '' && reason !== 'None' ? reason : undefined].filter((s) => s !== undefined).join(': ');
    jobs.set(id, {
      state,
      ...(said === '' ? {} : { reason: said }),
      // PENDING jobs show an expected start, running ones an expected end: only what happened counts.
      ...(state !== 'PENDING' ? optionalDate('startedAt', start) : {}),
      ...(state !== 'PENDING' && state !== 'RUNNING' ? optionalDate('endedAt', end) : {}),
    });
  }
  return jobs;
}

const pending = new Set(['PENDING', 'REQUEUED', 'REQUEUE_HOLD', 'REQUEUE_FED', 'RESV_DEL_HOLD', 'SPECIAL_EXIT']);
const running = new Set(['RUNNING', 'COMPLETING', 'CONFIGURING', 'SUSPENDED', 'STOPPED', 'SIGNALING', 'STAGE_OUT', 'RESIZING']);
const failed = new Set(['FAILED', 'NODE_FAIL', 'OUT_OF_MEMORY', 'BOOT_FAIL', 'PREEMPTED', 'REVOKED']);

/** SLURM's job state (squeue %T, sacct State: `CANCELLED by 0` too) as one of the manager's, keeping the original when it says more. */
export function slurmState(raw: string): { state: JobState; detail?: string } {
  const word = raw.trim().split(/\s+/)[0]?.replace(/\+$/, '').toUpperCase() ?? '';
  if (pending.has(word)) return word === 'PENDING' ? { state: 'PENDING' } : { state: 'PENDING', detail: word };
  if (running.has(word)) return word === 'RUNNING' ? { state: 'RUNNING' } : { state: 'RUNNING', detail: word };
  if (word === 'COMPLETED') return { state: 'COMPLETED' };
  if (word === 'CANCELLED') return { state: 'CANCELLED' };
  if (word === 'TIMEOUT' || word === 'DEADLINE') return word === 'TIMEOUT' ? { state: 'TIMEOUT' } : { state: 'TIMEOUT', detail: word };
  if (failed.has(word)) return word === 'FAILED' ? { state: 'FAILED' } : { state: 'FAILED', detail: word };
  return { state: 'UNKNOWN', detail: raw.trim() === '' ? 'no state' : raw.trim() };
}

/** SLURM prints times in the cluster's local time, without a zone, or N/A / Unknown / None. */
function optionalDate<K extends string>(key: K, text: string): Partial<Record<K, Date>> {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/.test(text)) return {};
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? {} : ({ [key]: date } as Partial<Record<K, Date>>);
}

/** The sacct format `parseSacct` reads (`sacct -n -P -X -o`). */
export const sacctFields = 'JobID,State,Start,End';

/** Rows of `sacct -n -P -X -o JobID,State,Start,End` by job id, read as squeue's. */
export function parseSacct(stdout: string): Map<string, JobStatus> {
  const lines = stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.split('|').length === 4)
    .map((line) => `${line}|`);
  return parseSqueue(lines.join('\n'));
}
