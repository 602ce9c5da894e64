import { Xoshiro128 } from '../../../src/worker/protocols/harmonicOscillator/random.js';

function draw(rng: Xoshiro128, count: number): number[] {
  const values: number[] = [];
  for (let index = 0; index < count; index += 1) values.push(rng.nextUint32(), rng.nextDouble(), rng.nextNormal());
  return values;
}

function meanAndVariance(values: readonly number[]): { mean: number; variance: number } {
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  const variance = values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (values.length - 1);
  return { mean, variance };
}

describe('the seeded random stream', () => {
  test('produces the reference xoshiro128** sequence from state [1, 2, 3, 4]', () => {
    const rng = Xoshiro128.fromState([1, 2, 3, 4]);
    const outputs = Array.from({ length: 6 }, () => rng.nextUint32());
    expect(outputs).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
  });

  test('resumes mid-stream from its JSON state with exactly the same numbers', () => {
    const original = Xoshiro128.seeded(42, 3);
    draw(original, 500);
    const saved = JSON.stringify(original.state());
    const expected = draw(original, 500);
    const restored = Xoshiro128.fromState(JSON.parse(saved));
    expect(draw(restored, 500)).toEqual(expected);
  });

  test('gives the same stream for the same seed and window, and different ones otherwise', () => {
    const first = draw(Xoshiro128.seeded(7, 0), 20);
    expect(draw(Xoshiro128.seeded(7, 0), 20)).toEqual(first);
    expect(draw(Xoshiro128.seeded(7, 1), 20)).not.toEqual(first);
    expect(draw(Xoshiro128.seeded(8, 0), 20)).not.toEqual(first);
    expect(draw(Xoshiro128.seeded(7 + 2 ** 32, 0), 20)).not.toEqual(first);
    expect(draw(Xoshiro128.seeded(-7, 0), 20)).not.toEqual(first);
  });

  test('draws uniforms on [0, 1) with mean 1/2 and variance 1/12', () => {
    const rng = Xoshiro128.seeded(1, 0);
    const values = Array.from({ length: 100_000 }, () => rng.nextDouble());
    expect(values.every((value) => value >= 0 && value < 1)).toBe(true);
    const { mean, variance } = meanAndVariance(values);
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.005); // ≈ 5 standard errors
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(0.002);
  });

  test('draws standard normals with mean 0 and variance 1', () => {
    const rng = Xoshiro128.seeded(2, 0);
    const values = Array.from({ length: 100_000 }, () => rng.nextNormal());
    expect(values.every(Number.isFinite)).toBe(true);
    const { mean, variance } = meanAndVariance(values);
    expect(Math.abs(mean)).toBeLessThan(0.016); // ≈ 5 standard errors
    expect(Math.abs(variance - 1)).toBeLessThan(0.023);
  });

  test.each([
    ['four zero words', [0, 0, 0, 0], /four zero words/],
    ['three words', [1, 2, 3], /four unsigned 32-bit integers/],
    ['a fraction', [1, 2, 3, 4.5], /four unsigned 32-bit integers/],
    ['a word above 2^32 − 1', [1, 2, 3, 2 ** 32], /four unsigned 32-bit integers/],
    ['an object', { s: [1, 2, 3, 4] }, /four unsigned 32-bit integers/],
  ])('refuses to restore %s as a state', (_, state, message) => {
    expect(() => Xoshiro128.fromState(state)).toThrow(message);
  });

  test('refuses seeds that are not safe integers', () => {
    expect(() => Xoshiro128.seeded(1.5, 0)).toThrow(/safe integer/);
    expect(() => Xoshiro128.seeded(2 ** 60, 0)).toThrow(/safe integer/);
  });
});
