import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  readFinalState,
  readSamples,
  writeFinalState,
  writeSamples,
} from '../../../src/worker/protocols/harmonicOscillator/sampleFiles.js';

describe('sample files', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dagkeeper-harmonic-files-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('round-trip samples bit for bit as a header and little-endian doubles', async () => {
    const samples = Float64Array.of(0, -0, 1.5, -2.25e-300, Math.PI, Number.MAX_VALUE);
    const path = join(dir, 'samples.f64');
    await writeSamples(path, samples);
    const bytes = await readFile(path);
    expect(bytes.toString('ascii', 0, 8)).toBe('HOSMPL01');
    expect(bytes.readBigUInt64LE(8)).toBe(6n);
    expect(bytes.readDoubleLE(16 + 2 * 8)).toBe(1.5);
    expect(Object.is((await readSamples(path))[1], -0)).toBe(true);
    expect(await readSamples(path)).toEqual(samples);
  });

  test('refuse a truncated samples file or one of another format', async () => {
    const path = join(dir, 'samples.f64');
    await writeSamples(path, Float64Array.of(1, 2, 3));
    const bytes = await readFile(path);
    await writeFile(path, bytes.subarray(0, bytes.length - 4));
    await expect(readSamples(path)).rejects.toThrow(/should hold 3 samples \(40 bytes\) but has 36 bytes/);
    await writeFile(path, Buffer.alloc(24));
    await expect(readSamples(path)).rejects.toThrow(/not a harmonic-oscillator samples file/);
  });

  test('round-trip the final state exactly and refuse one that is malformed', async () => {
    const path = join(dir, 'final-state.json');
    const rng: [number, number, number, number] = [1, 2, 3, 4];
    const state = { x: 0.1 + 0.2, rng, window: 2, k: 1.6, stepsDone: 12_345 };
    await writeFinalState(path, state);
    expect(await readFinalState(path)).toEqual(state);
    await writeFile(path, JSON.stringify({ ...state, rng: [0, 0, 0, 0] }));
    await expect(readFinalState(path)).rejects.toThrow(/not a harmonic-oscillator final state: .*four zero words/);
    await writeFile(path, JSON.stringify({ ...state, x: 'far' }));
    await expect(readFinalState(path)).rejects.toThrow(/x must be a finite number/);
  });
});
