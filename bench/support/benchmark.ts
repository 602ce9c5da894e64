import type { MachineFacts } from './machine.js';
import type { Scale } from './scale.js';

/** What every benchmark file exports, and what it hands back to the runner. */

export interface BenchContext {
  scale: Scale;
  machine: MachineFacts;
  /** Progress for the console; not part of the report. */
  log(message: string): void;
}

/** A correctness check: a failed one makes `npm run bench` exit non-zero. */
export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

/** One headline number next to its anchor. `ratio` says which way is better. */
export interface Row {
  metric: string;
  dagkeeper: string;
  anchor: string;
  ratio: string;
}

export interface Verdict {
  target: string;
  /** null: the issue sets no target for this number, or it could not be measured. */
  pass: boolean | null;
  detail: string;
}

export interface BenchResult {
  /** The anchor, in a few words (the "vs" of the summary table). */
  anchor: string;
  /** How it was measured, a few sentences. */
  howMeasured: string[];
  rows: Row[];
  verdicts: Verdict[];
  checks: Check[];
  /** Every round's numbers, as JSON. */
  raw: unknown;
  notes?: string[];
  /** Longer text shown as it is (a query plan), each under its title. */
  exhibits?: Array<{ title: string; text: string }>;
  /** Set when the benchmark could not run at all (and why); its verdicts are then all null. */
  notRun?: string;
}

export interface Benchmark {
  id: number;
  /** The name selected on the command line: `npm run bench -- claim`. */
  name: string;
  title: string;
  run(context: BenchContext): Promise<BenchResult>;
}

export const fmtMs = (ms: number): string =>
  Number.isNaN(ms) ? 'n/a' : ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 100 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(2)} ms`;
export const fmtSeconds = (ms: number): string => (Number.isNaN(ms) ? 'n/a' : `${(ms / 1000).toFixed(2)} s`);
export const fmtRatio = (ratio: number): string => (Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : 'n/a');
export const fmtRate = (perSecond: number, unit: string): string => `${Math.round(perSecond).toLocaleString('en-US')} ${unit}/s`;
export const fmtBytes = (bytes: number): string =>
  bytes >= 1024 ** 3
    ? `${(bytes / 1024 ** 3).toFixed(2)} GiB`
    : bytes >= 1024 ** 2
      ? `${(bytes / 1024 ** 2).toFixed(1)} MiB`
      : `${(bytes / 1024).toFixed(0)} KiB`;
export const fmtMiBps = (bytes: number, ms: number): string => `${(bytes / 1024 ** 2 / (ms / 1000)).toFixed(0)} MiB/s`;
