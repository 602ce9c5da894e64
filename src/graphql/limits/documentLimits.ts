import type { ASTNode, ValidationContext, ValidationRule } from 'graphql';
import { limitExceeded } from './limitExceeded.js';
import type { RequestLimits } from './requestLimits.js';

interface Tally {
  limit: 'aliases' | 'directives';
  max: number;
  count: number;
  /** Where the document first went past the limit: the refusal points there. */
  firstOver?: ASTNode;
}

/**
 * Refuses a document with too many aliases or directives, counted as written. Aliases are how one
 * request asks for the same field many times (`a1: createTasks(…) a2: createTasks(…)`), directives how it
 * piles work onto one field; both stay cheap to parse while multiplying what the server does.
 */
export function documentLimits(limits: RequestLimits): ValidationRule {
  return (context: ValidationContext) => {
    const aliases: Tally = { limit: 'aliases', max: limits.maxAliases, count: 0 };
    const directives: Tally = { limit: 'directives', max: limits.maxDirectives, count: 0 };
    const count = (tally: Tally, node: ASTNode) => {
      tally.count += 1;
      if (tally.count > tally.max) tally.firstOver ??= node;
    };
    const report = ({ limit, max, count: actual, firstOver }: Tally) => {
      if (firstOver === undefined) return;
      context.reportError(limitExceeded(limit, `the document has ${actual} ${limit}; the limit is ${max}`, { max, actual }, firstOver));
    };
    return {
      Field(node) {
        if (node.alias !== undefined) count(aliases, node);
      },
      Directive(node) {
        count(directives, node);
      },
      Document: {
        leave() {
          report(aliases);
          report(directives);
        },
      },
    };
  };
}
