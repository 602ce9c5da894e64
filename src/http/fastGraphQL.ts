import type { IncomingMessage, ServerResponse } from 'node:http';
import { execute, getOperationAST, GraphQLError, Kind } from 'graphql';
import type { ExecutionResult, GraphQLFormattedError, GraphQLSchema } from 'graphql';
import { acceptedDocuments } from '../graphql/acceptedDocuments.js';
import { asksToRetryLater, recordOperation } from '../graphql/apolloServer.js';
import type { GraphQLContext } from '../graphql/context.js';
import type { RequestLimits } from '../graphql/limits/requestLimits.js';
import type { Metrics } from '../observability/metrics.js';
import { retryAfterSeconds } from '../storage/state/driverErrors.js';

export interface FastGraphQLOptions {
  schema: GraphQLSchema;
  limits: RequestLimits;
  /** Apollo's formatError, the same function. */
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  metrics: Metrics;
}

type FormatError = FastGraphQLOptions['formatError'];

export type FastGraphQL = ReturnType<typeof createFastGraphQL>;

/**
 * A shorter road for the common request: a JSON POST of one query or mutation whose document was
 * already accepted (see acceptedDocuments). It runs graphql-js's `execute` with the cached document
 * and answers exactly what Apollo Server's pipeline answers (@apollo/server 5: runHttpQuery.ts,
 * requestPipeline.ts, errorNormalize.ts, the cache-control plugin, and this server's plugins in
 * apolloServer.ts): the same status, headers, body bytes, metrics and log line. What it skips is the
 * pipeline's fixed cost: plugin hooks, hashing the query for the document store, per-field cache-hint
 * tracking, header maps and content negotiation.
 *
 * `answer` returns false, having done nothing, for every other request (GET, a batch, `extensions`
 * such as persisted queries, an unknown or refused document, introspection, an operation it cannot
 * pick, a subscription, an Accept header it does not know the answer to): Apollo answers those.
 * test/graphql/fastPath.test.ts sends the same requests both ways and compares the bytes.
 */
export function createFastGraphQL(options: FastGraphQLOptions) {
  // Apollo's cache-control plugin answers `no-store` to every operation only while no field or type carries a hint.
  if (options.schema.getDirective('cacheControl') !== undefined) {
    throw new Error('the GraphQL fast path does not compute cache hints: a schema with @cacheControl needs it taught first');
  }
  const documentFor = acceptedDocuments(options.schema, options.limits);
  let open = true;
  return {
    /** Stops taking requests: from then on Apollo answers each one (with its refusal while it stops). */
    close(): void {
      open = false;
    },
    async answer(req: IncomingMessage, res: ServerResponse, body: unknown, makeContext: () => GraphQLContext): Promise<boolean> {
      if (!open || req.method !== 'POST' || !isRecord(body)) return false;
      const contentType = contentTypeFor(req.headers.accept);
      const { query, variables, operationName, extensions } = body;
      if (contentType === undefined || typeof query !== 'string' || query === '') return false;
      if (!(variables === undefined || variables === null || isRecord(variables))) return false;
      if (!(operationName === undefined || operationName === null || typeof operationName === 'string')) return false;
      if (extensions !== undefined && extensions !== null) return false;
      const document = documentFor(query);
      if (document === undefined) return false;
      const operation = getOperationAST(document, operationName ?? undefined);
      if (!operation || (operation.operation !== 'query' && operation.operation !== 'mutation')) return false;

      const contextValue = makeContext();
      options.metrics.graphqlFastPath.inc();
      const started = process.hrtime.bigint();
      const result: ExecutionResult = await execute({
        schema: options.schema,
        document,
        contextValue,
        variableValues: variables ?? undefined,
        operationName: operationName ?? undefined,
      });
      const errors = result.errors?.map((error) => (isVariableCoercionError(error) ? asBadUserInput(error) : error));
      const head: Head = { status: undefined, headers: new Map() };
      const formattedErrors = errors === undefined ? undefined : formatErrors(errors, options.formatError, head);
      if (errors !== undefined && errors.length > 0 && result.data === undefined && head.status === undefined) head.status = 400;

      // Apollo's willSendResponse hooks, in the order its plugins are installed (apolloServer.ts, then its cache-control plugin).
      recordOperation(options.metrics, contextValue, started, { type: operation.operation, name: operation.name?.value || null, errors });
      if (asksToRetryLater(formattedErrors)) {
        head.status = 503;
        head.headers.set('retry-after', String(retryAfterSeconds));
      }
      // No answer is cacheable (no cache hints, see above): the plugin says so, unless something else set the header.
      const cacheControl = head.headers.get('cache-control');
      if (cacheControl === undefined || cacheControl === 'no-store' || /^max-age=(\d+), (public|private)$/.test(cacheControl)) {
        head.headers.set('cache-control', 'no-store');
      }
      if (!head.headers.has('content-type')) head.headers.set('content-type', contentType);

      for (const [name, value] of head.headers) res.setHeader(name, value);
      res.statusCode = head.status ?? 200;
      // Apollo's field order (errors first: graphql/graphql-spec#384) and its prettyJSONStringify's newline.
      res.end(`${JSON.stringify({ errors: formattedErrors, data: result.data, extensions: result.extensions })}\n`);
      return true;
    },
  };
}

/** The status and headers errors may ask for through `extensions.http`, as Apollo collects them. */
interface Head {
  status: number | undefined;
  headers: Map<string, string>;
}

/**
 * Apollo's content type for a single result, for the Accept headers clients send (none, any, JSON);
 * undefined for any other, which Apollo negotiates.
 */
function contentTypeFor(accept: string | undefined): string | undefined {
  if (accept === undefined || accept === '' || accept === '*/*' || accept === 'application/json') return 'application/json; charset=utf-8';
  if (accept === 'application/graphql-response+json') return 'application/graphql-response+json; charset=utf-8';
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * graphql-js reports a variable it could not coerce as an execution error; Apollo recognizes one by
 * its wording (isBadUserInputGraphQLError, graphql-js 16) and gives it BAD_USER_INPUT unless it has a code.
 */
function isVariableCoercionError(error: GraphQLError): boolean {
  const node = error.nodes?.length === 1 ? error.nodes[0] : undefined;
  if (node?.kind !== Kind.VARIABLE_DEFINITION || (error.extensions.code !== undefined && error.extensions.code !== null)) return false;
  const variable = `Variable "$${node.variable.name.value}" `;
  return ['got invalid value ', 'of required type ', 'of non-null type '].some((rest) => error.message.startsWith(variable + rest));
}

/** Apollo's UserInputError, field for field. */
function asBadUserInput(error: GraphQLError): GraphQLError {
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    originalError: error.originalError ?? error,
    extensions: { ...error.extensions, code: 'BAD_USER_INPUT' },
  });
}

/** Apollo's normalizeAndFormatErrors without stack traces (includeStacktraceInErrorResponses is off). */
function formatErrors(errors: readonly GraphQLError[], formatError: FormatError, head: Head): GraphQLFormattedError[] {
  return errors.map((error) => {
    const extensions: Record<string, unknown> = { ...error.extensions, code: error.extensions.code ?? 'INTERNAL_SERVER_ERROR' };
    const http = extensions.http;
    if (isHttpHead(http)) {
      if (http.status) head.status = http.status;
      for (const [name, value] of http.headers ?? []) head.headers.set(name.toLowerCase(), value);
      delete extensions.http;
    }
    try {
      return formatError({ ...error.toJSON(), extensions }, error);
    } catch {
      return { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
    }
  });
}

function isHttpHead(value: unknown): value is { status?: number; headers?: Map<string, string> } {
  if (typeof value !== 'object' || value === null) return false;
  const { status, headers } = value as { status?: unknown; headers?: unknown };
  return (!('status' in value) || typeof status === 'number') && (!('headers' in value) || headers instanceof Map);
}
