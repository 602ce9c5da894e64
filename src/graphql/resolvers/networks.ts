import { notFound } from '../../domain/errors.js';
import type { NetworkInput } from '../../domain/networks/networkInput.js';
import type { NetworkRecord, TransformationRecord } from '../../domain/networks/NetworkService.js';
import { formatScope } from '../../domain/scope.js';
import type { GraphQLContext } from '../context.js';
import { toStatusCounts } from './statusCounts.js';

type Ctx = GraphQLContext;

export const networkResolvers = {
  Query: {
    network: (_: unknown, args: { scopedKey: string }, ctx: Ctx) => ctx.services.networks.get(ctx.principal, args.scopedKey),
    networks: (_: unknown, args: { scope?: string | null }, ctx: Ctx) =>
      ctx.services.networks.list(ctx.principal, { scope: args.scope ?? undefined }),
    transformation: (_: unknown, args: { scopedKey: string }, ctx: Ctx) =>
      ctx.services.networks.getTransformation(ctx.principal, args.scopedKey),
  },
  Mutation: {
    createNetwork: (_: unknown, args: { scope: string; input: NetworkInput }, ctx: Ctx) =>
      ctx.services.networks.create(ctx.principal, args.scope, args.input),
    setNetworkWeight: (_: unknown, args: { networkKey: string; weight: number }, ctx: Ctx) =>
      ctx.services.networks.setWeight(ctx.principal, args.networkKey, args.weight),
    addRestartPattern: (_: unknown, args: { networkKey: string; pattern: string; maxRetries: number }, ctx: Ctx) =>
      ctx.services.networks.addRestartPattern(ctx.principal, args.networkKey, args.pattern, args.maxRetries),
    removeRestartPattern: (_: unknown, args: { networkKey: string; pattern: string }, ctx: Ctx) =>
      ctx.services.networks.removeRestartPattern(ctx.principal, args.networkKey, args.pattern),
  },
  AlchemicalNetwork: {
    scope: (network: NetworkRecord) => formatScope(network.scope),
    chemicalSystems: (network: NetworkRecord, _: unknown, ctx: Ctx) => ctx.services.networks.chemicalSystems(network.id),
    transformations: (network: NetworkRecord, _: unknown, ctx: Ctx) => ctx.services.networks.transformations(network.id),
    statusCounts: async (network: NetworkRecord, _: unknown, ctx: Ctx) =>
      toStatusCounts(await ctx.services.tasks.statusCounts(ctx.principal, { networkKey: network.scopedKey })),
    restartPatterns: (network: NetworkRecord, _: unknown, ctx: Ctx) => ctx.services.networks.restartPatterns(network.id),
  },
  Transformation: {
    stateA: async (t: TransformationRecord, _: unknown, ctx: Ctx) =>
      (await ctx.loaders.chemicalSystem.load(t.stateAId)) ?? Promise.reject(notFound('chemical system')),
    stateB: async (t: TransformationRecord, _: unknown, ctx: Ctx) =>
      (await ctx.loaders.chemicalSystem.load(t.stateBId)) ?? Promise.reject(notFound('chemical system')),
    statusCounts: async (t: TransformationRecord, _: unknown, ctx: Ctx) => {
      const counts = await ctx.loaders.statusCountsOfTransformation.load(t.id);
      if (counts === null) throw notFound('transformation');
      return toStatusCounts(counts);
    },
  },
};
