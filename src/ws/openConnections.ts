import type { WebSocket } from 'ws';
import type { Revoked } from '../domain/identities/RevocationFeed.js';
import type { Principal } from '../domain/principal.js';
import type { Logger } from '../observability/logger.js';

/** The close code of a connection whose token no longer lets it in (graphql-ws's Forbidden). */
export const forbiddenCloseCode = 4403;

/** setTimeout takes at most this many milliseconds (about 24.8 days); a later expiry is re-armed. */
const longestTimerMs = 2 ** 31 - 1;

interface Connection {
  token: string;
  principal: Principal;
  log: Logger;
  expiry: NodeJS.Timeout | undefined;
}

/** A principal's rights, to notice when they changed under an open connection. */
const rightsOf = (p: Principal): string => JSON.stringify([p.identityId, p.kind, p.isAdmin, p.scopes]);

/**
 * The authenticated WebSocket connections of this replica, and every way one ends because its token
 * no longer lets it in: revoked or disabled (closed as the revocation's notice arrives), expired
 * (closed by a timer at the moment of expiry), or with changed rights (the periodic re-check). A
 * connection is forgotten the moment it is refused, and nothing is sent to a socket this registry
 * does not hold, so no event follows a refusal.
 */
export class OpenConnections {
  private readonly open = new Map<WebSocket, Connection>();

  add(socket: WebSocket, token: string, principal: Principal, log: Logger): void {
    const connection: Connection = { token, principal, log, expiry: undefined };
    this.open.set(socket, connection);
    this.armExpiry(socket, connection);
  }

  has(socket: WebSocket): boolean {
    return this.open.has(socket);
  }

  /** Whether a result may still be sent on `socket`: known, and its token not expired. Refuses it otherwise. */
  mayReceive(socket: WebSocket): boolean {
    const connection = this.open.get(socket);
    if (connection === undefined) {
      socket.close(forbiddenCloseCode, 'Forbidden: token no longer valid');
      return false;
    }
    if (expired(connection.principal)) {
      this.refuse(socket, 'token expired');
      return false;
    }
    return true;
  }

  /** Whether `now` is still the connection's principal with the same rights; refuses the connection otherwise. */
  confirm(socket: WebSocket, now: Principal | null): boolean {
    const connection = this.open.get(socket);
    if (connection !== undefined && now !== null && rightsOf(now) === rightsOf(connection.principal)) return true;
    this.refuse(socket, now === null ? 'token no longer valid' : 'rights changed; reconnect');
    return false;
  }

  tokenOf(socket: WebSocket): string | undefined {
    return this.open.get(socket)?.token;
  }

  /** Closes every connection the revocation ends: those of the token, or of the whole identity. */
  closeRevoked(revoked: Revoked): void {
    for (const [socket, { principal }] of this.open) {
      if (revoked.tokenId === null ? principal.identityId === revoked.identityId : principal.tokenId === revoked.tokenId) {
        this.refuse(socket, revoked.tokenId === null ? 'identity disabled' : 'token revoked');
      }
    }
  }

  /** Each open connection's token and socket, for the periodic re-check. */
  entries(): Array<[WebSocket, string]> {
    return [...this.open].map(([socket, connection]) => [socket, connection.token]);
  }

  /** The socket closed (for whatever reason): forget it. */
  remove(socket: WebSocket): boolean {
    const connection = this.open.get(socket);
    if (connection === undefined) return false;
    clearTimeout(connection.expiry);
    this.open.delete(socket);
    return true;
  }

  refuse(socket: WebSocket, reason: string): void {
    const connection = this.open.get(socket);
    this.remove(socket);
    connection?.log.info({ reason }, 'closing websocket connection');
    socket.close(forbiddenCloseCode, `Forbidden: ${reason}`);
  }

  private armExpiry(socket: WebSocket, connection: Connection): void {
    const expiresAt = connection.principal.tokenExpiresAt;
    if (expiresAt === null || expiresAt === undefined) return;
    const delay = Math.min(Math.max(expiresAt.getTime() - Date.now(), 0), longestTimerMs);
    connection.expiry = setTimeout(() => {
      if (this.open.get(socket) !== connection) return;
      // A timer may fire a little early, and a far expiry takes several timers: check the clock.
      if (expired(connection.principal)) this.refuse(socket, 'token expired');
      else this.armExpiry(socket, connection);
    }, delay);
    connection.expiry.unref();
  }
}

const expired = (principal: Principal): boolean =>
  principal.tokenExpiresAt !== null && principal.tokenExpiresAt !== undefined && principal.tokenExpiresAt.getTime() <= Date.now();
