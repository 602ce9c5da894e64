import type { LockedTask, NewTasks, ScopedName, StatusWrite, TaskQuery, TaskRepository } from '../../../domain/tasks/TaskRepository.js';
import { toTaskRecord } from '../../../domain/tasks/taskRecords.js';
import type { TaskRecord } from '../../../domain/tasks/taskRecords.js';
import type { TaskStatus } from '../../../domain/tasks/taskStatus.js';
import { ensureScopeId } from '../scopes.js';
import { lockTasks, tasksAndDescendants } from '../sql/taskLineage.js';
import { removeTasksFromHubs, transformationsOfTasks, writeStatusChange } from '../sql/taskStatusWrites.js';
import { tasksByIds } from '../sql/tasksByIds.js';
import type { StateClient } from './stateClient.js';
import { taskInclude, taskWhere } from './taskRows.js';

export class PrismaTaskRepository implements TaskRepository {
  constructor(protected readonly db: StateClient) {}

  async create(tasks: NewTasks, seeds: readonly number[]): Promise<TaskRecord[]> {
    const scopeId = await ensureScopeId(this.db, tasks.scope);
    const created: TaskRecord[] = [];
    for (const seed of seeds) {
      const row = await this.db.task.create({
        data: {
          seed: BigInt(seed),
          scopeId,
          transformationId: tasks.transformationId,
          priority: tasks.priority,
          creatorId: tasks.creatorId,
          extendsId: tasks.extendsId,
        },
        include: taskInclude,
      });
      created.push(toTaskRecord(row));
    }
    return created;
  }

  async get(taskId: string): Promise<TaskRecord | null> {
    const row = await this.db.task.findUnique({ where: { id: taskId }, include: taskInclude });
    return row === null ? null : toTaskRecord(row);
  }

  getMany(taskIds: readonly string[]): Promise<TaskRecord[]> {
    return tasksByIds(this.db, taskIds);
  }

  async list(
    query: TaskQuery,
    window: { after?: string | undefined; before?: string | undefined; limit: number; fromEnd: boolean },
  ): Promise<TaskRecord[]> {
    const rows = await this.db.task.findMany({
      where: { AND: [taskWhere(query), { id: { gt: window.after, lt: window.before } }] },
      include: taskInclude,
      orderBy: { id: window.fromEnd ? 'desc' : 'asc' },
      take: window.limit,
    });
    const tasks = rows.map(toTaskRecord);
    return window.fromEnd ? tasks.reverse() : tasks;
  }

  async anyBeyond(query: TaskQuery, edge: { atOrAfter: string } | { atOrBefore: string }): Promise<boolean> {
    const id = 'atOrAfter' in edge ? { gte: edge.atOrAfter } : { lte: edge.atOrBefore };
    return (await this.db.task.findFirst({ where: { AND: [taskWhere(query), { id }] }, select: { id: true } })) !== null;
  }

  count(query: TaskQuery): Promise<number> {
    return this.db.task.count({ where: taskWhere(query) });
  }

  async countByStatus(query: TaskQuery): Promise<Array<{ status: TaskStatus; count: number }>> {
    const groups = await this.db.task.groupBy({ by: ['status'], where: taskWhere(query), _count: { _all: true } });
    return groups.map((group) => ({ status: group.status, count: group._count._all }));
  }

  async countByTransformationAndStatus(
    transformationIds: readonly string[],
  ): Promise<Array<{ transformationId: string; status: TaskStatus; count: number }>> {
    const groups = await this.db.task.groupBy({
      by: ['transformationId', 'status'],
      where: { transformationId: { in: [...transformationIds] } },
      _count: { _all: true },
    });
    return groups.map((group) => ({ transformationId: group.transformationId, status: group.status, count: group._count._all }));
  }

  async setPriority(taskIds: readonly string[], priority: number): Promise<void> {
    await this.db.task.updateMany({ where: { id: { in: [...taskIds] } }, data: { priority } });
  }

  withDescendants(taskIds: readonly string[]): Promise<string[]> {
    return tasksAndDescendants(this.db, taskIds);
  }

  lock(taskIds: readonly string[]): Promise<LockedTask[]> {
    return lockTasks(this.db, taskIds);
  }

  writeStatusChange(write: StatusWrite): Promise<void> {
    return writeStatusChange(this.db, write);
  }

  transformationsOf(taskIds: readonly string[]): Promise<Array<{ taskId: string; transformationId: string }>> {
    return transformationsOfTasks(this.db, taskIds);
  }

  async ofNetworkInStatus(taskIds: readonly string[], networkId: string, statuses: readonly TaskStatus[]): Promise<string[]> {
    const rows = await this.db.task.findMany({
      where: { id: { in: [...taskIds] }, status: { in: [...statuses] }, transformation: { networks: { some: { networkId } } } },
      select: { id: true },
    });
    return rows.map((row) => row.id);
  }

  async addToHub(hubId: string, taskIds: readonly string[]): Promise<void> {
    await this.db.taskAction.createMany({ data: taskIds.map((taskId) => ({ hubId, taskId })), skipDuplicates: true });
  }

  async removeFromHub(hubId: string, taskIds: readonly string[]): Promise<string[]> {
    const actioned = await this.db.taskAction.findMany({ where: { hubId, taskId: { in: [...taskIds] } }, select: { taskId: true } });
    await this.db.taskAction.deleteMany({ where: { hubId, taskId: { in: [...taskIds] } } });
    return actioned.map((row) => row.taskId);
  }

  removeFromHubs(taskIds: readonly string[]): Promise<void> {
    return removeTasksFromHubs(this.db, taskIds);
  }

  async hubNetworksOf(taskIds: readonly string[]): Promise<Array<{ taskId: string; network: ScopedName }>> {
    const rows = await this.db.taskAction.findMany({
      where: { taskId: { in: [...taskIds] } },
      select: {
        taskId: true,
        hub: { select: { network: { select: { key: true, scope: { select: { org: true, campaign: true, project: true } } } } } },
      },
    });
    return rows.map((row) => ({ taskId: row.taskId, network: row.hub.network }));
  }
}
