import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError } from 'graphql';
import type { GraphQLFormattedError } from 'graphql';
import { DomainError, ErrorCode } from '../domain/errors.js';
import type { Logger } from '../observability/logger.js';
import { unavailable, unstorableValue } from '../storage/state/driverErrors.js';

/**
 * Domain refusals keep their message and code; a store that did not answer is SERVICE_UNAVAILABLE
 * (a retry will do); anything else unexpected is logged in full and reaches the client only as
 * INTERNAL_SERVER_ERROR, so no stack or SQL leaks out.
 */
export function createFormatError(log: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const unwrapped = unwrapResolverError(error);
    const away = unwrapped instanceof DomainError ? undefined : unavailable(unwrapped);
    if (away !== undefined) log.warn({ err: unwrapped, path: formatted.path }, 'a store did not answer a GraphQL operation');
    // Said in our own words: the driver's message would name SQL.
    const restated = away ?? (unwrapped instanceof DomainError ? undefined : unstorableValue(unwrapped));
    const original = restated ?? domainErrorBehind(unwrapped) ?? unwrapped;
    const wrapped = restated === undefined && original !== unwrapped;
    if (original instanceof DomainError) {
      return {
        message: wrapped ? formatted.message : original.message,
        ...(formatted.locations ? { locations: formatted.locations } : {}),
        ...(formatted.path ? { path: formatted.path } : {}),
        extensions: { code: original.code, ...(original.details ?? {}) },
      };
    }
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && code !== ErrorCode.INTERNAL_SERVER_ERROR) {
      const { stacktrace: _dropped, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    log.error({ err: original, path: formatted.path }, 'unexpected error in GraphQL operation');
    return {
      message: 'internal server error',
      ...(formatted.path ? { path: formatted.path } : {}),
      extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
    };
  };
}

/**
 * Refusals raised while validating (request limits) or coercing variables (the JSON depth limit) reach
 * formatError wrapped in one or two GraphQLErrors, whose message says where; the code is the DomainError's.
 */
function domainErrorBehind(error: unknown): DomainError | undefined {
  let current = error;
  while (current instanceof GraphQLError) current = current.originalError;
  return current instanceof DomainError ? current : undefined;
}
