import { createClient } from 'graphql-ws';
import type { Client } from 'graphql-ws';
import WebSocket from 'ws';
import { trackGraphQLWsClient } from './leftovers.js';

export interface ReceivedEvent {
  __typename: string;
  cursor: string;
  taskId: string;
  scope: string;
  transformationKey: string;
  from?: string | null;
  to?: string;
  unitKey?: string;
  ok?: boolean;
  attempt?: number;
  file?: { path: string; size: number; sha256: string; downloadUrl: string };
  dagResultId?: string;
  computeServiceName?: string;
  networkKeys?: string[];
  value?: number | null;
  uncertainty?: number | null;
  unit?: string | null;
  n?: number;
}

export const taskEventsSubscription = `
  subscription ($filter: TaskEventFilter, $since: ID) {
    taskEvents(filter: $filter, since: $since) {
      __typename cursor taskId scope transformationKey
      ... on TaskStatusChanged { from to }
      ... on UnitResultRecorded { unitKey ok attempt }
      ... on ResultFileAvailable { file { path size sha256 downloadUrl } }
      ... on ProtocolDAGResultRecorded { dagResultId ok }
      ... on ComputeServiceExpired { computeServiceName }
      ... on EstimateChanged { networkKeys value uncertainty unit n }
    }
  }`;

export interface EventStream {
  readonly events: ReceivedEvent[];
  /** The error the subscription ended with (its extensions.code), if it ended with one. */
  readonly errorCode: string | undefined;
  readonly closeCode: number | undefined;
  /** Resolves when `predicate` holds for what has arrived; rejects after `timeoutMs`. */
  waitFor(predicate: (events: ReceivedEvent[]) => boolean, timeoutMs?: number): Promise<ReceivedEvent[]>;
  close(): Promise<void>;
}

/**
 * A `taskEvents` subscription over graphql-ws, collecting what arrives. The server registers it a
 * little after the socket connects; a test that must see everything passes `since` (e.g. "0").
 */
export async function subscribeToTaskEvents(
  serverUrl: string,
  token: string,
  variables: { filter?: Record<string, string>; since?: string } = {},
): Promise<EventStream> {
  const events: ReceivedEvent[] = [];
  let errorCode: string | undefined;
  let closeCode: number | undefined;
  const listeners = new Set<() => void>();
  const changed = () => {
    for (const listener of listeners) listener();
  };
  const client: Client = createClient({
    url: serverUrl.replace(/^http/, 'ws') + '/graphql',
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
    on: {
      closed: (event) => {
        closeCode = (event as { code: number }).code;
        changed();
      },
    },
  });
  trackGraphQLWsClient(client, `taskEvents subscription to ${serverUrl}`);
  await new Promise<void>((resolve, reject) => {
    const off = client.on('connected', () => {
      off();
      resolve();
    });
    client.on('closed', (event) => reject(new Error(`websocket closed with ${(event as { code: number }).code}`)));
    client.subscribe<{ taskEvents: ReceivedEvent }>(
      { query: taskEventsSubscription, variables },
      {
        next: (value) => {
          if (value.data?.taskEvents !== undefined) events.push(value.data.taskEvents);
          const code = (value.errors?.[0] as { extensions?: { code?: string } } | undefined)?.extensions?.code;
          if (code !== undefined) errorCode = code;
          changed();
        },
        error: (error) => {
          // A closed socket reaches the sink as its CloseEvent, sometimes before \`on.closed\` runs.
          if (typeof (error as { code?: unknown }).code === 'number') {
            closeCode = (error as { code: number }).code;
          } else {
            const list = Array.isArray(error) ? (error as Array<{ extensions?: { code?: string } }>) : [];
            errorCode = list[0]?.extensions?.code ?? 'ERROR';
          }
          changed();
        },
        complete: () => changed(),
      },
    );
  });
  return {
    events,
    get errorCode() {
      return errorCode;
    },
    get closeCode() {
      return closeCode;
    },
    waitFor(predicate, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (predicate(events)) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve(events);
          } else if (errorCode !== undefined || closeCode !== undefined) {
            listeners.delete(check);
            clearTimeout(timer);
            reject(
              new Error(
                `stream ended (${errorCode ?? closeCode}) after ${events.length} events: ${JSON.stringify(events.map((e) => e.__typename))}`,
              ),
            );
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(
            new Error(
              `timed out after ${events.length} events: ${JSON.stringify(events.map((e) => [e.__typename, e.to ?? e.unitKey ?? '']))}`,
            ),
          );
        }, timeoutMs);
        listeners.add(check);
        check();
      });
    },
    close: () => client.dispose() as Promise<void>,
  };
}
