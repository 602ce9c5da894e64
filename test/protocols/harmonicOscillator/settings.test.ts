import {
  exactDeltaF,
  lambdaSchedule,
  parseHarmonicSettings,
  springConstantAt,
} from '../../../src/worker/protocols/harmonicOscillator/settings.js';

describe('harmonic-oscillator settings', () => {
  test('need only k0 and k1; everything else has a default', () => {
    expect(parseHarmonicSettings({ k0: 1, k1: 4 })).toEqual({
      k0: 1,
      k1: 4,
      kT: 1,
      windows: 6,
      samplesPerWindow: 20_000,
      sampleInterval: 10,
      seed: 1,
    });
  });

  test('place λ windows evenly from state A to state B, with k interpolated linearly', () => {
    const settings = parseHarmonicSettings({ k0: 1, k1: 4, windows: 4 });
    const lambdas = lambdaSchedule(settings);
    expect(lambdas).toEqual([0, 1 / 3, 2 / 3, 1]);
    expect(lambdas.map((lambda) => springConstantAt(settings, lambda))).toEqual([1, 2, 3, 4]);
  });

  test('give the exact ΔF = (kT/2)·ln(k1/k0)', () => {
    expect(exactDeltaF(parseHarmonicSettings({ k0: 1, k1: 4, kT: 2 }))).toBeCloseTo(Math.log(4), 14);
  });

  test.each([
    ['not an object', [1, 4], /must be an object with at least k0 and k1/],
    ['missing k0', { k1: 4 }, /need k0/],
    ['k0 of zero', { k0: 0, k1: 4 }, /k0 must be a finite number > 0, got 0/],
    ['k1 as a string', { k0: 1, k1: '4' }, /k1 must be a finite number > 0, got "4"/],
    ['negative kT', { k0: 1, k1: 4, kT: -1 }, /kT must be a finite number > 0/],
    ['one window', { k0: 1, k1: 4, windows: 1 }, /windows must be an integer in 2\.\.64, got 1/],
    ['65 windows', { k0: 1, k1: 4, windows: 65 }, /windows must be an integer in 2\.\.64/],
    ['fractional windows', { k0: 1, k1: 4, windows: 2.5 }, /windows must be an integer/],
    ['too few samples', { k0: 1, k1: 4, samplesPerWindow: 99 }, /samplesPerWindow must be an integer in 100\.\.10000000/],
    ['a zero sample interval', { k0: 1, k1: 4, sampleInterval: 0 }, /sampleInterval must be an integer in 1\.\.10000, got 0/],
    ['a fractional seed', { k0: 1, k1: 4, seed: 1.5 }, /seed must be an integer, got 1\.5/],
    ['a misspelt field', { k0: 1, k1: 4, kt: 2 }, /unknown fields "kt"/],
  ])('are refused with a clear message: %s', (_, input, message) => {
    expect(() => parseHarmonicSettings(input)).toThrow(message);
  });
});
