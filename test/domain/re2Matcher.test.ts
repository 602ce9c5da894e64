import { Re2Matcher } from '../../src/domain/restarts/Re2Matcher.js';
import { unsupportedConstruct } from '../../src/domain/restarts/re2Syntax.js';

/** 4 MiB of "a" that never ends the way `(a+)+$` wants: exponential for a backtracking engine. */
const catastrophicTraceback = `${'a'.repeat(4 * 1024 * 1024 - 1)}!`;

describe('restart patterns on RE2, on a thread of their own', () => {
  const matchers: Re2Matcher[] = [];
  const matcher = (options?: ConstructorParameters<typeof Re2Matcher>[0]) => {
    const created = new Re2Matcher(options);
    matchers.push(created);
    return created;
  };
  afterAll(async () => {
    await Promise.all(matchers.map((m) => m.close()));
  });

  test('(a+)+$ against a 4 MiB traceback is decided in linear time, while the event loop stays free', async () => {
    const m = matcher();
    let ticks = 0;
    let worstGapMs = 0;
    let last = performance.now();
    const ticker = setInterval(() => {
      const now = performance.now();
      worstGapMs = Math.max(worstGapMs, now - last);
      last = now;
      ticks += 1;
    }, 10);
    try {
      const started = performance.now();
      expect(await m.firstMatch(['(a+)+$'], [catastrophicTraceback])).toEqual([{ outcome: 'no match' }]);
      expect(performance.now() - started).toBeLessThan(10_000);
    } finally {
      clearInterval(ticker);
    }
    expect(ticks).toBeGreaterThan(0);
    expect(worstGapMs).toBeLessThan(1_000);
    expect(await m.firstMatch(['(a+)+$'], ['xyz', 'aaaa'])).toEqual([{ outcome: 'match' }]);
  });

  test('patterns are tried in order and the first that matches any text ends the search', async () => {
    const m = matcher();
    const texts = ['RuntimeError: boom', 'Traceback:\n  CUDA error: an illegal memory access was encountered'];
    expect(await m.firstMatch(['NaN', 'CUDA error: an illegal memory access', 'boom'], texts)).toEqual([
      { outcome: 'no match' },
      { outcome: 'match' },
    ]);
    expect(await m.firstMatch([], texts)).toEqual([]);
  });

  test('a pattern RE2 cannot compile (stored before patterns were RE2) is reported invalid, and the next is still tried', async () => {
    const m = matcher();
    const [invalid, next] = await m.firstMatch(['(boom)\\1', 'boom'], ['boom boom']);
    expect(invalid).toMatchObject({ outcome: 'invalid', message: expect.stringContaining('\\1') });
    expect(next).toEqual({ outcome: 'match' });
  });

  test('a pattern over its time budget counts as timed out, its thread is replaced, and the next pattern is still tried', async () => {
    // Linear, but text × pattern size: over a minute for this one on 4 MiB.
    const m = matcher({ patternBudgetMs: 1_000 });
    const outcomes = await m.firstMatch(['(?:a?){300}a{300}$', 'needle'], [catastrophicTraceback, 'a needle in it']);
    expect(outcomes).toEqual([{ outcome: 'timed out', budgetMs: 1_000 }, { outcome: 'match' }]);
    expect(await m.firstMatch(['needle'], ['needle'])).toEqual([{ outcome: 'match' }]);
  });

  test('compileError names what RE2 refuses, and accepts RE2 syntax JavaScript lacks', async () => {
    const m = matcher();
    expect(await m.compileError('\\u0041')).toContain('\\u');
    expect(await m.compileError('a{1001}')).toContain('{1001}');
    expect(await m.compileError('(?i)cuda error: \\pL+')).toBeNull();
  });

  test('the constructs JavaScript has and RE2 lacks are named, outside character classes only', () => {
    expect(unsupportedConstruct('(a)\\1')).toBe('backreference \\1');
    expect(unsupportedConstruct('(?<n>a)\\k<n>')).toBe('named backreference \\k<n>');
    expect(unsupportedConstruct('foo(?=bar)')).toBe('lookahead (?=');
    expect(unsupportedConstruct('foo(?!bar)')).toBe('negative lookahead (?!');
    expect(unsupportedConstruct('(?<=foo)bar')).toBe('lookbehind (?<=');
    expect(unsupportedConstruct('(?<!foo)bar')).toBe('negative lookbehind (?<!');
    expect(unsupportedConstruct('[(?=]\\(?=x')).toBeUndefined();
    expect(unsupportedConstruct('[]\\1]')).toBeUndefined();
    expect(unsupportedConstruct('(?<name>a)\\0')).toBeUndefined();
  });
});
