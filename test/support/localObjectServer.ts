import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSignedObjectHandler } from '../../src/http/objectRoutes.js';
import { LocalObjectStore } from '../../src/storage/objects/LocalObjectStore.js';
import { trackStoppable } from './leftovers.js';

export const TEST_SIGNING_SECRET = 'test-signing-secret-0123456789';

/**
 * A LocalObjectStore in a fresh temporary directory, with the real signed-URL route listening on
 * 127.0.0.1 at a free port, so presigned URLs work over plain HTTP exactly as clients use them.
 */
export interface LocalObjectServer {
  store: LocalObjectStore;
  root: string;
  baseUrl: string;
  close(): Promise<void>;
}

export async function startLocalObjectServer(): Promise<LocalObjectServer> {
  const root = await mkdtemp(join(tmpdir(), 'dagkeeper-objects-'));
  // Listen first: the store's public URL needs the port the server was given.
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const store = new LocalObjectStore({ root, publicBaseUrl: baseUrl, signingSecret: TEST_SIGNING_SECRET });
  await store.ensureReady();
  const handler = createSignedObjectHandler(store, {
    onUnexpectedError: (error) => console.error('object route failed', error),
  });
  server.on('request', (req, res) => {
    void handler(req, res, new URL(req.url ?? '/', baseUrl)).then((handled) => {
      if (!handled) res.writeHead(404).end();
    });
  });
  return {
    store,
    root,
    baseUrl,
    close: trackStoppable(`local object server at ${baseUrl}`, async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
      await rm(root, { recursive: true, force: true });
    }),
  };
}
