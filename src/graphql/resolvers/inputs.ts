import { formatScope } from '../../domain/scope.js';
import type { Scope } from '../../domain/scope.js';
import { distinctObjects, referencesIn } from '../../domain/inputs/InputObjectService.js';
import type { InputObjectRecord } from '../../domain/inputs/InputObjectService.js';
import { SHA256_FIELD } from '../../domain/inputs/inputReferences.js';
import type { GraphQLContext } from '../context.js';
import type { Resolvers } from '../generated/types.js';
import { inputReferenceKey } from '../loaders.js';

/** Input objects (docs/inputs.md): uploads, lookups in a scope, and the objects stored values refer to. */
export const inputResolvers: Resolvers = {
  Query: {
    inputObject: (_, args, ctx) => ctx.services.inputs.get(ctx.principal, args.scope, args.sha256),
    inputObjectByKey: (_, args, ctx) => ctx.services.inputs.byKey(ctx.principal, args.scope, args.key),
  },
  Mutation: {
    createInputUpload: (_, args, ctx) => ctx.services.inputs.openUpload(ctx.principal, args.input),
    continueInputUpload: (_, args, ctx) => ctx.services.inputs.continueUpload(ctx.principal, args.uploadId, args.firstPartNumber ?? 1),
    commitInputUpload: (_, args, ctx) => ctx.services.inputs.commitUpload(ctx.principal, args.uploadId, args.parts ?? []),
  },
  InputObject: {
    scope: (object) => formatScope(object.scope),
    reference: (object) => ({ [SHA256_FIELD]: object.sha256 }),
    downloadUrl: (object, _, ctx) => ctx.services.inputs.downloadUrl(object),
  },
  ChemicalSystem: {
    inputObjects: (system, _, ctx) => inputObjectsOf(system.scope, [system.components], ctx),
  },
  Transformation: {
    inputObjects: async (t, _, ctx) => {
      const states = await ctx.loaders.chemicalSystem.loadMany([t.stateAId, t.stateBId]);
      const components = states.flatMap((state) => (state === null || state instanceof Error ? [] : [state.components]));
      return inputObjectsOf(t.scope, [t.settings, ...components], ctx);
    },
  },
  ProtocolUnit: {
    inputObjects: async (unit, _, ctx) => {
      if (unit.inputs === undefined || unit.inputs === null) return [];
      const task = await ctx.loaders.task.load(unit.taskId);
      return task === null ? [] : inputObjectsOf(task.scope, [unit.inputs], ctx);
    },
  },
};

/** The scope's objects the values refer to, each once, by SHA-256: one query for a whole list of parents. */
async function inputObjectsOf(scope: Scope, values: readonly unknown[], ctx: GraphQLContext): Promise<InputObjectRecord[]> {
  const { sha256s, keys } = referencesIn(values);
  const loaderKeys = [
    ...sha256s.map((sha256) => inputReferenceKey(scope, { sha256 })),
    ...keys.map((key) => inputReferenceKey(scope, { key })),
  ];
  const loaded = await ctx.loaders.inputObjectByReference.loadMany(loaderKeys);
  return distinctObjects(
    loaded.map((found) => {
      if (found instanceof Error) throw found;
      return found;
    }),
  );
}
