import { request } from 'node:http';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { jsonOf } from '../support/http.js';
import type { ErrorBody, GraphQLBody } from '../support/http.js';
import { startTestApp } from '../support/testApp.js';
import type { TestApp } from '../support/testApp.js';

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
      method: 'POST', headers, body: JSON.stringify({ query: `{ viewer { id } } # ${'x'.repeat(2 * 1024 * 1024)}` }),
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
  test('an in-flight request completes, WebSocket clients are told the server is going away, then the port closes', async () => {
    const server = await startTestApp('pglite');
    const wsClosed = new Promise<number>((resolve) => {
      const client = createClient({
        url: server.app.url.replace(/^http/, 'ws') + '/graphql',
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${server.adminToken}` },
        retryAttempts: 0,
        lazy: false,
        onNonLazyError: () => undefined,
        on: { closed: (event) => resolve((event as { code: number }).code) },
      });
      client.on('connected', () => undefined);
    });
    await new Promise((resolve) => setTimeout(resolve, 200));

    // A request whose body is still arriving when shutdown begins.
    const url = new URL(`${server.app.url}/graphql`);
    const body = JSON.stringify({ query: '{ viewer { name } }' });
    const slow = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${server.adminToken}` },
      }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => { text += chunk.toString(); });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', reject);
      req.write(body.slice(0, 5));
      setTimeout(() => req.end(body.slice(5)), 300);
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const stopped = server.close();

    const answered = await slow;
    expect(answered.status).toBe(200);
    expect(JSON.parse(answered.text).data.viewer.name).toBe('admin');
    expect(await wsClosed).toBe(1001);
    await stopped;
    await expect(fetch(`${server.app.url}/healthz`)).rejects.toThrow();
  });
});
