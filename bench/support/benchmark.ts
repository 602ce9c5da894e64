import type { MachineFacts } from './machine.js';
import type { Scale } from './scale.js';
import { spread } from './stats.js';

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
/** Whole numbers, but a tenth under 100/s, where rounding would hide a fair share of the difference. */
export const fmtRate = (perSecond: number, unit: string): string =>
  `${perSecond < 100 ? perSecond.toFixed(1) : Math.round(perSecond).toLocaleString('en-US')} ${unit}/s`;
export const fmtBytes = (bytes: number): string =>
  bytes >= 1024 ** 3
    ? `${(bytes / 1024 ** 3).toFixed(2)} GiB`
    : bytes >= 1024 ** 2
      ? `${(bytes / 1024 ** 2).toFixed(1)} MiB`
      : `${(bytes / 1024).toFixed(0)} KiB`;
export const fmtMiBps = (bytes: number, ms: number): string => `${(bytes / 1024 ** 2 / (ms / 1000)).toFixed(0)} MiB/s`;
/** CPU time per operation: three significant figures, as these run from hundredths of a millisecond to tens. */
export const fmtCpuMs = (ms: number): string =>
  Number.isNaN(ms)
    ? 'n/a'
    : ms >= 100
      ? `${ms.toFixed(0)} ms`
      : ms >= 10
        ? `${ms.toFixed(1)} ms`
        : ms >= 1
          ? `${ms.toFixed(2)} ms`
          : `${ms.toFixed(3)} ms`;

const unitOf = (text: string): string => /[^\d.,]*$/.exec(text)?.[0] ?? '';

/** The median of the rounds, with their range when there is more than one: `1,487 tasks/s (1,402–1,530)`. */
export function fmtSpread(values: readonly number[], format: (value: number) => string): string {
  const s = spread(values);
  if (Number.isNaN(s.median)) return 'n/a';
  const [mid, low, high] = [format(s.median), format(s.min), format(s.max)];
  if (values.length < 2 || low === high) return mid;
  // The range without the unit when all three share it: `0.38× (0.38–0.52)`.
  const unit = unitOf(mid);
  const bare = (text: string) => (unit !== '' && unitOf(text) === unit ? text.slice(0, -unit.length) : text);
  return unitOf(low) === unit && unitOf(high) === unit ? `${mid} (${bare(low)}–${bare(high)})` : `${mid} (${low}–${high})`;
}
