import { subscribeToTaskEvents } from '../support/eventStream.js';
import type { EventStream } from '../support/eventStream.js';
import { createIdentity, startTestApp } from '../support/testApp.js';
import type { TestApp } from '../support/testApp.js';

/**
 * Open WebSockets of a revoked token, a disabled identity or an expired token are closed with 4403 at
 * once, not at the next periodic re-check: the re-check runs hourly here, so only the revocation
 * notice and the expiry timer can close a socket within the deadlines below. (One replica; two
 * replicas on one PostgreSQL: test/process/replicaRevocation.test.ts.)
 */

const scope = 'acme-c1-p1';
/** Generous for a busy machine; closing takes milliseconds, and the old periodic re-check would take an hour. */
const deadlineMs = 5_000;

let server: TestApp;
let aliceId: string;
let transformationKey: string;
const streams: EventStream[] = [];

beforeAll(async () => {
  server = await startTestApp('postgres', { DAGKEEPER_WS_REAUTHENTICATE_SECONDS: '3600' });
  const alice = await createIdentity(server.admin, { kind: 'USER', name: 'alice', scopes: [scope] });
  aliceId = alice.id;
  const { createNetwork } = await server
    .client(alice.token)
    .request<{ createNetwork: { network: { transformations: Array<{ scopedKey: string }> } } }>(
      `mutation ($input: NetworkInput!) { createNetwork(scope: "${scope}", input: $input) { network { transformations { scopedKey } } } }`,
      {
        input: {
          name: 'net',
          chemicalSystems: [
            { name: 'a', components: {} },
            { name: 'b', components: {} },
          ],
          transformations: [{ name: 'a->b', stateA: 'a', stateB: 'b', protocol: 'p', settings: {} }],
        },
      },
    );
  transformationKey = createNetwork.network.transformations[0]!.scopedKey;
  await createTask();
});
afterAll(async () => {
  await Promise.all(streams.map((stream) => stream.close()));
  await server?.close();
});

/** A task in the scope (the administrator is a user of every scope): one event for every subscription. */
async function createTask(): Promise<string> {
  const { createTasks } = await server.admin.request<{ createTasks: Array<{ id: string }> }>(
    'mutation ($t: ID!) { createTasks(transformationKey: $t) { id } }',
    { t: transformationKey },
  );
  return createTasks[0]!.id;
}

async function issueToken(
  identityId: string,
  options: { expiresInSeconds?: number } = {},
): Promise<{ token: string; id: string; expiresAt: string | null }> {
  const { issueToken: issued } = await server.admin.request<{
    issueToken: { token: string; info: { id: string; expiresAt: string | null } };
  }>(
    'mutation ($id: ID!, $e: Int) { issueToken(identityId: $id, label: "socket", expiresInSeconds: $e) { token info { id expiresAt } } }',
    { id: identityId, e: options.expiresInSeconds ?? null },
  );
  return { token: issued.token, id: issued.info.id, expiresAt: issued.info.expiresAt };
}

/** A subscription to every event of the scope, live: it has received the stored ones (since 0). */
async function liveSubscription(token: string): Promise<EventStream> {
  const stream = await subscribeToTaskEvents(server.app.url, token, { filter: { scope }, since: '0' });
  streams.push(stream);
  await stream.waitFor((events) => events.length > 0, 30_000);
  return stream;
}

/** Milliseconds until the stream's connection closed; throws after the deadline. */
async function closedWithin(stream: EventStream, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (stream.closeCode === undefined) {
    if (Date.now() - started > timeoutMs) throw new Error(`the connection was still open after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return Date.now() - started;
}

test('revoking a token closes its open subscription with 4403 at once; the identity’s other tokens keep theirs', async () => {
  const revoked = await issueToken(aliceId);
  const kept = await issueToken(aliceId);
  const doomed = await liveSubscription(revoked.token);
  const survivor = await liveSubscription(kept.token);

  await server.admin.request('mutation ($id: ID!) { revokeToken(tokenId: $id) { revokedAt } }', { id: revoked.id });
  await closedWithin(doomed, deadlineMs);
  expect(doomed.closeCode).toBe(4403);

  const taskId = await createTask();
  await survivor.waitFor((events) => events.some((e) => e.taskId === taskId), 30_000);
  expect(survivor.closeCode).toBeUndefined();
});

test('disabling an identity closes the open subscriptions of every one of its tokens with 4403; others keep theirs', async () => {
  const bob = await createIdentity(server.admin, { kind: 'USER', name: 'bob', scopes: [scope] });
  const second = await issueToken(bob.id);
  const first = await liveSubscription(bob.token);
  const other = await liveSubscription(second.token);
  const alice = await liveSubscription((await issueToken(aliceId)).token);

  await server.admin.request('mutation ($id: ID!) { disableIdentity(id: $id) { disabledAt } }', { id: bob.id });
  await closedWithin(first, deadlineMs);
  await closedWithin(other, deadlineMs);
  expect([first.closeCode, other.closeCode]).toEqual([4403, 4403]);

  const taskId = await createTask();
  await alice.waitFor((events) => events.some((e) => e.taskId === taskId), 30_000);
  expect(alice.closeCode).toBeUndefined();
});

test('a token that expires while its subscription is open has the connection closed with 4403 at expiry, not before', async () => {
  const expiring = await issueToken(aliceId, { expiresInSeconds: 3 });
  const stream = await liveSubscription(expiring.token);
  const expiresAt = new Date(expiring.expiresAt!).getTime();
  expect(stream.closeCode).toBeUndefined();

  await closedWithin(stream, expiresAt - Date.now() + deadlineMs);
  const closedAt = Date.now();
  expect(stream.closeCode).toBe(4403);
  expect(closedAt).toBeGreaterThanOrEqual(expiresAt);
});

test('no event committed after a revocation reaches the revoked token’s subscription', async () => {
  const revoked = await issueToken(aliceId);
  const victim = await liveSubscription(revoked.token);
  const watcher = await liveSubscription((await issueToken(aliceId)).token);

  await server.admin.request('mutation ($id: ID!) { revokeToken(tokenId: $id) { revokedAt } }', { id: revoked.id });
  const taskId = await createTask();
  // The watcher has it, so the hub has handed it out to every subscription it was going to.
  await watcher.waitFor((events) => events.some((e) => e.taskId === taskId), 30_000);
  await closedWithin(victim, deadlineMs);
  expect(victim.events.map((e) => e.taskId)).not.toContain(taskId);
  expect(victim.closeCode).toBe(4403);
});
