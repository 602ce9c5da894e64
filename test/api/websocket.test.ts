import { createClient } from 'graphql-ws';
import type { Client } from 'graphql-ws';
import WebSocket from 'ws';
import { createIdentity, startTestApp } from '../support/testApp.js';
import type { TestApp } from '../support/testApp.js';

function wsClient(server: TestApp, connectionParams: Record<string, unknown>, onClose?: (code: number) => void): Client {
  return createClient({
    url: server.app.url.replace(/^http/, 'ws') + '/graphql',
    webSocketImpl: WebSocket,
    connectionParams,
    retryAttempts: 0,
    lazy: true,
    on: { closed: (event) => onClose?.((event as { code: number }).code) },
  });
}

function runOnce<T>(client: Client, query: string): Promise<{ data?: T; errors?: Array<{ extensions?: { code?: string } }> }> {
  return new Promise((resolve, reject) => {
    let result: { data?: T } | undefined;
    client.subscribe<T>(
      { query },
      {
        next: (value) => {
          result = value as { data?: T };
        },
        error: reject,
        complete: () => resolve(result ?? {}),
      },
    );
  });
}

describe('GraphQL over WebSocket (graphql-ws) on the same path and port', () => {
  let server: TestApp;
  beforeAll(async () => {
    server = await startTestApp('postgres');
  });
  afterAll(async () => {
    await server.close();
  });

  test('an operation runs with the token from connection_init', async () => {
    const alice = await createIdentity(server.admin, { kind: 'USER', name: 'alice', scopes: ['acme-c1-p1'] });
    const client = wsClient(server, { authorization: `Bearer ${alice.token}` });
    try {
      const result = await runOnce<{ viewer: { name: string } }>(client, '{ viewer { name } }');
      expect(result.data?.viewer.name).toBe('alice');
    } finally {
      await client.dispose();
    }
  });

  test('a connection without a valid token is closed with 4403 before anything runs', async () => {
    for (const params of [{}, { authorization: 'Bearer dkt_' + 'y'.repeat(43) }]) {
      let closedWith: number | undefined;
      const client = wsClient(server, params, (code) => {
        closedWith = code;
      });
      await expect(runOnce(client, '{ viewer { name } }')).rejects.toMatchObject({ code: 4403 });
      expect(closedWith).toBe(4403);
      await client.dispose();
    }
  });

  test('domain refusals keep their codes over WebSocket too', async () => {
    const bob = await createIdentity(server.admin, { kind: 'USER', name: 'bob', scopes: ['acme-c1-p1'] });
    const client = wsClient(server, { authorization: `Bearer ${bob.token}` });
    try {
      const result = await runOnce(client, '{ identities { id } }');
      expect(result.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    } finally {
      await client.dispose();
    }
  });
});
