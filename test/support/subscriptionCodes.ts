import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

/**
 * Subscribes once over graphql-ws and resolves with the error codes the subscription ended with (a
 * refusal when subscribing), or a marker when an event or a plain completion came instead.
 */
export async function subscriptionCodes(
  serverUrl: string,
  token: string,
  query: string,
  variables: Record<string, unknown>,
): Promise<string[]> {
  const client = createClient({
    url: serverUrl.replace(/^http/, 'ws') + '/graphql',
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
  });
  try {
    return await new Promise<string[]>((resolve, reject) => {
      client.subscribe(
        { query, variables },
        {
          next: (value) => resolve(value.errors === undefined ? ['an event'] : value.errors.map((e) => String(e.extensions?.['code']))),
          error: (error) =>
            Array.isArray(error)
              ? resolve((error as Array<{ extensions?: { code?: string } }>).map((e) => String(e.extensions?.code)))
              : reject(new Error(`the connection ended: ${JSON.stringify(error)}`)),
          complete: () => resolve(['completed without a refusal']),
        },
      );
    });
  } finally {
    await client.dispose();
  }
}
