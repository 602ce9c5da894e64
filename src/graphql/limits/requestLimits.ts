import type { ParseOptions, ValidationRule } from 'graphql';
import { documentLimits } from './documentLimits.js';
import { operationLimits } from './operationLimits.js';

/**
 * Bounds on what one GraphQL document may ask of the server, checked before anything executes and
 * the same over HTTP and WebSocket. The request-body limit bounds the bytes; these bound the work
 * those bytes can ask for. Each is an environment setting (src/config.ts).
 */
export interface RequestLimits {
  /**
   * Lexical tokens the parser reads before giving up (graphql-js `maxTokens`). It bounds parsing and
   * validation work, and how deep brackets can nest before the recursive parser could run out of stack.
   */
  maxTokens: number;
  /** Fields on the longest path from the root: `{ viewer { name } }` is 2. */
  maxDepth: number;
  /** Estimated cost: each field 1, whatever sits under a list field `listSize` times (measureOperation.ts). */
  maxComplexity: number;
  /** The length assumed for every list when estimating cost. */
  listSize: number;
  maxAliases: number;
  /** Root fields of one operation; mutations run theirs one after another. */
  maxRootFields: number;
  maxDirectives: number;
}

export const defaultRequestLimits: RequestLimits = {
  maxTokens: 1_000,
  maxDepth: 20,
  maxComplexity: 100_000,
  listSize: 10,
  maxAliases: 30,
  maxRootFields: 20,
  maxDirectives: 30,
};

/** Validation rules for Apollo's `validationRules` and the WebSocket side's own validation. */
export function requestLimitRules(limits: RequestLimits): ValidationRule[] {
  return [operationLimits(limits), documentLimits(limits)];
}

export function requestParseOptions(limits: RequestLimits): ParseOptions {
  return { maxTokens: limits.maxTokens };
}
