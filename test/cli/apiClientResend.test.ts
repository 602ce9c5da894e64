import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { buildSchema } from 'graphql';
import { ApiClient, ApiError } from '../../src/client/ApiClient.js';
import { idempotentMutations, isIdempotentOperation } from '../../src/client/idempotentOperations.js';

/** What the loopback server received: on which connection, the how-manieth request on it, which document. */
interface Received {
  connection: number;
  nth: number;
  query: string;
}

type Policy = (received: Received) => 'answer' | 'reset' | 'reset mid-answer';

/**
 * A real HTTP server on loopback that keeps connections alive and, as `policy` says, drops a request's
 * connection before answering (what a client sees when it writes onto a kept-alive connection the
 * server is closing) or in the middle of the answer.
 */
async function startServer(): Promise<{ url: string; received: Received[]; policy: { current: Policy }; close(): Promise<void> }> {
  const received: Received[] = [];
  const policy = { current: (() => 'answer') as Policy };
  const sockets = new Set<Socket>();
  const connectionIds = new WeakMap<Socket, { id: number; requests: number }>();
  let connections = 0;
  const server: Server = createServer({ keepAliveTimeout: 60_000 }, (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const connection = connectionIds.get(request.socket)!;
      connection.requests += 1;
      const seen = {
        connection: connection.id,
        nth: connection.requests,
        query: (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { query: string }).query,
      };
      received.push(seen);
      const what = policy.current(seen);
      if (what === 'reset') {
        request.socket.destroy();
        return;
      }
      const body = JSON.stringify({ data: { answeredOn: seen.connection } });
      if (what === 'reset mid-answer') {
        response.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length) });
        response.write(body.slice(0, 5), () => request.socket.destroy());
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(body);
    });
  });
  server.on('connection', (socket: Socket) => {
    connections += 1;
    connectionIds.set(socket, { id: connections, requests: 0 });
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    policy,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Every request but `{ first }` finds its connection closed, whichever connection it came on. */
const resetAfterTheFirst: Policy = (r) => (r.query === '{ first }' ? 'answer' : 'reset');

/** The first sending of each document after `{ first }` finds its connection closed; a second sending is answered. */
function resetEachDocumentOnce(): Policy {
  const seen = new Set<string>();
  return (r) => {
    if (r.query === '{ first }' || seen.has(r.query)) return 'answer';
    seen.add(r.query);
    return 'reset';
  };
}

const unreachable = async (promise: Promise<unknown>): Promise<string> => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiError);
  return (error as ApiError).code;
};

describe('the API client when the server closes a connection instead of answering (real HTTP server on loopback)', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  let client: ApiClient;

  beforeAll(async () => {
    server = await startServer();
  });
  beforeEach(() => {
    server.received.length = 0;
    server.policy.current = () => 'answer';
    client = new ApiClient(server.url, 'dkt_test');
  });
  afterAll(async () => {
    await server?.close();
  });

  test('a query whose connection closes before any answer is sent again on a new connection and answered', async () => {
    server.policy.current = resetEachDocumentOnce();
    await client.request('{ first }');
    const answer = await client.request<{ answeredOn: number }>('query ($id: ID!) { task(id: $id) { id } }', { id: 't' });
    const [, reset, resent] = server.received;
    expect(server.received).toHaveLength(3);
    expect(resent).toMatchObject({ nth: 1, query: reset!.query });
    expect(resent!.connection).not.toBe(reset!.connection);
    expect(answer.answeredOn).toBe(resent!.connection);
  });

  test('idempotent mutations the worker sends (a unit result, a heartbeat) are sent again the same way', async () => {
    server.policy.current = resetEachDocumentOnce();
    await client.request('{ first }');
    await client.request('mutation ($c: String!, $r: UnitResultInput!) { submitUnitResult(claimToken: $c, result: $r) { id } }', {
      c: 'dkc_x',
      r: {},
    });
    await client.request('mutation ($id: ID!) { heartbeat(computeServiceId: $id) { id } }', { id: 's' });
    expect(server.received.map((r) => r.query.match(/\{ (\w+)/)![1])).toEqual([
      'first',
      'submitUnitResult',
      'submitUnitResult',
      'heartbeat',
      'heartbeat',
    ]);
    const [, unitReset, unitResent, heartbeatReset, heartbeatResent] = server.received;
    expect(unitResent!.connection).not.toBe(unitReset!.connection);
    expect(heartbeatResent!.connection).not.toBe(heartbeatReset!.connection);
  });

  test('a claim is not sent again: the caller gets UNREACHABLE and the server saw it once', async () => {
    server.policy.current = resetAfterTheFirst;
    await client.request('{ first }');
    const claim = 'mutation ($id: ID!) { claimTasks(computeServiceId: $id, count: 1) { token } }';
    expect(await unreachable(client.request(claim, { id: 's' }))).toBe('UNREACHABLE');
    expect(server.received.filter((r) => r.query === claim)).toHaveLength(1);
  });

  test('a connection lost after the answer began is not sent again, even for a query: UNREACHABLE, sent once', async () => {
    server.policy.current = (r) => (r.query === '{ second }' ? 'reset mid-answer' : 'answer');
    await client.request('{ first }');
    expect(await unreachable(client.request('{ second }'))).toBe('UNREACHABLE');
    expect(server.received.filter((r) => r.query === '{ second }')).toHaveLength(1);
  });

  test('a server that closes every connection without answering gets a query twice, the second time on a new connection, then UNREACHABLE', async () => {
    await client.request('{ first }');
    server.policy.current = () => 'reset';
    expect(await unreachable(client.request('{ second }'))).toBe('UNREACHABLE');
    const sent = server.received.filter((r) => r.query === '{ second }');
    expect(sent).toHaveLength(2);
    expect(sent[1]!.connection).not.toBe(sent[0]!.connection);
  });

  test('a client asked from many callers at once answers each of them (connections pooled)', async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => client.request<{ answeredOn: number }>(`{ q${i} }`)));
    expect(answers).toHaveLength(20);
    expect(server.received.map((r) => r.query).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `{ q${i} }`).sort());
  });
});

describe('which operations the client may send twice', () => {
  test('queries and idempotent mutations; not claims, registrations, task or upload creation', () => {
    expect(isIdempotentOperation('{ viewer { name } }')).toBe(true);
    expect(isIdempotentOperation('query ($id: ID!) { task(id: $id) { id } }')).toBe(true);
    expect(isIdempotentOperation('mutation ($c: String!, $u: ID!) { commitResultFile(claimToken: $c, uploadId: $u) { id } }')).toBe(true);
    expect(isIdempotentOperation('mutation ($c: String!) { startUnit(claimToken: $c, unitKey: "u") }')).toBe(true);
    expect(isIdempotentOperation('mutation ($id: ID!) { claimTasks(computeServiceId: $id) { token } }')).toBe(false);
    expect(isIdempotentOperation('mutation ($n: String!) { registerComputeService(name: $n) { id } }')).toBe(false);
    expect(isIdempotentOperation('mutation ($t: ID!) { createTasks(transformationKey: $t) { id } }')).toBe(false);
    expect(
      isIdempotentOperation(
        'mutation ($c: String!) { createResultFileUpload(claimToken: $c, unitKey: "u", path: "p", size: 1) { uploadId } }',
      ),
    ).toBe(false);
    // One field that is not idempotent makes the whole document so.
    expect(
      isIdempotentOperation('mutation ($id: ID!) { heartbeat(computeServiceId: $id) { id } claimTasks(computeServiceId: $id) { token } }'),
    ).toBe(false);
    expect(isIdempotentOperation('subscription { taskEvents { cursor } }')).toBe(false);
    expect(isIdempotentOperation('{ not closed')).toBe(false);
  });

  test('every mutation named idempotent is a mutation of schema.graphql', () => {
    const schema = buildSchema(readFileSync(new URL('../../schema.graphql', import.meta.url), 'utf8'));
    const mutations = Object.keys(schema.getMutationType()!.getFields());
    expect(mutations).toEqual(expect.arrayContaining([...idempotentMutations]));
  });
});
