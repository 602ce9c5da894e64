import { randomBytes } from 'node:crypto';
import { badInput } from '../errors.js';

/**
 * The seeds of tasks being created: each its own random one, so repeats of a transformation are
 * statistically independent, or the one given (to reproduce a run), which only one task may have.
 */
export function taskSeeds(count: number, given: number | undefined): number[] {
  if (given === undefined) return Array.from({ length: count }, randomSeed);
  if (!Number.isSafeInteger(given)) throw badInput('seed is a whole number of magnitude below 2^53', { field: 'seed' });
  if (count !== 1) {
    throw badInput(`a seed reproduces one run: give it with count 1, not ${count} (without it, each task gets a random seed)`, {
      field: 'seed',
    });
  }
  return [given];
}

/** Uniform over 0 … 2^53 − 1: every safe non-negative integer. */
export function randomSeed(): number {
  return Number(randomBytes(8).readBigUInt64BE() >> 11n);
}
