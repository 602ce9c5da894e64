import { BREAK, visit } from 'graphql';
import type { DocumentNode, GraphQLSchema } from 'graphql';
import { documentChecker } from './prepareOperation.js';
import type { RequestLimits } from './limits/requestLimits.js';

/** How many query texts are remembered, and the longest one remembered (longer ones are checked each time). */
export const ACCEPTED_DOCUMENTS = 1_000;
export const LONGEST_REMEMBERED_QUERY = 20_000;

/**
 * The documents a fast path may run without parsing or validating them again: parsed within the token
 * limit and validated with graphql-js's rules and the request limits, as Apollo does (documentChecker),
 * remembered by their query text in a bounded least-recently-used map. A text is looked up as it
 * arrives, without hashing it first; a Map hashes a string once, natively.
 *
 * `undefined` for a document the fast path leaves to Apollo: one that does not parse or validate
 * (Apollo's refusal is the answer), asks for introspection (`__schema`, `__type`), or asks for
 * incremental delivery (`@defer`, `@stream`). That verdict is remembered too.
 */
export function acceptedDocuments(schema: GraphQLSchema, limits: RequestLimits) {
  const check = documentChecker(schema, limits);
  const remembered = new Map<string, DocumentNode | null>();
  // The most recently used entry: a stream of one kind of request (workers claiming) finds its text
  // here with one comparison, and moving the most recent entry to the end would change nothing.
  let latest: { query: string; document: DocumentNode | null } | undefined;
  return (query: string): DocumentNode | undefined => {
    if (latest !== undefined && latest.query === query) return latest.document ?? undefined;
    const known = remembered.get(query);
    if (known !== undefined) {
      // Most recently used last: Map keeps insertion order, so the oldest entry is the first one.
      remembered.delete(query);
      remembered.set(query, known);
      latest = { query, document: known };
      return known ?? undefined;
    }
    const checked = check(query);
    const document = Array.isArray(checked) || !runsAsPlainOperation(checked) ? null : checked;
    if (query.length <= LONGEST_REMEMBERED_QUERY) {
      if (remembered.size >= ACCEPTED_DOCUMENTS) {
        const oldest = remembered.keys().next().value as string;
        remembered.delete(oldest);
        if (latest?.query === oldest) latest = undefined;
      }
      remembered.set(query, document);
      latest = { query, document };
    }
    return document ?? undefined;
  };
}

/** False when Apollo answers the document differently from graphql-js's execute: introspection, incremental delivery. */
function runsAsPlainOperation(document: DocumentNode): boolean {
  let plain = true;
  visit(document, {
    Field(node) {
      if (node.name.value === '__schema' || node.name.value === '__type') {
        plain = false;
        return BREAK;
      }
      return undefined;
    },
    Directive(node) {
      if (node.name.value === 'defer' || node.name.value === 'stream') {
        plain = false;
        return BREAK;
      }
      return undefined;
    },
  });
  return plain;
}
