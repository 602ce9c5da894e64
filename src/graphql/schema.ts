import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { GraphQLSchema } from 'graphql';
import { computeResolvers } from './resolvers/compute.js';
import { computeManagerResolvers } from './resolvers/computeManagers.js';
import { eventResolvers } from './resolvers/events.js';
import { identityResolvers } from './resolvers/identities.js';
import { importResolvers } from './resolvers/imports.js';
import { inputResolvers } from './resolvers/inputs.js';
import { networkResolvers } from './resolvers/networks.js';
import { requestSizeLimitResolvers } from './resolvers/requestSizeLimits.js';
import { scalarResolvers } from './resolvers/scalars.js';
import { taskResolvers } from './resolvers/tasks.js';

// Two levels up from src/graphql (or dist/graphql) is the package root, where schema.graphql lives.
export const schemaPath = fileURLToPath(new URL('../../schema.graphql', import.meta.url));

export const resolvers = [
  scalarResolvers,
  identityResolvers,
  networkResolvers,
  taskResolvers,
  computeResolvers,
  computeManagerResolvers,
  eventResolvers,
  importResolvers,
  inputResolvers,
  requestSizeLimitResolvers,
];

/** schema.graphql with its resolvers; start-up fails if a resolver names a field the schema lacks. */
export function buildSchema(typeDefs = readFileSync(schemaPath, 'utf8')): GraphQLSchema {
  return makeExecutableSchema({
    typeDefs,
    resolvers,
    resolverValidationOptions: { requireResolversToMatchSchema: 'error' },
  });
}
