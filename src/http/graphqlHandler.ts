import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap } from '@apollo/server';
import type { ApolloServer } from '@apollo/server';
import { ErrorCode } from '../domain/errors.js';
import type { Principal } from '../domain/principal.js';
import type { GraphQLContext } from '../graphql/context.js';
import type { Logger } from '../observability/logger.js';
import { retryAfterSeconds, unavailable } from '../storage/state/driverErrors.js';
import { bearerToken } from './bearerToken.js';
import type { FastGraphQL } from './fastGraphQL.js';
import { sendGraphQLError } from './jsonResponse.js';
import { BodyTimeoutError, BodyTooLargeError, readBody } from './readBody.js';

export interface GraphQLHandlerOptions {
  apollo: ApolloServer<GraphQLContext>;
  authenticate: (token: string) => Promise<Principal | null>;
  makeContext: (principal: Principal, log: Logger) => GraphQLContext;
  onAuthFailure: () => void;
  maxRequestBytes: number;
  /** The whole body must arrive within this. */
  bodyTimeoutMs: number;
  /** Answers what it can of the rest exactly as Apollo would, at a fraction of the cost; absent, Apollo answers all. */
  fastPath?: FastGraphQL | undefined;
}

/**
 * GraphQL over HTTP on plain node:http, through Apollo's transport-neutral executeHTTPGraphQLRequest.
 * Authentication happens here, before any operation runs, so an anonymous request costs one lookup.
 */
export function createGraphQLHandler(options: GraphQLHandlerOptions) {
  return async (req: IncomingMessage, res: ServerResponse, url: URL, log: Logger): Promise<void> => {
    const token = bearerToken(req.headers.authorization);
    let principal: Principal | null;
    try {
      principal = token === null ? null : await options.authenticate(token);
    } catch (error) {
      const away = unavailable(error);
      if (away === undefined) throw error;
      log.warn({ err: error }, 'a store did not answer while authenticating');
      sendGraphQLError(res, 503, away.code, away.message, { 'retry-after': String(retryAfterSeconds) });
      return;
    }
    if (principal === null) {
      options.onAuthFailure();
      const message =
        token === null ? 'a bearer token is required (Authorization: Bearer <token>)' : 'the bearer token is unknown, revoked or expired';
      sendGraphQLError(res, 401, ErrorCode.UNAUTHENTICATED, message, { 'www-authenticate': 'Bearer' });
      return;
    }

    let body: unknown;
    try {
      const text = req.method === 'POST' ? await readBody(req, options.maxRequestBytes, options.bodyTimeoutMs) : '';
      body = text === '' ? undefined : isJson(req) ? JSON.parse(text) : text;
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        // The unread rest of the body stays on the connection: closing it keeps a client from reusing it.
        sendGraphQLError(res, 413, ErrorCode.PAYLOAD_TOO_LARGE, error.message, { connection: 'close' });
      } else if (error instanceof BodyTimeoutError) {
        // The rest may still be trickling in: the connection is not reused.
        sendGraphQLError(res, 408, ErrorCode.REQUEST_TIMEOUT, error.message, { connection: 'close' });
      } else {
        sendGraphQLError(res, 400, ErrorCode.BAD_USER_INPUT, 'request body is not valid JSON');
      }
      return;
    }

    const makeContext = () => options.makeContext(principal, log);
    if (options.fastPath !== undefined && (await options.fastPath.answer(req, res, body, makeContext))) return;

    const headers = new HeaderMap();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    const response = await options.apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body },
      context: async () => makeContext(),
    });

    for (const [name, value] of response.headers) res.setHeader(name, value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === 'complete') {
      res.end(response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  };
}

const isJson = (req: IncomingMessage): boolean => /^application\/(.+\+)?json\b/i.test(req.headers['content-type'] ?? '');
