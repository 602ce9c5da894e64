/** Order statistics for latency samples, and the warm-up-then-rounds loop every benchmark uses. */

/** Nearest-rank percentile (p in 0..100) of unsorted samples; NaN for none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

export const median = (samples: readonly number[]): number => percentile(samples, 50);

export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export function summarize(samplesMs: readonly number[]): LatencySummary {
  return { count: samplesMs.length, p50: percentile(samplesMs, 50), p99: percentile(samplesMs, 99), max: percentile(samplesMs, 100) };
}

/** Milliseconds since an arbitrary origin, sub-millisecond resolution. */
export const nowMs = (): number => performance.now();

/** Times `work` once, in milliseconds, with its result. */
export async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = nowMs();
  const value = await work();
  return { ms: nowMs() - started, value };
}

/**
 * Runs `round` `warmUp` times unmeasured, then `rounds` times, and returns the measured rounds' results
 * in order. Each benchmark reports the median of these (and keeps every round in the raw numbers).
 */
export async function warmUpThenRounds<T>(
  plan: { warmUp: number; rounds: number },
  round: (index: number, warmUp: boolean) => Promise<T>,
): Promise<T[]> {
  for (let i = 0; i < plan.warmUp; i += 1) await round(i, true);
  const results: T[] = [];
  for (let i = 0; i < plan.rounds; i += 1) results.push(await round(i, false));
  return results;
}

/** The median of the rounds' values with their range. */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

export function spread(values: readonly number[]): Spread {
  const finite = values.filter((v) => !Number.isNaN(v));
  if (finite.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN };
  return { median: median(finite), min: Math.min(...finite), max: Math.max(...finite) };
}

/** Each A round over the B round run right after it: the ratio alternation makes fair. */
export function pairedRatios(a: readonly number[], b: readonly number[]): number[] {
  return a.slice(0, b.length).map((value, i) => value / (b[i] as number));
}
