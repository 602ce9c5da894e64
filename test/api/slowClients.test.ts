import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Principal } from '../../src/domain/principal.js';
import { createNetwork, diamondDag } from '../support/fixtures.js';
import { trackSocket } from '../support/leftovers.js';
import { createIdentity, startTestApp } from '../support/testApp.js';
import type { TestApp } from '../support/testApp.js';

/**
 * Clients that send slowly must not hold connections for as long as they like: headers within
 * DAGKEEPER_HEADERS_TIMEOUT_MS, a GraphQL body whole within DAGKEEPER_BODY_TIMEOUT_MS, and an upload
 * through a signed object URL (which may stream gigabytes) never pausing longer than that. Real sockets,
 * sending a byte at a time.
 */

const bodyTimeoutMs = 2_000;
const headersTimeoutMs = 2_000;
/** Room for a busy machine between a deadline and the connection actually closing. */
const slackMs = 20_000;

interface Exchange {
  /** The status line's code, 0 if nothing came back. */
  status: number;
  body: string;
  /** From the moment the request's head was complete (or, trickling the head, from the first byte) to the close. */
  closedAfterMs: number;
}

/**
 * Sends `head` (all at once, or a piece every `everyMs` when `trickleHead`), then the body's pieces one
 * every `everyMs`, and stops sending the moment an answer starts; resolves when the server closes the
 * connection (the requests here ask it to close after answering).
 */
function exchange(url: URL, head: string, bodyPieces: string[], options: { everyMs: number; trickleHead?: boolean }): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    trackSocket(socket, `a slow client of ${url.host}`);
    let received = '';
    let answered = false;
    let startedAt = 0;
    const deadline = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the connection open for ${slackMs * 2} ms; received: ${received.slice(0, 200)}`));
    }, slackMs * 2);
    socket.on('data', (chunk: Buffer) => {
      answered = true;
      received += chunk.toString('utf8');
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(deadline);
      const [headers = '', body = ''] = received.split('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(headers)?.[1] ?? 0), body, closedAfterMs: performance.now() - startedAt });
    });
    socket.on('connect', async () => {
      const pieces = options.trickleHead === true ? [...head.match(/[\s\S]{1,8}/g)!, ...bodyPieces] : [head, ...bodyPieces];
      startedAt = performance.now();
      for (const [index, piece] of pieces.entries()) {
        if (answered || socket.destroyed) return;
        socket.write(piece);
        if (index === 0 && options.trickleHead !== true) startedAt = performance.now();
        if (index < pieces.length - 1) await sleep(options.everyMs);
      }
    });
  });
}

const codeOf = (exchanged: Exchange): string | undefined => {
  const body = JSON.parse(exchanged.body) as { errors?: Array<{ extensions: { code: string } }>; error?: { code: string } };
  return body.errors?.[0]?.extensions.code ?? body.error?.code;
};

describe('slow clients (server in-process, PGlite, local object store)', () => {
  let server: TestApp;
  let url: URL;
  beforeAll(async () => {
    server = await startTestApp('pglite', {
      DAGKEEPER_BODY_TIMEOUT_MS: String(bodyTimeoutMs),
      DAGKEEPER_HEADERS_TIMEOUT_MS: String(headersTimeoutMs),
      // The uploads' compute service never heartbeats; it must outlive the file, however slow the machine.
      DAGKEEPER_COMPUTE_EXPIRY_SECONDS: '3600',
    });
    url = new URL(server.app.url);
  });
  afterAll(async () => {
    await server?.close();
  });

  const graphqlHead = (token: string, length: number) =>
    `POST /graphql HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\nAuthorization: Bearer ${token}\r\n` +
    `Content-Length: ${length}\r\nConnection: close\r\n\r\n`;

  test('50 authenticated GraphQL requests trickling their bodies are answered 408 REQUEST_TIMEOUT and closed once the body timeout passes', async () => {
    const body = JSON.stringify({ query: `{ viewer { name } } # ${'x'.repeat(200)}` });
    // One byte every 100 ms: the whole body would take 20 s.
    const trickled = await Promise.all(
      Array.from({ length: 50 }, () => exchange(url, graphqlHead(server.adminToken, body.length), [...body], { everyMs: 100 })),
    );
    for (const exchanged of trickled) {
      expect({ status: exchanged.status, code: codeOf(exchanged) }).toEqual({ status: 408, code: 'REQUEST_TIMEOUT' });
      expect(exchanged.closedAfterMs).toBeGreaterThanOrEqual(bodyTimeoutMs - 50);
      expect(exchanged.closedAfterMs).toBeLessThan(bodyTimeoutMs + slackMs);
    }
    // The server is none the worse for it.
    await expect(server.admin.request('{ viewer { name } }')).resolves.toEqual({ viewer: { name: 'admin' } });
  });

  test('a GraphQL body that arrives in a few pieces within the body timeout is served', async () => {
    const body = JSON.stringify({ query: '{ viewer { name } }' });
    const pieces = [body.slice(0, 5), body.slice(5, 12), body.slice(12)];
    const exchanged = await exchange(url, graphqlHead(server.adminToken, body.length), pieces, { everyMs: 100 });
    expect(exchanged.status).toBe(200);
    expect(JSON.parse(exchanged.body)).toEqual({ data: { viewer: { name: 'admin' } } });
  });

  test('headers trickling in are answered 408 and closed once the headers timeout passes', async () => {
    // Never-ending headers, eight bytes every 100 ms.
    const head = `GET /healthz HTTP/1.1\r\nHost: ${url.host}\r\n${Array.from({ length: 200 }, (_, i) => `X-Filler-${i}: ${'y'.repeat(20)}\r\n`).join('')}\r\n`;
    const exchanged = await exchange(url, head, [], { everyMs: 100, trickleHead: true });
    expect(exchanged.status).toBe(408);
    expect(exchanged.closedAfterMs).toBeGreaterThanOrEqual(headersTimeoutMs - 50);
    expect(exchanged.closedAfterMs).toBeLessThan(headersTimeoutMs + slackMs);
  });

  describe('uploads through signed object URLs', () => {
    let worker: Principal;
    let claimToken: string;
    beforeAll(async () => {
      const services = server.app.services;
      const user = (await services.identities.authenticate(
        (await createIdentity(server.admin, { kind: 'USER', name: 'alice', scopes: ['acme-c1-p1'] })).token,
      ))!;
      worker = (await services.identities.authenticate(
        (await createIdentity(server.admin, { kind: 'COMPUTE', name: 'hpc', scopes: ['acme-c1-p1'] })).token,
      ))!;
      const net = await createNetwork(services, user);
      const [task] = await services.tasks.create(user, net.transformations[0]!.scopedKey, 1, { dag: diamondDag });
      await services.tasks.action(user, net.network.scopedKey, [task!.id]);
      const serviceId = (await services.compute.register(worker, 'hpc-1')).id;
      const [claim] = await services.claims.claim(worker, serviceId, 1, ['demo']);
      claimToken = claim!.claimToken;
    });

    const putHead = (signed: URL, length: number) =>
      `PUT ${signed.pathname}${signed.search} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Length: ${length}\r\nConnection: close\r\n\r\n`;

    test('one that stops sending is answered 408 REQUEST_TIMEOUT and closed once it paused for the body timeout; nothing is stored', async () => {
      const ticket = await server.app.services.resultFiles.createUpload(worker, claimToken, {
        unitKey: 'setup',
        path: 'stalled.bin',
        size: 4096,
      });
      const exchanged = await exchange(url, putHead(new URL(ticket.url!), 4096), ['z'.repeat(1000)], { everyMs: 100 });
      expect({ status: exchanged.status, code: codeOf(exchanged) }).toEqual({ status: 408, code: 'REQUEST_TIMEOUT' });
      expect(exchanged.closedAfterMs).toBeGreaterThanOrEqual(bodyTimeoutMs - 50);
      expect(exchanged.closedAfterMs).toBeLessThan(bodyTimeoutMs + slackMs);
      const writtenKey = decodeURIComponent(new URL(ticket.url!).pathname.slice('/objects/'.length));
      expect(await server.app.objects.stat(writtenKey)).toBeNull();
    });

    test('one that keeps sending, slowly, for longer than the body timeout in all is stored whole', async () => {
      const bytes = 'w'.repeat(4096);
      const ticket = await server.app.services.resultFiles.createUpload(worker, claimToken, {
        unitKey: 'setup',
        path: 'slow.bin',
        size: bytes.length,
      });
      // 41 pieces 100 ms apart: about four seconds in all, never a pause near the timeout.
      const pieces = bytes.match(/[\s\S]{1,100}/g)!;
      const started = performance.now();
      const exchanged = await exchange(url, putHead(new URL(ticket.url!), bytes.length), pieces, { everyMs: 100 });
      expect(performance.now() - started).toBeGreaterThan(bodyTimeoutMs);
      expect(exchanged.status).toBe(200);
      const file = await server.app.services.resultFiles.commit(
        worker,
        claimToken,
        ticket.uploadId,
        [],
        createHash('sha256').update(bytes).digest('hex'),
      );
      expect(file).toMatchObject({ path: 'slow.bin', size: 4096 });
    });
  });
});
