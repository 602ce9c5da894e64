import { createClient } from 'graphql-ws';
import type { Client } from 'graphql-ws';
import WebSocket from 'ws';
import { startTestApp } from '../support/testApp.js';
import type { TestApp } from '../support/testApp.js';
import { accessTable } from './accessTable.js';
import { buildWorld, intruders, otherScope, scope, worldEnv } from './accessWorld.js';
import type { Caller, Intruder, World } from './accessWorld.js';
import { stateDigest } from './stateDigest.js';

interface SeenEvent {
  __typename: string;
  cursor: string;
  taskId: string;
  scope: string;
}

interface Connection {
  client: Client;
  /** The close code, once the connection closed. */
  closedWith(): number | undefined;
}

interface Watch {
  events: SeenEvent[];
  /** Error codes of an `error` message, or the close code when the connection ended the operation. */
  ended(): { codes?: string[]; closeCode?: number; completed?: boolean } | undefined;
}

const subscriptionEntries = accessTable.filter((entry) => entry.root === 'Subscription');
const liveEvents =
  'subscription ($f: TaskEventFilter, $since: ID) { taskEvents(filter: $f, since: $since) { __typename cursor taskId scope } }';

/** Generous by default, for a loaded machine; the waits that bound how fast something must happen say so. */
async function eventually(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('access control over WebSocket: every subscription, and tokens on open connections', () => {
  let server: TestApp;
  let w: World;
  const connections: Client[] = [];
  beforeAll(async () => {
    // Open connections re-check their token every second (the default is 30 s), to keep the waits short.
    server = await startTestApp('postgres', { ...worldEnv, DAGKEEPER_WS_REAUTHENTICATE_SECONDS: '1' });
    w = await buildWorld(server);
  });
  afterAll(async () => {
    await Promise.all(connections.map((client) => client.dispose()));
    await server.close();
  });

  function connect(as: Caller | Intruder | { token: string }): Connection {
    const token = typeof as === 'object' ? as.token : w.tokens[as];
    let closeCode: number | undefined;
    const client = createClient({
      url: server.app.url.replace(/^http/, 'ws') + '/graphql',
      webSocketImpl: WebSocket,
      connectionParams: token === null ? {} : { authorization: `Bearer ${token}` },
      retryAttempts: 0,
      lazy: true,
      on: {
        closed: (event) => {
          closeCode = (event as { code: number }).code;
        },
      },
    });
    connections.push(client);
    return { client, closedWith: () => closeCode };
  }

  function watch(connection: Connection, query: string, variables: Record<string, unknown>): Watch {
    const events: SeenEvent[] = [];
    let ended: ReturnType<Watch['ended']>;
    connection.client.subscribe<{ taskEvents?: SeenEvent }>(
      { query, variables },
      {
        next: (value) => {
          if (value.data?.taskEvents !== undefined) events.push(value.data.taskEvents);
          if (value.errors !== undefined) ended = { codes: value.errors.map((e) => String(e.extensions?.['code'])) };
        },
        error: (error) => {
          ended = Array.isArray(error)
            ? { codes: (error as Array<{ extensions?: { code?: string } }>).map((e) => String(e.extensions?.code)) }
            : { closeCode: (error as { code?: number }).code ?? connection.closedWith() ?? -1 };
        },
        // A refusal at subscribe time arrives as a result with errors, then `complete`: keep the errors.
        complete: () => {
          ended ??= { completed: true };
        },
      },
    );
    return { events, ended: () => ended };
  }

  async function request<T>(as: Caller | { token: string }, query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const token = typeof as === 'object' ? as.token : w.tokens[as];
    return server.client(token ?? '').request<T>(query, variables);
  }

  describe.each(subscriptionEntries.map((entry) => [`${entry.root}.${entry.field}`, entry] as const))('%s', (_, entry) => {
    test.each(intruders)('refuses %s: the connection is closed with 4403 and nothing is delivered', async (intruder) => {
      const connection = connect(intruder);
      const watching = watch(connection, entry.query, entry.allowed.variables(w));
      await eventually(() => watching.ended() !== undefined, 'the refusal');
      expect(watching.ended()).toEqual({ closeCode: 4403 });
      expect(connection.closedWith()).toBe(4403);
      expect(watching.events).toEqual([]);
    });

    for (const refusal of entry.refuses) {
      test(`refuses ${refusal.why} (${refusal.as}) as ${refusal.code} when subscribing, delivering nothing`, async () => {
        const before = await stateDigest(server.app);
        const watching = watch(connect(refusal.as), entry.query, (refusal.variables ?? entry.allowed.variables)(w));
        await eventually(() => watching.ended() !== undefined, 'the refusal');
        expect(watching.ended()).toEqual({ codes: [refusal.code] });
        expect(watching.events).toEqual([]);
        expect(await stateDigest(server.app)).toEqual(before);
      });
    }

    test(`positive control: ${entry.allowed.as} subscribes with the same operation and receives events`, async () => {
      const watching = watch(connect(entry.allowed.as), entry.query, entry.allowed.variables(w));
      await eventually(() => watching.events.length > 0 || watching.ended() !== undefined, 'an event');
      expect(watching.ended()).toBeUndefined();
      expect(watching.events[0]).toMatchObject({ __typename: 'TaskStatusChanged', taskId: w.tasks.idle, scope });
    });
  });

  test('a subscriber never receives events of scopes it may not read, replayed or live', async () => {
    const replayAndLive = { f: null, since: '0' };
    const mallory = watch(connect('mallory'), liveEvents, replayAndLive);
    const alice = watch(connect('alice'), liveEvents, replayAndLive);
    const hpc = watch(connect('hpc'), liveEvents, replayAndLive);
    const createTask = async (as: Caller, transformationKey: string) =>
      (
        await request<{ createTasks: Array<{ id: string }> }>(as, 'mutation ($t: ID!) { createTasks(transformationKey: $t) { id } }', {
          t: transformationKey,
        })
      ).createTasks[0]!.id;

    // acme, then other, then acme again: events arrive in order, so once a subscriber has the last event
    // of its own scope, every event before it (of any scope) has been through its filter.
    const acmeFirst = await createTask('alice', w.network.transformationKey);
    const other = await createTask('mallory', w.malloryNetwork.transformationKey);
    const acmeLast = await createTask('alice', w.network.transformationKey);
    await eventually(() => mallory.events.some((e) => e.taskId === other), 'mallory’s own event');
    await eventually(() => alice.events.some((e) => e.taskId === acmeLast), 'alice’s own event');
    await eventually(() => hpc.events.some((e) => e.taskId === acmeLast), 'the worker’s event');

    expect(new Set(mallory.events.map((e) => e.scope))).toEqual(new Set([otherScope]));
    expect(mallory.events.map((e) => e.taskId)).not.toContain(acmeFirst);
    for (const watching of [alice, hpc]) {
      expect(new Set(watching.events.map((e) => e.scope))).toEqual(new Set([scope]));
      expect(watching.events.map((e) => e.taskId)).toEqual(expect.arrayContaining([w.tasks.live, w.tasks.stale, acmeFirst, acmeLast]));
      expect(watching.events.map((e) => e.taskId)).not.toContain(other);
    }
    expect([mallory, alice, hpc].map((watching) => watching.ended())).toEqual([undefined, undefined, undefined]);
  });

  test('a revoked token runs nothing more on its open connection, and its live subscription is closed with 4403', async () => {
    const { issueToken } = await request<{ issueToken: { token: string; info: { id: string } } }>(
      'alice',
      'mutation ($id: ID!) { issueToken(identityId: $id, label: "socket") { token info { id } } }',
      { id: w.identityIds.alice },
    );
    const connection = connect({ token: issueToken.token });
    const live = watch(connection, liveEvents, { f: { scope } });
    const first = watch(connection, liveEvents, { f: { taskId: w.tasks.idle }, since: '0' });
    await eventually(() => first.events.length > 0, 'an event before revocation');

    await request('alice', 'mutation ($id: ID!) { revokeToken(tokenId: $id) { revokedAt } }', { id: issueToken.info.id });
    // At once, not at the next periodic re-check: the next operation on the socket is refused.
    const after = watch(connection, liveEvents, { f: { taskId: w.tasks.idle }, since: '0' });
    await eventually(() => after.ended() !== undefined, 'the refusal after revocation');
    expect(after.events).toEqual([]);
    expect(connection.closedWith()).toBe(4403);
    expect(live.ended()).toEqual({ closeCode: 4403 });

    // The same token cannot open a new connection either.
    const again = connect({ token: issueToken.token });
    const refused = watch(again, liveEvents, { f: { scope } });
    await eventually(() => refused.ended() !== undefined, 'the refused reconnection');
    expect(again.closedWith()).toBe(4403);
  });

  test('a live subscription whose token is revoked elsewhere is closed with 4403 without any new operation', async () => {
    const { issueToken } = await request<{ issueToken: { token: string; info: { id: string } } }>(
      'alice',
      'mutation ($id: ID!) { issueToken(identityId: $id, label: "idle socket") { token info { id } } }',
      { id: w.identityIds.alice },
    );
    const connection = connect({ token: issueToken.token });
    const live = watch(connection, liveEvents, { f: { taskId: w.tasks.idle }, since: '0' });
    await eventually(() => live.events.length > 0, 'the subscription to start');
    await request('admin', 'mutation ($id: ID!) { revokeToken(tokenId: $id) { revokedAt } }', { id: issueToken.info.id });
    await eventually(() => connection.closedWith() !== undefined, 'the connection to close', 4000);
    expect(connection.closedWith()).toBe(4403);
    expect(live.ended()).toEqual({ closeCode: 4403 });
  });

  test('a token that expires while its connection is open ends the connection with 4403', async () => {
    const { issueToken } = await request<{ issueToken: { token: string; info: { expiresAt: string } } }>(
      'admin',
      'mutation ($id: ID!) { issueToken(identityId: $id, label: "short", expiresInSeconds: 2) { token info { expiresAt } } }',
      { id: w.identityIds.alice },
    );
    const connection = connect({ token: issueToken.token });
    const live = watch(connection, liveEvents, { f: { taskId: w.tasks.idle }, since: '0' });
    await eventually(() => live.events.length > 0 || live.ended() !== undefined, 'the subscription to start');
    expect(live.events.length).toBeGreaterThan(0);
    await eventually(() => connection.closedWith() !== undefined, 'the connection to close', 4000);
    expect(connection.closedWith()).toBe(4403);
    expect(Date.now()).toBeGreaterThanOrEqual(new Date(issueToken.info.expiresAt).getTime());
  });
});
