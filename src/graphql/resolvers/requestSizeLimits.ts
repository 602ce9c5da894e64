import type { Resolvers } from '../generated/types.js';

/** The size caps a client needs to split its own requests (a large network's createNetwork): any caller may read them. */
export const requestSizeLimitResolvers: Resolvers = {
  Query: {
    requestSizeLimits: (_, __, ctx) => ctx.sizeLimits,
  },
};
