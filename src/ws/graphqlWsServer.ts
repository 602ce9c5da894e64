import type { Server } from 'node:http';
import { GraphQLError } from 'graphql';
import type { GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Revoked } from '../domain/identities/RevocationFeed.js';
import type { Principal } from '../domain/principal.js';
import type { GraphQLContext } from '../graphql/context.js';
import { createFormatError } from '../graphql/formatError.js';
import type { RequestLimits } from '../graphql/limits/requestLimits.js';
import { operationPreparer } from '../graphql/prepareOperation.js';
import { bearerToken } from '../http/bearerToken.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { unavailable } from '../storage/state/driverErrors.js';
import { OpenConnections } from './openConnections.js';
import { sharedSubscriptionResults } from './sharedSubscriptionResults.js';

/** RFC 6455's "Try Again Later": the server cannot serve the connection now, through no fault of the client. */
const tryAgainLaterCloseCode = 1013;

export interface GraphQLWsOptions {
  httpServer: Server;
  path: string;
  schema: GraphQLSchema;
  authenticate: (token: string) => Promise<Principal | null>;
  makeContext: (principal: Principal, log: Logger) => GraphQLContext;
  log: Logger;
  metrics: Metrics;
  /**
   * Every revocation and disabling, wherever made: the connections it ends are closed as it arrives.
   * Returns what stops listening.
   */
  onRevoked: (listener: (revoked: Revoked) => void) => () => void;
  /** How often each connection's token is checked again: the backstop for rights that changed. */
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

/**
 * graphql-ws on the same path and port as HTTP GraphQL. The token comes in the connection_init payload
 * (`{ authorization: "Bearer …" }`) or the upgrade request's Authorization header; a connection without
 * a valid one is closed with 4403 before any operation runs. Subscriptions can outlive a token, so a
 * connection is closed with 4403 the moment its token is revoked or its identity disabled (on any
 * replica: the revocation feed), when the token expires (a timer), and when a periodic re-check finds
 * its rights changed; every operation re-checks the token and every result is checked before it is
 * sent (see OpenConnections). A client reconnects and subscribes under its current rights.
 */
export function startGraphQLWsServer(options: GraphQLWsOptions): { stop(): Promise<void> } {
  const wss = new WebSocketServer({ server: options.httpServer, path: options.path, maxPayload: options.maxMessageBytes });
  const formatError = createFormatError(options.log);
  const prepareOperation = operationPreparer(options.schema, options.limits);
  let connectionNumber = 0;
  const open = new OpenConnections();
  const shared = sharedSubscriptionResults();
  const stopListening = options.onRevoked((revoked) => open.closeRevoked(revoked));
  const recheck = setInterval(() => {
    for (const [socket, token] of open.entries()) {
      options.authenticate(token).then(
        (now) => {
          if (open.has(socket)) open.confirm(socket, now);
        },
        (error: unknown) => options.log.warn({ err: error }, 'could not re-check a websocket token; will retry'),
      );
    }
  }, options.reauthenticateMs);
  recheck.unref();

  const cleanup = useServer<Record<string, unknown>, ConnectionState>(
    {
      schema: options.schema,
      subscribe: shared.subscribe,
      onConnect: async (ctx) => {
        const fromPayload = ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization;
        const token = bearerToken(typeof fromPayload === 'string' ? fromPayload : ctx.extra.request.headers.authorization);
        let principal: Principal | null;
        try {
          principal = token === null ? null : await options.authenticate(token);
        } catch (error) {
          // Nothing is wrong with the client: like HTTP's 503 with Retry-After, tell it to come back.
          if (unavailable(error) === undefined) throw error;
          ctx.extra.socket.close(tryAgainLaterCloseCode, 'Try Again Later: a store the server depends on is not answering');
          return false;
        }
        if (principal === null) {
          options.metrics.authFailures.inc({ transport: 'websocket' });
          return false;
        }
        ctx.extra.principal = principal;
        ctx.extra.log = options.log.child({ connection: ++connectionNumber });
        open.add(ctx.extra.socket, token as string, principal, ctx.extra.log);
        options.metrics.websocketConnections.inc();
        return true;
      },
      // Every operation re-checks the token, as every HTTP request does: a revoked or expired one runs
      // nothing more on an open connection, without waiting for the periodic re-check.
      onSubscribe: async (ctx, _id, payload) => {
        const token = open.tokenOf(ctx.extra.socket);
        const now = token === undefined ? null : await options.authenticate(token);
        if (open.confirm(ctx.extra.socket, now)) {
          const prepared = prepareOperation(payload);
          const principal = ctx.extra.principal;
          if (Array.isArray(prepared) || principal === undefined) return prepared;
          // The context is made from the connection's principal: its rights are part of what is asked.
          const rights = [principal.identityId, principal.isAdmin, principal.scopes];
          return shared.register(
            prepared,
            JSON.stringify([rights, payload.query, payload.operationName ?? null, payload.variables ?? null]),
          );
        }
        return [new GraphQLError('the bearer token is no longer valid', { extensions: { code: 'UNAUTHENTICATED' } })];
      },
      onDisconnect: (ctx) => {
        open.remove(ctx.extra.socket);
        options.metrics.websocketConnections.dec();
      },
      context: (ctx) => {
        const { principal, log } = ctx.extra;
        if (principal === undefined || log === undefined) throw new GraphQLError('connection not initialised');
        return options.makeContext(principal, log);
      },
      // The last check before anything goes out: a refused connection's socket is closing, and
      // graphql-ws sends nothing on a socket that is not open.
      onNext: (ctx, _id, _payload, _args, result) => {
        if (!open.mayReceive(ctx.extra.socket)) return;
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
      stopListening();
      // Closing every socket with 1001 (going away) tells clients to reconnect elsewhere.
      for (const socket of wss.clients) socket.close(1001, 'server shutting down');
      await cleanup.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
