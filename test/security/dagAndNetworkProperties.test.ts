import fc from 'fast-check';
import { topologicalOrder, validateProtocolDag } from '../../src/domain/dag/protocolDag.js';
import { DomainError } from '../../src/domain/errors.js';
import { keyNetwork } from '../../src/domain/networks/networkInput.js';
import type { NetworkInput } from '../../src/domain/networks/networkInput.js';
import { startTestApp } from '../support/testApp.js';
import type { TestApp } from '../support/testApp.js';
import { buildBadInputWorld, postOperation } from './badInputWorld.js';
import type { BadInputWorld } from './badInputWorld.js';

/**
 * The DAG and network validators against generated input, most of it broken in some way: each is
 * accepted exactly when a plain oracle written here says it is valid, and otherwise refused with a
 * DomainError BAD_USER_INPUT, never anything else. Then a shorter run of the same input through the API.
 */

// ------------------------------------------------------------------------------------------------
// The oracles: the rules as written in the README and the validators' comments, checked naively.

const MAX_JSON_CHARS = 1024 * 1024;

// A fixed seed makes every run try the same inputs, so a red build always reproduces and the
// "every kind of breakage is common" checks cannot flicker; FC_SEED explores other runs locally.
fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 20261125) });
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const textOf = (value: unknown, max: number) => typeof value === 'string' && value.length >= 1 && value.length <= max;

function containerDepth(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  return 1 + Math.max(0, ...Object.values(value).map(containerDepth));
}

/** Why a DAG is invalid, or null when it is valid. */
function dagProblem(input: unknown): string | null {
  if (!isObject(input)) return 'not an object';
  if (input['name'] !== undefined && !textOf(input['name'], 200)) return 'bad name';
  const units = input['units'];
  if (!Array.isArray(units) || units.length < 1 || units.length > 10_000) return 'bad units';
  for (const unit of units as unknown[]) {
    if (!isObject(unit) || Object.keys(unit).some((field) => !['key', 'name', 'dependencies', 'inputs'].includes(field))) return 'bad unit';
    const { key, name, dependencies, inputs } = unit;
    if (!textOf(key, 200) || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(key as string) || !textOf(name, 200)) return 'bad unit';
    if (!Array.isArray(dependencies) || dependencies.length > 1_000 || dependencies.some((d) => typeof d !== 'string')) return 'bad unit';
    if (dependencies.includes(key)) return 'self-loop';
    if (new Set(dependencies).size !== dependencies.length) return 'repeated dependency';
    if (inputs !== undefined && (containerDepth(inputs) > 64 || JSON.stringify(inputs).length > MAX_JSON_CHARS)) return 'bad inputs';
  }
  const byKey = new Map((units as Array<{ key: string; dependencies: string[] }>).map((unit) => [unit.key, unit]));
  if (byKey.size !== units.length) return 'duplicate key';
  if ([...byKey.values()].some((unit) => unit.dependencies.some((dependency) => !byKey.has(dependency)))) return 'dangling';
  // Acyclic exactly when repeatedly taking out every unit whose dependencies are all out empties the DAG.
  const done = new Set<string>();
  for (let progress = true; progress;) {
    progress = false;
    for (const unit of byKey.values()) {
      if (!done.has(unit.key) && unit.dependencies.every((dependency) => done.has(dependency))) {
        done.add(unit.key);
        progress = true;
      }
    }
  }
  return done.size === byKey.size ? null : 'cycle';
}

/** Why a network is invalid, or null when it is valid. */
function networkProblem(input: NetworkInput): string | null {
  const named = (name: unknown) => typeof name === 'string' && name.trim() !== '' && name.length <= 200;
  const json = (value: unknown) => value !== undefined && JSON.stringify(value).length <= MAX_JSON_CHARS;
  const systems = input.chemicalSystems.map((system) => system.name);
  const transformations = input.transformations.map((t) => t.name);
  if (!named(input.name)) return 'bad name';
  if (!input.chemicalSystems.every((system) => named(system.name) && json(system.components))) return 'bad system';
  if (new Set(systems).size !== systems.length) return 'duplicate system';
  for (const t of input.transformations) {
    if (!named(t.name) || !json(t.settings)) return 'bad transformation';
    if (typeof t.protocol !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(t.protocol)) return 'bad protocol';
    if (!systems.includes(t.stateA) || !systems.includes(t.stateB)) return 'missing system';
    if (t.stateA === t.stateB) return 'system to itself';
  }
  return new Set(transformations).size === transformations.length ? null : 'duplicate transformation';
}

const tally = (counts: Map<string, number>, problem: string | null) =>
  counts.set(problem ?? 'valid', (counts.get(problem ?? 'valid') ?? 0) + 1);

/** Each outcome seen at least 30 times, or "exactly the valid ones" would be checked on one side only. */
function expectEveryOutcomeCommon(seen: ReadonlyMap<string, number>, kinds: readonly string[]): void {
  const rare = kinds.filter((kind) => (seen.get(kind) ?? 0) < 30);
  expect({ rare, seen: Object.fromEntries(seen) }).toEqual({ rare: [], seen: expect.anything() });
}

// ------------------------------------------------------------------------------------------------
// Generators: mostly well-formed, so both outcomes are common, with every kind of breakage mixed in.

const keys = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'setup', 'sim-0', 'sim.1', 'Analysis_2'];
const badKeys: unknown[] = ['', '.', '..', '-a', 'a/b', '../x', 'a b', 'ключ', 'k'.repeat(201), 7, null];
const badNames: unknown[] = ['', 'n'.repeat(201), 42, null, undefined];
const nested = (depth: number) => {
  let value: unknown = 0;
  for (let level = 0; level < depth; level += 1) value = [value];
  return value;
};

/** A unit's inputs: small JSON, or arrays nested right around the 64-level limit. */
const inputsArb = fc.oneof(
  { weight: 6, arbitrary: fc.constant(undefined) },
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.integer({ min: 62, max: 66 }).map(nested) },
);

/**
 * Units over distinct keys, each depending on earlier ones (acyclic) unless back edges are allowed;
 * then, sometimes, one thing broken: a dangling or repeated dependency, a self-loop, a duplicate or bad
 * key, a bad name, a field of its own, a unit or dependencies that are not what they should be.
 */
const dagArb = fc
  .record({
    unitKeys: fc.uniqueArray(fc.constantFrom(...keys), { minLength: 1, maxLength: 8 }),
    edges: fc.array(fc.tuple(fc.nat(7), fc.nat(7)), { maxLength: 14 }),
    backEdges: fc.boolean(),
    inputs: fc.array(inputsArb, { minLength: 8, maxLength: 8 }),
    name: fc.oneof(
      { weight: 8, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.string({ maxLength: 5 }) },
      { weight: 1, arbitrary: fc.constantFrom(...badNames) },
    ),
    breakage: fc.option(
      fc.oneof(
        fc.record({ kind: fc.constant('dangling'), to: fc.constantFrom('ghost', 'A', 'a ') }),
        fc.record({ kind: fc.constant('badKey'), key: fc.constantFrom(...badKeys) }),
        fc.record({ kind: fc.constant('badName'), name: fc.constantFrom(...badNames) }),
        fc.record({ kind: fc.constant('junkUnit'), junk: fc.jsonValue({ maxDepth: 2 }) }),
        ...(
          ['selfLoop', 'repeatDependency', 'duplicateUnit', 'extraField', 'unitNotObject', 'dependenciesNotArray', 'noUnits'] as const
        ).map((kind) => fc.constant({ kind })),
      ),
      { freq: 2 },
    ),
  })
  .map(({ unitKeys, edges, backEdges, inputs, name, breakage }) => {
    const units: Array<Record<string, unknown>> = unitKeys.map((key, index) => {
      const dependencies = [
        ...new Set(
          edges
            .filter(
              ([from, to]) =>
                from % unitKeys.length === index && (backEdges ? to % unitKeys.length !== index : to % unitKeys.length < index),
            )
            .map(([, to]) => unitKeys[to % unitKeys.length]!),
        ),
      ];
      return inputs[index] === undefined
        ? { key, name: `unit ${key}`, dependencies }
        : { key, name: `unit ${key}`, dependencies, inputs: inputs[index] };
    });
    const dag: Record<string, unknown> = name === undefined ? { units } : { name, units };
    const last = units[units.length - 1]!;
    switch (breakage?.kind) {
      case 'dangling':
        (last['dependencies'] as unknown[]).push(breakage.to);
        break;
      case 'selfLoop':
        (last['dependencies'] as unknown[]).push(last['key']);
        break;
      case 'repeatDependency':
        last['dependencies'] = [
          ...(last['dependencies'] as unknown[]),
          ...(last['dependencies'] as unknown[]),
          units[0]!['key'],
          units[0]!['key'],
        ];
        break;
      case 'duplicateUnit':
        units.push({ ...units[0]!, name: 'again' });
        break;
      case 'extraField':
        last['command'] = ['rm', '-rf', '/'];
        break;
      case 'unitNotObject':
        units.push(['not', 'a', 'unit'] as unknown as Record<string, unknown>);
        break;
      case 'dependenciesNotArray':
        last['dependencies'] = 'a';
        break;
      case 'noUnits':
        dag['units'] = [];
        break;
      case 'badKey':
        last['key'] = breakage.key;
        break;
      case 'badName':
        last['name'] = breakage.name;
        break;
      case 'junkUnit':
        units.push(breakage.junk as Record<string, unknown>);
        break;
      case undefined:
        break;
    }
    return dag as unknown;
  });

/** Anything at all, including what is not even an object. */
const junkDagArb = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.record({ units: fc.jsonValue({ maxDepth: 3 }) }),
  fc.record({ units: fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }) }),
);

const systemNames = ['benzene', 'toluene', 'phenol', 'Benzene'];
const nameArb = fc.oneof(
  { weight: 9, arbitrary: fc.constantFrom(...systemNames) },
  { weight: 1, arbitrary: fc.constantFrom('', '   ', 's'.repeat(201)) },
);
const componentsArb = fc.oneof(
  { weight: 4, arbitrary: fc.record({ smiles: fc.constantFrom('c1ccccc1', 'Cc1ccccc1') }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).filter((v) => v !== null) },
);

const transformationArb = (stateArb: fc.Arbitrary<string>) =>
  fc.record({
    name: fc.oneof({ weight: 9, arbitrary: fc.constantFrom('t1', 't2', 't3') }, { weight: 1, arbitrary: fc.constantFrom('', ' ') }),
    stateA: stateArb,
    stateB: stateArb,
    protocol: fc.oneof(
      { weight: 9, arbitrary: fc.constantFrom('demo', 'openfe.rbfe', 'x_1-2') },
      { weight: 1, arbitrary: fc.constantFrom('', '-lead', 'has space', 'p'.repeat(101)) },
    ),
    settings: fc.oneof(
      fc.record({ windows: fc.nat(12) }),
      fc.jsonValue({ maxDepth: 3 }).filter((v) => v !== null),
    ),
  });

/**
 * Networks in the shape GraphQL lets through (strings where strings go), their content anything:
 * transformations mostly between the network's own systems, now and then a name given twice.
 */
const networkArb: fc.Arbitrary<NetworkInput> = fc
  .record({
    name: fc.oneof({ weight: 9, arbitrary: fc.constant('network') }, { weight: 1, arbitrary: fc.constantFrom('', ' \t', 'n'.repeat(201)) }),
    systems: fc.uniqueArray(fc.record({ name: nameArb, components: componentsArb }), { selector: (s) => s.name, maxLength: 4 }),
  })
  .chain(({ name, systems }) => {
    const names = systems.map((system) => system.name);
    const stateArb = fc.oneof(
      { weight: 9, arbitrary: fc.constantFrom(...names, ...systemNames.slice(0, 1)) },
      { weight: 1, arbitrary: fc.constant('missing') },
    );
    return fc
      .record({
        transformations: fc.uniqueArray(transformationArb(stateArb), { selector: (t) => t.name, maxLength: 3 }),
        // A repeated transformation is only the reason when nothing else is wrong: offer it often.
        repeated: fc.constantFrom('nothing', 'nothing', 'system', 'transformation', 'transformation', 'transformation'),
      })
      .map(({ transformations, repeated }) => ({
        name,
        chemicalSystems:
          repeated === 'system' && systems[0] !== undefined ? [...systems, { ...systems[0], components: { other: true } }] : systems,
        transformations:
          repeated === 'transformation' && transformations[0] !== undefined ? [...transformations, transformations[0]] : transformations,
      }));
  });

/** What came of validating: accepted, or refused with BAD_USER_INPUT; anything else fails the property. */
function outcomeOf<T>(validate: () => T): { accepted: true; value: T } | { accepted: false } {
  try {
    return { accepted: true, value: validate() };
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    expect(error.code).toBe('BAD_USER_INPUT');
    return { accepted: false };
  }
}

describe('the pure validators', () => {
  test('validateProtocolDag accepts exactly the valid DAGs and refuses the rest with BAD_USER_INPUT', () => {
    const seen = new Map<string, number>();
    fc.assert(
      fc.property(fc.oneof({ weight: 5, arbitrary: dagArb }, { weight: 1, arbitrary: junkDagArb }), (input) => {
        const problem = dagProblem(input);
        tally(seen, problem);
        const outcome = outcomeOf(() => validateProtocolDag(input));
        expect(outcome.accepted).toBe(problem === null);
        if (!outcome.accepted) return;
        const dag = outcome.value;
        expect(dag.units.map((u) => u.key)).toEqual((input as { units: Array<{ key: string }> }).units.map((u) => u.key));
        const position = new Map(topologicalOrder(dag).map((key, index) => [key, index]));
        for (const u of dag.units)
          for (const dependency of u.dependencies) expect(position.get(dependency)!).toBeLessThan(position.get(u.key)!);
      }),
      { numRuns: 3_000 },
    );
    expectEveryOutcomeCommon(seen, [
      'valid',
      'cycle',
      'self-loop',
      'dangling',
      'duplicate key',
      'repeated dependency',
      'bad unit',
      'bad inputs',
      'not an object',
    ]);
  });

  test('cycles of every length are refused, naming a real cycle', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.constantFrom(...keys), { minLength: 2, maxLength: 12 }), fc.nat(), (cycleKeys, extra) => {
        // Each unit depends on the next, the last on the first; one more unit hangs off the cycle.
        const units = cycleKeys.map((key, i) => ({ key, name: key, dependencies: [cycleKeys[(i + 1) % cycleKeys.length]!] }));
        units.push({ key: 'outside', name: 'outside', dependencies: [cycleKeys[extra % cycleKeys.length]!] });
        let refusal: DomainError | undefined;
        try {
          validateProtocolDag({ units });
        } catch (error) {
          refusal = error as DomainError;
        }
        expect(refusal).toBeInstanceOf(DomainError);
        const cycle = refusal!.details?.['cycle'] as string[];
        expect(new Set(cycle)).toEqual(new Set(cycleKeys));
      }),
      { numRuns: 300 },
    );
  });

  test('keyNetwork accepts exactly the valid networks, keys them by content alone, and refuses the rest with BAD_USER_INPUT', () => {
    const seen = new Map<string, number>();
    fc.assert(
      fc.property(networkArb, (input) => {
        const problem = networkProblem(input);
        tally(seen, problem);
        const outcome = outcomeOf(() => keyNetwork(input));
        expect(outcome.accepted).toBe(problem === null);
        if (!outcome.accepted) return;
        const keyed = outcome.value;
        const systemKey = new Map(keyed.chemicalSystems.map((s) => [s.name, s.key]));
        expect(keyed.transformations.map((t) => [t.stateAKey, t.stateBKey])).toEqual(
          input.transformations.map((t) => [systemKey.get(t.stateA), systemKey.get(t.stateB)]),
        );
        // Submitting the same network listed in another order is the same network.
        const reordered = keyNetwork({
          ...input,
          chemicalSystems: [...input.chemicalSystems].reverse(),
          transformations: [...input.transformations].reverse(),
        });
        expect(reordered.key).toBe(keyed.key);
      }),
      { numRuns: 3_000 },
    );
    expectEveryOutcomeCommon(seen, [
      'valid',
      'bad name',
      'bad system',
      'duplicate system',
      'bad transformation',
      'bad protocol',
      'missing system',
      'system to itself',
      'duplicate transformation',
    ]);
  });
});

describe('the same inputs through the API', () => {
  let server: TestApp;
  let world: BadInputWorld;
  beforeAll(async () => {
    server = await startTestApp('postgres', { DAGKEEPER_COMPUTE_EXPIRY_SECONDS: '3600' });
    world = await buildBadInputWorld(server);
  });
  afterAll(async () => {
    await server.close();
  });

  const codes = (body: { errors?: Array<{ extensions: { code: string } }> }) => (body.errors ?? []).map((error) => error.extensions.code);

  test('createTasks: accepted exactly when the DAG is valid, otherwise BAD_USER_INPUT and no task; never a 500', async () => {
    const inputs = fc.oneof({ weight: 4, arbitrary: dagArb }, { weight: 1, arbitrary: junkDagArb }).filter((dag) => dag !== null);
    await fc.assert(
      fc.asyncProperty(inputs, async (dag) => {
        const before = await server.app.state.db.task.count();
        const answer = await postOperation(
          server,
          world.tokens.user,
          'mutation ($t: ID!, $dag: JSON) { createTasks(transformationKey: $t, dag: $dag) { id } }',
          {
            t: world.network.transformationKey,
            dag,
          },
        );
        expect(answer.status).toBeLessThan(500);
        const valid = dagProblem(dag) === null;
        expect(codes(answer.body)).toEqual(valid ? [] : ['BAD_USER_INPUT']);
        expect(await server.app.state.db.task.count()).toBe(before + (valid ? 1 : 0));
      }),
      { numRuns: 40 },
    );
  });

  test('createNetwork: accepted exactly when the network is valid, otherwise BAD_USER_INPUT and nothing stored; never a 500', async () => {
    await fc.assert(
      fc.asyncProperty(networkArb, async (input) => {
        const before = await server.app.state.db.alchemicalNetwork.count();
        const answer = await postOperation(
          server,
          world.tokens.user,
          'mutation ($input: NetworkInput!) { createNetwork(scope: "acme-c1-p1", input: $input) { created } }',
          { input },
        );
        expect(answer.status).toBeLessThan(500);
        const valid = networkProblem(input) === null;
        expect(codes(answer.body)).toEqual(valid ? [] : ['BAD_USER_INPUT']);
        const created = (answer.body.data as { createNetwork?: { created: boolean } } | undefined)?.createNetwork?.created === true;
        expect(await server.app.state.db.alchemicalNetwork.count()).toBe(before + (created ? 1 : 0));
      }),
      { numRuns: 40 },
    );
  });

  test('variables of any JSON shape for a typed input are refused with BAD_USER_INPUT, never a 500', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 3 }), fc.jsonValue({ maxDepth: 2 }), async (input, count) => {
        const answer = await postOperation(
          server,
          world.tokens.user,
          `mutation ($input: NetworkInput!, $t: ID!, $count: Int) {
        createNetwork(scope: "acme-c1-p1", input: $input) { created } createTasks(transformationKey: $t, count: $count) { id } }`,
          {
            input,
            t: world.network.transformationKey,
            count,
          },
        );
        expect(answer.status).toBeLessThan(500);
        expect(new Set(codes(answer.body))).toEqual(new Set(['BAD_USER_INPUT']));
      }),
      { numRuns: 40 },
    );
  });
});
