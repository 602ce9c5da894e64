import type { WorkerJobSpec } from '../Backend.js';
import { shellQuote } from './shellQuote.js';

/**
 * The batch script of a worker job: it replaces itself with the worker (exec), so the SIGTERM SLURM
 * sends at the time limit or on scancel reaches the worker directly. Every value is quoted as one
 * word; the only expansion is $SLURM_JOB_ID, which names the compute service after its job. No secret
 * is written here (SLURM keeps the script, and `scontrol write batch_script` shows it): the token comes
 * from the environment sbatch passes on.
 */
export function batchScript(spec: WorkerJobSpec): string {
  const command = spec.command.map(shellQuote).join(' ');
  return [
    '#!/bin/sh',
    '# A dagkeeper worker job, written by `dagkeeper manager`.',
    `exec ${command} --name ${shellQuote(`${spec.namePrefix}-slurm-`)}"$SLURM_JOB_ID"`,
    '',
  ].join('\n');
}
