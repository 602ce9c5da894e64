import { GraphQLError, GraphQLScalarType, Kind, valueFromASTUntyped } from 'graphql';
import { checkJsonInputDepth } from '../limits/jsonInputDepth.js';

export const DateTime = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
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
});

function parseDate(value: unknown): Date {
  const date = typeof value === 'string' ? new Date(value) : new Date(Number.NaN);
  if (Number.isNaN(date.getTime())) throw new GraphQLError('DateTime must be an ISO-8601 string');
  return date;
}

/** Any JSON value, passed through as is once its nesting is known to be bounded (the domain checks the rest). */
export const JSONScalar = new GraphQLScalarType<unknown, unknown>({
  name: 'JSON',
  serialize: (value) => value,
  parseValue: (value) => checkJsonInputDepth(value),
  parseLiteral: (ast, variables) => checkJsonInputDepth(valueFromASTUntyped(ast, variables)),
});

export const SafeInt = new GraphQLScalarType<number, number>({
  name: 'SafeInt',
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
});
