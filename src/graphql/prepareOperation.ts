import { getOperationAST, getVariableValues, GraphQLError, parse, specifiedRules, validate } from 'graphql';
import type { DocumentNode, ExecutionArgs, GraphQLSchema } from 'graphql';
import { requestLimitRules, requestParseOptions } from './limits/requestLimits.js';
import type { RequestLimits } from './limits/requestLimits.js';

export interface OperationRequest {
  query: string;
  operationName?: string | null | undefined;
  variables?: Readonly<Record<string, unknown>> | null | undefined;
}

/**
 * What Apollo Server does to a request before running it, for the transport Apollo does not serve
 * (graphql-ws): parse within the token limit, validate with graphql-js's rules and the request limits,
 * pick the operation and coerce its variables. Refusals carry Apollo's codes, so a client sees the same
 * one over either transport; a DomainError raised on the way (a request limit's QUERY_TOO_COMPLEX, a
 * JSON argument's BAD_USER_INPUT) stays the original error, whose code formatError reports.
 */
export function operationPreparer(schema: GraphQLSchema, limits: RequestLimits) {
  const checkDocument = documentChecker(schema, limits);
  return (request: OperationRequest): ExecutionArgs | GraphQLError[] => {
    const document = checkDocument(request.query);
    if (Array.isArray(document)) return document;
    const operation = getOperationAST(document, request.operationName);
    if (!operation) {
      const which = request.operationName ? `no operation named "${request.operationName}"` : 'several operations and no operationName';
      return [new GraphQLError(`the document has ${which}`, { extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } })];
    }
    const variables = getVariableValues(schema, operation.variableDefinitions ?? [], request.variables ?? {}, { maxErrors: 50 });
    if (variables.errors !== undefined) return variables.errors.map((error) => withCode(error, 'BAD_USER_INPUT'));
    return { schema, document, operationName: request.operationName, variableValues: request.variables };
  };
}

/** Parses and validates a document: the document, or why it is refused. */
export function documentChecker(schema: GraphQLSchema, limits: RequestLimits) {
  const rules = [...specifiedRules, ...requestLimitRules(limits)];
  const parseOptions = requestParseOptions(limits);
  return (query: string): DocumentNode | GraphQLError[] => {
    let document: DocumentNode;
    try {
      document = parse(query, parseOptions);
    } catch (error) {
      if (error instanceof GraphQLError) return [withCode(error, 'GRAPHQL_PARSE_FAILED')];
      // The parser recurses once per bracket: running out of stack means the document nests too deeply.
      if (!(error instanceof RangeError)) throw error;
      return [new GraphQLError('Syntax Error: the document nests too deeply to parse', { extensions: { code: 'GRAPHQL_PARSE_FAILED' } })];
    }
    const errors = validate(schema, document, rules);
    return errors.length === 0 ? document : errors.map((error) => withCode(error, 'GRAPHQL_VALIDATION_FAILED'));
  };
}

function withCode(error: GraphQLError, code: string): GraphQLError {
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    originalError: error.originalError,
    extensions: { ...error.extensions, code },
  });
}
