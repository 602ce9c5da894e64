import type { TaskQuery } from '../../../domain/tasks/TaskRepository.js';
import { scopeFilter } from '../scopes.js';

/** What to include when reading a task so it maps to a TaskRecord (see toTaskRecord). */
export const taskInclude = {
  scope: { select: { org: true, campaign: true, project: true } },
  transformation: { select: { key: true } },
} as const;

/** A TaskQuery as a Prisma filter on Task. */
export function taskWhere(query: TaskQuery) {
  const clauses: object[] = [scopeFilter(query.visibleIn)];
  if (query.scope !== undefined) clauses.push({ scope: query.scope });
  if (query.status !== undefined) clauses.push({ status: query.status });
  if (query.network !== undefined) {
    const { key, scope } = query.network;
    clauses.push({ transformation: { networks: { some: { network: { key, scope } } } } });
  }
  if (query.transformation !== undefined) {
    const { key, scope } = query.transformation;
    clauses.push({ transformation: { key, scope } });
  }
  return { AND: clauses };
}
