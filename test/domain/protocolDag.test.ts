import { remainingUnits, topologicalOrder, validateProtocolDag } from '../../src/domain/dag/protocolDag.js';
import type { ProtocolDagSpec, ProtocolUnitSpec } from '../../src/domain/dag/protocolDag.js';
import { refusal } from '../support/refusals.js';
import { seededRandom } from '../support/seededRandom.js';

const unit = (key: string, dependencies: string[] = [], inputs?: unknown): ProtocolUnitSpec =>
  inputs === undefined ? { key, name: `unit ${key}`, dependencies } : { key, name: `unit ${key}`, dependencies, inputs };
const dag = (...units: ProtocolUnitSpec[]): ProtocolDagSpec => ({ name: 'dag', units });

function shuffle<T>(items: T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

/** Units depend only on units earlier in a hidden order, so the DAG is acyclic; they are listed shuffled. */
function randomAcyclicDag(random: () => number): ProtocolDagSpec {
  const size = 1 + Math.floor(random() * 40);
  const hidden = shuffle(
    Array.from({ length: size }, (_, i) => `u${i}`),
    random,
  );
  const edgeChance = random() * 0.5;
  const units = hidden.map((key, position) =>
    unit(
      key,
      hidden.slice(0, position).filter(() => random() < edgeChance),
    ),
  );
  return dag(...shuffle(units, random));
}

function expectRespectsEveryEdge(spec: ProtocolDagSpec, order: string[]): void {
  const position = new Map(order.map((key, index) => [key, index]));
  expect(order).toHaveLength(spec.units.length);
  for (const u of spec.units) {
    for (const dependency of u.dependencies) expect(position.get(dependency)).toBeLessThan(position.get(u.key) ?? -1);
  }
}

describe('validating a ProtocolDAG', () => {
  test('a valid DAG comes back as a normalized copy that keeps unit order, extra fields and absent inputs', () => {
    const input = { name: 'rbfe', version: 3, units: [unit('b', ['a'], { x: [1, 2] }), unit('a')] };
    const result = validateProtocolDag(input);
    expect(result).toEqual(input);
    expect(result).not.toBe(input);
    expect(result.units[0]).not.toBe(input.units[0]);
    expect('inputs' in (result.units[1] ?? {})).toBe(false);
  });

  test('a DAG without a name is accepted and stays without one', () => {
    expect('name' in validateProtocolDag({ units: [unit('a')] })).toBe(false);
  });

  const refusals: Array<[string, unknown, RegExp]> = [
    ['a non-object', 'dag', /must be a JSON object/],
    ['null', null, /must be a JSON object/],
    ['an array', [unit('a')], /must be a JSON object/],
    ['a name that is not a string', { name: 7, units: [unit('a')] }, /DAG name must be a non-empty string/],
    ['a missing units field', { name: 'x' }, /needs a "units" array/],
    ['units that are not an array', { units: { a: unit('a') } }, /needs a "units" array/],
    ['an empty units array', { units: [] }, /at least one unit/],
    ['a unit that is not an object', { units: [unit('a'), 'b'] }, /units\[1\] must be an object/],
    ['a unit with an unknown field', { units: [{ ...unit('a'), setting: 1 }] }, /unknown fields "setting"/],
    ['a missing key', { units: [{ name: 'n', dependencies: [] }] }, /units\[0\]\.key must be a non-empty string/],
    ['an empty key', { units: [unit('')] }, /key must be a non-empty string/],
    ['a key too long', { units: [unit('k'.repeat(201))] }, /201 characters; at most 200/],
    ['a key with a slash', { units: [unit('a/b')] }, /must be letters, digits/],
    ['a key with a space', { units: [unit('a b')] }, /must be letters, digits/],
    ['the key .', { units: [unit('.')] }, /must be letters, digits/],
    ['the key ..', { units: [unit('..')] }, /must be letters, digits/],
    ['an empty name', { units: [{ key: 'a', name: '', dependencies: [] }] }, /unit "a" name must be a non-empty string/],
    ['a name too long', { units: [{ key: 'a', name: 'n'.repeat(201), dependencies: [] }] }, /at most 200/],
    ['missing dependencies', { units: [{ key: 'a', name: 'n' }] }, /unit "a" needs a "dependencies" array/],
    ['a dependency that is not a string', { units: [unit('a', [1 as unknown as string])] }, /not a key string/],
    ['duplicate keys', { units: [unit('a'), unit('b'), unit('a'), unit('b')] }, /unique; repeated: "a", "b"/],
    ['a dependency on an unknown key', { units: [unit('a', ['ghost'])] }, /unit "a" depends on "ghost", which is not a unit/],
    ['a self-dependency', { units: [unit('a', ['a'])] }, /unit "a" depends on itself/],
    ['a repeated dependency', { units: [unit('a'), unit('b', ['a', 'a'])] }, /lists dependency "a" more than once/],
    ['a cycle', { units: [unit('a', ['b']), unit('b', ['c']), unit('c', ['a'])] }, /cycle: "a" → "b" → "c" → "a"/],
    ['inputs that are not JSON', { units: [unit('a', [], { n: Number.NaN })] }, /inputs are not JSON.*NaN/],
  ];
  test.each(refusals)('refuses %s with BAD_USER_INPUT and a message saying what is wrong', (_, input, message) => {
    const error = refusal(() => validateProtocolDag(input));
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.message).toMatch(message);
  });

  test('refusals name the offending unit and dependency in their details', () => {
    const unknown = refusal(() => validateProtocolDag({ units: [unit('a', ['ghost'])] }));
    expect(unknown.details).toEqual({ unit: 'a', dependency: 'ghost' });
    const units = [unit('z', ['y']), unit('y', ['x']), unit('x', ['z']), unit('w', ['x'])];
    // w only leads into the cycle; the cycle is named from its smallest key, whichever unit the search began at.
    expect(refusal(() => validateProtocolDag({ units })).details).toEqual({ cycle: ['x', 'z', 'y'] });
  });

  test('refuses more units or dependencies than the limits allow', () => {
    const three = { units: [unit('a'), unit('b'), unit('c')] };
    expect(refusal(() => validateProtocolDag(three, { maxUnits: 2 })).message).toMatch(/at most 2 units/);
    const wide = { units: [unit('a'), unit('b'), unit('c', ['a', 'b'])] };
    expect(refusal(() => validateProtocolDag(wide, { maxDependenciesPerUnit: 1 })).message).toMatch(/2 dependencies; at most 1/);
  });

  test('refuses inputs whose JSON is larger than the limit, and accepts them at the limit', () => {
    const inputs = 'x'.repeat(98); // 100 characters of JSON with its quotes
    expect(validateProtocolDag({ units: [unit('a', [], inputs)] }, { maxInputsBytes: 100 }).units[0]?.inputs).toBe(inputs);
    const error = refusal(() => validateProtocolDag({ units: [unit('a', [], `${inputs}y`)] }, { maxInputsBytes: 100 }));
    expect(error.message).toMatch(/inputs exceed 100 characters of JSON/);
  });

  test('refuses inputs nested deeper than the limit, and accepts them at the limit', () => {
    const nested = (depth: number): unknown => {
      let value: unknown = 1;
      for (let i = 0; i < depth; i += 1) value = { v: value };
      return value;
    };
    expect(() => validateProtocolDag({ units: [unit('a', [], nested(64))] })).not.toThrow();
    expect(refusal(() => validateProtocolDag({ units: [unit('a', [], nested(65))] })).message).toMatch(/nest deeper than 64/);
  });

  test('refuses a 100,000-deep inputs bomb without overflowing the stack', () => {
    let bomb: unknown = [];
    for (let i = 0; i < 100_000; i += 1) bomb = [bomb];
    expect(refusal(() => validateProtocolDag({ units: [unit('a', [], bomb)] })).message).toMatch(/nest deeper/);
  });

  test('refuses inputs that reuse one object so often that their JSON would be huge, without expanding them', () => {
    let shared: unknown = 'x'.repeat(10);
    for (let i = 0; i < 60; i += 1) shared = [shared, shared]; // 2^60 leaves if written out
    expect(refusal(() => validateProtocolDag({ units: [unit('a', [], shared)] })).message).toMatch(/inputs exceed/);
  });

  test('accepts a 10,000-unit linear chain without overflowing the stack', () => {
    const keys = Array.from({ length: 10_000 }, (_, i) => `u${String(i).padStart(5, '0')}`);
    const units = keys.map((key, i) => unit(key, i === 0 ? [] : [keys[i - 1] ?? '']));
    const validated = validateProtocolDag({ units: [...units].reverse() });
    expect(topologicalOrder(validated)).toEqual(keys);
  });

  test('refuses a 10,000-unit ring, naming every unit on it', () => {
    const keys = Array.from({ length: 10_000 }, (_, i) => `u${i}`);
    const units = keys.map((key, i) => unit(key, [keys[(i + 1) % keys.length] ?? '']));
    const error = refusal(() => validateProtocolDag({ units }));
    expect(error.details?.cycle).toHaveLength(10_000);
    expect(error.message).toMatch(/cycle: "u0" → "u1" → .* → … \(10000 units in all\)/);
    expect(error.message.length).toBeLessThan(500);
  });
});

/** Runs a property over 200 seeds; a failure names its seed so it can be replayed alone. */
function forEachSeed(property: (seed: number) => void): void {
  for (let seed = 1; seed <= 200; seed += 1) {
    try {
      property(seed);
    } catch (error) {
      throw new Error(`seed ${seed}: ${(error as Error).message}`, { cause: error });
    }
  }
}

describe('random DAGs (seeded, replayable)', () => {
  test('every acyclic DAG is accepted and its order puts every dependency first', () =>
    forEachSeed((seed) => {
      const spec = randomAcyclicDag(seededRandom(seed));
      expectRespectsEveryEdge(spec, topologicalOrder(validateProtocolDag(spec)));
    }));

  test('the order does not depend on how the units are listed', () =>
    forEachSeed((seed) => {
      const random = seededRandom(seed);
      const spec = randomAcyclicDag(random);
      expect(topologicalOrder({ units: shuffle(spec.units, random) })).toEqual(topologicalOrder(spec));
    }));

  test('adding a back edge is always refused, naming a cycle made of real edges', () =>
    forEachSeed((seed) => {
      const random = seededRandom(seed);
      const spec = randomAcyclicDag(random);
      const byKey = new Map(spec.units.map((u) => [u.key, u]));
      // Walk down dependencies from a random unit to one with none, then make that unit depend on the start.
      const withDependencies = spec.units.filter((u) => u.dependencies.length > 0);
      const pool = withDependencies.length > 0 ? withDependencies : spec.units;
      const start = pool[Math.floor(random() * pool.length)] ?? unit('?');
      let bottom = start;
      while (bottom.dependencies.length > 0) {
        bottom = byKey.get(bottom.dependencies[Math.floor(random() * bottom.dependencies.length)] ?? '') ?? bottom;
      }
      // When the start has no dependencies the back edge is a self edge, refused by its own rule.
      const cyclic = spec.units.map((u) => (u.key === bottom.key ? { ...u, dependencies: [...u.dependencies, start.key] } : u));
      const error = refusal(() => validateProtocolDag({ units: cyclic }));
      expect(error.message).toMatch(bottom === start ? /depends on itself/ : /dependency cycle/);
      if (bottom === start) return;
      const cycle = error.details?.cycle as string[];
      const edges = new Set(cyclic.flatMap((u) => u.dependencies.map((d) => `${u.key}>${d}`)));
      cycle.forEach((key, i) => expect(edges.has(`${key}>${cycle[(i + 1) % cycle.length] ?? ''}`)).toBe(true));
    }));
});

describe('ordering and what remains to run', () => {
  const diamond = dag(unit('d', ['b', 'c']), unit('c', ['a']), unit('b', ['a']), unit('a'));

  test('topological order puts dependencies first and breaks ties by key', () => {
    expect(topologicalOrder(diamond)).toEqual(['a', 'b', 'c', 'd']);
    expect(topologicalOrder(dag(unit('z'), unit('m', ['z']), unit('a')))).toEqual(['a', 'z', 'm']);
  });

  test('with nothing done, only units without dependencies are runnable', () => {
    expect(remainingUnits(diamond, new Set())).toEqual({ runnable: ['a'], blocked: ['b', 'c', 'd'] });
  });

  test('a unit becomes runnable once every one of its dependencies is ok', () => {
    expect(remainingUnits(diamond, new Set(['a', 'b']))).toEqual({ runnable: ['c'], blocked: ['d'] });
    expect(remainingUnits(diamond, new Set(['a', 'b', 'c']))).toEqual({ runnable: ['d'], blocked: [] });
  });

  test('a finished DAG has nothing left, and ok keys outside the DAG are ignored', () => {
    expect(remainingUnits(diamond, new Set(['a', 'b', 'c', 'd', 'other']))).toEqual({ runnable: [], blocked: [] });
  });

  test('ok results may arrive out of order; a unit ok before its dependencies is not rerun', () => {
    expect(remainingUnits(diamond, new Set(['d']))).toEqual({ runnable: ['a'], blocked: ['b', 'c'] });
  });
});
