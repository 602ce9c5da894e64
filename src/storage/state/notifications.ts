import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

/** A LISTEN that stays up; `onWake` runs on each notification and after each reconnect (missed ones). */
export interface Listening {
  close(): Promise<void>;
}

/**
 * LISTEN on a dedicated connection (a pooled one would lose it on release). When the connection drops
 * it reconnects with backoff, and wakes once after reconnecting, because notifications sent while it
 * was down are gone: a notification is only a hint, the outbox table is the truth.
 */
export async function listenOnPostgres(
  url: string,
  channel: string,
  onWake: () => void,
  onError: (error: unknown) => void,
): Promise<Listening> {
  let client: pg.Client | undefined;
  let closed = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let delayMs = 250;

  const connect = async (): Promise<void> => {
    const next = new pg.Client({ connectionString: url });
    next.on('notification', (message) => {
      if (message.channel === channel) onWake();
    });
    next.on('error', (error) => {
      onError(error);
      reconnectSoon();
    });
    next.on('end', () => reconnectSoon());
    await next.connect();
    await next.query(`LISTEN "${channel}"`);
    if (closed) {
      await next.end().catch(() => undefined);
      return;
    }
    client = next;
    delayMs = 250;
  };

  const reconnectSoon = (): void => {
    if (closed || retryTimer !== undefined) return;
    client?.removeAllListeners('end');
    client = undefined;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      connect().then(onWake, (error: unknown) => {
        onError(error);
        delayMs = Math.min(delayMs * 2, 5_000);
        reconnectSoon();
      });
    }, delayMs);
    retryTimer.unref();
  };

  await connect();
  return {
    async close() {
      closed = true;
      if (retryTimer !== undefined) clearTimeout(retryTimer);
      const last = client;
      client = undefined;
      last?.removeAllListeners('end');
      await last?.end().catch(() => undefined);
    },
  };
}

/** PGlite runs in this process: its notifications arrive as callbacks, and it never disconnects. */
export async function listenOnPGlite(pglite: PGlite, channel: string, onWake: () => void): Promise<Listening> {
  const unlisten = await pglite.listen(channel, () => onWake());
  return { close: () => unlisten() };
}
