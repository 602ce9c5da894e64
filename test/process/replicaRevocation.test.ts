import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient } from '../../src/client/ApiClient.js';
import { codeOf } from '../support/refusals.js';
import { subscribeToTaskEvents } from '../support/eventStream.js';
import type { EventStream } from '../support/eventStream.js';
import { createTestDatabase } from '../support/postgres.js';
import type { TestDatabase } from '../support/postgres.js';
import { startServerProcess } from '../support/serverProcess.js';
import type { ServerProcess } from '../support/serverProcess.js';

const scope = 'lab-c1-p1';
/** Generous for a busy machine: the notice takes milliseconds, the poll a second; without them, an hour or a minute. */
const deadlineMs = 20_000;

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = deadlineMs): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Two server processes on one PostgreSQL: a token revoked (an identity disabled) through replica A
 * loses its open WebSockets on replica B at once, and B stops accepting it over HTTP although B
 * reuses token lookups for a minute. B re-checks open connections only hourly here, so nothing but
 * the revocation's notice can do either in time.
 */
describe('a revocation made on one replica closes the token’s WebSockets on another', () => {
  let cwd: string;
  let database: TestDatabase;
  let replicaA: ServerProcess;
  let replicaB: ServerProcess;
  const streams: EventStream[] = [];

  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'dagkeeper-revocation-'));
    database = await createTestDatabase();
    const env = (name: string) => ({
      DATABASE_URL: database.url,
      DAGKEEPER_DATA: join(cwd, name),
      DAGKEEPER_WS_REAUTHENTICATE_SECONDS: '3600',
      DAGKEEPER_TOKEN_REUSE_MS: '60000',
    });
    replicaA = await startServerProcess(cwd, env('a'));
    replicaB = await startServerProcess(cwd, env('b'));
    // Two server starts: a minute is not always enough on a loaded machine.
  }, 180_000);
  afterAll(async () => {
    await Promise.all(streams.map((stream) => stream.close()));
    await replicaA?.stop();
    await replicaB?.stop();
    await database?.drop();
    await rm(cwd, { recursive: true, force: true });
  });

  test('revoking on A closes the token’s subscription on B with 4403, B refuses it over HTTP, and it gets no later event; disabling does the same', async () => {
    const admin = new ApiClient(replicaA.url, (await readFile(join(cwd, 'a', 'admin-token'), 'utf8')).trim());
    const createIdentity = async (name: string) =>
      (
        await admin.request<{ createIdentity: { token: string; identity: { id: string } } }>(
          'mutation ($i: CreateIdentityInput!) { createIdentity(input: $i) { token identity { id } } }',
          { i: { kind: 'USER', name, scopes: [scope] } },
        )
      ).createIdentity;
    const issueToken = async (identityId: string) =>
      (
        await admin.request<{ issueToken: { token: string; info: { id: string } } }>(
          'mutation ($id: ID!) { issueToken(identityId: $id, label: "replica") { token info { id } } }',
          { id: identityId },
        )
      ).issueToken;
    const alice = await createIdentity('alice');
    const bob = await createIdentity('bob');
    const victim = await issueToken(alice.identity.id);

    const { createNetwork } = await new ApiClient(replicaA.url, alice.token).request<{
      createNetwork: { network: { transformations: Array<{ scopedKey: string }> } };
    }>(
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
    const createTaskOnA = async () =>
      (
        await new ApiClient(replicaA.url, alice.token).request<{ createTasks: Array<{ id: string }> }>(
          'mutation ($t: ID!) { createTasks(transformationKey: $t) { id } }',
          { t: createNetwork.network.transformations[0]!.scopedKey },
        )
      ).createTasks[0]!.id;
    await createTaskOnA();

    // On B: the victim's token is looked up (and its lookup kept for a minute), and three subscriptions go live.
    const victimOnB = new ApiClient(replicaB.url, victim.token);
    await victimOnB.request('{ viewer { id } }');
    const subscribe = async (token: string) => {
      const stream = await subscribeToTaskEvents(replicaB.url, token, { filter: { scope }, since: '0' });
      streams.push(stream);
      await stream.waitFor((events) => events.length > 0, 30_000);
      return stream;
    };
    const victimStream = await subscribe(victim.token);
    const watcher = await subscribe(alice.token);
    const bobStream = await subscribe(bob.token);

    await admin.request('mutation ($id: ID!) { revokeToken(tokenId: $id) { revokedAt } }', { id: victim.info.id });
    await until(() => victimStream.closeCode !== undefined, 'the victim’s connection on B to close');
    expect(victimStream.closeCode).toBe(4403);
    await until(
      async () => (await codeOf(victimOnB.request('{ viewer { id } }')).catch(() => 'ACCEPTED')) === 'UNAUTHENTICATED',
      'B to refuse the revoked token over HTTP',
    );

    const taskId = await createTaskOnA();
    await watcher.waitFor((events) => events.some((e) => e.taskId === taskId), 30_000);
    expect(victimStream.events.map((e) => e.taskId)).not.toContain(taskId);
    expect([watcher.closeCode, bobStream.closeCode]).toEqual([undefined, undefined]);

    await admin.request('mutation ($id: ID!) { disableIdentity(id: $id) { disabledAt } }', { id: bob.identity.id });
    await until(() => bobStream.closeCode !== undefined, 'bob’s connection on B to close');
    expect(bobStream.closeCode).toBe(4403);
    expect(watcher.closeCode).toBeUndefined();
  });
});
