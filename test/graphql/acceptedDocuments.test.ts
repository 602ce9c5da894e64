import { ACCEPTED_DOCUMENTS, acceptedDocuments } from '../../src/graphql/acceptedDocuments.js';
import { defaultRequestLimits } from '../../src/graphql/limits/requestLimits.js';
import { buildSchema } from '../../src/graphql/schema.js';

const query = (i: number): string => `query Q${i} { viewer { name } }`;

describe('accepted documents', () => {
  test('a text asked again is the remembered document, also when it is the one asked just before', () => {
    const documentFor = acceptedDocuments(buildSchema(), defaultRequestLimits);
    const first = documentFor(query(0));
    expect(first).toBeDefined();
    // A copy of the text, not the same string: a request's body is parsed anew each time.
    expect(documentFor(` ${query(0)}`.slice(1))).toBe(first);
    expect(documentFor(query(0))).toBe(first);
    expect(documentFor('{ __schema { types { name } } }')).toBeUndefined();
    expect(documentFor('{ __schema { types { name } } }')).toBeUndefined();
    expect(documentFor('{ notAField }')).toBeUndefined();
  });

  test('the least recently used text is forgotten first, the one asked last never', () => {
    const documentFor = acceptedDocuments(buildSchema(), defaultRequestLimits);
    const documents = Array.from({ length: ACCEPTED_DOCUMENTS }, (_, i) => documentFor(query(i)));
    // Query 0 becomes the most recently used; query 1 is now the oldest.
    expect(documentFor(query(0))).toBe(documents[0]);
    expect(documentFor(query(ACCEPTED_DOCUMENTS))).toBeDefined();
    expect(documentFor(query(0))).toBe(documents[0]);
    expect(documentFor(query(2))).toBe(documents[2]);
    const again = documentFor(query(1));
    expect(again).toBeDefined();
    expect(again).not.toBe(documents[1]);
  });
});
