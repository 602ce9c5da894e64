import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import { startApp } from '../../src/app.js';
import type { App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/observability/logger.js';
import type { ApiClient } from '../../src/client/ApiClient.js';
import { createIdentity, startTestApp } from '../support/testApp.js';
import type { TestApp } from '../support/testApp.js';
import { startPostgresCluster } from '../chaos/support/postgresCluster.js';
import type { PostgresCluster } from '../chaos/support/postgresCluster.js';

/**
 * The HTTP fast path (src/http/fastGraphQL.ts) must answer every request exactly as Apollo Server
 * does. Two servers, one with the fast path and one without (DAGKEEPER_GRAPHQL_FAST_PATH=0), are set
 * up alike and sent the same requests; status, headers (all but Date) and body bytes must match, and
 * so must their log lines and GraphQL metrics. Selections avoid ids and times, which differ between
 * the two servers' databases. Each request also says whether the fast path should answer it, checked
 * with its counter, so a fast path that quietly handed everything to Apollo would fail here.
 */

const networkInput = {
  name: 'benzene to toluene',
  chemicalSystems: [
    { name: 'benzene', components: { ligand: { smiles: 'c1ccccc1' }, solvent: 'water' } },
    { name: 'toluene', components: { ligand: { smiles: 'Cc1ccccc1' }, solvent: 'water' } },
  ],
  transformations: [{ name: 'benzene->toluene', stateA: 'benzene', stateB: 'toluene', protocol: 'demo', settings: { windows: 2 } }],
};
const dag = {
  units: [
    { key: 'setup', name: 'Setup', dependencies: [] },
    { key: 'sim', name: 'Simulate', dependencies: ['setup'] },
  ],
};
const unknownId = '00000000-0000-4000-8000-000000000000';

interface Server {
  app: App;
  logLines: Array<Record<string, unknown>>;
  agent: Agent;
}

/** What one server's setup gives the requests: tokens and ids of its own database. */
interface Setup {
  admin: string;
  user: string;
  worker: string;
  serviceId: string;
  claimToken: string;
  /** This server's own ids, which a refusal may name: masked before comparing. */
  ids: string[];
}

interface Exchange {
  status: number;
  headers: string[];
  body: string;
}

interface Case {
  name: string;
  /** Whether the fast path answers it (else Apollo does, on both servers). */
  fast: boolean;
  token?: (s: Setup) => string;
  method?: 'GET' | 'POST';
  path?: string;
  headers?: Record<string, string>;
  body?: (s: Setup) => unknown;
}

const gql = (query: string, variables?: Record<string, unknown>, operationName?: string) => ({ query, variables, operationName });
const asUser = (s: Setup) => s.user;
const asWorker = (s: Setup) => s.worker;
const unitResult = (unitKey: string, extra: Record<string, unknown> = {}) => ({
  unitKey,
  ok: true,
  outputs: { unitKey, energies: [1.25, -0.5] },
  startedAt: '2026-01-01T00:00:00.000Z',
  endedAt: '2026-01-01T00:00:01.000Z',
  ...extra,
});
const submit =
  'mutation ($c: String!, $r: UnitResultInput!) { submitUnitResult(claimToken: $c, result: $r) { unitKey ok attempt outputs } }';
let nested: unknown = 1;
for (let depth = 0; depth < 101; depth += 1) nested = [nested];

/** In order: later requests see what earlier ones changed, on both servers alike. */
const cases: Case[] = [
  { name: 'a query', fast: true, token: asUser, body: () => gql('{ viewer { name kind scopes } }') },
  {
    name: 'a query with null variables and operationName',
    fast: true,
    token: asUser,
    body: () => ({ query: '{ viewer { name } }', variables: null, operationName: null }),
  },
  { name: 'only __typename', fast: true, token: asUser, body: () => gql('{ __typename }') },
  {
    name: 'one of several operations, by name',
    fast: true,
    token: asUser,
    body: () => gql('query Me { viewer { name } } query Kind { viewer { kind } }', undefined, 'Kind'),
  },
  { name: 'an unknown operationName', fast: false, token: asUser, body: () => gql('query Me { viewer { name } }', undefined, 'Nope') },
  {
    name: 'several operations and no operationName',
    fast: false,
    token: asUser,
    body: () => gql('query A { viewer { name } } query B { viewer { kind } }'),
  },
  {
    name: 'a task that does not exist',
    fast: true,
    token: asUser,
    body: () => gql('query ($id: ID!) { task(id: $id) { status } }', { id: unknownId }),
  },
  { name: 'FORBIDDEN', fast: true, token: asUser, body: () => gql('{ identities { name } }') },
  {
    name: 'partial data: one root field refused',
    fast: true,
    token: asUser,
    body: () => gql('query ($id: ID!) { viewer { name } task(id: $id) { status } }', { id: unknownId }),
  },
  { name: 'a refusal that nulls the whole answer', fast: true, token: asUser, body: () => gql('{ viewer { name } identities { name } }') },
  {
    name: 'claimTasks',
    fast: true,
    token: asWorker,
    body: (s) => gql('mutation ($id: ID!) { claimTasks(computeServiceId: $id, count: 1) { task { status } } }', { id: s.serviceId }),
  },
  {
    name: 'claimTasks of an unknown service',
    fast: true,
    token: asWorker,
    body: () => gql('mutation ($id: ID!) { claimTasks(computeServiceId: $id, count: 1) { task { status } } }', { id: unknownId }),
  },
  {
    name: 'heartbeat',
    fast: true,
    token: asWorker,
    body: (s) => gql('mutation ($id: ID!) { heartbeat(computeServiceId: $id) { name protocols } }', { id: s.serviceId }),
  },
  {
    name: 'startUnit',
    fast: true,
    token: asWorker,
    body: (s) => gql('mutation ($c: String!) { startUnit(claimToken: $c, unitKey: "setup") }', { c: s.claimToken }),
  },
  { name: 'submitUnitResult', fast: true, token: asWorker, body: (s) => gql(submit, { c: s.claimToken, r: unitResult('setup') }) },
  {
    name: 'submitUnitResult of a unit not in the DAG',
    fast: true,
    token: asWorker,
    body: (s) => gql(submit, { c: s.claimToken, r: unitResult('nope') }),
  },
  {
    name: 'submitUnitResult under an unknown claim',
    fast: true,
    token: asWorker,
    body: () => gql(submit, { c: 'not-a-claim', r: unitResult('sim') }),
  },
  { name: 'a required variable missing (400)', fast: true, token: asWorker, body: (s) => gql(submit, { c: s.claimToken }) },
  {
    name: 'a variable of the wrong type (400)',
    fast: true,
    token: asWorker,
    body: (s) => gql(submit, { c: s.claimToken, r: { ...unitResult('sim'), ok: 'yes' } }),
  },
  {
    name: 'a JSON variable nested too deep',
    fast: true,
    token: asWorker,
    body: (s) => gql(submit, { c: s.claimToken, r: unitResult('sim', { outputs: nested }) }),
  },
  {
    name: 'submitUnitResult of the last unit',
    fast: true,
    token: asWorker,
    body: (s) => gql(submit, { c: s.claimToken, r: unitResult('sim') }),
  },
  {
    name: 'finishTask',
    fast: true,
    token: asWorker,
    body: (s) => gql('mutation ($c: String!) { finishTask(claimToken: $c) { task { status } dagResult { ok } } }', { c: s.claimToken }),
  },
  {
    name: 'finishTask again',
    fast: true,
    token: asWorker,
    body: (s) => gql('mutation ($c: String!) { finishTask(claimToken: $c) { task { status } } }', { c: s.claimToken }),
  },
  {
    name: 'createIdentity',
    fast: true,
    token: (s) => s.admin,
    body: () =>
      gql('mutation { createIdentity(input: { kind: USER, name: "bob", scopes: ["acme-c1-p1"] }) { identity { name kind scopes } } }'),
  },
  {
    name: 'createIdentity again: CONFLICT',
    fast: true,
    token: (s) => s.admin,
    body: () => gql('mutation { createIdentity(input: { kind: USER, name: "bob", scopes: ["acme-c1-p1"] }) { identity { name } } }'),
  },
  { name: 'Accept: */*', fast: true, token: asUser, headers: { accept: '*/*' }, body: () => gql('{ viewer { name } }') },
  {
    name: 'Accept: application/graphql-response+json',
    fast: true,
    token: asUser,
    headers: { accept: 'application/graphql-response+json' },
    body: () => gql('{ viewer { name } }'),
  },
  {
    name: 'Accept negotiated by Apollo',
    fast: false,
    token: asUser,
    headers: { accept: 'application/graphql-response+json;q=0.9, application/json' },
    body: () => gql('{ viewer { name } }'),
  },
  { name: 'Accept: text/html (406)', fast: false, token: asUser, headers: { accept: 'text/html' }, body: () => gql('{ viewer { name } }') },
  { name: 'a syntax error', fast: false, token: asUser, body: () => gql('{ viewer { name }') },
  { name: 'an unknown field', fast: false, token: asUser, body: () => gql('{ viewer { shoeSize } }') },
  {
    name: 'too many aliases: QUERY_TOO_COMPLEX',
    fast: false,
    token: asUser,
    body: () => gql('{ a: viewer { name } b: viewer { name } c: viewer { name } d: viewer { name } }'),
  },
  { name: 'introspection', fast: false, token: asUser, body: () => gql('{ __schema { queryType { name } } }') },
  {
    name: 'GET without a preflight header',
    fast: false,
    token: asUser,
    method: 'GET',
    path: `/graphql?query=${encodeURIComponent('{ viewer { name } }')}`,
  },
  {
    name: 'GET',
    fast: false,
    token: asUser,
    method: 'GET',
    path: `/graphql?query=${encodeURIComponent('{ viewer { name } }')}`,
    headers: { 'apollo-require-preflight': 'yes' },
  },
  { name: 'a batch', fast: false, token: asUser, body: () => [gql('{ viewer { name } }')] },
  {
    name: 'a persisted-query extension',
    fast: false,
    token: asUser,
    body: () => ({ query: '{ viewer { name } }', extensions: { persistedQuery: { version: 1, sha256Hash: 'abc' } } }),
  },
  { name: 'variables as a string', fast: false, token: asUser, body: () => ({ query: '{ viewer { name } }', variables: '{}' }) },
  { name: 'an empty query', fast: false, token: asUser, body: () => ({ query: '' }) },
  { name: 'text/plain', fast: false, token: asUser, headers: { 'content-type': 'text/plain' }, body: () => gql('{ viewer { name } }') },
];

function send(server: Server, setup: Setup, testCase: Case): Promise<Exchange> {
  const payload = testCase.body === undefined ? undefined : JSON.stringify(testCase.body(setup));
  return new Promise((resolve, reject) => {
    const outgoing = request(
      `${server.app.url}${testCase.path ?? '/graphql'}`,
      {
        method: testCase.method ?? 'POST',
        agent: server.agent,
        headers: {
          'x-request-id': 'differential',
          ...(testCase.token === undefined ? {} : { authorization: `Bearer ${testCase.token(setup)}` }),
          ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
          ...testCase.headers,
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const headers: string[] = [];
          for (let i = 0; i < response.rawHeaders.length; i += 2) {
            if (response.rawHeaders[i]!.toLowerCase() !== 'date') headers.push(`${response.rawHeaders[i]}: ${response.rawHeaders[i + 1]}`);
          }
          const body = setup.ids.reduce((text, id) => text.replaceAll(id, '<id>'), Buffer.concat(chunks).toString('utf8'));
          resolve({ status: response.statusCode ?? 0, headers, body });
        });
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(payload);
  });
}

async function startServer(fastPath: '0' | '1'): Promise<Server & { test: TestApp }> {
  const logLines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') logLines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const test = await startTestApp(
    'postgres',
    { DAGKEEPER_GRAPHQL_FAST_PATH: fastPath, DAGKEEPER_MAX_QUERY_ALIASES: '3' },
    { log: createLogger('info', sink) },
  );
  return { test, app: test.app, logLines, agent: new Agent({ keepAlive: true }) };
}

async function setUp({ test }: { test: TestApp }): Promise<Setup> {
  const user = await createIdentity(test.admin, { kind: 'USER', name: 'alice', scopes: ['acme-c1-p1'] });
  const worker = await createIdentity(test.admin, { kind: 'COMPUTE', name: 'hpc', scopes: ['acme-*-*'] });
  const userClient: ApiClient = test.client(user.token);
  const workerClient: ApiClient = test.client(worker.token);
  const { createNetwork } = await userClient.request<{
    createNetwork: { network: { scopedKey: string; transformations: Array<{ scopedKey: string }> } };
  }>(
    'mutation ($input: NetworkInput!) { createNetwork(scope: "acme-c1-p1", input: $input) { network { scopedKey transformations { scopedKey } } } }',
    { input: networkInput },
  );
  const { createTasks } = await userClient.request<{ createTasks: Array<{ id: string }> }>(
    'mutation ($t: ID!, $dag: JSON!) { createTasks(transformationKey: $t, dag: $dag, count: 2) { id } }',
    { t: createNetwork.network.transformations[0]!.scopedKey, dag },
  );
  await userClient.request('mutation ($n: ID!, $ids: [ID!]!) { actionTasks(networkKey: $n, taskIds: $ids) }', {
    n: createNetwork.network.scopedKey,
    ids: createTasks.map((t) => t.id),
  });
  const { registerComputeService } = await workerClient.request<{ registerComputeService: { id: string } }>(
    'mutation { registerComputeService(name: "w1", protocols: ["demo"]) { id } }',
  );
  const { claimTasks } = await workerClient.request<{ claimTasks: Array<{ token: string }> }>(
    'mutation ($id: ID!) { claimTasks(computeServiceId: $id, count: 1) { token } }',
    { id: registerComputeService.id },
  );
  return {
    admin: test.adminToken,
    user: user.token,
    worker: worker.token,
    serviceId: registerComputeService.id,
    claimToken: claimTasks[0]!.token,
    ids: [user.id, worker.id, registerComputeService.id, ...createTasks.map((t) => t.id)],
  };
}

const fastPathCount = async (server: Server): Promise<number> => (await server.app.metrics.graphqlFastPath.get()).values[0]?.value ?? 0;

/** A log line without what differs between two servers or two moments: times, ids, durations. */
function comparable(line: Record<string, unknown>): Record<string, unknown> {
  const { time: _time, pid: _pid, hostname: _hostname, ms: _ms, err, ...rest } = line;
  const text = JSON.stringify(err === undefined ? rest : { ...rest, err: (err as { message?: unknown }).message });
  return JSON.parse(text.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<id>')) as Record<string, unknown>;
}

describe('the GraphQL fast path answers as Apollo Server does (two servers: fast path on, off)', () => {
  let fast: Server & { test: TestApp };
  let apollo: Server & { test: TestApp };
  beforeAll(async () => {
    [fast, apollo] = await Promise.all([startServer('1'), startServer('0')]);
  });
  afterAll(async () => {
    for (const server of [fast, apollo]) {
      server?.agent.destroy();
      await server?.test.close();
    }
  });

  test('queries, mutations, each kind of refusal and what the fast path leaves to Apollo: same status, headers, bytes, logs and metrics', async () => {
    const [fastSetup, apolloSetup] = [await setUp(fast), await setUp(apollo)];
    fast.logLines.length = 0;
    apollo.logLines.length = 0;
    const tookFastPath: Record<string, boolean> = {};
    const expectedFastPath: Record<string, boolean> = {};
    const codes: string[] = [];
    for (const testCase of cases) {
      const before = [await fastPathCount(fast), await fastPathCount(apollo)];
      const fromFast = await send(fast, fastSetup, testCase);
      const fromApollo = await send(apollo, apolloSetup, testCase);
      expect({ case: testCase.name, ...fromFast }).toEqual({ case: testCase.name, ...fromApollo });
      codes.push(...[...fromFast.body.matchAll(/"code":"(\w+)"/g)].map((match) => match[1]!));
      tookFastPath[testCase.name] = (await fastPathCount(fast)) > before[0]!;
      expectedFastPath[testCase.name] = testCase.fast;
      expect(await fastPathCount(apollo)).toBe(before[1]);
    }
    expect(tookFastPath).toEqual(expectedFastPath);
    expect(new Set(codes)).toEqual(
      new Set([
        ...['NOT_FOUND', 'FORBIDDEN', 'BAD_USER_INPUT', 'STALE_CLAIM', 'CONFLICT', 'QUERY_TOO_COMPLEX', 'INTERNAL_SERVER_ERROR'],
        ...['OPERATION_RESOLUTION_FAILURE', 'GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_REQUEST'],
      ]),
    );

    expect(fast.logLines.map(comparable)).toEqual(apollo.logLines.map(comparable));
    expect(fast.logLines.some((line) => line.msg === 'graphql operation')).toBe(true);
    for (const metric of ['dagkeeper_graphql_operations_total', 'dagkeeper_http_requests_total']) {
      expect(await fast.app.metrics.registry.getSingleMetricAsString(metric)).toBe(
        await apollo.app.metrics.registry.getSingleMetricAsString(metric),
      );
    }
  });
});

describe('SERVICE_UNAVAILABLE through the fast path (two servers on a PostgreSQL cluster of their own, stopped)', () => {
  let cluster: PostgresCluster;
  const started: Array<{ app: App; dataDir: string; agent: Agent }> = [];
  beforeAll(async () => {
    cluster = await startPostgresCluster();
    const admin = new pg.Client({ connectionString: cluster.url });
    await admin.connect();
    await admin.query('CREATE DATABASE fast');
    await admin.query('CREATE DATABASE apollo');
    await admin.end();
  });
  afterAll(async () => {
    for (const { app, dataDir, agent } of started) {
      agent.destroy();
      await app.stop().catch(() => undefined);
      await rm(dataDir, { recursive: true, force: true });
    }
    await cluster?.destroy();
  });

  async function startOnCluster(database: 'fast' | 'apollo'): Promise<{ server: Server; setup: Setup }> {
    const dataDir = await mkdtemp(join(tmpdir(), 'dagkeeper-fast-path-'));
    const app = await startApp(
      loadConfig({
        PORT: '0',
        DAGKEEPER_DATA: dataDir,
        LOG_LEVEL: 'silent',
        DATABASE_URL: cluster.url.replace(/\/postgres$/, `/${database}`),
        // The admin's token lookup is reused through the outage: its operations reach the resolvers.
        DAGKEEPER_TOKEN_REUSE_MS: '60000',
        DAGKEEPER_SHUTDOWN_GRACE_MS: '2000',
        DAGKEEPER_GRAPHQL_FAST_PATH: database === 'fast' ? '1' : '0',
      }),
    );
    const agent = new Agent({ keepAlive: true });
    started.push({ app, dataDir, agent });
    const adminToken = (await readFile(join(dataDir, 'admin-token'), 'utf8')).trim();
    const setup: Setup = { admin: adminToken, user: adminToken, worker: adminToken, serviceId: '', claimToken: '', ids: [] };
    return { server: { app, logLines: [], agent }, setup };
  }

  test('a query and a mutation whose store does not answer: the same 503, Retry-After and body both ways', async () => {
    const fast = await startOnCluster('fast');
    const apollo = await startOnCluster('apollo');
    const outageCases: Case[] = [
      { name: 'a query', fast: true, token: (s) => s.admin, body: () => gql('{ identities { name } }') },
      {
        name: 'a mutation',
        fast: true,
        token: (s) => s.admin,
        body: () => gql('mutation { createIdentity(input: { kind: USER, name: "bob", scopes: ["acme-c1-p1"] }) { identity { name } } }'),
      },
    ];
    for (const { server, setup } of [fast, apollo]) expect((await send(server, setup, outageCases[0]!)).status).toBe(200);

    await cluster.stop('fast');
    try {
      for (const testCase of outageCases) {
        const before = await fastPathCount(fast.server);
        const fromFast = await send(fast.server, fast.setup, testCase);
        const fromApollo = await send(apollo.server, apollo.setup, testCase);
        expect({ case: testCase.name, ...fromFast }).toEqual({ case: testCase.name, ...fromApollo });
        expect(fromFast.status).toBe(503);
        expect(fromFast.headers).toContain('retry-after: 1');
        expect(fromFast.body).toContain('"code":"SERVICE_UNAVAILABLE"');
        expect(await fastPathCount(fast.server)).toBe(before + 1);
      }
    } finally {
      await cluster.start();
    }
  });
});
