import type { Server } from 'node:http';
import { GraphQLError } from 'graphql';
import type { GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import type { Principal } from '../domain/principal.js';
import type { GraphQLContext } from '../graphql/context.js';
import { createFormatError } from '../graphql/formatError.js';
import type { RequestLimits } from '../graphql/limits/requestLimits.js';
import { operationPreparer } from '../graphql/prepareOperation.js';
import { bearerToken } from '../http/bearerToken.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';

export interface GraphQLWsOptions {
  httpServer: Server;
  path: string;
  schema: GraphQLSchema;
  authenticate: (token: string) => Promise<Principal | null>;
  makeContext: (principal: Principal, log: Logger) => GraphQLContext;
  log: Logger;
  metrics: Metrics;
  /** How often each connection's token is checked again; a revoked, expired or changed one ends it. */
  reauthenticateMs: number;
  /** The request limits HTTP has: operations are parsed, validated and coerced in prepareOperation.ts, not by graphql-ws. */
  limits: RequestLimits;
  /** Larger messages close the connection with 1009, as larger HTTP bodies get 413. */
  maxMessageBytes: number;
}

type ConnectionState = {
  principal?: Principal;
  log?: Logger;
};

/** A principal's rights, to notice when they changed under an open connection. */
const rightsOf = (p: Principal): string => JSON.stringify([p.identityId, p.kind, p.isAdmin, p.scopes]);

/**
 * graphql-ws on the same path and port as HTTP GraphQL. The token comes in the connection_init payload
 * (`{ authorization: "Bearer …" }`) or the upgrade request's Authorization header; a connection without
 * a valid one is closed with 4403 before any operation runs. Subscriptions can outlive a token, so every
 * connection's token is checked again periodically: revoked, expired, or with different rights, the
 * connection is closed with 4403 (a client reconnects and subscribes under its current rights).
 */
export function startGraphQLWsServer(options: GraphQLWsOptions): { stop(): Promise<void> } {
  const wss = new WebSocketServer({ server: options.httpServer, path: options.path, maxPayload: options.maxMessageBytes });
  const formatError = createFormatError(options.log);
  const prepareOperation = operationPreparer(options.schema, options.limits);
  let connectionNumber = 0;
  const open = new Map<WebSocket, { token: string; principal: Principal; log: Logger }>();
  const recheck = setInterval(() => {
    for (const [socket, connection] of open) {
      options.authenticate(connection.token).then((now) => {
        if (now !== null && rightsOf(now) === rightsOf(connection.principal)) return;
        connection.log.info({ reason: now === null ? 'token no longer valid' : 'rights changed' }, 'closing websocket connection');
        open.delete(socket);
        socket.close(4403, now === null ? 'Forbidden: token no longer valid' : 'Forbidden: rights changed; reconnect');
      }, (error: unknown) => connection.log.warn({ err: error }, 'could not re-check a websocket token; will retry'));
    }
  }, options.reauthenticateMs);
  recheck.unref();

  const cleanup = useServer<Record<string, unknown>, ConnectionState>(
    {
      schema: options.schema,
      onConnect: async (ctx) => {
        const fromPayload = ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization;
        const token = bearerToken(typeof fromPayload === 'string' ? fromPayload : ctx.extra.request.headers.authorization);
        const principal = token === null ? null : await options.authenticate(token);
        if (principal === null) {
          options.metrics.authFailures.inc({ transport: 'websocket' });
          return false;
        }
        ctx.extra.principal = principal;
        ctx.extra.log = options.log.child({ connection: ++connectionNumber });
        open.set(ctx.extra.socket, { token: token as string, principal, log: ctx.extra.log });
        options.metrics.websocketConnections.inc();
        return true;
      },
      // Every operation re-checks the token, as every HTTP request does: a revoked or expired one runs
      // nothing more on an open connection, without waiting for the periodic re-check.
      onSubscribe: async (ctx, _id, payload) => {
        const connection = open.get(ctx.extra.socket);
        const now = connection === undefined ? null : await options.authenticate(connection.token);
        if (connection !== undefined && now !== null && rightsOf(now) === rightsOf(connection.principal)) return prepareOperation(payload);
        open.delete(ctx.extra.socket);
        ctx.extra.socket.close(4403, 'Forbidden: token no longer valid');
        return [new GraphQLError('the bearer token is no longer valid', { extensions: { code: 'UNAUTHENTICATED' } })];
      },
      onDisconnect: (ctx) => {
        open.delete(ctx.extra.socket);
        options.metrics.websocketConnections.dec();
      },
      context: (ctx) => {
        const { principal, log } = ctx.extra;
        if (principal === undefined || log === undefined) throw new GraphQLError('connection not initialised');
        return options.makeContext(principal, log);
      },
      onNext: (_ctx, _id, _payload, _args, result) => {
        if (result.errors === undefined) return;
        return { ...result, errors: result.errors.map((error) => formatError(error.toJSON(), error)) };
      },
      onError: (_ctx, _id, _payload, errors) => errors.map((error) => formatError(error.toJSON(), error)),
    },
    wss,
  );

  return {
    async stop() {
      clearInterval(recheck);
      // Closing every socket with 1001 (going away) tells clients to reconnect elsewhere.
      for (const socket of wss.clients) socket.close(1001, 'server shutting down');
      await cleanup.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
