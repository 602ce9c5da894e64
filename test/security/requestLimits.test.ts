import { getIntrospectionQuery, parse, validate } from 'graphql';
import { ConfigError, loadConfig } from '../../src/config.js';
import { DomainError } from '../../src/domain/errors.js';
import { measureOperation } from '../../src/graphql/limits/measureOperation.js';
import { documentChecker } from '../../src/graphql/prepareOperation.js';
import { defaultRequestLimits, requestLimitRules } from '../../src/graphql/limits/requestLimits.js';
import type { RequestLimits } from '../../src/graphql/limits/requestLimits.js';
import { buildSchema } from '../../src/graphql/schema.js';
import { sentOperations } from './sentOperations.js';

const schema = buildSchema();

/** The request limits a document breaks, as the refusals' details name them. */
function brokenLimits(query: string, limits: Partial<RequestLimits> = {}): Array<Readonly<Record<string, unknown>>> {
  const errors = validate(schema, parse(query), requestLimitRules({ ...defaultRequestLimits, ...limits }));
  return errors.map((error) => {
    const refusal = error.originalError;
    if (!(refusal instanceof DomainError) || refusal.code !== 'QUERY_TOO_COMPLEX') throw new Error(`not a limit refusal: ${error.message}`);
    return refusal.details ?? {};
  });
}

function measure(query: string, listSize = 10) {
  const document = parse(query);
  const fragments = new Map(document.definitions.flatMap((d) => (d.kind === 'FragmentDefinition' ? [[d.name.value, d] as const] : [])));
  const operation = document.definitions.find((d) => d.kind === 'OperationDefinition');
  if (operation?.kind !== 'OperationDefinition') throw new Error('no operation');
  return measureOperation(schema, operation, fragments, listSize);
}

describe('the default request limits let every legitimate operation through', () => {
  test('every operation the CLI, the worker, the dashboard and the tests send, and the introspection queries, pass', () => {
    // The bombs of the bad-input suites are built by code, but a literal one there must not count as legitimate.
    const skip = ['badInput.test.ts', 'requestAbuse.test.ts', 'requestLimits.test.ts', 'dagAndNetworkProperties.test.ts'].map(
      (file) => `test/security/${file}`,
    );
    const introspection = [
      getIntrospectionQuery(),
      getIntrospectionQuery({
        descriptions: true,
        specifiedByUrl: true,
        directiveIsRepeatable: true,
        schemaDescription: true,
        inputValueDeprecation: true,
        oneOf: true,
      }),
    ].map((text) => ({ file: 'graphql-js getIntrospectionQuery', text }));
    const legitimate = [...sentOperations({ skip }), ...introspection].filter(({ text }) => {
      try {
        return validate(schema, parse(text)).length === 0;
      } catch {
        return false; // not GraphQL after all (a string that merely starts with a brace)
      }
    });
    // Guards the extraction itself: if it found next to nothing, passing would prove nothing.
    expect(legitimate.length).toBeGreaterThan(100);

    const check = documentChecker(schema, defaultRequestLimits);
    const refused = legitimate.flatMap(({ file, text }) => {
      const result = check(text);
      return Array.isArray(result) ? result.map((error) => `${file}: ${error.message} in ${text.slice(0, 80)}`) : [];
    });
    expect(refused).toEqual([]);
  });

  test('the defaults come from the environment, and a value out of range stops the start naming the setting', () => {
    expect(loadConfig({}, '/srv').requestLimits).toEqual(defaultRequestLimits);
    const tuned = loadConfig(
      {
        DAGKEEPER_MAX_QUERY_TOKENS: '2000',
        DAGKEEPER_MAX_QUERY_DEPTH: '8',
        DAGKEEPER_MAX_QUERY_COMPLEXITY: '5000',
        DAGKEEPER_QUERY_LIST_SIZE: '20',
        DAGKEEPER_MAX_QUERY_ALIASES: '0',
        DAGKEEPER_MAX_QUERY_ROOT_FIELDS: '3',
        DAGKEEPER_MAX_QUERY_DIRECTIVES: '4',
      },
      '/srv',
    );
    expect(tuned.requestLimits).toEqual({
      maxTokens: 2000,
      maxDepth: 8,
      maxComplexity: 5000,
      listSize: 20,
      maxAliases: 0,
      maxRootFields: 3,
      maxDirectives: 4,
    });
    expect(() => loadConfig({ DAGKEEPER_MAX_QUERY_TOKENS: '50000', DAGKEEPER_MAX_QUERY_DEPTH: '0' }, '/srv')).toThrow(ConfigError);
    expect(() => loadConfig({ DAGKEEPER_MAX_QUERY_TOKENS: '50000' }, '/srv')).toThrow(
      /DAGKEEPER_MAX_QUERY_TOKENS must be an integer from 100 to 5000/,
    );
  });
});

describe('measuring an operation', () => {
  test('depth counts fields from the root; complexity counts fields, what sits under a list field listSize times', () => {
    expect(measure('{ viewer { name } }')).toEqual({ depth: 2, complexity: 2, rootFields: 1 });
    // tasks 1 + totalCount 1 + edges (1 + 10 × (node 1 + id 1))
    expect(measure('{ tasks { totalCount edges { node { id } } } }')).toEqual({ depth: 4, complexity: 23, rootFields: 1 });
    expect(measure('{ tasks { edges { node { id } } } }', 3)).toEqual({ depth: 4, complexity: 8, rootFields: 1 });
    // Nested lists multiply: task 1 + dag 1 + units (1 + 10 × results (1 + 10 × ok 1)).
    expect(measure('query ($id: ID!) { task(id: $id) { dag { units { results { ok } } } } }').complexity).toBe(
      1 + 1 + 1 + 10 * (1 + 10 * 1),
    );
  });

  test('fragments and inline fragments count where they are spread, as often as they are spread, and add no depth', () => {
    const spreadTwice = 'query { ...Q ...Q } fragment Q on Query { viewer { ...I } } fragment I on Identity { name tokens { id } }';
    expect(measure(spreadTwice)).toEqual({ depth: 3, complexity: 2 * (1 + 1 + 1 + 10), rootFields: 2 });
    expect(measure('{ ... on Query { viewer { ... { name } } } }')).toEqual({ depth: 2, complexity: 2, rootFields: 1 });
    expect(measure('{ __schema { types { name } } }')).toEqual({ depth: 3, complexity: 1 + 1 + 10, rootFields: 1 });
  });

  test('a fragment cycle counts as empty instead of looping, and unknown fields cost 1 each', () => {
    expect(measure('{ ...A } fragment A on Query { viewer { id } ...B } fragment B on Query { ...A }')).toEqual({
      depth: 2,
      complexity: 2,
      rootFields: 1,
    });
    expect(measure('{ nope { deeper { still } } }')).toEqual({ depth: 3, complexity: 3, rootFields: 1 });
  });

  test('a fragment bomb that would expand to 2^60 fields is measured in one walk over the document', () => {
    const levels = 60;
    const fragments = Array.from(
      { length: levels },
      (_, i) => `fragment T${i} on __Type { a: ofType { ...T${i + 1} } b: ofType { ...T${i + 1} } }`,
    );
    const query = `{ __type(name: "Task") { ...T0 } } ${fragments.join(' ')} fragment T${levels} on __Type { name }`;
    const started = performance.now();
    const { depth, complexity } = measure(query);
    expect(performance.now() - started).toBeLessThan(500);
    expect(depth).toBe(levels + 2);
    expect(complexity).toBeGreaterThan(2 ** 60);
  });
});

describe('each request limit refuses one past it with QUERY_TOO_COMPLEX naming the limit, and accepts it exactly', () => {
  test('depth', () => {
    expect(brokenLimits('{ viewer { tokens { id } } }', { maxDepth: 3 })).toEqual([]);
    expect(brokenLimits('{ tasks { edges { node { id } } } }', { maxDepth: 3 })).toEqual([{ limit: 'depth', max: 3, actual: 4 }]);
  });

  test('complexity', () => {
    expect(brokenLimits('{ tasks { edges { node { id status priority } } } }', { maxComplexity: 42 })).toEqual([]);
    expect(brokenLimits('{ tasks { edges { node { id status priority scope } } } }', { maxComplexity: 42 })).toEqual([
      { limit: 'complexity', max: 42, actual: 52 },
    ]);
  });

  test('aliases, counted as written', () => {
    expect(brokenLimits('{ a: viewer { id } b: viewer { name } }', { maxAliases: 2 })).toEqual([]);
    expect(brokenLimits('{ a: viewer { id } b: viewer { name } c: viewer { id } }', { maxAliases: 2 })).toEqual([
      { limit: 'aliases', max: 2, actual: 3 },
    ]);
  });

  test('root fields, fragments spread', () => {
    expect(brokenLimits('{ viewer { id } networks { name } }', { maxRootFields: 2 })).toEqual([]);
    expect(
      brokenLimits('{ ...R } fragment R on Query { viewer { id } networks { name } computeServices { id } }', { maxRootFields: 2 }),
    ).toEqual([{ limit: 'rootFields', max: 2, actual: 3 }]);
  });

  test('directives', () => {
    expect(brokenLimits('{ viewer { id @include(if: true) name @skip(if: false) } }', { maxDirectives: 2 })).toEqual([]);
    expect(brokenLimits('{ viewer @include(if: true) { id @include(if: true) name @skip(if: false) } }', { maxDirectives: 2 })).toEqual([
      { limit: 'directives', max: 2, actual: 3 },
    ]);
  });

  test('every limit broken at once is reported at once', () => {
    const limits = { maxDepth: 1, maxComplexity: 1, maxAliases: 0, maxRootFields: 1, maxDirectives: 0 };
    const broken = brokenLimits('{ a: viewer @include(if: true) { id } b: viewer { id } }', limits).map((details) => details['limit']);
    expect(broken.sort()).toEqual(['aliases', 'complexity', 'depth', 'directives', 'rootFields']);
  });
});

describe('at the largest token limit the configuration allows, no document makes parsing or validation throw', () => {
  const maxTokens = 5_000;
  const check = documentChecker(schema, { ...defaultRequestLimits, maxTokens });
  // Each fills the token budget with one kind of nesting, the shapes that drive graphql-js's recursive parser and rules deepest.
  const levels = (tokensPerLevel: number) => Math.floor((maxTokens - 30) / tokensPerLevel);
  const nested = (open: string, inner: string, close: string, count: number) => open.repeat(count) + inner + close.repeat(count);
  const bombs: Array<[string, string]> = [
    ['a list literal', `mutation { createTasks(transformationKey: "x", dag: ${nested('[', '', ']', levels(2))}) { id } }`],
    ['an object literal', `mutation { createTasks(transformationKey: "x", dag: ${nested('{a:', '1', '}', levels(4))}) { id } }`],
    ['selection sets', `{ tasks { edges { node {${nested(' extends {', ' id ', '}', levels(3))} } } } }`],
    ['inline fragments', `{${nested(' ... {', ' viewer { id } ', '}', levels(4))} }`],
    ['a list type', `query ($v: ${nested('[', 'Int', ']', levels(2))}) { viewer { id } }`],
    [
      'a chain of fragments',
      `{ ...F0 } ${Array.from({ length: levels(8) }, (_, i) => `fragment F${i} on Query { ...F${i + 1} }`).join(' ')}
      fragment F${levels(8)} on Query { viewer { id } }`,
    ],
  ];
  test.each(bombs)('%s', (_, query) => {
    const result = check(query);
    const codes = Array.isArray(result) ? result.map((error) => error.extensions['code']) : [];
    expect(codes.every((code) => code === 'GRAPHQL_PARSE_FAILED' || code === 'GRAPHQL_VALIDATION_FAILED')).toBe(true);
  });
});
