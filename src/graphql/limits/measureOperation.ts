import {
  getNamedType,
  getNullableType,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  SchemaMetaFieldDef,
  TypeMetaFieldDef,
  TypeNameMetaFieldDef,
} from 'graphql';
import type {
  FragmentDefinitionNode,
  GraphQLField,
  GraphQLNamedType,
  GraphQLSchema,
  OperationDefinitionNode,
  SelectionSetNode,
} from 'graphql';

/**
 * How big an operation is once its fragments are spread, measured without executing it:
 *
 * - `depth`: fields on the longest path from the root, so `{ viewer { name } }` is 2. Fragments and
 *   inline fragments add no level of their own.
 * - `complexity`: every field selected costs 1, and what is selected under a field that returns a list
 *   counts `listSize` times (an estimate of that list's length), so `{ tasks { edges { node { id } } } }`
 *   costs 1 + 1 + listSize × (1 + 1). Nested lists multiply.
 * - `rootFields`: fields at the top of the operation, fragments spread; each runs as its own resolver,
 *   and a mutation's run one after another.
 *
 * A fragment is measured once however often it is spread, so a document of fragments that each spread
 * the next one twice costs a walk as long as the document, while its complexity grows as fast as its
 * expansion would. A fragment that spreads itself (refused by graphql-js's own rule) counts as empty.
 */
export interface OperationMeasure {
  depth: number;
  complexity: number;
  rootFields: number;
}

interface SelectionMeasure {
  depth: number;
  cost: number;
  fields: number;
}

const EMPTY: SelectionMeasure = { depth: 0, cost: 0, fields: 0 };

export function measureOperation(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  listSize: number,
): OperationMeasure {
  const measured = new Map<string, SelectionMeasure>();
  const inProgress = new Set<string>();

  const fragmentMeasure = (name: string): SelectionMeasure => {
    const known = measured.get(name);
    if (known !== undefined) return known;
    const fragment = fragments.get(name);
    if (fragment === undefined || inProgress.has(name)) return EMPTY;
    inProgress.add(name);
    const result = selectionMeasure(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value));
    inProgress.delete(name);
    measured.set(name, result);
    return result;
  };

  // Recursive, once per nested selection set or spread: the token limit bounds how deep that goes, and
  // requestLimits.test.ts walks the deepest documents the largest token setting lets through.
  const selectionMeasure = (selectionSet: SelectionSetNode, parentType: GraphQLNamedType | undefined): SelectionMeasure => {
    let depth = 0;
    let cost = 0;
    let fields = 0;
    for (const selection of selectionSet.selections) {
      let inner: SelectionMeasure;
      if (selection.kind === Kind.FIELD) {
        const field = fieldOf(schema, parentType, selection.name.value);
        const below =
          selection.selectionSet === undefined
            ? EMPTY
            : selectionMeasure(selection.selectionSet, field === undefined ? undefined : getNamedType(field.type));
        const repeat = field !== undefined && isListType(getNullableType(field.type)) ? listSize : 1;
        inner = { depth: 1 + below.depth, cost: 1 + repeat * below.cost, fields: 1 };
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const condition = selection.typeCondition === undefined ? parentType : schema.getType(selection.typeCondition.name.value);
        inner = selectionMeasure(selection.selectionSet, condition);
      } else {
        inner = fragmentMeasure(selection.name.value);
      }
      depth = Math.max(depth, inner.depth);
      cost += inner.cost;
      fields += inner.fields;
    }
    return { depth, cost, fields };
  };

  const root = schema.getRootType(operation.operation) ?? undefined;
  const { depth, cost, fields } = selectionMeasure(operation.selectionSet, root);
  return { depth, complexity: cost, rootFields: fields };
}

/** The field's definition, meta-fields included; undefined for a field the type lacks (another rule refuses it). */
function fieldOf(
  schema: GraphQLSchema,
  parentType: GraphQLNamedType | undefined,
  name: string,
): GraphQLField<unknown, unknown> | undefined {
  if (parentType === undefined) return undefined;
  if (name === TypeNameMetaFieldDef.name) return TypeNameMetaFieldDef;
  if (parentType === schema.getQueryType()) {
    if (name === SchemaMetaFieldDef.name) return SchemaMetaFieldDef;
    if (name === TypeMetaFieldDef.name) return TypeMetaFieldDef;
  }
  return isObjectType(parentType) || isInterfaceType(parentType) ? parentType.getFields()[name] : undefined;
}
