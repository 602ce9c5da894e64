import type { Benchmark, BenchResult } from './benchmark.js';
import type { MachineFacts } from './machine.js';
import type { Scale } from './scale.js';

/** BENCHMARKS.md and the console table, from one run's results. */

export interface Outcome {
  benchmark: Benchmark;
  /** Undefined when the benchmark threw. */
  result?: BenchResult;
  error?: string;
  seconds: number;
}

export interface RunRecord {
  command: string;
  startedAt: Date;
  finishedAt: Date;
  scale: Scale;
  machine: MachineFacts;
  outcomes: Outcome[];
}

export const failedChecks = (outcome: Outcome) => outcome.result?.checks.filter((c) => !c.ok) ?? [];

/** PASS when every target is met, FAIL (k of n met) otherwise; numbers without a target say so. */
function targetsText(outcome: Outcome): string {
  if (outcome.error !== undefined) return 'ERROR';
  if (outcome.result?.notRun !== undefined) return 'NOT RUN';
  const assessed = (outcome.result?.verdicts ?? []).filter((v) => v.pass !== null);
  if (assessed.length === 0) return 'no target';
  const met = assessed.filter((v) => v.pass === true).length;
  if (met === assessed.length) return 'PASS';
  return assessed.length === 1 ? 'FAIL' : `FAIL (${met} of ${assessed.length} met)`;
}

function checksText(outcome: Outcome): string {
  const checks = outcome.result?.checks ?? [];
  if (outcome.error !== undefined || checks.length === 0) return '';
  const failed = failedChecks(outcome).length;
  return failed === 0 ? `ok (${checks.length})` : `FAILED (${failed} of ${checks.length})`;
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function printSummary(record: RunRecord): void {
  const rows = record.outcomes.map((o) => {
    const first = o.result?.rows[0];
    return {
      '#': String(o.benchmark.id),
      benchmark: o.benchmark.title,
      dagkeeper: first === undefined ? '' : `${first.metric}: ${first.dagkeeper}`,
      anchor: first?.anchor ?? '',
      ratio: first?.ratio ?? '',
      targets: targetsText(o),
      checks: checksText(o),
      time: `${o.seconds.toFixed(0)} s`,
    };
  });
  console.log('');
  console.table(rows);
  for (const o of record.outcomes) {
    if (o.error !== undefined) console.log(`#${o.benchmark.id} ${o.benchmark.name}: ERROR ${o.error}`);
    for (const check of failedChecks(o)) console.log(`#${o.benchmark.id} ${o.benchmark.name}: CHECK FAILED ${check.name}: ${check.detail}`);
  }
}

export function renderMarkdown(record: RunRecord): string {
  const { machine, scale } = record;
  const lines: string[] = [];
  const minutes = ((record.finishedAt.getTime() - record.startedAt.getTime()) / 60_000).toFixed(1);
  lines.push('# Benchmarks', '');
  if (scale.name !== 'full') {
    lines.push(
      `> **Development run at reduced sizes (\`BENCH_SCALE=${scale.name}\`), not the issue's sizes.** These numbers only show that every benchmark runs;`,
      '> the full run (`npm run bench`) overwrites this file.',
      '',
    );
  }
  lines.push(
    `Written by \`${record.command}\` on ${record.startedAt.toISOString()} (${minutes} min). Every number is next to an anchor measured in the same run on the same machine;`,
    'the ratio says how dagkeeper compares with it. Benchmarks run one after another, each on PostgreSQL databases of its own that are dropped afterwards.',
    'Where dagkeeper is compared with another program, that program runs in a process of its own like the server, the two alternate round by round, and each number is a median with',
    "the rounds' range (min–max) in brackets, next to the CPU per operation of each side's process and PostgreSQL (from /proc; steadier than throughput on a shared machine).",
    '',
    '| machine | |',
    '|---|---|',
    `| CPU | ${machine.cores} cores, ${machine.cpuModel} |`,
    `| RAM | ${machine.ramGiB} GiB |`,
    `| Node | ${machine.node} (${machine.platform}) |`,
    `| PostgreSQL | ${machine.postgres}, autovacuum ${machine.autovacuum} |`,
    `| load average (1 min) at start / end | ${machine.loadAtStart.toFixed(2)} / ${(machine.loadAtEnd ?? Number.NaN).toFixed(2)} |`,
    '',
    '## Summary',
    '',
    '| # | benchmark | dagkeeper | anchor | ratio | targets | correctness checks |',
    '|---|---|---|---|---|---|---|',
  );
  for (const o of record.outcomes) {
    const first = o.result?.rows[0];
    lines.push(
      `| ${o.benchmark.id} | ${cell(o.benchmark.title)} | ${cell(first === undefined ? '' : `${first.metric}: ${first.dagkeeper}`)} | ${cell(first?.anchor ?? '')} | ${cell(first?.ratio ?? '')} | ${targetsText(o)} | ${checksText(o)} |`,
    );
  }
  lines.push('', "Each section below gives its targets one by one, how it was measured, and every round's raw numbers.");
  lines.push('');
  lines.push(`Sizes: ${describeScale(scale)}.`, '');

  for (const o of record.outcomes) lines.push(...section(o));
  return `${lines.join('\n').trimEnd()}\n`;
}

function section(o: Outcome): string[] {
  const lines = [`## ${o.benchmark.id}. ${o.benchmark.title}`, ''];
  if (o.error !== undefined || o.result === undefined) {
    lines.push(`**The benchmark failed with an error** after ${o.seconds.toFixed(0)} s:`, '', '```', o.error ?? 'no result', '```', '');
    return lines;
  }
  const r = o.result;
  if (r.notRun !== undefined) lines.push(`**Not run:** ${r.notRun}`, '');
  lines.push(`Anchor: ${r.anchor}.`, '', '**How measured.**', '');
  for (const paragraph of r.howMeasured) lines.push(`- ${paragraph}`);
  lines.push('');
  if (r.rows.length > 0) {
    lines.push('| | dagkeeper | anchor | ratio |', '|---|---|---|---|');
    for (const row of r.rows) lines.push(`| ${cell(row.metric)} | ${cell(row.dagkeeper)} | ${cell(row.anchor)} | ${cell(row.ratio)} |`);
    lines.push('');
  }
  for (const v of r.verdicts) {
    lines.push(`**Target:** ${v.target} — ${v.pass === null ? 'not assessed' : v.pass ? '**PASS**' : '**FAIL**'} (${v.detail})`, '');
  }
  if (r.checks.length > 0) {
    lines.push('**Correctness checks:**', '');
    for (const c of r.checks) lines.push(`- ${c.ok ? 'ok' : '**FAILED**'}: ${c.name} (${c.detail})`);
    lines.push('');
  }
  for (const note of r.notes ?? []) lines.push(`Note: ${note}`, '');
  for (const exhibit of r.exhibits ?? []) lines.push(`${exhibit.title}:`, '', '```', exhibit.text, '```', '');
  lines.push(
    '<details><summary>Raw numbers</summary>',
    '',
    '```json',
    JSON.stringify(
      r.raw,
      (_key, value: unknown) => (typeof value === 'number' && !Number.isInteger(value) ? Math.round(value * 1000) / 1000 : value),
      2,
    ),
    '```',
    '',
    '</details>',
    '',
  );
  return lines;
}

function describeScale(scale: Scale): string {
  return [
    `claim ${scale.claimTasks.toLocaleString('en-US')} tasks × ${scale.claimers} claimers`,
    `scaling ${scale.scalingSizes.map((s) => s.toLocaleString('en-US')).join(' / ')} waiting tasks`,
    `transfer ${(scale.transferBytes / 1024 ** 2).toFixed(0)} MiB via ${scale.transferStores.join(' and ')}`,
    `resume ${scale.resumeDone} of ${scale.resumeUnits} units done`,
    `fan-out ${scale.fanOutSubscribers} subscribers`,
    `small writes ${scale.smallWrites} × ${scale.smallWritesRounds} round(s)`,
    `dead worker ${scale.deadWorkerRounds} round(s)`,
    `network ${scale.networkTransformations.toLocaleString('en-US')} transformations`,
    `inputs ${(scale.inputProteinBytes / 1024 ** 2).toFixed(0)} MiB protein × ${scale.inputTransformations} transformations, ${(scale.inputSettingsBytes / 1024 ** 2).toFixed(0)} MiB settings on ${scale.inputStores.join(' and ')}`,
    `unit cycle ${scale.cycleTasks.toLocaleString('en-US')} tasks × ${scale.cycleWorkers} workers, split ${scale.cycleSplitTasks}`,
  ].join('; ');
}
