import { setImmediate as nextTurn } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';

/** How long one slice may hold the event loop: well below what a waiting request notices. */
const defaultSliceMs = 4;

/**
 * `items.map(map)` for work that is CPU-bound and large (validating or serializing a 10,000-unit DAG
 * takes a few hundred milliseconds on a busy machine): after each slice of about `sliceMs` it lets the
 * event loop run whatever is waiting — other requests, heartbeats, timers — before going on.
 */
export async function mapInSlices<T, R>(items: readonly T[], map: (item: T, index: number) => R, sliceMs = defaultSliceMs): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let sliceStart = performance.now();
  for (let index = 0; index < items.length; index += 1) {
    results[index] = map(items[index]!, index);
    if (performance.now() - sliceStart >= sliceMs) {
      await nextTurn();
      sliceStart = performance.now();
    }
  }
  return results;
}
