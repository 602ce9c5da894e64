import { notFound } from '../../domain/errors.js';
import type { IdentityKind as DomainIdentityKind } from '../../domain/principal.js';
import type { IdentityKind, Resolvers } from '../generated/types.js';

const fromGraphQLKind = (kind: IdentityKind): DomainIdentityKind => (kind === 'USER' ? 'user' : 'compute');

export const identityResolvers: Resolvers = {
  Query: {
    viewer: async (_, __, ctx) => {
      const identity = await ctx.services.identities.get(ctx.principal, ctx.principal.identityId);
      if (identity === null) throw notFound('identity');
      return identity;
    },
    identities: (_, __, ctx) => ctx.services.identities.list(ctx.principal),
    identity: (_, args, ctx) => ctx.services.identities.get(ctx.principal, args.id),
  },
  Mutation: {
    createIdentity: (_, { input }, ctx) =>
      ctx.services.identities.create(ctx.principal, {
        kind: fromGraphQLKind(input.kind),
        name: input.name,
        scopes: input.scopes,
        tokenExpiresInSeconds: input.tokenExpiresInSeconds ?? undefined,
      }),
    issueToken: async (_, args, ctx) => {
      const { token, record } = await ctx.services.identities.issueToken(ctx.principal, args.identityId, {
        label: args.label ?? undefined,
        expiresInSeconds: args.expiresInSeconds ?? undefined,
      });
      return { token, info: record };
    },
    revokeToken: (_, args, ctx) => ctx.services.identities.revokeToken(ctx.principal, args.tokenId),
    disableIdentity: (_, args, ctx) => ctx.services.identities.disable(ctx.principal, args.id),
  },
  Identity: {
    kind: (identity) => (identity.kind === 'user' ? 'USER' : 'COMPUTE'),
    scopes: (identity, _, ctx) => ctx.loaders.scopesOfIdentity.load(identity.id),
    tokens: (identity, _, ctx) => {
      if (identity.id !== ctx.principal.identityId && !ctx.principal.isAdmin) return [];
      return ctx.loaders.tokensOfIdentity.load(identity.id);
    },
  },
};
