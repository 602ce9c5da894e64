import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { trackServer } from '../../support/leftovers.js';

/**
 * A loopback HTTP server that serves fixed bytes by path and counts the GETs of each: what an input
 * object's download URL gives, minus the signing. A held path answers its headers at once and its body
 * only once released, so a test can see what happens while a download is under way.
 */
export interface ByteServer {
  url(path: string): string;
  serve(path: string, body: Buffer): void;
  hold(path: string): void;
  release(path: string): void;
  hits(path: string): number;
  close(): Promise<void>;
}

export async function startByteServer(): Promise<ByteServer> {
  const bodies = new Map<string, Buffer>();
  const hits = new Map<string, number>();
  const held = new Map<string, Array<() => void>>();
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://loopback').pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const body = bodies.get(path);
    if (body === undefined) {
      response.writeHead(404).end('no such object');
      return;
    }
    response.writeHead(200, { 'content-length': body.length });
    response.flushHeaders();
    const waiting = held.get(path);
    if (waiting === undefined) response.end(body);
    else waiting.push(() => response.end(body));
  });
  const tracked = trackServer(server, 'byte server of the input cache tests');
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: (path) => `${base}${path}`,
    serve: (path, body) => bodies.set(path, body),
    hold: (path) => held.set(path, []),
    release: (path) => {
      const waiting = held.get(path) ?? [];
      held.delete(path);
      for (const finish of waiting) finish();
    },
    hits: (path) => hits.get(path) ?? 0,
    close: async () => {
      for (const path of [...held.keys()]) {
        const waiting = held.get(path) ?? [];
        held.delete(path);
        for (const finish of waiting) finish();
      }
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      tracked.untrack();
    },
  };
}
