import { getIntrospectionQuery } from 'graphql';
import { createClient } from 'graphql-ws';
import type { Client, SubscribePayload } from 'graphql-ws';
import WebSocket from 'ws';
import { startTestApp } from '../support/testApp.js';
import type { TestApp } from '../support/testApp.js';
import { buildBadInputWorld, codesOf, nestedArraysJson, postOperation, postRaw, withNothingChanged } from './badInputWorld.js';
import type { BadInputWorld, RawAnswer } from './badInputWorld.js';

/**
 * Requests built to make the server work far more than they pay for, or that are not GraphQL requests
 * at all, over HTTP and WebSocket, with the default limits: refused with their codes, nothing changed.
 */

let server: TestApp;
let world: BadInputWorld;

beforeAll(async () => {
  server = await startTestApp('postgres', { DAGKEEPER_COMPUTE_EXPIRY_SECONDS: '3600' });
  world = await buildBadInputWorld(server);
});
afterAll(async () => {
  await server.close();
});

const repeat = (count: number, text: (i: number) => string) => Array.from({ length: count }, (_, i) => text(i)).join(' ');

/** Each breaks exactly one request limit of the defaults (depth 20, cost 100,000, 30 aliases, 20 root fields, 30 directives). */
const bombs: Array<[string, string, () => Record<string, unknown>]> = [
  [
    'depth',
    `query ($id: ID!) { task(id: $id) { ${'extends { '.repeat(25)} id ${'} '.repeat(25)} } }`,
    () => ({ id: world.running.taskId }),
  ],
  // Ten aliases at each of three levels, one of them a page of tasks: 10 × 100 × 10 × 10 unit-result lists.
  [
    'complexity',
    `{ ${repeat(10, (i) => `a${i}: tasks { edges { node { ...B } } }`)} }
    fragment B on Task { ${repeat(10, (j) => `b${j}: extends { ...C }`)} }
    fragment C on Task { ${repeat(10, (k) => `c${k}: unitResults { id outputs log }`)} }`,
    () => ({}),
  ],
  // Fifteen fragments, each spreading the next under two aliases: 2^15 copies of the innermost per task.
  [
    'complexity',
    `{ tasks { edges { node { ...T0 } } } }
    ${repeat(15, (i) => `fragment T${i} on Task { a: extends { ...T${i + 1} } b: extends { ...T${i + 1} } }`)}
    fragment T15 on Task { id }`,
    () => ({}),
  ],
  ['aliases', `{ viewer { ${repeat(31, (i) => `a${i}: id`)} } }`, () => ({})],
  // Batching inside one document: 21 mutations that would each create a task.
  [
    'rootFields',
    `mutation ($t: ID!) { ${repeat(21, (i) => `t${i}: createTasks(transformationKey: $t) { id }`)} }`,
    () => ({ t: world.network.transformationKey }),
  ],
  ['directives', `{ viewer { ${repeat(31, () => 'id @include(if: true)')} } }`, () => ({})],
];

describe('GraphQL documents that ask for too much, over HTTP', () => {
  test.each(bombs)('one past the %s limit: QUERY_TOO_COMPLEX naming it, nothing run', async (limit, query, variables) => {
    const answer = await withNothingChanged(server, () => postOperation(server, world.tokens.user, query, variables()));
    expect(answer.status).toBe(400);
    expect(codesOf(answer)).toEqual(['QUERY_TOO_COMPLEX']);
    expect(answer.body.errors?.[0]?.extensions).toMatchObject({ limit });
    expect(answer.body.data).toBeUndefined();
  });

  test("the introspection cycle is refused by graphql-js's own rule and by the cost estimate alike", async () => {
    const query = '{ __schema { types { fields { type { fields { type { fields { type { fields { name } } } } } } } } } }';
    const answer = await withNothingChanged(server, () => postOperation(server, world.tokens.user, query));
    expect(answer.status).toBe(400);
    expect(codesOf(answer).sort()).toEqual(['GRAPHQL_VALIDATION_FAILED', 'QUERY_TOO_COMPLEX']);
    expect(answer.body.errors?.map((error) => error.message)).toContain('Maximum introspection depth exceeded');
  });

  test('a document of more than 1,000 tokens is refused by the parser, however it nests', async () => {
    for (const query of [
      `{ viewer { ${'id '.repeat(2_000)} } }`,
      '{ a '.repeat(200_000),
      `{ viewer(x: ${nestedArraysJson(100_000)}) { id } }`,
    ]) {
      const answer = await postOperation(server, world.tokens.user, query);
      expect([answer.status, codesOf(answer)]).toEqual([400, ['GRAPHQL_PARSE_FAILED']]);
      expect(answer.body.errors?.[0]?.message).toMatch(/more th.t 1000 tokens/);
    }
  });

  test('the introspection queries of GraphiQL and code generators still work', async () => {
    const query = getIntrospectionQuery({
      descriptions: true,
      specifiedByUrl: true,
      directiveIsRepeatable: true,
      schemaDescription: true,
      inputValueDeprecation: true,
      oneOf: true,
    });
    const answer = await postOperation(server, world.tokens.user, query);
    expect(answer.body.errors).toBeUndefined();
    expect((answer.body.data as { __schema: { queryType: { name: string } } }).__schema.queryType.name).toBe('Query');
  });
});

describe('batched HTTP requests', () => {
  test.each([
    [
      'two mutations',
      () =>
        [1, 2].map(() => ({
          query: 'mutation ($t: ID!) { createTasks(transformationKey: $t) { id } }',
          variables: { t: world.network.transformationKey },
        })),
    ],
    ['a thousand queries', () => Array.from({ length: 1_000 }, () => ({ query: '{ viewer { id } }' }))],
    ['nothing', () => []],
  ])('a JSON array of %s is refused whole with BAD_REQUEST before any of it runs', async (_, batch) => {
    const answer = await withNothingChanged(server, () => postRaw(server, world.tokens.user, JSON.stringify(batch())));
    expect([answer.status, codesOf(answer)]).toEqual([400, ['BAD_REQUEST']]);
  });
});

describe('request bodies that are too large or not a GraphQL request', () => {
  const createTasksPadded = (bytes: number) =>
    JSON.stringify({
      query: 'mutation ($t: ID!) { createTasks(transformationKey: $t) { id } }',
      variables: { t: world.network.transformationKey, padding: 'x'.repeat(bytes) },
    });

  test('a body over DAGKEEPER_MAX_REQUEST_BYTES is refused with 413 PAYLOAD_TOO_LARGE, announced or streamed', async () => {
    const announced = await withNothingChanged(server, () => postRaw(server, world.tokens.user, createTasksPadded(2 * 1024 * 1024)));
    expect([announced.status, codesOf(announced)]).toEqual([413, ['PAYLOAD_TOO_LARGE']]);

    // Chunked, without a Content-Length to refuse up front: counted as it arrives.
    const body = Buffer.from(createTasksPadded(2 * 1024 * 1024));
    const streamed = await withNothingChanged(server, () =>
      postRaw(
        server,
        world.tokens.user,
        new ReadableStream<Uint8Array>({
          start(controller) {
            for (let offset = 0; offset < body.length; offset += 64 * 1024) controller.enqueue(body.subarray(offset, offset + 64 * 1024));
            controller.close();
          },
        }),
      ),
    );
    expect([streamed.status, codesOf(streamed)]).toEqual([413, ['PAYLOAD_TOO_LARGE']]);
  });

  const mutation = 'mutation { registerComputeService(name: "sneaky") { id } }';
  const malformed: Array<[string, string | Buffer, Record<string, string>, string]> = [
    ['truncated JSON', '{"query": "{ viewer { id } }", "variables": {', {}, 'BAD_USER_INPUT'],
    ['JSON followed by garbage', `${JSON.stringify({ query: mutation })} trailing`, {}, 'BAD_USER_INPUT'],
    ['bytes that are not UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), {}, 'BAD_USER_INPUT'],
    ['JSON null', 'null', {}, 'BAD_REQUEST'],
    ['a JSON number', '42', {}, 'BAD_REQUEST'],
    ['a JSON string', JSON.stringify(mutation), {}, 'BAD_REQUEST'],
    ['an object without a query', JSON.stringify({ variables: {} }), {}, 'BAD_REQUEST'],
    ['a query that is not a string', JSON.stringify({ query: { mutation } }), {}, 'BAD_REQUEST'],
    ['variables that are not an object', JSON.stringify({ query: mutation, variables: [1, 2] }), {}, 'BAD_REQUEST'],
    ['an operationName that is not a string', JSON.stringify({ query: mutation, operationName: 7 }), {}, 'BAD_REQUEST'],
    [
      'an operationName the document lacks',
      JSON.stringify({ query: mutation, operationName: 'Other' }),
      {},
      'OPERATION_RESOLUTION_FAILURE',
    ],
    [
      'a mutation as text/plain (a cross-site form post)',
      JSON.stringify({ query: mutation }),
      { 'content-type': 'text/plain' },
      'BAD_REQUEST',
    ],
  ];
  test.each(malformed)('%s: 400 with a code, nothing run', async (_, body, headers, code) => {
    const answer = await withNothingChanged(server, () => postRaw(server, world.tokens.worker, body, headers));
    expect([answer.status, codesOf(answer)]).toEqual([400, [code]]);
  });

  test('a mutation sent with GET is refused with 405', async () => {
    const url = `${server.app.url}/graphql?query=${encodeURIComponent(mutation)}`;
    const response = await withNothingChanged(server, () =>
      fetch(url, { headers: { authorization: `Bearer ${world.tokens.worker}`, 'apollo-require-preflight': 'true' } }),
    );
    const answer: RawAnswer = { status: response.status, body: (await response.json()) as RawAnswer['body'] };
    expect([answer.status, codesOf(answer)]).toEqual([405, ['BAD_REQUEST']]);
  });
});

describe('the same limits over WebSocket', () => {
  // Per test, so a previous client's closing cannot be taken for this one's.
  let connection: { client: Client; closedWith?: number };
  beforeEach(() => {
    const current: { closedWith?: number } = {};
    const client = createClient({
      url: `${server.app.url.replace(/^http/, 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${world.tokens.user}` },
      retryAttempts: 0,
      // One socket for the whole test, so "the connection stays usable" is about the same connection.
      lazy: false,
      // A closed connection is what one test expects; on.closed records it instead of the default console.error.
      onNonLazyError: () => undefined,
      on: {
        closed: (event) => {
          current.closedWith = (event as { code: number }).code;
        },
      },
    });
    connection = Object.assign(current, { client });
  });
  afterEach(async () => {
    await connection.client.dispose();
  });

  /** What one operation ends with: its data, or its errors' codes and details, whichever way the server sent them. */
  function answerOf(payload: SubscribePayload): Promise<{ data?: unknown; errors?: Array<Record<string, unknown>> }> {
    return new Promise((resolve, reject) => {
      let result: { data?: unknown; errors?: ReadonlyArray<{ extensions?: Record<string, unknown> }> } = {};
      connection.client.subscribe(payload, {
        next: (value) => {
          result = value;
        },
        error: (error) => {
          if (Array.isArray(error)) resolve({ errors: error.map((e: { extensions?: Record<string, unknown> }) => e.extensions ?? {}) });
          else reject(error instanceof Error ? error : new Error(`connection ended: ${connection.closedWith ?? 'unknown code'}`));
        },
        complete: () =>
          resolve(result.errors === undefined ? { data: result.data } : { errors: result.errors.map((e) => e.extensions ?? {}) }),
      });
    });
  }

  test.each(bombs)('one past the %s limit: QUERY_TOO_COMPLEX naming it, nothing run', async (limit, query, variables) => {
    const answer = await withNothingChanged(server, () => answerOf({ query, variables: variables() }));
    expect(answer.errors).toEqual([expect.objectContaining({ code: 'QUERY_TOO_COMPLEX', limit })]);
  });

  test('parse, validation and variable refusals carry their codes, and the connection stays usable', async () => {
    const createTasks = 'mutation ($t: ID!, $n: Int, $dag: JSON) { createTasks(transformationKey: $t, count: $n, dag: $dag) { id } }';
    const t = world.network.transformationKey;
    const refusals: Array<[SubscribePayload, Record<string, unknown>]> = [
      [{ query: '{ viewer { ' }, { code: 'GRAPHQL_PARSE_FAILED' }],
      [{ query: `{ viewer { ${'id '.repeat(2_000)} } }` }, { code: 'GRAPHQL_PARSE_FAILED' }],
      [{ query: '{ viewer { noSuchField } }' }, { code: 'GRAPHQL_VALIDATION_FAILED' }],
      [{ query: 'query A { viewer { id } } query B { viewer { name } }' }, { code: 'OPERATION_RESOLUTION_FAILURE' }],
      [{ query: createTasks, variables: { t, n: 'many' } }, { code: 'BAD_USER_INPUT' }],
      [
        { query: createTasks, variables: { t, dag: JSON.parse(nestedArraysJson(101)) as unknown } },
        { code: 'BAD_USER_INPUT', limit: 'jsonDepth', max: 100 },
      ],
    ];
    await withNothingChanged(server, async () => {
      for (const [payload, expected] of refusals) expect((await answerOf(payload)).errors).toEqual([expect.objectContaining(expected)]);
    });
    expect(await answerOf({ query: '{ viewer { name } }' })).toEqual({ data: { viewer: { name: 'alice' } } });
    expect(connection.closedWith).toBeUndefined();
  });

  test('introspection works over WebSocket too', async () => {
    const answer = await answerOf({ query: getIntrospectionQuery() });
    expect((answer.data as { __schema: { queryType: { name: string } } }).__schema.queryType.name).toBe('Query');
  });

  test('a message over DAGKEEPER_MAX_REQUEST_BYTES closes the connection with 1009 (message too big)', async () => {
    const padding = 'x'.repeat(2 * 1024 * 1024);
    await withNothingChanged(server, async () => {
      const query = 'mutation ($t: ID!) { createTasks(transformationKey: $t) { id } }';
      await expect(answerOf({ query, variables: { t: world.network.transformationKey, padding } })).rejects.toThrow(/^connection ended: /);
    });
    expect(connection.closedWith).toBe(1009);
  });
});
