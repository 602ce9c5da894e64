import type { Resolvers } from '../generated/types.js';

/** Network import (docs/archive.md): uploads of an archived task's bytes, then importTask. */
export const importResolvers: Resolvers = {
  Mutation: {
    createImportUpload: (_, args, ctx) =>
      ctx.services.imports.openUpload(ctx.principal, args.scope, { size: args.size, sha256: args.sha256 }),
    continueImportUpload: (_, args, ctx) => ctx.services.imports.continueUpload(ctx.principal, args.uploadId, args.firstPartNumber ?? 1),
    commitImportUpload: (_, args, ctx) => ctx.services.imports.commitUpload(ctx.principal, args.uploadId, args.parts ?? []),
    importTask: async (_, args, ctx) => {
      const imported = await ctx.services.imports.importTask(ctx.principal, args.transformationKey, {
        documentUploadId: args.input.documentUploadId,
        files: args.input.files ?? [],
      });
      ctx.log.info({ taskId: imported.task.id, created: imported.created }, 'task imported');
      return imported;
    },
  },
};
