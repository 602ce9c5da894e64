/**
 * A seeded, resumable random stream for Monte Carlo: xoshiro128** (Blackman & Vigna), whose whole state
 * is four 32-bit words. A sample unit saves those words with its final configuration, so an extension
 * continues the very same stream instead of starting a new, possibly overlapping one.
 */

/** Bound once: inside a vm context (jest's), every lookup of the global `Math` in a hot loop is slow. */
const { PI, cos, imul, log, sqrt } = Math;

/** The generator's entire state: four unsigned 32-bit words, not all zero. Plain JSON. */
export type RngState = [number, number, number, number];

const TWO_POW_26 = 67_108_864;
const TWO_POW_53 = 9_007_199_254_740_992;
const GOLDEN_GAMMA = 0x9e3779b9;

export class Xoshiro128 {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  private constructor(state: RngState) {
    [this.s0, this.s1, this.s2, this.s3] = state;
  }

  /** A fresh stream for one (seed, stream) pair; each λ window uses its index as the stream. */
  static seeded(seed: number, stream: number): Xoshiro128 {
    if (!Number.isSafeInteger(seed)) throw new Error(`an RNG seed must be a safe integer, got ${String(seed)}`);
    if (!Number.isInteger(stream) || stream < 0 || stream > 0xffffffff) {
      throw new Error(`an RNG stream index must be an integer in 0..2^32-1, got ${String(stream)}`);
    }
    const wide = BigInt(seed);
    const low = Number(BigInt.asUintN(32, wide));
    const high = Number(BigInt.asUintN(32, wide >> 32n));
    // Each input word passes through the mixer before the next is folded in, so nearby seeds and
    // nearby windows start splitmix32 at unrelated points.
    const start = mix32(mix32(mix32(low) ^ high) ^ stream);
    const words = splitmix32Words(start);
    // The all-zero state is the one xoshiro cannot leave; splitmix32 essentially never yields it.
    if (words.every((word) => word === 0)) words[0] = GOLDEN_GAMMA;
    return new Xoshiro128(words);
  }

  /** Continues a stream saved with `state()`; refuses anything that is not such a state. */
  static fromState(state: unknown): Xoshiro128 {
    return new Xoshiro128(parseRngState(state));
  }

  /** A copy of the state; restoring it replays exactly the numbers this generator draws next. */
  state(): RngState {
    return [this.s0, this.s1, this.s2, this.s3];
  }

  /** The next unsigned 32-bit output. */
  nextUint32(): number {
    const result = imul(rotateLeft(imul(this.s1, 5), 7), 9) >>> 0;
    const shifted = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= shifted;
    this.s3 = rotateLeft(this.s3, 11);
    this.s0 >>>= 0;
    this.s1 >>>= 0;
    this.s2 >>>= 0;
    this.s3 >>>= 0;
    return result;
  }

  /** Uniform on [0, 1) with the full 53-bit resolution of a double (two outputs per draw). */
  nextDouble(): number {
    const high = this.nextUint32() >>> 5;
    const low = this.nextUint32() >>> 6;
    return (high * TWO_POW_26 + low) / TWO_POW_53;
  }

  /**
   * Standard normal by Box–Muller. Only the cosine half of each pair is used: keeping the sine half
   * for the next call would add a cached value to the state, and the state stays four words.
   */
  nextNormal(): number {
    const radius = sqrt(-2 * log(1 - this.nextDouble())); // 1 − u ∈ (0, 1]: log is finite
    return radius * cos(2 * PI * this.nextDouble());
  }
}

export function parseRngState(state: unknown): RngState {
  const isWord = (word: unknown): word is number => typeof word === 'number' && Number.isInteger(word) && word >= 0 && word <= 0xffffffff;
  if (!Array.isArray(state) || state.length !== 4 || !state.every(isWord)) {
    throw new Error('an RNG state must be an array of four unsigned 32-bit integers');
  }
  const [a, b, c, d] = state as number[];
  if ((a | b | c | d) === 0) throw new Error('an RNG state of four zero words is invalid (xoshiro never leaves it)');
  return [a, b, c, d];
}

function rotateLeft(value: number, bits: number): number {
  return (value << bits) | (value >>> (32 - bits));
}

/**
 * One seed from the task's seed and the settings' `seed` (splitmix64 over both, cut to 53 bits): a task
 * seed gives every repeat its own streams, while settings written with a seed stay valid and still
 * change the numbers.
 */
export function combineSeeds(taskSeed: number, settingsSeed: number): number {
  const mixed = splitmix64(splitmix64(BigInt.asUintN(64, BigInt(taskSeed))) ^ BigInt.asUintN(64, BigInt(settingsSeed)));
  return Number(mixed >> 11n);
}

function splitmix64(value: bigint): bigint {
  let z = BigInt.asUintN(64, value + 0x9e3779b97f4a7c15n);
  z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
  z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
  return z ^ (z >> 31n);
}

/** The splitmix32 output function (a 32-bit finalizer with good avalanche). */
function mix32(value: number): number {
  let z = value | 0;
  z = imul(z ^ (z >>> 16), 0x21f0aaad);
  z = imul(z ^ (z >>> 15), 0x735a2d97);
  return (z ^ (z >>> 15)) >>> 0;
}

/** Four consecutive splitmix32 outputs from `start`: the standard way to fill a xoshiro state. */
function splitmix32Words(start: number): RngState {
  let counter = start;
  const next = (): number => {
    counter = (counter + GOLDEN_GAMMA) | 0;
    return mix32(counter);
  };
  return [next(), next(), next(), next()];
}
