import type { ClaimedTask } from '../../domain/claims/ClaimService.js';
import { notFound } from '../../domain/errors.js';
import type { UnitResultInput } from '../../domain/results/UnitResultService.js';
import type { GraphQLContext } from '../context.js';

type Ctx = GraphQLContext;

interface UnitResultArgs {
  unitKey: string;
  ok: boolean;
  outputs?: unknown;
  exception?: string | null;
  traceback?: string | null;
  startedAt: Date;
  endedAt: Date;
  log?: string | null;
}

const toUnitResultInput = (r: UnitResultArgs): UnitResultInput => ({
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
export const computeResolvers = {
  Query: {
    computeServicePolicy: (_: unknown, __: unknown, ctx: Ctx) => ({ expirySeconds: ctx.services.compute.expirySeconds }),
    computeServices: (_: unknown, args: { includeGone?: boolean | null }, ctx: Ctx) =>
      ctx.services.compute.list(ctx.principal, { includeGone: args.includeGone === true }),
  },
  Mutation: {
    registerComputeService: (_: unknown, args: { name: string; protocols?: string[] | null }, ctx: Ctx) =>
      ctx.services.compute.register(ctx.principal, args.name, args.protocols ?? []),
    heartbeat: (_: unknown, args: { computeServiceId: string }, ctx: Ctx) => ctx.services.compute.heartbeat(ctx.principal, args.computeServiceId),
    deregisterComputeService: (_: unknown, args: { computeServiceId: string }, ctx: Ctx) =>
      ctx.services.compute.deregister(ctx.principal, args.computeServiceId),
    claimTasks: async (_: unknown, args: { computeServiceId: string; count?: number | null; protocols?: string[] | null }, ctx: Ctx) => {
      const claims = await ctx.services.claims.claim(ctx.principal, args.computeServiceId, args.count ?? 1, args.protocols ?? null);
      ctx.metrics.claims.inc(claims.length);
      return claims;
    },
    setProtocolDAG: (_: unknown, args: { claimToken: string; dag: unknown }, ctx: Ctx) =>
      ctx.services.dags.register(ctx.principal, args.claimToken, args.dag),
    submitUnitResult: async (_: unknown, args: { claimToken: string; result: UnitResultArgs }, ctx: Ctx) => {
      const result = await ctx.services.unitResults.submit(ctx.principal, args.claimToken, toUnitResultInput(args.result));
      ctx.metrics.unitResults.inc({ outcome: result.ok ? 'ok' : 'failed' });
      ctx.log.info({ taskId: result.taskId, unitKey: result.unitKey, attempt: result.attempt, ok: result.ok }, 'unit result recorded');
      return result;
    },
    createResultFileUpload: (_: unknown, args: { claimToken: string; unitKey: string; path: string; size: number; sha256?: string | null }, ctx: Ctx) =>
      ctx.services.resultFiles.createUpload(ctx.principal, args.claimToken, args),
    continueResultFileUpload: (_: unknown, args: { claimToken: string; uploadId: string; firstPartNumber?: number | null }, ctx: Ctx) =>
      ctx.services.resultFiles.continueUpload(ctx.principal, args.claimToken, args.uploadId, args.firstPartNumber ?? 1),
    commitResultFile: async (_: unknown, args: { claimToken: string; uploadId: string; parts?: Array<{ partNumber: number; etag: string }> | null; sha256?: string | null }, ctx: Ctx) => {
      const file = await ctx.services.resultFiles.commit(ctx.principal, args.claimToken, args.uploadId, args.parts ?? [], args.sha256);
      ctx.metrics.resultFiles.inc();
      ctx.metrics.resultFileBytes.inc(file.size);
      return file;
    },
    finishTask: async (_: unknown, args: { claimToken: string }, ctx: Ctx) => {
      const outcome = await ctx.services.finisher.finish(ctx.principal, args.claimToken);
      ctx.metrics.dagResults.inc({ outcome: outcome.ok ? 'ok' : 'failed' });
      const dagResult = await ctx.services.dagResults.byId(outcome.dagResultId);
      if (dagResult === null) throw notFound('ProtocolDAGResult');
      return { dagResult, restartedBy: outcome.restartedBy, taskId: dagResult.taskId };
    },
    reportDagBuildFailure: async (_: unknown, args: { claimToken: string; exception: string; traceback?: string | null }, ctx: Ctx) => {
      const outcome = await ctx.services.dagBuildFailures.record(ctx.principal, args.claimToken, { exception: args.exception, traceback: args.traceback ?? undefined });
      ctx.metrics.dagResults.inc({ outcome: 'failed' });
      const dagResult = await ctx.services.dagResults.byId(outcome.dagResultId);
      if (dagResult === null) throw notFound('ProtocolDAGResult');
      return { dagResult, restartedBy: outcome.restartedBy, taskId: dagResult.taskId };
    },
  },
  Claim: {
    token: (claim: ClaimedTask) => claim.claimToken,
    fence: (claim: ClaimedTask) => claim.fence.toString(),
    task: (claim: ClaimedTask) => claim.task,
  },
  FinishResult: {
    task: async (result: { taskId: string }, _: unknown, ctx: Ctx) => (await ctx.loaders.task.load(result.taskId)) ?? Promise.reject(notFound('task')),
  },
};
