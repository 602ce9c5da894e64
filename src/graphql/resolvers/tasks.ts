import { taskAttempts } from '../../domain/claims/taskAttempts.js';
import { badInput, notFound } from '../../domain/errors.js';
import { isDagBuildFailure, taskFailures } from '../../domain/results/taskFailures.js';
import { formatScope } from '../../domain/scope.js';
import type { TaskFilter } from '../../domain/tasks/TaskService.js';
import { echo } from '../../domain/textLimits.js';
import { waitingForProtocol } from '../../domain/tasks/waitingForProtocol.js';
import type { Resolvers, TaskFilter as GraphQLTaskFilter } from '../generated/types.js';
import { toStatusCounts } from './statusCounts.js';

/** A connection cursor: the task's id, opaque to clients. The same cursor pages forward (after) and backward (before). */
const encodeCursor = (taskId: string) => Buffer.from(`task:${taskId}`).toString('base64url');
function taskIdOf(cursor: string | null | undefined): string | undefined {
  if (cursor === null || cursor === undefined) return undefined;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith('task:')) throw badInput(`"${echo(cursor)}" is not a cursor from this API`);
  return text.slice('task:'.length);
}

const toFilter = (filter: GraphQLTaskFilter | null | undefined): TaskFilter => ({
  scope: filter?.scope ?? undefined,
  status: filter?.status ?? undefined,
  networkKey: filter?.networkKey ?? undefined,
  transformationKey: filter?.transformationKey ?? undefined,
});

export const taskResolvers: Resolvers = {
  Query: {
    task: (_, args, ctx) => ctx.services.tasks.get(ctx.principal, args.id),
    tasks: async (_, args, ctx) => {
      const page = await ctx.services.tasks.list(ctx.principal, toFilter(args.filter), {
        first: args.first ?? undefined,
        after: taskIdOf(args.after),
        last: args.last ?? undefined,
        before: taskIdOf(args.before),
      });
      const edges = page.tasks.map((task) => ({ cursor: encodeCursor(task.id), node: task }));
      return {
        edges,
        totalCount: page.totalCount,
        pageInfo: {
          hasNextPage: page.hasNextPage,
          hasPreviousPage: page.hasPreviousPage,
          startCursor: edges[0]?.cursor ?? null,
          endCursor: edges.at(-1)?.cursor ?? null,
        },
      };
    },
    statusCounts: async (_, args, ctx) =>
      toStatusCounts(
        await ctx.services.tasks.statusCounts(ctx.principal, {
          scope: args.scope ?? undefined,
          networkKey: args.networkKey ?? undefined,
          transformationKey: args.transformationKey ?? undefined,
        }),
      ),
  },
  Mutation: {
    createTasks: (_, args, ctx) =>
      ctx.services.tasks.create(ctx.principal, args.transformationKey, args.count ?? 1, {
        extendsId: args.extends ?? undefined,
        priority: args.priority ?? undefined,
        dag: args.dag,
        seed: args.seed ?? undefined,
      }),
    actionTasks: (_, args, ctx) => ctx.services.tasks.action(ctx.principal, args.networkKey, args.taskIds),
    cancelTasks: (_, args, ctx) => ctx.services.tasks.cancel(ctx.principal, args.networkKey, args.taskIds),
    setTaskStatus: (_, args, ctx) => ctx.services.tasks.setStatus(ctx.principal, args.taskIds, args.status),
    setTaskPriority: (_, args, ctx) => ctx.services.tasks.setPriority(ctx.principal, args.taskIds, args.priority),
  },
  Task: {
    scope: (task) => formatScope(task.scope),
    transformation: async (task, _, ctx) =>
      (await ctx.loaders.transformation.load(task.transformationId)) ?? Promise.reject(notFound('transformation')),
    extends: (task, _, ctx) => (task.extendsId === null ? null : ctx.loaders.task.load(task.extendsId)),
    actionedOn: (task, _, ctx) => ctx.loaders.hubsOfTask.load(task.id),
    dag: (task, _, ctx) => ctx.loaders.dagOfTask.load(task.id),
    unitResults: async (task, args, ctx) => {
      const results = await ctx.loaders.unitResultsOfTask.load(task.id);
      return args.ok === null || args.ok === undefined ? results : results.filter((r) => r.ok === args.ok);
    },
    failures: async (task, _, ctx) =>
      taskFailures(await ctx.loaders.unitResultsOfTask.load(task.id), await ctx.loaders.dagResultsOfTask.load(task.id)),
    resultFiles: async (task, args, ctx) => {
      const files =
        args.ok === true ? await ctx.loaders.okResultFilesOfTask.load(task.id) : await ctx.loaders.resultFilesOfTask.load(task.id);
      const okIds = args.ok === false ? new Set((await ctx.loaders.okResultFilesOfTask.load(task.id)).map((f) => f.id)) : undefined;
      return files.filter((f) => (args.unitKey === null || args.unitKey === undefined || f.unitKey === args.unitKey) && !okIds?.has(f.id));
    },
    dagResults: async (task, args, ctx) => {
      const results = await ctx.loaders.dagResultsOfTask.load(task.id);
      return args.ok === null || args.ok === undefined ? results : results.filter((r) => r.ok === args.ok);
    },
    attempts: async (task, _, ctx) => {
      const [claims, results] = await Promise.all([ctx.loaders.claimsOfTask.load(task.id), ctx.loaders.unitResultsOfTask.load(task.id)]);
      return taskAttempts(claims, results);
    },
    waitingForProtocol: async (task, _, ctx) => {
      if (task.status !== 'WAITING') return null;
      const transformation = await ctx.loaders.transformation.load(task.transformationId);
      if (transformation === null) return null;
      return waitingForProtocol(task.status, transformation.protocol, await ctx.loaders.protocolUnserved.load(transformation.protocol));
    },
  },
  TaskFailure: {
    __resolveType: (failure) => (isDagBuildFailure(failure) ? 'DagBuildFailure' : 'UnitResult'),
  },
  ProtocolDAG: {
    serialized: (dag, _, ctx) => ctx.services.dags.serialized(dag),
    units: (dag) => dag.units.map((unit) => ({ ...unit, taskId: dag.taskId })),
    remaining: (dag, _, ctx) => ctx.services.dags.remaining(dag),
  },
  ProtocolUnit: {
    results: async (unit, _, ctx) => (await ctx.loaders.unitResultsOfTask.load(unit.taskId)).filter((r) => r.unitKey === unit.key),
    state: async (unit, _, ctx) => {
      const results = (await ctx.loaders.unitResultsOfTask.load(unit.taskId)).filter((r) => r.unitKey === unit.key);
      if (results.some((r) => r.ok)) return 'OK';
      return results.length > 0 ? 'FAILED' : 'PENDING';
    },
  },
  UnitResult: {
    outputs: async (result, _, ctx) => {
      if (!result.ok) return null;
      const document = (await ctx.services.unitResults.document(result)) as { outputs?: unknown };
      return document.outputs ?? null;
    },
    log: (result, _, ctx) => ctx.services.unitResults.logText(result),
  },
  ResultFile: {
    downloadUrl: (file, _, ctx) => ctx.services.resultFiles.downloadUrl(file),
  },
  ProtocolDAGResult: {
    document: (result, _, ctx) => ctx.services.dagResults.document(result),
  },
};
