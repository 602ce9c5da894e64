import type { TaskEvent } from '../../domain/events/taskEvents.js';
import type { TaskEventFilter } from '../../domain/events/TaskEventService.js';
import type { ResultFileRecord } from '../../domain/results/ResultFileService.js';
import type { GraphQLContext } from '../context.js';

type Ctx = GraphQLContext;
type Event<K extends TaskEvent['kind']> = Extract<TaskEvent, { kind: K }>;

/** GraphQL names the DAG result type ProtocolDAGResult; the domain spells the kind ProtocolDagResultRecorded. */
const typeNames: Record<TaskEvent['kind'], string> = {
  TaskStatusChanged: 'TaskStatusChanged',
  UnitResultRecorded: 'UnitResultRecorded',
  ResultFileAvailable: 'ResultFileAvailable',
  ProtocolDagResultRecorded: 'ProtocolDAGResultRecorded',
  ComputeServiceExpired: 'ComputeServiceExpired',
};

const common = {
  cursor: (event: TaskEvent) => event.cursor.toString(),
};

export const eventResolvers = {
  Query: {
    taskEventCursor: (_: unknown, __: unknown, ctx: Ctx) => ctx.services.events.latestCursor(),
  },
  Subscription: {
    taskEvents: {
      subscribe: (_: unknown, args: { filter?: Record<string, string | null> | null; since?: string | null }, ctx: Ctx) => {
        const filter = Object.fromEntries(Object.entries(args.filter ?? {}).filter(([, v]) => v !== null)) as TaskEventFilter;
        return ctx.services.events.subscribe(ctx.principal, filter, args.since ?? undefined);
      },
      resolve: (event: TaskEvent) => event,
    },
  },
  TaskEvent: {
    __resolveType: (event: TaskEvent) => typeNames[event.kind],
  },
  TaskStatusChanged: common,
  UnitResultRecorded: common,
  ProtocolDAGResultRecorded: common,
  ComputeServiceExpired: common,
  ResultFileAvailable: {
    ...common,
    file: (event: Event<'ResultFileAvailable'>): ResultFileRecord => ({
      id: event.resultFileId, taskId: event.taskId, unitKey: event.unitKey, path: event.path, size: event.size,
      sha256: event.sha256, objectKey: event.objectKey, committedAt: new Date(event.committedAt),
    }),
  },
};
