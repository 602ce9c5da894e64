import type { Resolvers } from '../generated/types.js';

/** Compute managers: what claimable work they watch, their registration, and the worker jobs they report. */
export const computeManagerResolvers: Resolvers = {
  Query: {
    claimableTaskCounts: (_, args, ctx) => ctx.services.claimableWork.counts(ctx.principal, args.protocols ?? null, args.scope ?? null),
    computeManagers: (_, args, ctx) =>
      ctx.services.managers.list(ctx.principal, { includeDeregistered: args.includeDeregistered === true }),
  },
  Mutation: {
    registerComputeManager: (_, args, ctx) => ctx.services.managers.register(ctx.principal, args.name, args.backend, args.host ?? null),
    reportComputeManagerJobs: (_, args, ctx) =>
      ctx.services.managers.reportJobs(
        ctx.principal,
        args.computeManagerId,
        args.jobs.map((job) => ({
          jobId: job.jobId,
          state: job.state,
          reason: job.reason ?? null,
          submittedAt: job.submittedAt,
          startedAt: job.startedAt ?? null,
          endedAt: job.endedAt ?? null,
        })),
      ),
    deregisterComputeManager: (_, args, ctx) => ctx.services.managers.deregister(ctx.principal, args.computeManagerId),
  },
};
