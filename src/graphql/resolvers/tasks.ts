import { badInput, notFound } from '../../domain/errors.js';
import type { DagRecord, ProtocolUnitRecord } from '../../domain/dag/DagService.js';
import type { DagResultRecord } from '../../domain/results/DagResultReader.js';
import type { ResultFileRecord } from '../../domain/results/ResultFileService.js';
import type { UnitResultRecord } from '../../domain/results/UnitResultService.js';
import { isDagBuildFailure, taskFailures } from '../../domain/results/taskFailures.js';
import type { TaskFailureRecord } from '../../domain/results/taskFailures.js';
import { formatScope } from '../../domain/scope.js';
import type { TaskFilter } from '../../domain/tasks/TaskService.js';
import type { TaskRecord } from '../../domain/tasks/taskRecords.js';
import type { TaskStatus } from '../../domain/tasks/taskStatus.js';
import { echo } from '../../domain/textLimits.js';
import { waitingForProtocol } from '../../domain/tasks/waitingForProtocol.js';
import type { GraphQLContext } from '../context.js';
import { toStatusCounts } from './statusCounts.js';

type Ctx = GraphQLContext;
type UnitOfDag = ProtocolUnitRecord & { taskId: string };

const encodeCursor = (taskId: string) => Buffer.from(`task:${taskId}`).toString('base64url');
function decodeCursor(cursor: string): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith('task:')) throw badInput(`"${echo(cursor)}" is not a cursor from this API`);
  return text.slice('task:'.length);
}

export const taskResolvers = {
  Query: {
    task: (_: unknown, args: { id: string }, ctx: Ctx) => ctx.services.tasks.get(ctx.principal, args.id),
    tasks: async (_: unknown, args: { first?: number | null; after?: string | null; filter?: TaskFilter | null }, ctx: Ctx) => {
      const filter = Object.fromEntries(Object.entries(args.filter ?? {}).filter(([, v]) => v !== null)) as TaskFilter;
      const page = await ctx.services.tasks.list(ctx.principal, filter, {
        first: args.first ?? undefined,
        after: args.after === null || args.after === undefined ? undefined : decodeCursor(args.after),
      });
      const edges = page.tasks.map((task) => ({ cursor: encodeCursor(task.id), node: task }));
      return { edges, totalCount: page.totalCount, pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null } };
    },
    statusCounts: async (_: unknown, args: { scope?: string | null; networkKey?: string | null; transformationKey?: string | null }, ctx: Ctx) =>
      toStatusCounts(await ctx.services.tasks.statusCounts(ctx.principal, {
        scope: args.scope ?? undefined, networkKey: args.networkKey ?? undefined, transformationKey: args.transformationKey ?? undefined,
      })),
  },
  Mutation: {
    createTasks: (_: unknown, args: { transformationKey: string; count?: number | null; extends?: string | null; priority?: number | null; dag?: unknown }, ctx: Ctx) =>
      ctx.services.tasks.create(ctx.principal, args.transformationKey, args.count ?? 1, {
        extendsId: args.extends ?? undefined, priority: args.priority ?? undefined, dag: args.dag,
      }),
    actionTasks: (_: unknown, args: { networkKey: string; taskIds: string[] }, ctx: Ctx) =>
      ctx.services.tasks.action(ctx.principal, args.networkKey, args.taskIds),
    cancelTasks: (_: unknown, args: { networkKey: string; taskIds: string[] }, ctx: Ctx) =>
      ctx.services.tasks.cancel(ctx.principal, args.networkKey, args.taskIds),
    setTaskStatus: (_: unknown, args: { taskIds: string[]; status: TaskStatus }, ctx: Ctx) =>
      ctx.services.tasks.setStatus(ctx.principal, args.taskIds, args.status),
    setTaskPriority: (_: unknown, args: { taskIds: string[]; priority: number }, ctx: Ctx) =>
      ctx.services.tasks.setPriority(ctx.principal, args.taskIds, args.priority),
  },
  Task: {
    scope: (task: TaskRecord) => formatScope(task.scope),
    transformation: async (task: TaskRecord, _: unknown, ctx: Ctx) =>
      (await ctx.loaders.transformation.load(task.transformationId)) ?? Promise.reject(notFound('transformation')),
    extends: (task: TaskRecord, _: unknown, ctx: Ctx) => (task.extendsId === null ? null : ctx.loaders.task.load(task.extendsId)),
    actionedOn: (task: TaskRecord, _: unknown, ctx: Ctx) => ctx.loaders.hubsOfTask.load(task.id),
    dag: (task: TaskRecord, _: unknown, ctx: Ctx) => ctx.loaders.dagOfTask.load(task.id),
    unitResults: async (task: TaskRecord, args: { ok?: boolean | null }, ctx: Ctx) => {
      const results = await ctx.loaders.unitResultsOfTask.load(task.id);
      return args.ok === null || args.ok === undefined ? results : results.filter((r) => r.ok === args.ok);
    },
    failures: async (task: TaskRecord, _: unknown, ctx: Ctx) =>
      taskFailures(await ctx.loaders.unitResultsOfTask.load(task.id), await ctx.loaders.dagResultsOfTask.load(task.id)),
    resultFiles: async (task: TaskRecord, args: { unitKey?: string | null; ok?: boolean | null }, ctx: Ctx) => {
      const files = args.ok === true ? await ctx.loaders.okResultFilesOfTask.load(task.id) : await ctx.loaders.resultFilesOfTask.load(task.id);
      const okIds = args.ok === false ? new Set((await ctx.loaders.okResultFilesOfTask.load(task.id)).map((f) => f.id)) : undefined;
      return files.filter((f) => (args.unitKey === null || args.unitKey === undefined || f.unitKey === args.unitKey) && !okIds?.has(f.id));
    },
    dagResults: async (task: TaskRecord, args: { ok?: boolean | null }, ctx: Ctx) => {
      const results = await ctx.loaders.dagResultsOfTask.load(task.id);
      return args.ok === null || args.ok === undefined ? results : results.filter((r) => r.ok === args.ok);
    },
    waitingForProtocol: async (task: TaskRecord, _: unknown, ctx: Ctx) => {
      if (task.status !== 'WAITING') return null;
      const transformation = await ctx.loaders.transformation.load(task.transformationId);
      if (transformation === null) return null;
      return waitingForProtocol(task.status, transformation.protocol, await ctx.loaders.protocolUnserved.load(transformation.protocol));
    },
  },
  TaskFailure: {
    __resolveType: (failure: TaskFailureRecord) => (isDagBuildFailure(failure) ? 'DagBuildFailure' : 'UnitResult'),
  },
  ProtocolDAG: {
    serialized: (dag: DagRecord, _: unknown, ctx: Ctx) => ctx.services.dags.serialized(dag),
    units: (dag: DagRecord): UnitOfDag[] => dag.units.map((unit) => ({ ...unit, taskId: dag.taskId })),
    remaining: (dag: DagRecord, _: unknown, ctx: Ctx) => ctx.services.dags.remaining(dag),
  },
  ProtocolUnit: {
    results: async (unit: UnitOfDag, _: unknown, ctx: Ctx) =>
      (await ctx.loaders.unitResultsOfTask.load(unit.taskId)).filter((r) => r.unitKey === unit.key),
    state: async (unit: UnitOfDag, _: unknown, ctx: Ctx) => {
      const results = (await ctx.loaders.unitResultsOfTask.load(unit.taskId)).filter((r) => r.unitKey === unit.key);
      if (results.some((r) => r.ok)) return 'OK';
      return results.length > 0 ? 'FAILED' : 'PENDING';
    },
  },
  UnitResult: {
    outputs: async (result: UnitResultRecord, _: unknown, ctx: Ctx) => {
      if (!result.ok) return null;
      const document = (await ctx.services.unitResults.document(result)) as { outputs?: unknown };
      return document.outputs ?? null;
    },
    log: (result: UnitResultRecord, _: unknown, ctx: Ctx) => ctx.services.unitResults.logText(result),
  },
  ResultFile: {
    downloadUrl: (file: ResultFileRecord, _: unknown, ctx: Ctx) => ctx.services.resultFiles.downloadUrl(file),
  },
  ProtocolDAGResult: {
    document: (result: DagResultRecord, _: unknown, ctx: Ctx) => ctx.services.dagResults.document(result),
  },
};
