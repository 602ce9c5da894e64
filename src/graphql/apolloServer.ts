import type { Server } from 'node:http';
import { ApolloServer } from '@apollo/server';
import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import type { GraphQLError, GraphQLFormattedError, GraphQLSchema, OperationTypeNode } from 'graphql';
import { ErrorCode } from '../domain/errors.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { retryAfterSeconds } from '../storage/state/driverErrors.js';
import type { GraphQLContext } from './context.js';
import { createFormatError } from './formatError.js';
import { requestLimitRules, requestParseOptions } from './limits/requestLimits.js';
import type { RequestLimits } from './limits/requestLimits.js';

export interface ApolloOptions {
  schema: GraphQLSchema;
  httpServer: Server;
  log: Logger;
  metrics: Metrics;
  shutdownGraceMs: number;
  limits: RequestLimits;
  /** Closes the WebSocket side when Apollo stops, after HTTP has drained. */
  stopWebSockets: () => Promise<void>;
  /** Called once Apollo refuses operations (after draining), for whatever else answers GraphQL requests. */
  onStopping?: () => void;
}

export function createApolloServer(options: ApolloOptions): ApolloServer<GraphQLContext> {
  return new ApolloServer<GraphQLContext>({
    schema: options.schema,
    formatError: createFormatError(options.log),
    includeStacktraceInErrorResponses: false,
    introspection: true,
    stopOnTerminationSignals: false,
    parseOptions: requestParseOptions(options.limits),
    validationRules: requestLimitRules(options.limits),
    // A JSON-array body would run many operations under one request's limits; it is refused with
    // BAD_REQUEST before any of them runs. (Apollo's default, stated because the limits rely on it.)
    allowBatchedHttpRequests: false,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer: options.httpServer, stopGracePeriodMillis: options.shutdownGraceMs }),
      { serverWillStart: async () => ({ drainServer: options.stopWebSockets, serverWillStop: async () => options.onStopping?.() }) },
      operationTelemetry(options.metrics),
      retryLaterStatus(),
    ],
  });
}

/**
 * An operation refused SERVICE_UNAVAILABLE (a store did not answer) is answered HTTP 503 with
 * Retry-After, so that HTTP clients and proxies know to retry it, like a refusal before any operation ran.
 */
function retryLaterStatus(): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          const errors = response.body.kind === 'single' ? response.body.singleResult.errors : undefined;
          if (!asksToRetryLater(errors)) return;
          response.http.status = 503;
          response.http.headers.set('retry-after', String(retryAfterSeconds));
        },
      };
    },
  };
}

/** Whether formatted errors include a refusal that HTTP answers 503 with Retry-After. */
export function asksToRetryLater(errors: readonly GraphQLFormattedError[] | undefined): boolean {
  return errors?.some((error) => error.extensions?.code === ErrorCode.SERVICE_UNAVAILABLE) === true;
}

/** Logs each operation (with the request's ids) and counts it by type and outcome. */
function operationTelemetry(metrics: Metrics): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart({ contextValue }) {
      const started = process.hrtime.bigint();
      return {
        async willSendResponse({ operation, operationName, errors }) {
          recordOperation(metrics, contextValue, started, { type: operation?.operation, name: operationName, errors });
        },
      };
    },
  };
}

/**
 * One operation's metrics and log line, for Apollo's pipeline and the HTTP fast path alike: `errors`
 * as the pipeline saw them (before formatError), the name as written in the document, or null.
 */
export function recordOperation(
  metrics: Metrics,
  context: GraphQLContext,
  started: bigint,
  operation: { type: OperationTypeNode | undefined; name: string | null | undefined; errors: readonly GraphQLError[] | undefined },
): void {
  const type = operation.type ?? 'unknown';
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const { errors } = operation;
  const firstCode = errors?.[0]?.extensions?.code;
  const outcome = errors === undefined || errors.length === 0 ? 'ok' : typeof firstCode === 'string' ? firstCode : 'error';
  metrics.graphqlOperations.inc({ type, outcome });
  metrics.graphqlDuration.observe({ type }, seconds);
  context.log.info({ operation: operation.name ?? type, type, outcome, ms: Math.round(seconds * 1000) }, 'graphql operation');
}
