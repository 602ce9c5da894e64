import { request } from 'node:http';
import { connect } from 'node:net';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { jsonOf } from '../support/http.js';
import type { ErrorBody, GraphQLBody } from '../support/http.js';
import { trackGraphQLWsClient } from '../support/leftovers.js';
import { startTestApp } from '../support/testApp.js';
import type { TestApp } from '../support/testApp.js';
import { waitFor } from '../support/waitFor.js';

describe('operational endpoints', () => {
  let server: TestApp;
  beforeAll(async () => {
    server = await startTestApp('pglite');
  });
  afterAll(async () => {
    await server.close();
  });

  test('/healthz reports each dependency', async () => {
    const response = await fetch(`${server.app.url}/healthz`);
    expect(await response.json()).toEqual({ status: 'ok', checks: { state: 'ok', objects: 'ok' } });
    expect(response.status).toBe(200);
  });

  test('/metrics counts requests, operations and refused tokens in Prometheus format', async () => {
    await server.admin.request('{ viewer { id } }');
    await fetch(`${server.app.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    const response = await fetch(`${server.app.url}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(text).toMatch(/dagkeeper_http_requests_total\{route="\/graphql",status="200"\} [1-9]/);
    expect(text).toMatch(/dagkeeper_graphql_operations_total\{type="query",outcome="ok"\} [1-9]/);
    expect(text).toMatch(/dagkeeper_auth_failures_total\{transport="http"\} [1-9]/);
    expect(text).toMatch(/dagkeeper_http_request_duration_seconds_bucket/);
  });

  test('every response carries a request id, echoing a sane incoming one', async () => {
    const echoed = await fetch(`${server.app.url}/healthz`, { headers: { 'x-request-id': 'trace-123' } });
    expect(echoed.headers.get('x-request-id')).toBe('trace-123');
    const fresh = await fetch(`${server.app.url}/healthz`, { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(fresh.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('unknown paths get a JSON 404', async () => {
    const response = await fetch(`${server.app.url}/nope`);
    expect(response.status).toBe(404);
    expect((await jsonOf<ErrorBody>(response)).error.code).toBe('NOT_FOUND');
  });

  test('an oversized GraphQL request is refused with PAYLOAD_TOO_LARGE, malformed JSON with BAD_USER_INPUT', async () => {
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${server.adminToken}` };
    const big = await fetch(`${server.app.url}/graphql`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ query: `{ viewer { id } } # ${'x'.repeat(2 * 1024 * 1024)}` }),
    });
    expect(big.status).toBe(413);
    expect((await jsonOf<GraphQLBody>(big)).errors?.[0]?.extensions.code).toBe('PAYLOAD_TOO_LARGE');
    const malformed = await fetch(`${server.app.url}/graphql`, { method: 'POST', headers, body: '{"query": ' });
    expect(malformed.status).toBe(400);
    expect((await jsonOf<GraphQLBody>(malformed)).errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
  });

  test('GraphQL validation errors name the problem with a stable code', async () => {
    const response = await fetch(`${server.app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${server.adminToken}` },
      body: JSON.stringify({ query: '{ viewer { noSuchField } }' }),
    });
    const body = await jsonOf<GraphQLBody>(response);
    expect(body.errors?.[0]?.extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(body.errors?.[0]?.message).toMatch(/noSuchField/);
  });
});

describe('graceful shutdown', () => {
  // Each step waits for what it needs to have happened, never for a guessed delay: the socket is
  // connected, the server holds the request (it answered 100 Continue to its headers), the port has
  // closed; only then does the body finish arriving.
  test('an in-flight request completes, WebSocket clients are told the server is going away, then the port closes', async () => {
    // The drain ends when the request does; a grace far beyond that keeps a loaded machine from reaching it.
    const server = await startTestApp('pglite', { DAGKEEPER_SHUTDOWN_GRACE_MS: '60000' });
    let connected = false;
    let closeCode: number | undefined;
    const client = createClient({
      url: server.app.url.replace(/^http/, 'ws') + '/graphql',
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${server.adminToken}` },
      retryAttempts: 0,
      lazy: false,
      onNonLazyError: () => undefined,
      on: {
        connected: () => {
          connected = true;
        },
        closed: (event) => {
          closeCode = (event as { code: number }).code;
        },
      },
    });
    trackGraphQLWsClient(client, "the shutdown test's graphql-ws client");
    await waitFor('the WebSocket to connect', () => connected);

    // A request whose body is still arriving when shutdown begins.
    const body = JSON.stringify({ query: '{ viewer { name } }' });
    const req = request(`${server.app.url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        authorization: `Bearer ${server.adminToken}`,
        expect: '100-continue',
      },
    });
    let taken = false;
    req.on('continue', () => {
      taken = true;
    });
    const answered = new Promise<{ status: number; text: string }>((resolve, reject) => {
      req.on('response', (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => {
          text += chunk.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', reject);
    });
    req.flushHeaders();
    await waitFor('the server to take the request', () => taken);
    req.write(body.slice(0, 5));

    const stopped = server.close();
    await waitFor('the port to close', () => refusesConnections(server.app.url));
    req.end(body.slice(5));

    const { status, text } = await answered;
    expect(status).toBe(200);
    expect(JSON.parse(text).data.viewer.name).toBe('admin');
    expect(await waitFor('the WebSocket to close', () => closeCode)).toBe(1001);
    await stopped;
    await expect(fetch(`${server.app.url}/healthz`)).rejects.toMatchObject({ cause: { code: 'ECONNREFUSED' } });
  });
});

/** Whether a new connection to the server is refused (a connection that is accepted is closed again). */
function refusesConnections(serverUrl: string): Promise<boolean> {
  const { hostname, port } = new URL(serverUrl);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}
