import { readFileSync } from 'node:fs';
import { buildSchema, getNamedType, GraphQLInputObjectType } from 'graphql';
import type { GraphQLInputType } from 'graphql';
import { schemaPath } from '../../src/graphql/schema.js';
import { subscriptionCodes } from '../support/subscriptionCodes.js';
import { startTestApp } from '../support/testApp.js';
import type { TestApp } from '../support/testApp.js';
import { buildWorld, okUnit, worldEnv } from './accessWorld.js';
import type { Caller, World } from './accessWorld.js';
import { codesOf, postOperation, withNothingChanged } from './badInputWorld.js';

/**
 * Every argument of schema.graphql that names something by id (identities, tokens, tasks, networks,
 * transformations, compute services, uploads, claims, cursors), sent garbage by a caller allowed to use
 * it: BAD_USER_INPUT, never INTERNAL_SERVER_ERROR, and nothing changed. The coverage test fails when
 * an ID argument is added to the schema without an entry here.
 */

interface IdArgument {
  /** `Root.field(argument)`, or `Root.field(argument.inputField)` for an id inside an input object. */
  place: string;
  as: Caller;
  query: string;
  variables: (bad: string, w: World) => Record<string, unknown>;
}

const idArguments: IdArgument[] = [
  { place: 'Query.identity(id)', as: 'admin', query: 'query ($id: ID!) { identity(id: $id) { id } }', variables: (bad) => ({ id: bad }) },
  {
    place: 'Query.network(scopedKey)',
    as: 'alice',
    query: 'query ($k: ID!) { network(scopedKey: $k) { name } }',
    variables: (bad) => ({ k: bad }),
  },
  {
    place: 'Query.transformation(scopedKey)',
    as: 'alice',
    query: 'query ($k: ID!) { transformation(scopedKey: $k) { name } }',
    variables: (bad) => ({ k: bad }),
  },
  {
    place: 'Query.networks(after)',
    as: 'alice',
    query: 'query ($a: ID) { networks(after: $a) { name } }',
    variables: (bad) => ({ a: bad }),
  },
  {
    place: 'Query.transformations(networkKey)',
    as: 'alice',
    query: 'query ($n: ID) { transformations(networkKey: $n) { name } }',
    variables: (bad) => ({ n: bad }),
  },
  {
    place: 'Query.transformations(after)',
    as: 'alice',
    query: 'query ($a: ID) { transformations(after: $a) { name } }',
    variables: (bad) => ({ a: bad }),
  },
  {
    place: 'Query.chemicalSystem(scopedKey)',
    as: 'alice',
    query: 'query ($k: ID!) { chemicalSystem(scopedKey: $k) { name } }',
    variables: (bad) => ({ k: bad }),
  },
  {
    place: 'Query.chemicalSystems(networkKey)',
    as: 'alice',
    query: 'query ($n: ID) { chemicalSystems(networkKey: $n) { name } }',
    variables: (bad) => ({ n: bad }),
  },
  {
    place: 'Query.chemicalSystems(after)',
    as: 'alice',
    query: 'query ($a: ID) { chemicalSystems(after: $a) { name } }',
    variables: (bad) => ({ a: bad }),
  },
  { place: 'Query.task(id)', as: 'alice', query: 'query ($id: ID!) { task(id: $id) { id } }', variables: (bad) => ({ id: bad }) },
  {
    place: 'Query.tasks(after)',
    as: 'alice',
    query: 'query ($a: String) { tasks(after: $a) { totalCount } }',
    variables: (bad) => ({ a: bad }),
  },
  {
    place: 'Query.tasks(after), a cursor of this API around garbage',
    as: 'alice',
    query: 'query ($a: String) { tasks(after: $a) { totalCount } }',
    variables: (bad) => ({ a: Buffer.from(`task:${bad}`).toString('base64url') }),
  },
  {
    place: 'Query.tasks(before)',
    as: 'alice',
    query: 'query ($b: String) { tasks(last: 1, before: $b) { totalCount } }',
    variables: (bad) => ({ b: bad }),
  },
  {
    place: 'Query.tasks(before), a cursor of this API around garbage',
    as: 'alice',
    query: 'query ($b: String) { tasks(last: 1, before: $b) { totalCount } }',
    variables: (bad) => ({ b: Buffer.from(`task:${bad}`).toString('base64url') }),
  },
  {
    place: 'Query.tasks(filter.networkKey)',
    as: 'alice',
    query: 'query ($k: ID) { tasks(filter: { networkKey: $k }) { totalCount } }',
    variables: (bad) => ({ k: bad }),
  },
  {
    place: 'Query.tasks(filter.transformationKey)',
    as: 'alice',
    query: 'query ($k: ID) { tasks(filter: { transformationKey: $k }) { totalCount } }',
    variables: (bad) => ({ k: bad }),
  },
  {
    place: 'Query.statusCounts(networkKey)',
    as: 'alice',
    query: 'query ($k: ID) { statusCounts(networkKey: $k) { waiting } }',
    variables: (bad) => ({ k: bad }),
  },
  {
    place: 'Query.statusCounts(transformationKey)',
    as: 'alice',
    query: 'query ($k: ID) { statusCounts(transformationKey: $k) { waiting } }',
    variables: (bad) => ({ k: bad }),
  },

  {
    place: 'Mutation.issueToken(identityId)',
    as: 'admin',
    query: 'mutation ($id: ID!) { issueToken(identityId: $id) { token } }',
    variables: (bad) => ({ id: bad }),
  },
  {
    place: 'Mutation.revokeToken(tokenId)',
    as: 'admin',
    query: 'mutation ($id: ID!) { revokeToken(tokenId: $id) { id } }',
    variables: (bad) => ({ id: bad }),
  },
  {
    place: 'Mutation.disableIdentity(id)',
    as: 'admin',
    query: 'mutation ($id: ID!) { disableIdentity(id: $id) { id } }',
    variables: (bad) => ({ id: bad }),
  },
  {
    place: 'Mutation.createTasks(transformationKey)',
    as: 'alice',
    query: 'mutation ($t: ID!) { createTasks(transformationKey: $t) { id } }',
    variables: (bad) => ({ t: bad }),
  },
  {
    place: 'Mutation.createTasks(extends)',
    as: 'alice',
    query: 'mutation ($t: ID!, $e: ID) { createTasks(transformationKey: $t, extends: $e) { id } }',
    variables: (bad, w) => ({ t: w.network.transformationKey, e: bad }),
  },
  {
    place: 'Mutation.actionTasks(networkKey)',
    as: 'alice',
    query: 'mutation ($n: ID!, $ids: [ID!]!) { actionTasks(networkKey: $n, taskIds: $ids) }',
    variables: (bad, w) => ({ n: bad, ids: [w.tasks.idle] }),
  },
  {
    place: 'Mutation.actionTasks(taskIds)',
    as: 'alice',
    query: 'mutation ($n: ID!, $ids: [ID!]!) { actionTasks(networkKey: $n, taskIds: $ids) }',
    variables: (bad, w) => ({ n: w.network.key, ids: [w.tasks.idle, bad] }),
  },
  {
    place: 'Mutation.cancelTasks(networkKey)',
    as: 'alice',
    query: 'mutation ($n: ID!, $ids: [ID!]!) { cancelTasks(networkKey: $n, taskIds: $ids) }',
    variables: (bad, w) => ({ n: bad, ids: [w.tasks.live] }),
  },
  {
    place: 'Mutation.cancelTasks(taskIds)',
    as: 'alice',
    query: 'mutation ($n: ID!, $ids: [ID!]!) { cancelTasks(networkKey: $n, taskIds: $ids) }',
    variables: (bad, w) => ({ n: w.network.key, ids: [w.tasks.live, bad] }),
  },
  {
    place: 'Mutation.setTaskStatus(taskIds)',
    as: 'alice',
    query: 'mutation ($ids: [ID!]!) { setTaskStatus(taskIds: $ids, status: INVALID) { id } }',
    variables: (bad, w) => ({ ids: [w.tasks.idle, bad] }),
  },
  {
    place: 'Mutation.setTaskPriority(taskIds)',
    as: 'alice',
    query: 'mutation ($ids: [ID!]!) { setTaskPriority(taskIds: $ids, priority: 3) { id } }',
    variables: (bad, w) => ({ ids: [w.tasks.idle, bad] }),
  },
  {
    place: 'Mutation.setNetworkState(networkKeys)',
    as: 'alice',
    query: 'mutation ($n: [ID!]!) { setNetworkState(networkKeys: $n, state: INACTIVE) { state } }',
    variables: (bad, w) => ({ n: [w.network.key, bad] }),
  },
  {
    place: 'Mutation.setNetworkWeight(networkKey)',
    as: 'alice',
    query: 'mutation ($n: ID!) { setNetworkWeight(networkKey: $n, weight: 0.25) { weight } }',
    variables: (bad) => ({ n: bad }),
  },
  {
    place: 'Mutation.addRestartPattern(networkKey)',
    as: 'alice',
    query: 'mutation ($n: ID!) { addRestartPattern(networkKey: $n, pattern: "disk full", maxRetries: 1) { id } }',
    variables: (bad) => ({ n: bad }),
  },
  {
    place: 'Mutation.removeRestartPattern(networkKey)',
    as: 'alice',
    query: 'mutation ($n: ID!) { removeRestartPattern(networkKey: $n, pattern: "OOM") }',
    variables: (bad) => ({ n: bad }),
  },
  {
    place: 'Mutation.heartbeat(computeServiceId)',
    as: 'hpc',
    query: 'mutation ($s: ID!) { heartbeat(computeServiceId: $s) { id } }',
    variables: (bad) => ({ s: bad }),
  },
  {
    place: 'Mutation.deregisterComputeService(computeServiceId)',
    as: 'hpc',
    query: 'mutation ($s: ID!) { deregisterComputeService(computeServiceId: $s) { id } }',
    variables: (bad) => ({ s: bad }),
  },
  {
    place: 'Mutation.reportComputeManagerJobs(computeManagerId)',
    as: 'hpc',
    query: 'mutation ($m: ID!) { reportComputeManagerJobs(computeManagerId: $m, jobs: []) { id } }',
    variables: (bad) => ({ m: bad }),
  },
  {
    place: 'Mutation.deregisterComputeManager(computeManagerId)',
    as: 'hpc',
    query: 'mutation ($m: ID!) { deregisterComputeManager(computeManagerId: $m) { id } }',
    variables: (bad) => ({ m: bad }),
  },
  {
    place: 'Mutation.claimTasks(computeServiceId)',
    as: 'hpc',
    query: 'mutation ($s: ID!) { claimTasks(computeServiceId: $s) { token } }',
    variables: (bad) => ({ s: bad }),
  },
  {
    place: 'Mutation.setProtocolDAG(claimToken)',
    as: 'hpc',
    query:
      'mutation ($c: String!) { setProtocolDAG(claimToken: $c, dag: { units: [{ key: "a", name: "A", dependencies: [] }] }) { sha256 } }',
    variables: (bad) => ({ c: bad }),
  },
  {
    place: 'Mutation.submitUnitResult(claimToken)',
    as: 'hpc',
    query: 'mutation ($c: String!, $r: UnitResultInput!) { submitUnitResult(claimToken: $c, result: $r) { id } }',
    variables: (bad) => ({ c: bad, r: okUnit('setup') }),
  },
  {
    place: 'Mutation.createResultFileUpload(claimToken)',
    as: 'hpc',
    query:
      'mutation ($c: String!) { createResultFileUpload(claimToken: $c, unitKey: "sim", path: "a.txt", size: 1, sha256: null) { uploadId } }',
    variables: (bad) => ({ c: bad }),
  },
  {
    place: 'Mutation.continueResultFileUpload(claimToken)',
    as: 'hpc',
    query: 'mutation ($c: String!, $u: ID!) { continueResultFileUpload(claimToken: $c, uploadId: $u) { uploadId } }',
    variables: (bad, w) => ({ c: bad, u: w.uploads.live }),
  },
  {
    place: 'Mutation.continueResultFileUpload(uploadId)',
    as: 'hpc',
    query: 'mutation ($c: String!, $u: ID!) { continueResultFileUpload(claimToken: $c, uploadId: $u) { uploadId } }',
    variables: (bad, w) => ({ c: w.claims.live, u: bad }),
  },
  {
    place: 'Mutation.reportDagBuildFailure(claimToken)',
    as: 'hpc',
    query: 'mutation ($c: String!) { reportDagBuildFailure(claimToken: $c, exception: "no DAG") { restartedBy } }',
    variables: (bad) => ({ c: bad }),
  },
  {
    place: 'Mutation.commitResultFile(claimToken)',
    as: 'hpc',
    query: 'mutation ($c: String!, $u: ID!) { commitResultFile(claimToken: $c, uploadId: $u) { id } }',
    variables: (bad, w) => ({ c: bad, u: w.uploads.live }),
  },
  {
    place: 'Mutation.commitResultFile(uploadId)',
    as: 'hpc',
    query: 'mutation ($c: String!, $u: ID!) { commitResultFile(claimToken: $c, uploadId: $u) { id } }',
    variables: (bad, w) => ({ c: w.claims.live, u: bad }),
  },
  {
    place: 'Mutation.continueImportUpload(uploadId)',
    as: 'alice',
    query: 'mutation ($u: ID!) { continueImportUpload(uploadId: $u) { uploadId } }',
    variables: (bad) => ({ u: bad }),
  },
  {
    place: 'Mutation.commitImportUpload(uploadId)',
    as: 'alice',
    query: 'mutation ($u: ID!) { commitImportUpload(uploadId: $u) }',
    variables: (bad) => ({ u: bad }),
  },
  {
    place: 'Mutation.continueInputUpload(uploadId)',
    as: 'alice',
    query: 'mutation ($u: ID!) { continueInputUpload(uploadId: $u) { uploadId } }',
    variables: (bad) => ({ u: bad }),
  },
  {
    place: 'Mutation.commitInputUpload(uploadId)',
    as: 'alice',
    query: 'mutation ($u: ID!) { commitInputUpload(uploadId: $u) { sha256 } }',
    variables: (bad) => ({ u: bad }),
  },
  {
    place: 'Mutation.importTask(transformationKey)',
    as: 'alice',
    query: 'mutation ($t: ID!, $d: ID!) { importTask(transformationKey: $t, input: { documentUploadId: $d }) { created } }',
    variables: (bad, w) => ({ t: bad, d: w.importUpload }),
  },
  {
    place: 'Mutation.importTask(input.documentUploadId)',
    as: 'alice',
    query: 'mutation ($t: ID!, $d: ID!) { importTask(transformationKey: $t, input: { documentUploadId: $d }) { created } }',
    variables: (bad, w) => ({ t: w.network.transformationKey, d: bad }),
  },
  {
    place: 'Mutation.importTask(input.files.uploadId)',
    as: 'alice',
    query:
      'mutation ($t: ID!, $d: ID!, $u: ID!) { importTask(transformationKey: $t, input: { documentUploadId: $d, files: [{ unitKey: "sim", path: "a.txt", uploadId: $u }] }) { created } }',
    variables: (bad, w) => ({ t: w.network.transformationKey, d: w.importUpload, u: bad }),
  },
  {
    place: 'Mutation.finishTask(claimToken)',
    as: 'hpc',
    query: 'mutation ($c: String!) { finishTask(claimToken: $c) { restartedBy } }',
    variables: (bad) => ({ c: bad }),
  },
];

const subscriptionIdArguments: IdArgument[] = [
  {
    place: 'Subscription.taskEvents(filter.networkKey)',
    as: 'alice',
    query: 'subscription ($k: ID) { taskEvents(filter: { networkKey: $k }) { cursor } }',
    variables: (bad) => ({ k: bad }),
  },
  {
    place: 'Subscription.taskEvents(filter.taskId)',
    as: 'alice',
    query: 'subscription ($id: ID) { taskEvents(filter: { taskId: $id }) { cursor } }',
    variables: (bad) => ({ id: bad }),
  },
  {
    place: 'Subscription.taskEvents(since)',
    as: 'alice',
    query: 'subscription ($s: ID) { taskEvents(since: $s) { cursor } }',
    variables: (bad) => ({ s: bad }),
  },
];

/** Not ids of anything: a word, nothing, a UUID one digit short, SQL, a UUID with a tail, and 300 characters. */
const garbage = [
  'bad',
  '',
  '0192f3e4-7a1b-7c2d-8e3f-4a5b6c7d8e9',
  "1' OR '1'='1",
  '0192f3e4-7a1b-7c2d-8e3f-4a5b6c7d8e9f/../x',
  'x'.repeat(300),
];

const shown = (bad: string) => JSON.stringify(bad.length > 40 ? `${bad.slice(0, 12)}…(${bad.length})` : bad);

/** Where schema.graphql takes an ID: root-field arguments, and ID fields of the input objects they take, at any depth. */
function idPlacesInSchema(): string[] {
  const schema = buildSchema(readFileSync(schemaPath, 'utf8'));
  const places: string[] = [];
  const collect = (root: string, field: string, path: string, type: GraphQLInputType, within: ReadonlySet<string>): void => {
    const named = getNamedType(type);
    if (named.name === 'ID') places.push(`${root}.${field}(${path})`);
    if (named instanceof GraphQLInputObjectType && !within.has(named.name)) {
      for (const inner of Object.values(named.getFields()))
        collect(root, field, `${path}.${inner.name}`, inner.type, new Set([...within, named.name]));
    }
  };
  for (const root of [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]) {
    for (const field of Object.values(root?.getFields() ?? {})) {
      for (const arg of field.args) collect(root!.name, field.name, arg.name, arg.type, new Set());
    }
  }
  return places;
}

describe('coverage: every ID argument of schema.graphql has an entry', () => {
  test('each ID argument (and ID field of an input object) is tried with garbage below', () => {
    const covered = new Set([...idArguments, ...subscriptionIdArguments].map((entry) => entry.place));
    expect({ withoutAnEntry: idPlacesInSchema().filter((place) => !covered.has(place)) }).toEqual({ withoutAnEntry: [] });
  });
});

describe('malformed ids are BAD_USER_INPUT, and change nothing', () => {
  let server: TestApp;
  let w: World;
  beforeAll(async () => {
    server = await startTestApp('postgres', worldEnv);
    w = await buildWorld(server);
  });
  afterAll(async () => {
    await server.close();
  });

  describe.each(idArguments.map((entry) => [entry.place, entry] as const))('%s', (_, entry) => {
    test.each(garbage.map((bad) => [shown(bad), bad]))('%s is refused as BAD_USER_INPUT', async (_shown, bad) => {
      await withNothingChanged(server, async () => {
        const answer = await postOperation(server, w.tokens[entry.as]!, entry.query, entry.variables(bad, w));
        expect({ codes: codesOf(answer), status: answer.status < 500 }).toEqual({ codes: ['BAD_USER_INPUT'], status: true });
      });
    });
  });

  describe.each(subscriptionIdArguments.map((entry) => [entry.place, entry] as const))('%s over WebSocket', (_, entry) => {
    test.each(garbage.map((bad) => [shown(bad), bad]))('%s is refused as BAD_USER_INPUT when subscribing', async (_shown, bad) => {
      expect(await subscriptionCodes(server.app.url, w.tokens[entry.as]!, entry.query, entry.variables(bad, w))).toEqual([
        'BAD_USER_INPUT',
      ]);
    });
  });
});
