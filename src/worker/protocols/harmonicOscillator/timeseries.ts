/**
 * Correlation in a Markov chain's samples, as pymbar.timeseries measures it. Successive Monte Carlo
 * samples are not independent: the variance of an average over N of them is g·var/N, where g, the
 * statistical inefficiency, is about twice the integrated autocorrelation time (in samples).
 */

/** Lags up to this are always summed, so a noisy early dip below zero does not end the sum (pymbar's mintime). */
const MIN_LAG = 3;

/**
 * g = 1 + 2 Σ_t (1 − t/N) C(t), summing the normalized autocorrelation C(t) until it first drops to
 * ≤ 0 after MIN_LAG (pymbar.timeseries.statistical_inefficiency, non-fast). Never below 1.
 */
export function statisticalInefficiency(series: Float64Array): number {
  const count = series.length;
  if (count < 2) throw new Error(`a statistical inefficiency needs at least 2 samples, got ${count}`);
  let mean = 0;
  for (const value of series) mean += value;
  mean /= count;
  let variance = 0;
  for (const value of series) variance += (value - mean) * (value - mean);
  variance /= count;
  if (!(variance > 0)) throw new Error('the samples do not vary, so their correlation time is undefined');
  let inefficiency = 1;
  for (let lag = 1; lag < count - 1; lag += 1) {
    let sum = 0;
    for (let index = 0; index + lag < count; index += 1) {
      sum += (series[index] - mean) * (series[index + lag] - mean);
    }
    const correlation = sum / ((count - lag) * variance);
    if (correlation <= 0 && lag > MIN_LAG) break;
    inefficiency += 2 * correlation * (1 - lag / count);
  }
  return Math.max(1, inefficiency);
}
