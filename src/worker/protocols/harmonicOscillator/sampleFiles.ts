import { readFile, writeFile } from 'node:fs/promises';
import { parseRngState, type RngState } from './random.js';

/**
 * The two files a sample unit leaves behind.
 *
 * `samples.f64` — the kept configurations x of one window, in chain order:
 *   bytes 0–7   ASCII "HOSMPL01" (format and version)
 *   bytes 8–15  the sample count n, unsigned 64-bit little-endian
 *   bytes 16–   n IEEE-754 doubles, little-endian
 * The count makes a truncated upload or download fail loudly instead of silently losing samples.
 *
 * `final-state.json` — where the chain stopped, so an extension continues it:
 *   { x, rng, window, k, stepsDone }, with `rng` the four words of the generator's state. JSON numbers
 *   round-trip doubles exactly, so the continuation is bit-for-bit the chain that never stopped.
 */

export const SAMPLES_FILE = 'samples.f64';
export const FINAL_STATE_FILE = 'final-state.json';

export interface FinalState {
  x: number;
  rng: RngState;
  window: number;
  k: number;
  /** Monte Carlo steps this chain has taken since it began, across every task it ran in. */
  stepsDone: number;
}

const MAGIC = 'HOSMPL01';
const HEADER_BYTES = 16;
const SAMPLE_BYTES = 8;

export async function writeSamples(path: string, samples: Float64Array): Promise<void> {
  const bytes = Buffer.alloc(HEADER_BYTES + samples.length * SAMPLE_BYTES);
  bytes.write(MAGIC, 0, 'ascii');
  bytes.writeBigUInt64LE(BigInt(samples.length), MAGIC.length);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  samples.forEach((x, index) => view.setFloat64(HEADER_BYTES + index * SAMPLE_BYTES, x, true));
  await writeFile(path, bytes);
}

export async function readSamples(path: string): Promise<Float64Array> {
  const bytes = await readFile(path);
  if (bytes.length < HEADER_BYTES || bytes.toString('ascii', 0, MAGIC.length) !== MAGIC) {
    throw new Error(`${path} is not a harmonic-oscillator samples file (no "${MAGIC}" header)`);
  }
  const count = bytes.readBigUInt64LE(MAGIC.length);
  const expectedBytes = BigInt(HEADER_BYTES) + count * BigInt(SAMPLE_BYTES);
  if (BigInt(bytes.length) !== expectedBytes) {
    throw new Error(`${path} should hold ${count} samples (${expectedBytes} bytes) but has ${bytes.length} bytes`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const samples = new Float64Array(Number(count));
  for (let index = 0; index < samples.length; index += 1) {
    samples[index] = view.getFloat64(HEADER_BYTES + index * SAMPLE_BYTES, true);
  }
  return samples;
}

export async function writeFinalState(path: string, state: FinalState): Promise<void> {
  await writeFile(path, `${JSON.stringify(state)}\n`);
}

export async function readFinalState(path: string): Promise<FinalState> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new Error(`${path} is not a readable final-state JSON file: ${(error as Error).message}`, { cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null) throw new Error(`${path} must hold a JSON object`);
  const { x, rng, window, k, stepsDone } = parsed as Record<string, unknown>;
  const fail = (what: string): never => {
    throw new Error(`${path} is not a harmonic-oscillator final state: ${what}`);
  };
  if (typeof x !== 'number' || !Number.isFinite(x)) return fail('x must be a finite number');
  if (typeof window !== 'number' || !Number.isInteger(window) || window < 0) {
    return fail('window must be an integer ≥ 0');
  }
  if (typeof k !== 'number' || !(k > 0) || !Number.isFinite(k)) return fail('k must be a finite number > 0');
  if (typeof stepsDone !== 'number' || !Number.isSafeInteger(stepsDone) || stepsDone < 0) {
    return fail('stepsDone must be an integer ≥ 0');
  }
  let words: RngState;
  try {
    words = parseRngState(rng);
  } catch (error) {
    return fail((error as Error).message);
  }
  return { x, rng: words, window, k, stepsDone };
}
