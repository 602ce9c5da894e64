import { GraphQLError, Kind, valueFromASTUntyped } from 'graphql';
import type { GraphQLScalarTypeConfig } from 'graphql';
import type { Scalars } from '../generated/types.js';
import { checkJsonInputDepth } from '../limits/jsonInputDepth.js';

/**
 * How a scalar of schema.graphql is read and written. Only behaviour: the name and description stay
 * those of the SDL (a GraphQLScalarType here would replace them, and introspection would lose the
 * description).
 */
type ScalarBehaviour<Internal, External> = Pick<GraphQLScalarTypeConfig<Internal, External>, 'serialize' | 'parseValue' | 'parseLiteral'>;
type CustomScalar = Exclude<keyof Scalars, 'ID' | 'String' | 'Boolean' | 'Int' | 'Float'>;

const DateTime: ScalarBehaviour<Scalars['DateTime']['input'], string> = {
  serialize(value) {
    if (value instanceof Date) return value.toISOString();
    throw new GraphQLError('DateTime must be a Date');
  },
  parseValue(value) {
    return parseDate(value);
  },
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw new GraphQLError('DateTime must be an ISO-8601 string');
    return parseDate(ast.value);
  },
};

function parseDate(value: unknown): Date {
  const date = typeof value === 'string' ? new Date(value) : new Date(Number.NaN);
  if (Number.isNaN(date.getTime())) throw new GraphQLError('DateTime must be an ISO-8601 string');
  return date;
}

/** Any JSON value, passed through as is once its nesting is known to be bounded (the domain checks the rest). */
const JSONValue: ScalarBehaviour<Scalars['JSON']['input'], unknown> = {
  serialize: (value) => value,
  parseValue: (value) => checkJsonInputDepth(value),
  parseLiteral: (ast, variables) => checkJsonInputDepth(valueFromASTUntyped(ast, variables)),
};

const SafeInt: ScalarBehaviour<Scalars['SafeInt']['input'], number> = {
  serialize(value) {
    const number = typeof value === 'bigint' ? Number(value) : value;
    if (typeof number !== 'number' || !Number.isSafeInteger(number)) throw new GraphQLError('SafeInt must be a safe integer');
    return number;
  },
  parseValue(value) {
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new GraphQLError('SafeInt must be a whole number below 2^53');
    return value;
  },
  parseLiteral(ast) {
    const value = ast.kind === Kind.INT ? Number(ast.value) : Number.NaN;
    if (!Number.isSafeInteger(value)) throw new GraphQLError('SafeInt must be a whole number below 2^53');
    return value;
  },
};

/** Every custom scalar of schema.graphql, each with its behaviour (a scalar added there must be added here). */
export const scalarResolvers = { DateTime, JSON: JSONValue, SafeInt } satisfies Record<CustomScalar, ScalarBehaviour<unknown, unknown>>;
