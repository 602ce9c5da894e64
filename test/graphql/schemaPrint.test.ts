import { readFileSync } from 'node:fs';
import { buildClientSchema, getIntrospectionQuery, printSchema } from 'graphql';
import type { IntrospectionQuery } from 'graphql';
import { buildSchema, schemaPath } from '../../src/graphql/schema.js';
import { startTestApp } from '../support/testApp.js';
import type { TestApp } from '../support/testApp.js';

/**
 * schema.graphql is the API as clients see it: the schema the server runs, and the one a client
 * introspects, print exactly as the file reads — descriptions included (scalars attached in code once
 * dropped theirs). Only trailing whitespace is forgiven.
 */
const withoutTrailingSpace = (sdl: string) => sdl.replace(/[ \t]+$/gm, '').trimEnd();
const file = withoutTrailingSpace(readFileSync(schemaPath, 'utf8'));

describe('schema.graphql prints exactly as the served schema', () => {
  test('the executable schema the server builds prints as schema.graphql, descriptions and all', () => {
    expect(withoutTrailingSpace(printSchema(buildSchema()))).toBe(file);
  });

  describe('over HTTP', () => {
    let server: TestApp;
    beforeAll(async () => {
      server = await startTestApp('pglite');
    });
    afterAll(async () => {
      await server?.close();
    });

    test('the schema a client introspects from a running server prints as schema.graphql', async () => {
      const everything = getIntrospectionQuery({
        descriptions: true,
        schemaDescription: true,
        specifiedByUrl: true,
        directiveIsRepeatable: true,
        inputValueDeprecation: true,
      });
      const introspection = await server.admin.request<IntrospectionQuery>(everything);
      expect(withoutTrailingSpace(printSchema(buildClientSchema(introspection)))).toBe(file);
    });
  });
});
