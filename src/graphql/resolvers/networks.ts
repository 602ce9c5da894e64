import { notFound } from '../../domain/errors.js';
import { formatScope } from '../../domain/scope.js';
import type { Resolvers } from '../generated/types.js';
import { toStatusCounts } from './statusCounts.js';

export const networkResolvers: Resolvers = {
  Query: {
    network: (_, args, ctx) => ctx.services.networks.get(ctx.principal, args.scopedKey),
    networks: (_, args, ctx) => ctx.services.networks.list(ctx.principal, args),
    transformation: (_, args, ctx) => ctx.services.networks.getTransformation(ctx.principal, args.scopedKey),
    transformations: (_, args, ctx) => ctx.services.networks.findTransformations(ctx.principal, args),
    chemicalSystem: (_, args, ctx) => ctx.services.networks.getChemicalSystem(ctx.principal, args.scopedKey),
    chemicalSystems: (_, args, ctx) => ctx.services.networks.findChemicalSystems(ctx.principal, args),
  },
  Mutation: {
    createNetwork: (_, args, ctx) => ctx.services.networks.create(ctx.principal, args.scope, args.input),
    setNetworkWeight: (_, args, ctx) => ctx.services.networks.setWeight(ctx.principal, args.networkKey, args.weight),
    setNetworkState: (_, args, ctx) => ctx.services.networks.setState(ctx.principal, args.networkKeys, args.state),
    addRestartPattern: (_, args, ctx) =>
      ctx.services.networks.addRestartPattern(ctx.principal, args.networkKey, args.pattern, args.maxRetries),
    removeRestartPattern: (_, args, ctx) => ctx.services.networks.removeRestartPattern(ctx.principal, args.networkKey, args.pattern),
  },
  AlchemicalNetwork: {
    scope: (network) => formatScope(network.scope),
    chemicalSystems: (network, _, ctx) => ctx.services.networks.chemicalSystems(network.id),
    transformations: (network, _, ctx) => ctx.services.networks.transformations(network.id),
    statusCounts: async (network, _, ctx) =>
      toStatusCounts(await ctx.services.tasks.statusCounts(ctx.principal, { networkKey: network.scopedKey })),
    restartPatterns: (network, _, ctx) => ctx.services.networks.restartPatterns(network.id),
    estimates: (network, args, ctx) => ctx.services.estimates.ofNetwork(network, args.reference ?? undefined),
  },
  Transformation: {
    stateA: async (t, _, ctx) => (await ctx.loaders.chemicalSystem.load(t.stateAId)) ?? Promise.reject(notFound('chemical system')),
    stateB: async (t, _, ctx) => (await ctx.loaders.chemicalSystem.load(t.stateBId)) ?? Promise.reject(notFound('chemical system')),
    statusCounts: async (t, _, ctx) => {
      const counts = await ctx.loaders.statusCountsOfTransformation.load(t.id);
      if (counts === null) throw notFound('transformation');
      return toStatusCounts(counts);
    },
    estimate: (t, _, ctx) => ctx.loaders.estimateOfTransformation.load(t.id),
    networks: (t, args, ctx) => ctx.services.networks.networksHolding({ transformationId: t.id }, args.state),
  },
  ChemicalSystem: {
    transformations: (system, _, ctx) => ctx.services.networks.transformationsTouching(system.id),
    networks: (system, args, ctx) => ctx.services.networks.networksHolding({ chemicalSystemId: system.id }, args.state),
  },
};
