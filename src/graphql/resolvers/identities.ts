import { notFound } from '../../domain/errors.js';
import type { IdentityRecord } from '../../domain/identities/IdentityService.js';
import type { IdentityKind } from '../../domain/principal.js';
import type { GraphQLContext } from '../context.js';

type GraphQLKind = 'USER' | 'COMPUTE';
const fromGraphQLKind = (kind: GraphQLKind): IdentityKind => (kind === 'USER' ? 'user' : 'compute');

interface CreateIdentityArgs {
  input: { kind: GraphQLKind; name: string; scopes: string[]; tokenExpiresInSeconds?: number | null };
}

export const identityResolvers = {
  Query: {
    viewer: async (_: unknown, __: unknown, ctx: GraphQLContext) => {
      const identity = await ctx.services.identities.get(ctx.principal, ctx.principal.identityId);
      if (identity === null) throw notFound('identity');
      return identity;
    },
    identities: (_: unknown, __: unknown, ctx: GraphQLContext) => ctx.services.identities.list(ctx.principal),
    identity: (_: unknown, args: { id: string }, ctx: GraphQLContext) =>
      ctx.services.identities.get(ctx.principal, args.id),
  },
  Mutation: {
    createIdentity: (_: unknown, { input }: CreateIdentityArgs, ctx: GraphQLContext) =>
      ctx.services.identities.create(ctx.principal, {
        kind: fromGraphQLKind(input.kind),
        name: input.name,
        scopes: input.scopes,
        tokenExpiresInSeconds: input.tokenExpiresInSeconds ?? undefined,
      }),
    issueToken: async (
      _: unknown,
      args: { identityId: string; label?: string | null; expiresInSeconds?: number | null },
      ctx: GraphQLContext,
    ) => {
      const { token, record } = await ctx.services.identities.issueToken(ctx.principal, args.identityId, {
        label: args.label ?? undefined,
        expiresInSeconds: args.expiresInSeconds ?? undefined,
      });
      return { token, info: record };
    },
    revokeToken: (_: unknown, args: { tokenId: string }, ctx: GraphQLContext) =>
      ctx.services.identities.revokeToken(ctx.principal, args.tokenId),
    disableIdentity: (_: unknown, args: { id: string }, ctx: GraphQLContext) =>
      ctx.services.identities.disable(ctx.principal, args.id),
  },
  Identity: {
    kind: (identity: IdentityRecord): GraphQLKind => (identity.kind === 'user' ? 'USER' : 'COMPUTE'),
    scopes: (identity: IdentityRecord, _: unknown, ctx: GraphQLContext) => ctx.loaders.scopesOfIdentity.load(identity.id),
    tokens: (identity: IdentityRecord, _: unknown, ctx: GraphQLContext) => {
      if (identity.id !== ctx.principal.identityId && !ctx.principal.isAdmin) return [];
      return ctx.loaders.tokensOfIdentity.load(identity.id);
    },
  },
};
