import type { TaskStatus } from '../../domain/tasks/taskStatus.js';
import type { StatusCounts, TaskStatus as GraphQLTaskStatus } from '../generated/types.js';

/**
 * Compiles only while schema.graphql's enum TaskStatus names exactly the domain's TaskStatuses
 * (test/domain/taskStatusEverywhere.test.ts holds schema.prisma to them too).
 */
export const graphqlStatusesAreTheDomains: [GraphQLTaskStatus] extends [TaskStatus]
  ? [TaskStatus] extends [GraphQLTaskStatus]
    ? true
    : never
  : never = true;

/** Domain status counts as the StatusCounts type (lower-case fields). */
export function toStatusCounts(counts: Record<TaskStatus, number>): StatusCounts {
  return {
    waiting: counts.WAITING,
    running: counts.RUNNING,
    complete: counts.COMPLETE,
    error: counts.ERROR,
    invalid: counts.INVALID,
    deleted: counts.DELETED,
  };
}
