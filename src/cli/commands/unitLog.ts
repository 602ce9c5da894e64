import type { Command } from 'commander';
import { ApiError } from '../../client/ApiClient.js';
import { connect, withConnectionOptions } from '../connection.js';
import type { ConnectionOptions } from '../connection.js';

interface UnitResultLog {
  unitKey: string;
  attempt: number;
  ok: boolean;
  startedAt: string;
  endedAt: string;
  log: string | null;
}

/** `results log`: what a unit printed (stdout, stderr and its log), as the worker captured it. */
export function registerUnitLogCommand(results: Command): void {
  withConnectionOptions(
    results
      .command('log <taskId> <unitKey>')
      .description("a unit's captured stdout and stderr: every attempt's, each under a heading, or one attempt's as it was")
      .option('--attempt <n>', 'only this attempt, printed without a heading'),
  ).action(async (taskId: string, unitKey: string, options: ConnectionOptions & { attempt?: string }) => {
    const attempt = options.attempt === undefined ? undefined : Number(options.attempt);
    if (attempt !== undefined && !Number.isSafeInteger(attempt))
      throw new Error(`--attempt must be a whole number, not "${options.attempt}"`);
    const api = await connect(options);
    const { task } = await api.request<{ task: { unitResults: UnitResultLog[] } | null }>(
      'query ($id: ID!) { task(id: $id) { unitResults { unitKey attempt ok startedAt endedAt log } } }',
      { id: taskId },
    );
    if (task === null) throw new ApiError('NOT_FOUND', `no task ${taskId}`);
    const results = task.unitResults.filter((r) => r.unitKey === unitKey && (attempt === undefined || r.attempt === attempt));
    const which = `unit ${unitKey} of task ${taskId}${attempt === undefined ? '' : ` in attempt ${attempt}`}`;
    if (results.length === 0) throw new ApiError('NOT_FOUND', `${which} has no result`);
    const logged = results.filter((r) => r.log !== null && r.log !== '');
    if (logged.length === 0) throw new ApiError('NOT_FOUND', `${which} has no captured log (the worker sent none)`);
    if (attempt !== undefined) {
      process.stdout.write(logged[0]?.log ?? '');
      return;
    }
    for (const result of logged) {
      console.log(`=== attempt ${result.attempt} (${result.ok ? 'ok' : 'failed'}, ${result.startedAt} → ${result.endedAt}) ===`);
      process.stdout.write(result.log ?? '');
      if (!(result.log ?? '').endsWith('\n')) console.log('');
    }
  });
}
