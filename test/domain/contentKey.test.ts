import { createHash } from 'node:crypto';
import { canonicalJson, contentKey, writeCanonicalJson } from '../../src/domain/contentKey.js';
import { refusal } from '../support/refusals.js';

describe('canonical JSON', () => {
  test('written in pieces, a large value is many pieces that make exactly its canonical JSON', () => {
    const value = { records: Array.from({ length: 20_000 }, (_, i) => ({ z: i, a: [`atom ${i}`, i / 7] })), name: 'big' };
    const pieces: string[] = [];
    writeCanonicalJson(value, (text) => pieces.push(text));
    expect(pieces.length).toBeGreaterThan(5);
    expect(pieces.join('')).toBe(canonicalJson(value));
    expect(() => writeCanonicalJson({ bad: [1, Number.NaN] }, () => undefined)).toThrow('not JSON at $.bad[1]');
  });

  test('sorts object keys at every level, keeps array order and has no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}');
  });

  test('writes scalars exactly as JSON.stringify does', () => {
    for (const value of ['té\u2028"\\\n', '\ud800', 0, -0, 1e21, 1.5e-7, true, false, null]) {
      expect(canonicalJson(value)).toBe(JSON.stringify(value));
    }
  });

  test('omits object properties that are undefined, as JSON.stringify does', () => {
    expect(canonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}');
  });

  test('accepts objects without a prototype and the same object referenced twice', () => {
    const shared = { x: 1 };
    const bare: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    bare.k = [shared, shared];
    expect(canonicalJson(bare)).toBe('{"k":[{"x":1},{"x":1}]}');
  });

  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = { back: cyclic };
  const notJson: Array<[string, unknown, RegExp]> = [
    ['a function', { f: () => 1 }, /at \$\.f: a function/],
    ['undefined at the top', undefined, /at \$: undefined is not a JSON value/],
    ['undefined inside an array', [1, undefined], /at \$\[1\]: undefined is not/],
    // eslint-disable-next-line no-sparse-arrays -- the hole is what this case is about
    ['a hole in an array', [1, , 3], /at \$\[1\]/],
    ['NaN', { n: Number.NaN }, /NaN is not a JSON number/],
    ['Infinity', [Number.POSITIVE_INFINITY], /Infinity is not a JSON number/],
    ['a bigint', { big: 10n }, /a bigint/],
    ['a symbol', { s: Symbol('s') }, /a symbol/],
    ['a Date', { when: new Date(0) }, /a Date is not a JSON object/],
    ['a Map', new Map([['a', 1]]), /a Map is not a JSON object/],
    ['a cycle', cyclic, /at \$\.self\.back: the value contains itself/],
  ];
  test.each(notJson)('refuses %s with BAD_USER_INPUT naming where it is', (_, value, message) => {
    const error = refusal(() => canonicalJson(value));
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.message).toMatch(message);
  });

  /** Canonical JSON spelled out plainly: the reference the fast and the careful writer must both match. */
  const reference = (value: unknown): string => {
    if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
    if (typeof value !== 'object' || value === null) return JSON.stringify(value);
    const object = value as Record<string, unknown>;
    const keys = Object.keys(object)
      .filter((key) => object[key] !== undefined)
      .sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${reference(object[key])}`).join(',')}}`;
  };

  test('writes what the plain reference writes, for random values of every shape', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    // Keys an object orders its own way (array indices first, numerically), "__proto__", unicode and
    // lone surrogates, and a value undefined now and then.
    const keys = ['b', 'a', 'aa', 'B', '10', '2', '0', '01', '4294967295', '4294967294', '__proto__', 'é', 'z\u2028', '\ud800', '', 'key'];
    const scalars = ['text', 'é"\\\n', '\udfff', 0, -0, 1.5e-7, 1e21, -3, true, false, null];
    const make = (depth: number): unknown => {
      const kind = depth > 4 ? 0 : Math.floor(random() * 3);
      if (kind === 0) return pick(scalars);
      if (kind === 1) return Array.from({ length: Math.floor(random() * 4) }, () => make(depth + 1));
      const object: Record<string, unknown> = {};
      for (let i = Math.floor(random() * 5); i > 0; i -= 1) {
        const key = pick(keys);
        const member = random() < 0.1 ? undefined : make(depth + 1);
        Object.defineProperty(object, key, { value: member, enumerable: true, writable: true, configurable: true });
      }
      return object;
    };
    for (let i = 0; i < 2_000; i += 1) {
      const value = make(0);
      expect(canonicalJson(value)).toBe(reference(value));
      const pieces: string[] = [];
      writeCanonicalJson(value, (text) => pieces.push(text));
      expect(pieces.join('')).toBe(reference(value));
    }
  });

  test('an array carrying a toJSON of its own is written by its items', () => {
    const items = Object.assign([2, 1], { toJSON: () => 'replaced' });
    expect(canonicalJson({ items })).toBe('{"items":[2,1]}');
  });

  test('an object shared by two places, one sorted and one not, is written sorted in both', () => {
    const shared = { y: 1, x: [{ b: 2, a: 1 }] };
    expect(canonicalJson({ second: shared, first: [shared, { k: shared }] })).toBe(
      '{"first":[{"x":[{"a":1,"b":2}],"y":1},{"k":{"x":[{"a":1,"b":2}],"y":1}}],"second":{"x":[{"a":1,"b":2}],"y":1}}',
    );
  });

  test('refuses a 100,000-deep value without overflowing the stack', () => {
    let deep: unknown = 0;
    for (let i = 0; i < 100_000; i += 1) deep = { d: deep };
    expect(refusal(() => canonicalJson(deep)).message).toMatch(/nested deeper than/);
  });
});

describe('content keys', () => {
  test('are the kind and the first 32 hex characters of the SHA-256 of the canonical JSON', () => {
    const digest = createHash('sha256').update('{"a":1,"b":[2]}').digest('hex');
    expect(contentKey('dag', { b: [2], a: 1 })).toBe(`dag-${digest.slice(0, 32)}`);
  });

  test('are equal for equal content whatever the key order, and differ when content or kind differs', () => {
    const key = contentKey('dag', { units: [{ key: 'a', inputs: { x: 1, y: 2 } }], name: 'n' });
    expect(contentKey('dag', { name: 'n', units: [{ inputs: { y: 2, x: 1 }, key: 'a' }] })).toBe(key);
    expect(contentKey('dag', { name: 'n', units: [{ inputs: { y: 2, x: 3 }, key: 'a' }] })).not.toBe(key);
    expect(contentKey('task', { units: [{ key: 'a', inputs: { x: 1, y: 2 } }], name: 'n' })).not.toBe(key);
  });

  test('treat array order as content', () => {
    expect(contentKey('v', [1, 2])).not.toBe(contentKey('v', [2, 1]));
  });

  // The kind is the key's prefix up to the first -, so it must not contain one.
  test.each(['', 'has-hyphen', '1st', 'a b'])('refuse the kind "%s": a kind is letters, digits or _, from a letter', (kind) => {
    expect(() => contentKey(kind, 1)).toThrow(RangeError);
  });
});
