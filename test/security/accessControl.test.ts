import { readFileSync } from 'node:fs';
import { buildSchema, getOperationAST, Kind, parse, validate } from 'graphql';
import { schemaPath } from '../../src/graphql/schema.js';
import { jsonOf } from '../support/http.js';
import type { GraphQLBody } from '../support/http.js';
import { startTestApp } from '../support/testApp.js';
import type { TestApp } from '../support/testApp.js';
import { accessTable } from './accessTable.js';
import type { AccessEntry, RootType } from './accessTable.js';
import { buildWorld, intruders, okUnit, otherScope, protocol, scope, worldEnv } from './accessWorld.js';
import type { Caller, Intruder, World } from './accessWorld.js';
import { stateDigest } from './stateDigest.js';

const httpEntries = accessTable.filter((entry) => entry.root !== 'Subscription');
const titled = (entries: AccessEntry[]) => entries.map((entry) => [`${entry.root}.${entry.field}`, entry] as const);

describe('coverage: every root field of schema.graphql has an access-control entry', () => {
  const schema = buildSchema(readFileSync(schemaPath, 'utf8'));
  const roots: Array<[RootType, ReturnType<typeof schema.getQueryType>]> = [
    ['Query', schema.getQueryType()],
    ['Mutation', schema.getMutationType()],
    ['Subscription', schema.getSubscriptionType()],
  ];

  test('no root field lacks an entry in test/security/accessTable.ts, and no entry names a field the schema lacks', () => {
    const inSchema = roots.flatMap(([root, type]) => Object.keys(type?.getFields() ?? {}).map((field) => `${root}.${field}`));
    const inTable = accessTable.map((entry) => `${entry.root}.${entry.field}`);
    expect({ withoutAnAccessEntry: inSchema.filter((field) => !inTable.includes(field)) }).toEqual({ withoutAnAccessEntry: [] });
    expect({ notInTheSchema: inTable.filter((field) => !inSchema.includes(field)) }).toEqual({ notInTheSchema: [] });
    expect(new Set(inTable).size).toBe(inTable.length);
  });

  test.each(titled(accessTable))('%s: the entry’s operation is valid and selects exactly that field', (_, entry) => {
    const document = parse(entry.query);
    expect(validate(schema, document).map((error) => error.message)).toEqual([]);
    const operation = getOperationAST(document);
    expect(operation?.operation).toBe(entry.root.toLowerCase());
    const fields = operation?.selectionSet.selections.flatMap((s) => (s.kind === Kind.FIELD ? [s.name.value] : []));
    expect(fields).toEqual([entry.field]);
  });
});

describe('access control over HTTP: every query and mutation', () => {
  let server: TestApp;
  let w: World;
  beforeAll(async () => {
    server = await startTestApp('postgres', worldEnv);
    w = await buildWorld(server);
  });
  afterAll(async () => {
    await server.close();
  });

  async function send(as: Caller | Intruder, query: string, variables: Record<string, unknown>) {
    const token = w.tokens[as];
    const response = await fetch(`${server.app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
      body: JSON.stringify({ query, variables }),
    });
    return { status: response.status, body: await jsonOf<GraphQLBody>(response) };
  }

  async function data<T>(as: Caller, query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const { body } = await send(as, query, variables);
    if (body.errors !== undefined) throw new Error(`${as}: ${JSON.stringify(body.errors)}`);
    return body.data as T;
  }

  /** Runs a refused request and checks its code, that it returned no data and that nothing changed. */
  async function expectRefused(entry: AccessEntry, as: Caller | Intruder, variables: Record<string, unknown>, code: string) {
    const before = await stateDigest(server.app);
    const { status, body } = await send(as, entry.query, variables);
    expect(body.errors?.map((error) => error.extensions.code)).toEqual([code]);
    expect(body.data?.[entry.field] ?? null).toBeNull();
    if (code === 'UNAUTHENTICATED') expect(status).toBe(401);
    expect(await stateDigest(server.app)).toEqual(before);
  }

  describe.each(titled(httpEntries))('%s', (_, entry) => {
    test.each(intruders)('refuses %s as UNAUTHENTICATED and changes nothing', async (intruder) => {
      await expectRefused(entry, intruder, entry.allowed.variables(w), 'UNAUTHENTICATED');
    });
    for (const refusal of entry.refuses) {
      test(`refuses ${refusal.why} (${refusal.as}) as ${refusal.code} and changes nothing`, async () => {
        await expectRefused(entry, refusal.as, (refusal.variables ?? entry.allowed.variables)(w), refusal.code);
      });
    }
  });

  describe('scope isolation: lists and counts never show another scope', () => {
    test('each user lists, pages and counts only its own scope', async () => {
      const query =
        '{ networks { scopedKey scope } tasks(first: 1000) { totalCount edges { node { id scope } } } statusCounts { waiting running complete error invalid deleted } }';
      type Seen = {
        networks: Array<{ scopedKey: string; scope: string }>;
        tasks: { totalCount: number; edges: Array<{ node: { id: string; scope: string } }> };
        statusCounts: Record<string, number>;
      };
      const mallory = await data<Seen>('mallory', query);
      expect(mallory.networks.map((n) => n.scopedKey)).toEqual([w.malloryNetwork.key]);
      expect(mallory.tasks.edges.map((e) => e.node.id)).toEqual([w.tasks.mallory]);
      expect(mallory.tasks.totalCount).toBe(1);
      expect(Object.values(mallory.statusCounts).reduce((a, b) => a + b, 0)).toBe(1);

      const alice = await data<Seen>('alice', query);
      expect(new Set(alice.networks.map((n) => n.scope))).toEqual(new Set([scope]));
      expect(new Set(alice.tasks.edges.map((e) => e.node.scope))).toEqual(new Set([scope]));
      expect(alice.tasks.edges.map((e) => e.node.id)).toEqual(
        expect.arrayContaining(Object.values(w.tasks).filter((id) => id !== w.tasks.mallory)),
      );
      expect(Object.values(alice.statusCounts).reduce((a, b) => a + b, 0)).toBe(alice.tasks.totalCount);
    });

    test('a compute identity’s tasks view holds only its scopes', async () => {
      const { tasks } = await data<{ tasks: { edges: Array<{ node: { id: string; scope: string } }> } }>(
        'hpc',
        '{ tasks(first: 1000) { edges { node { id scope } } } }',
      );
      expect(tasks.edges.map((e) => e.node.scope).filter((s) => s !== scope)).toEqual([]);
      expect(tasks.edges.map((e) => e.node.id)).not.toContain(w.tasks.mallory);
    });

    test('compute services are listed only to their own identity (and to administrators)', async () => {
      const query = '{ computeServices(includeGone: true) { id } }';
      const ids = async (as: Caller) =>
        (await data<{ computeServices: Array<{ id: string }> }>(as, query)).computeServices.map((s) => s.id);
      expect(new Set(await ids('hpc'))).toEqual(new Set([w.services.gone, w.services.live, w.services.spare]));
      expect(await ids('rogue')).toEqual([w.services.rogue]);
      expect(await ids('alice')).toEqual([]);
      expect(await ids('admin')).toEqual(expect.arrayContaining(Object.values(w.services)));
    });

    test('a compute service claims nothing from a hub outside its identity’s scopes', async () => {
      const { claimTasks } = await data<{ claimTasks: unknown[] }>(
        'hpc',
        'mutation ($s: ID!, $p: [String!]) { claimTasks(computeServiceId: $s, count: 10, protocols: $p) { token } }',
        { s: w.services.live, p: [protocol] },
      );
      expect(claimTasks).toEqual([]);
      const { task } = await data<{ task: { status: string; actionedOn: string[]; scope: string } }>(
        'mallory',
        'query ($id: ID!) { task(id: $id) { status actionedOn scope } }',
        { id: w.tasks.mallory },
      );
      // mallory's task was claimable all along: WAITING, on her hub, of the same protocol.
      expect(task).toEqual({ status: 'WAITING', actionedOn: [w.malloryNetwork.key], scope: otherScope });
    });
  });

  test('after expiry and reclaim, only the new claim writes: the superseded one stays STALE_CLAIM', async () => {
    const submit = 'mutation ($c: String!, $r: UnitResultInput!) { submitUnitResult(claimToken: $c, result: $r) { attempt } }';
    const { submitUnitResult } = await data<{ submitUnitResult: { attempt: number } }>('hpc', submit, {
      c: w.claims.reclaimed,
      r: okUnit('setup'),
    });
    const stale = await send('hpc', submit, { c: w.claims.stale, r: okUnit('sim') });
    expect(stale.body.errors?.map((error) => error.extensions.code)).toEqual(['STALE_CLAIM']);
    const { task } = await data<{ task: { status: string; unitResults: Array<{ unitKey: string; attempt: number }> } }>(
      'alice',
      'query ($id: ID!) { task(id: $id) { status unitResults { unitKey attempt } } }',
      { id: w.tasks.stale },
    );
    expect(task).toEqual({ status: 'RUNNING', unitResults: [{ unitKey: 'setup', attempt: submitUnitResult.attempt }] });
  });

  describe('positive controls: each operation succeeds for its rightful caller', () => {
    const run = async (as: Caller, query: string, variables: Record<string, unknown>) => data(as, query, variables);
    // In table order, after every refusal above: each one builds on the one before (DAG, result, file, finish).
    test.each(titled(httpEntries))('%s', async (_, entry) => {
      await entry.allowed.prepare?.(w, run);
      const { status, body } = await send(entry.allowed.as, entry.query, entry.allowed.variables(w));
      expect(body.errors).toBeUndefined();
      expect(status).toBe(200);
      expect(body.data?.[entry.field]).not.toBeNull();
      expect(body.data?.[entry.field]).toBeDefined();
    });
  });
});
