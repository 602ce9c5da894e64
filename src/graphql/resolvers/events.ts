import type { TaskEvent } from '../../domain/events/taskEvents.js';
import type { TaskEventFilter } from '../../domain/events/TaskEventService.js';
import type { Resolvers, TaskEventFilter as GraphQLTaskEventFilter } from '../generated/types.js';

/** GraphQL names the DAG result type ProtocolDAGResult; the domain spells the kind ProtocolDagResultRecorded. */
const typeNames = {
  TaskStatusChanged: 'TaskStatusChanged',
  UnitResultRecorded: 'UnitResultRecorded',
  ResultFileAvailable: 'ResultFileAvailable',
  ProtocolDagResultRecorded: 'ProtocolDAGResultRecorded',
  ComputeServiceExpired: 'ComputeServiceExpired',
  EstimateChanged: 'EstimateChanged',
} as const satisfies Record<TaskEvent['kind'], string>;

const toFilter = (filter: GraphQLTaskEventFilter | null | undefined): TaskEventFilter => ({
  scope: filter?.scope ?? undefined,
  networkKey: filter?.networkKey ?? undefined,
  taskId: filter?.taskId ?? undefined,
});

const common = {
  cursor: (event: TaskEvent) => event.cursor.toString(),
};

export const eventResolvers: Resolvers = {
  Query: {
    taskEventCursor: (_, __, ctx) => ctx.services.events.latestCursor(),
  },
  Subscription: {
    taskEvents: {
      subscribe: (_, args, ctx) => ctx.services.events.subscribe(ctx.principal, toFilter(args.filter), args.since ?? undefined),
      resolve: (event: TaskEvent) => event,
    },
  },
  TaskEvent: {
    __resolveType: (event) => typeNames[event.kind],
  },
  TaskStatusChanged: common,
  UnitResultRecorded: common,
  ProtocolDAGResultRecorded: common,
  ComputeServiceExpired: common,
  EstimateChanged: common,
  ResultFileAvailable: {
    ...common,
    file: (event) => ({
      id: event.resultFileId,
      taskId: event.taskId,
      unitKey: event.unitKey,
      path: event.path,
      size: event.size,
      sha256: event.sha256,
      objectKey: event.objectKey,
      committedAt: new Date(event.committedAt),
    }),
  },
};
