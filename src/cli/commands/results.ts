import type { Command } from 'commander';
import { ApiError } from '../../client/ApiClient.js';
import { connect, withConnectionOptions } from '../connection.js';
import type { ConnectionOptions } from '../connection.js';
import { printTable } from '../output.js';
import { registerEstimateCommands } from './estimates/registerEstimateCommands.js';
import { registerUnitLogCommand } from './unitLog.js';

/** A failed unit, or (`unitKey` null) a ProtocolDAG that could not be built. */
interface Failure {
  unitKey: string | null;
  attempt: number;
  exception: string | null;
  traceback: string | null;
}

interface TaskResults {
  id: string;
  status: string;
  dagResults: Array<{ id: string; createdAt: string; document: unknown }>;
  failures: Failure[];
}

/** A ProtocolDAGResult document's unit, as the server writes it (TaskFinisher). */
interface DocumentUnit {
  key: string;
  dependencies: string[];
  result: { ok: boolean; outputs?: unknown } | null;
}

/** A traceback's last lines name the error and where it was raised; the rest is on the server. */
const TRACEBACK_LINES_SHOWN = 5;
const SUMMARY_CHARS = 80;
const SIGNIFICANT_DIGITS = 6;

export function registerResultCommands(program: Command): void {
  const results = program.command('results').description("read tasks' ProtocolDAG results");

  withConnectionOptions(
    results
      .command('get <taskId>')
      .description("a task's successful result (unit outputs and ΔF), or its failures")
      .option('--json', 'print the whole result document as JSON'),
  ).action(async (taskId: string, options: ConnectionOptions & { json?: boolean }) => {
    const api = await connect(options);
    const { task } = await api.request<{ task: TaskResults | null }>(
      `query ($id: ID!) { task(id: $id) { id status dagResults(ok: true) { id createdAt document } failures { __typename unitKey attempt exception traceback } } }`,
      { id: taskId },
    );
    if (task === null) throw new ApiError('NOT_FOUND', `no task ${taskId}`);
    const success = task.dagResults[0];
    if (success === undefined) {
      if (options.json === true)
        console.log(JSON.stringify({ taskId: task.id, status: task.status, document: null, failures: task.failures }, null, 2));
      else printFailures(task);
      throw new Error(`task ${task.id} (${task.status}) has no successful result`);
    }
    if (options.json === true) {
      console.log(JSON.stringify(success.document, null, 2));
      return;
    }
    const units = documentUnits(success.document);
    console.log(`task ${task.id}: ${task.status}, result ${success.id} (${success.createdAt})`);
    printTable(units.map((u) => ({ unit: u.key, ok: u.result?.ok === true ? 'yes' : 'no', outputs: summarize(u.result?.outputs) })));
    const estimate = freeEnergyOf(units);
    if (estimate !== undefined) console.log(estimate);
  });

  registerEstimateCommands(results);
  registerUnitLogCommand(results);
}

function printFailures(task: TaskResults): void {
  console.log(`task ${task.id} (${task.status}) has no successful result`);
  if (task.failures.length === 0) {
    console.log('and nothing has failed yet');
    return;
  }
  for (const failure of task.failures) {
    console.log('');
    const what = failure.unitKey === null ? 'the ProtocolDAG could not be built' : `unit ${failure.unitKey} failed`;
    console.log(`${what} (attempt ${failure.attempt}): ${failure.exception ?? ''}`);
    const lines = (failure.traceback ?? '').trimEnd().split('\n');
    for (const line of lines.slice(-TRACEBACK_LINES_SHOWN)) console.log(`  ${line}`);
  }
}

function documentUnits(document: unknown): DocumentUnit[] {
  if (!isRecord(document) || !Array.isArray(document.units)) return [];
  return document.units.filter(isRecord).map((unit) => ({
    key: String(unit.key),
    dependencies: Array.isArray(unit.dependencies) ? unit.dependencies.map(String) : [],
    result: isRecord(unit.result) ? { ok: unit.result.ok === true, outputs: unit.result.outputs } : null,
  }));
}

/** `ΔF = x ± σ` from the terminal unit (one nothing depends on) whose outputs carry deltaF and sigma. */
function freeEnergyOf(units: DocumentUnit[]): string | undefined {
  const depended = new Set(units.flatMap((u) => u.dependencies));
  for (const unit of units.filter((u) => !depended.has(u.key))) {
    const outputs = unit.result?.outputs;
    if (!isRecord(outputs) || typeof outputs.deltaF !== 'number' || typeof outputs.sigma !== 'number') continue;
    const exact = typeof outputs.exact === 'number' ? ` (exact = ${formatNumber(outputs.exact)})` : '';
    return `ΔF = ${formatNumber(outputs.deltaF)} ± ${formatNumber(outputs.sigma)}${exact}`;
  }
  return undefined;
}

/** `key=value` for each output, nested values abbreviated, cut to one line of a table. */
function summarize(outputs: unknown): string {
  if (outputs === undefined || outputs === null) return '';
  const text = isRecord(outputs)
    ? Object.entries(outputs)
        .map(([key, value]) => `${key}=${summarizeValue(value)}`)
        .join(' ')
    : summarizeValue(outputs);
  return text.length > SUMMARY_CHARS ? `${text.slice(0, SUMMARY_CHARS - 1)}…` : text;
}

function summarizeValue(value: unknown): string {
  if (typeof value === 'number') return formatNumber(value);
  if (Array.isArray(value)) return `[${value.length} items]`;
  if (isRecord(value)) return '{…}';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function formatNumber(value: number): string {
  return String(Number(value.toPrecision(SIGNIFICANT_DIGITS)));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
