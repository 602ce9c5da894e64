import { notFound } from '../../domain/errors.js';
import type { UnitResultInput as DomainUnitResultInput } from '../../domain/results/UnitResultService.js';
import type { Resolvers, UnitResultInput } from '../generated/types.js';

const toUnitResultInput = (r: UnitResultInput): DomainUnitResultInput => ({
  unitKey: r.unitKey,
  ok: r.ok,
  outputs: r.outputs,
  exception: r.exception ?? undefined,
  traceback: r.traceback ?? undefined,
  startedAt: r.startedAt,
  endedAt: r.endedAt,
  log: r.log ?? undefined,
});

/** What compute services do: register, heartbeat, claim, and write through their claims. */
export const computeResolvers: Resolvers = {
  Query: {
    computeServicePolicy: (_, __, ctx) => ({ expirySeconds: ctx.services.compute.expirySeconds }),
    computeServices: (_, args, ctx) => ctx.services.compute.list(ctx.principal, { includeGone: args.includeGone === true }),
    computeServicesAtWork: (_, args, ctx) => ctx.services.compute.atWork(ctx.principal, args.scope ?? undefined),
  },
  Mutation: {
    registerComputeService: (_, args, ctx) =>
      ctx.services.compute.register(ctx.principal, args.name, args.protocols ?? [], args.host ?? undefined),
    heartbeat: (_, args, ctx) => ctx.services.compute.heartbeat(ctx.principal, args.computeServiceId),
    deregisterComputeService: (_, args, ctx) => ctx.services.compute.deregister(ctx.principal, args.computeServiceId),
    claimTasks: async (_, args, ctx) => {
      const claims = await ctx.services.claims.claim(ctx.principal, args.computeServiceId, args.count ?? 1, args.protocols ?? null);
      ctx.metrics.claims.inc(claims.length);
      return claims;
    },
    startUnit: async (_, args, ctx) => {
      await ctx.services.attempts.startUnit(ctx.principal, args.claimToken, args.unitKey);
      return true;
    },
    setProtocolDAG: (_, args, ctx) => ctx.services.dags.register(ctx.principal, args.claimToken, args.dag),
    submitUnitResult: async (_, args, ctx) => {
      const result = await ctx.services.unitResults.submit(ctx.principal, args.claimToken, toUnitResultInput(args.result));
      ctx.metrics.unitResults.inc({ outcome: result.ok ? 'ok' : 'failed' });
      ctx.log.info({ taskId: result.taskId, unitKey: result.unitKey, attempt: result.attempt, ok: result.ok }, 'unit result recorded');
      return result;
    },
    createResultFileUpload: (_, args, ctx) => ctx.services.resultFiles.createUpload(ctx.principal, args.claimToken, args),
    continueResultFileUpload: (_, args, ctx) =>
      ctx.services.resultFiles.continueUpload(ctx.principal, args.claimToken, args.uploadId, args.firstPartNumber ?? 1),
    commitResultFile: async (_, args, ctx) => {
      const file = await ctx.services.resultFiles.commit(ctx.principal, args.claimToken, args.uploadId, args.parts ?? [], args.sha256);
      ctx.metrics.resultFiles.inc();
      ctx.metrics.resultFileBytes.inc(file.size);
      return file;
    },
    finishTask: async (_, args, ctx) => {
      const { dagResult, restartedBy, task } = await ctx.services.finisher.finish(ctx.principal, args.claimToken);
      ctx.metrics.dagResults.inc({ outcome: dagResult.ok ? 'ok' : 'failed' });
      return { dagResult, restartedBy, taskId: dagResult.taskId, task };
    },
    reportDagBuildFailure: async (_, args, ctx) => {
      const outcome = await ctx.services.dagBuildFailures.record(ctx.principal, args.claimToken, {
        exception: args.exception,
        traceback: args.traceback ?? undefined,
      });
      ctx.metrics.dagResults.inc({ outcome: 'failed' });
      const dagResult = await ctx.services.dagResults.byId(outcome.dagResultId);
      if (dagResult === null) throw notFound('ProtocolDAGResult');
      return { dagResult, restartedBy: outcome.restartedBy, taskId: dagResult.taskId };
    },
  },
  Claim: {
    token: (claim) => claim.claimToken,
    fence: (claim) => claim.fence.toString(),
    task: (claim) => claim.task,
  },
  FinishResult: {
    task: async (result, _, ctx) => result.task ?? (await ctx.loaders.task.load(result.taskId)) ?? Promise.reject(notFound('task')),
  },
};
