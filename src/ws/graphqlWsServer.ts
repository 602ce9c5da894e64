import type { Server } from 'node:http';
import { GraphQLError } from 'graphql';
import type { GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Principal } from '../domain/principal.js';
import type { GraphQLContext } from '../graphql/context.js';
import { createFormatError } from '../graphql/formatError.js';
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
}

type ConnectionState = {
  principal?: Principal;
  log?: Logger;
};

/**
 * graphql-ws on the same path and port as HTTP GraphQL. The token comes in the connection_init payload
 * (`{ authorization: "Bearer …" }`) or the upgrade request's Authorization header; a connection without
 * a valid one is closed with 4403 before any operation runs.
 */
export function startGraphQLWsServer(options: GraphQLWsOptions): { stop(): Promise<void> } {
  const wss = new WebSocketServer({ server: options.httpServer, path: options.path });
  const formatError = createFormatError(options.log);
  let connectionNumber = 0;

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
        options.metrics.websocketConnections.inc();
        return true;
      },
      onDisconnect: () => {
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
      // Closing every socket with 1001 (going away) tells clients to reconnect elsewhere.
      for (const socket of wss.clients) socket.close(1001, 'server shutting down');
      await cleanup.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
