import { Kind } from 'graphql';
import type { FragmentDefinitionNode, ValidationContext, ValidationRule } from 'graphql';
import { limitExceeded } from './limitExceeded.js';
import type { RequestLimitName } from './limitExceeded.js';
import { measureOperation } from './measureOperation.js';
import type { RequestLimits } from './requestLimits.js';

/** Refuses an operation that is too deep, too costly or has too many root fields (see measureOperation). */
export function operationLimits(limits: RequestLimits): ValidationRule {
  return (context: ValidationContext) => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of context.getDocument().definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    }
    return {
      OperationDefinition(operation) {
        const { depth, complexity, rootFields } = measureOperation(context.getSchema(), operation, fragments, limits.listSize);
        // A fragment bomb's cost can pass 2^53 or even overflow to Infinity; it is reported as a number all the same.
        const cost = Math.min(complexity, Number.MAX_SAFE_INTEGER);
        const checks: Array<[RequestLimitName, number, number, string]> = [
          ['depth', depth, limits.maxDepth, `nests fields ${depth} deep`],
          [
            'complexity',
            cost,
            limits.maxComplexity,
            `is estimated to cost ${cost} (each field 1, what is under a list ${limits.listSize} times)`,
          ],
          ['rootFields', rootFields, limits.maxRootFields, `selects ${rootFields} root fields`],
        ];
        const name = operation.name === undefined ? `this ${operation.operation}` : `${operation.operation} ${operation.name.value}`;
        for (const [limit, actual, max, what] of checks) {
          if (actual > max) context.reportError(limitExceeded(limit, `${name} ${what}; the limit is ${max}`, { max, actual }, operation));
        }
        return false;
      },
    };
  };
}
