import { GraphQLError } from 'graphql';
import type { ASTNode } from 'graphql';
import { DomainError, ErrorCode } from '../../domain/errors.js';

/** Which request limit a document broke; named in the refusal's `extensions.limit`. */
export type RequestLimitName = 'depth' | 'complexity' | 'aliases' | 'rootFields' | 'directives';

/**
 * A validation error for a broken request limit. The DomainError travels as its original error because
 * Apollo rewrites every validation error's code to GRAPHQL_VALIDATION_FAILED; formatError restores
 * QUERY_TOO_COMPLEX from it, over HTTP and WebSocket alike.
 */
export function limitExceeded(
  limit: RequestLimitName,
  message: string,
  counts: { max: number; actual: number },
  nodes: ASTNode | readonly ASTNode[],
): GraphQLError {
  const refusal = new DomainError(ErrorCode.QUERY_TOO_COMPLEX, message, { limit, ...counts });
  return new GraphQLError(message, { nodes, originalError: refusal });
}
