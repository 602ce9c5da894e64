import { globalAgent, request } from 'node:http';
import type { Agent } from 'node:http';
import { keepAliveAgent } from '../../src/net/keepAliveAgent.js';
import { startS3rver } from '../support/s3rver.js';
import type { S3TestServer } from '../support/s3rver.js';

/** Holds this process's event loop: nothing it receives meanwhile (an answer, a FIN) is read. */
function holdEventLoop(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spin
  }
}

/**
 * The "socket hang up" seen on busy machines, reproduced step by step against a real server process
 * that closes idle connections as Node's servers do (5 s, announced as `Keep-Alive: timeout=5`, closed
 * a second later). The client is too busy to read the answer for 2.5 s, so its idle timer starts late;
 * the server closes the connection 6 s after answering; the client, busy again from 5.8 s to 8.8 s (so
 * it reads neither the FIN nor its own idle timer), then writes its next request onto the pooled
 * connection. Long holds keep the order of these events even when a loaded machine runs timers late.
 */
async function requestAfterALateRead(server: S3TestServer, agent: Agent): Promise<{ reused: boolean }> {
  const get = (whenSent?: () => void) =>
    new Promise<{ reused: boolean }>((resolve, reject) => {
      const sent = request({ host: server.endPoint, port: server.port, path: `/${server.bucket}`, agent }, (answer) => {
        answer.resume();
        answer.on('end', () => resolve({ reused: sent.reusedSocket }));
      });
      sent.on('error', reject);
      sent.on('finish', () => whenSent?.());
      sent.end();
    });
  await get(() => holdEventLoop(2_500));
  // Timed from reading the answer, 2.5 s after it was sent: the fault's own timeline, not a wait for an outcome.
  await new Promise((resolve) => setTimeout(resolve, 3_300));
  holdEventLoop(3_000);
  return get();
}

describe('idle keep-alive connections and a server that closes them after 5 s (real s3rver process)', () => {
  let server: S3TestServer;

  beforeAll(async () => {
    server = await startS3rver('keep-alive', { keepAliveTimeoutMs: 5_000 });
  });
  afterAll(async () => {
    await server?.close();
  });

  test("dagkeeper's agent has let the idle connection go, so the late request goes on a new one and is answered", async () => {
    await expect(requestAfterALateRead(server, keepAliveAgent('http:'))).resolves.toEqual({ reused: false });
  });

  test("Node's default agent, on the same timeline, writes onto the closed connection and hangs up (the cause)", async () => {
    await expect(requestAfterALateRead(server, globalAgent)).rejects.toMatchObject({ code: 'ECONNRESET' });
  });
});
