import { createHash } from 'node:crypto';
import type { ApiClient } from '../../src/client/ApiClient.js';
import { jsonOf } from '../support/http.js';
import type { GraphQLBody } from '../support/http.js';
import { createIdentity } from '../support/testApp.js';
import type { TestApp } from '../support/testApp.js';
import { stateDigest } from './stateDigest.js';

/**
 * What the bad-input suites send their input at, built through the public API: a user's network, and
 * a worker holding two claims, one on a task without a DAG yet and one on a task running a DAG.
 */
export interface BadInputWorld {
  user: ApiClient;
  worker: ApiClient;
  tokens: { user: string; worker: string };
  network: { key: string; transformationKey: string };
  /** Claimed, with no DAG: setProtocolDAG's target. */
  bare: { claimToken: string; taskId: string };
  /** Claimed, running `dag`: the target of unit results and ResultFiles. */
  running: { claimToken: string; taskId: string };
}

export const scope = 'acme-c1-p1';
export const protocol = 'fuzz';
export const dag = {
  units: [
    { key: 'setup', name: 'Setup', dependencies: [] },
    { key: 'sim', name: 'Simulate', dependencies: ['setup'] },
  ],
};

export const networkInput = {
  name: 'benzene to toluene',
  chemicalSystems: [
    { name: 'benzene', components: { smiles: 'c1ccccc1' } },
    { name: 'toluene', components: { smiles: 'Cc1ccccc1' } },
  ],
  transformations: [{ name: 'benzene->toluene', stateA: 'benzene', stateB: 'toluene', protocol, settings: { windows: 2 } }],
};

export async function buildBadInputWorld(server: TestApp): Promise<BadInputWorld> {
  const alice = await createIdentity(server.admin, { kind: 'USER', name: 'alice', scopes: [scope] });
  const hpc = await createIdentity(server.admin, { kind: 'COMPUTE', name: 'hpc', scopes: ['acme-*-*'] });
  const user = server.client(alice.token);
  const worker = server.client(hpc.token);
  const { createNetwork } = await user.request<{
    createNetwork: { network: { scopedKey: string; transformations: Array<{ scopedKey: string }> } };
  }>(
    `mutation ($input: NetworkInput!) { createNetwork(scope: "${scope}", input: $input) { network { scopedKey transformations { scopedKey } } } }`,
    { input: networkInput },
  );
  const network = { key: createNetwork.network.scopedKey, transformationKey: createNetwork.network.transformations[0]!.scopedKey };
  const { registerComputeService: service } = await worker.request<{ registerComputeService: { id: string } }>(
    'mutation { registerComputeService(name: "hpc-1") { id } }',
  );
  // One task at a time, so each claim is known to be on the task just created.
  const claimNew = async (withDag: boolean) => {
    const { createTasks } = await user.request<{ createTasks: Array<{ id: string }> }>(
      'mutation ($t: ID!, $dag: JSON) { createTasks(transformationKey: $t, dag: $dag) { id } }',
      { t: network.transformationKey, dag: withDag ? dag : null },
    );
    const taskId = createTasks[0]!.id;
    await user.request('mutation ($n: ID!, $ids: [ID!]!) { actionTasks(networkKey: $n, taskIds: $ids) }', {
      n: network.key,
      ids: [taskId],
    });
    const { claimTasks } = await worker.request<{ claimTasks: Array<{ token: string; task: { id: string } }> }>(
      'mutation ($s: ID!) { claimTasks(computeServiceId: $s, protocols: ["fuzz"]) { token task { id } } }',
      { s: service.id },
    );
    if (claimTasks[0]?.task.id !== taskId) throw new Error(`expected to claim task ${taskId}, got ${JSON.stringify(claimTasks)}`);
    return { claimToken: claimTasks[0].token, taskId };
  };
  const bare = await claimNew(false);
  const running = await claimNew(true);
  return { user, worker, tokens: { user: alice.token, worker: hpc.token }, network, bare, running };
}

export interface RawAnswer {
  status: number;
  body: GraphQLBody;
}

/** A POST to /graphql exactly as given: no client library in between to tidy a malformed request. */
export async function postRaw(
  server: TestApp,
  token: string,
  body: NonNullable<RequestInit['body']>,
  headers: Record<string, string> = {},
): Promise<RawAnswer> {
  const response = await fetch(`${server.app.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
    body,
    ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
  } as RequestInit);
  return { status: response.status, body: await jsonOf<GraphQLBody>(response) };
}

export const postOperation = (server: TestApp, token: string, query: string, variables: Record<string, unknown> = {}) =>
  postRaw(server, token, JSON.stringify({ query, variables }));

/** The codes of a refused answer's errors; a refusal always has at least one. */
export function codesOf(answer: RawAnswer): string[] {
  const codes = (answer.body.errors ?? []).map((error) => error.extensions.code);
  if (codes.length === 0) throw new Error(`expected a refusal, got ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`);
  return codes;
}

/** Runs the action and asserts that the state store and the object store are exactly as before it. */
export async function withNothingChanged<T>(server: TestApp, action: () => Promise<T>): Promise<T> {
  const before = await stateDigest(server.app);
  const result = await action();
  expect(await stateDigest(server.app)).toEqual(before);
  return result;
}

export const sha256Of = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** JSON text of `depth` arrays nested in one another: text, because JSON.stringify itself recurses. */
export const nestedArraysJson = (depth: number): string => '['.repeat(depth) + '0' + ']'.repeat(depth);
