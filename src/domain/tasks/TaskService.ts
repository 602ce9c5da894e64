import type { ObjectStore } from '../objects/ObjectStore.js';
import type { StateDb } from '../../storage/state/openStateStore.js';
import { ensureScopeId, scopeFilter } from '../../storage/state/scopes.js';
import { prepareProtocolDag, storeNewProtocolDags } from '../dag/storeProtocolDag.js';
import type { SerializedProtocolDag } from '../dag/storeProtocolDag.js';
import { badInput, notFound } from '../errors.js';
import { transactionWithEvents } from '../events/taskEvents.js';
import { groupByKey } from '../groupByKey.js';
import { checkId } from '../ids.js';
import { canAccessScope, requireKind, requireScope } from '../principal.js';
import type { Principal } from '../principal.js';
import { parseScope } from '../scope.js';
import { formatScopedKey, parseScopedKey } from '../scopedKey.js';
import { applyStatusChange } from './applyStatusChange.js';
import { taskInclude, toTaskRecord } from './taskRecords.js';
import type { TaskRecord } from './taskRecords.js';
import { assertUserMaySet, TaskStatuses } from './taskStatus.js';
import type { TaskStatus } from './taskStatus.js';

export interface TaskFilter {
  scope?: string | undefined;
  status?: TaskStatus | undefined;
  networkKey?: string | undefined;
  transformationKey?: string | undefined;
}

export interface TaskPage {
  tasks: TaskRecord[];
  hasNextPage: boolean;
  totalCount: number;
}

const maxTasksPerCreate = 1000;
/**
 * What one createTasks may store with a DAG, summed over its tasks (each gets its own copy): units
 * (rows of the unit index) and bytes of serialized DAG (objects). Bounds the work of one request, which
 * `count` would otherwise multiply: 10,000 units × 1,000 tasks would be ten million rows.
 */
export const maxDagUnitsPerCreate = 100_000;
export const maxDagBytesPerCreate = 64 * 1024 * 1024;
const maxPageSize = 1000;

/** Creating tasks, reading them, and the user's levers: status, priority, actioning on hubs. */
export class TaskService {
  constructor(private readonly db: StateDb, private readonly objects: ObjectStore) {}

  async create(
    actor: Principal,
    transformationKey: string,
    count: number,
    options: { extendsId?: string | undefined; priority?: number | undefined; dag?: unknown } = {},
  ): Promise<TaskRecord[]> {
    requireKind(actor, 'user');
    if (!(Number.isInteger(count) && count >= 1 && count <= maxTasksPerCreate)) {
      throw badInput(`count is a whole number from 1 to ${maxTasksPerCreate}`);
    }
    const priority = checkPriority(options.priority ?? 10);
    const { key, scope } = parseScopedKey(transformationKey, 'Transformation');
    requireScope(actor, scope);
    const dag = options.dag === undefined || options.dag === null ? undefined : await dagForTasks(options.dag, count);

    return transactionWithEvents(this.db, async (tx, events) => {
      const scopeId = await ensureScopeId(tx, scope);
      const transformation = await tx.transformation.findUnique({ where: { scopeId_key: { scopeId, key } } });
      if (transformation === null) throw notFound(`transformation ${transformationKey}`);
      if (options.extendsId !== undefined) {
        const parent = await tx.task.findUnique({ where: { id: checkTaskId(options.extendsId) } });
        if (parent === null || parent.scopeId !== scopeId) throw notFound(`task ${options.extendsId}`);
        if (parent.status === 'INVALID' || parent.status === 'DELETED') {
          throw badInput(`task ${parent.id} is ${parent.status} and cannot be extended`, { extends: parent.id, status: parent.status });
        }
        if (parent.transformationId !== transformation.id) {
          throw badInput(`task ${parent.id} belongs to another transformation; a task extends one of its own transformation`);
        }
      }
      const created: TaskRecord[] = [];
      for (let i = 0; i < count; i += 1) {
        const row = await tx.task.create({
          data: {
            scopeId, transformationId: transformation.id, priority, creatorId: actor.identityId,
            extendsId: options.extendsId ?? null,
          },
          include: taskInclude,
        });
        created.push(toTaskRecord(row));
        events.add(row.id, { kind: 'TaskStatusChanged', from: null, to: row.status, reason: `created by ${actor.name}` });
      }
      if (dag !== undefined) await storeNewProtocolDags(tx, this.objects, created.map((task) => ({ id: task.id, scope })), dag, actor.identityId);
      return created;
    }, { timeout: 120_000 });
  }

  async get(actor: Principal, taskId: string): Promise<TaskRecord> {
    const row = await this.db.task.findUnique({ where: { id: checkTaskId(taskId) }, include: taskInclude });
    // A task id names no scope: one outside the actor's scopes is answered as missing, so neither its
    // existence nor its scope leaks to another tenant.
    if (row === null || !canAccessScope(actor, row.scope)) throw notFound(`task ${taskId}`);
    return toTaskRecord(row);
  }

  /** Tasks visible to the actor, newest last, a page at a time (ids are time-ordered UUIDv7). */
  async list(actor: Principal, filter: TaskFilter, page: { first?: number | undefined; after?: string | undefined } = {}): Promise<TaskPage> {
    const first = page.first ?? 100;
    if (!(Number.isInteger(first) && first >= 0 && first <= maxPageSize)) throw badInput(`first is a whole number from 0 to ${maxPageSize}`);
    const where = await this.taskWhere(actor, filter);
    const rows = await this.db.task.findMany({
      where: page.after === undefined ? where : { AND: [where, { id: { gt: checkTaskId(page.after) } }] },
      include: taskInclude,
      orderBy: { id: 'asc' },
      take: first + 1,
    });
    const totalCount = await this.db.task.count({ where });
    return { tasks: rows.slice(0, first).map(toTaskRecord), hasNextPage: rows.length > first, totalCount };
  }

  async statusCounts(actor: Principal, filter: Omit<TaskFilter, 'status'>): Promise<Record<TaskStatus, number>> {
    const where = await this.taskWhere(actor, filter);
    const groups = await this.db.task.groupBy({ by: ['status'], where, _count: { _all: true } });
    const counts = zeroCounts();
    for (const group of groups) counts[group.status] = group._count._all;
    return counts;
  }

  /** Status counts of many transformations in one query (for DataLoader); callers checked scope. */
  async statusCountsByTransformation(transformationIds: readonly string[]): Promise<Map<string, Record<TaskStatus, number>>> {
    const groups = await this.db.task.groupBy({
      by: ['transformationId', 'status'],
      where: { transformationId: { in: [...transformationIds] } },
      _count: { _all: true },
    });
    const byTransformation = new Map(transformationIds.map((id) => [id, zeroCounts()]));
    for (const group of groups) {
      const counts = byTransformation.get(group.transformationId);
      if (counts !== undefined) counts[group.status] = group._count._all;
    }
    return byTransformation;
  }

  /** Users may set WAITING, INVALID or DELETED; every change obeys the status machine. */
  async setStatus(actor: Principal, taskIds: string[], status: TaskStatus): Promise<TaskRecord[]> {
    requireKind(actor, 'user');
    assertUserMaySet(status);
    await this.requireVisible(actor, taskIds);
    await transactionWithEvents(this.db, (tx, events) => applyStatusChange(tx, events, taskIds, status, `set to ${status} by ${actor.name}`));
    return this.getMany(taskIds);
  }

  async setPriority(actor: Principal, taskIds: string[], priority: number): Promise<TaskRecord[]> {
    requireKind(actor, 'user');
    checkPriority(priority);
    await this.requireVisible(actor, taskIds);
    await this.db.task.updateMany({ where: { id: { in: taskIds } }, data: { priority } });
    return this.getMany(taskIds);
  }

  /**
   * Puts tasks on a network's hub so they can be claimed. Only WAITING, RUNNING or ERROR tasks of the
   * network's own transformations are actioned; the ids of those actioned are returned.
   */
  async action(actor: Principal, networkKey: string, taskIds: string[]): Promise<string[]> {
    requireKind(actor, 'user');
    const hub = await this.hubOf(actor, networkKey);
    await this.requireVisible(actor, taskIds);
    const eligible = await this.db.task.findMany({
      where: {
        id: { in: taskIds },
        status: { in: ['WAITING', 'RUNNING', 'ERROR'] },
        transformation: { networks: { some: { networkId: hub.networkId } } },
      },
      select: { id: true },
    });
    await this.db.taskAction.createMany({ data: eligible.map((t) => ({ hubId: hub.id, taskId: t.id })), skipDuplicates: true });
    const eligibleIds = new Set(eligible.map((t) => t.id));
    return taskIds.filter((id) => eligibleIds.has(id));
  }

  async cancel(actor: Principal, networkKey: string, taskIds: string[]): Promise<string[]> {
    requireKind(actor, 'user');
    const hub = await this.hubOf(actor, networkKey);
    await this.requireVisible(actor, taskIds);
    const actioned = await this.db.taskAction.findMany({ where: { hubId: hub.id, taskId: { in: taskIds } }, select: { taskId: true } });
    await this.db.taskAction.deleteMany({ where: { hubId: hub.id, taskId: { in: taskIds } } });
    return actioned.map((a) => a.taskId);
  }

  async actionedOn(taskIds: readonly string[]): Promise<Map<string, string[]>> {
    const rows = await this.db.taskAction.findMany({
      where: { taskId: { in: [...taskIds] } },
      select: { taskId: true, hub: { select: { network: { select: { key: true, scope: { select: { org: true, campaign: true, project: true } } } } } } },
    });
    return groupByKey(taskIds, rows, (row) => row.taskId, (row) => formatScopedKey(row.hub.network.key, row.hub.network.scope));
  }

  async getMany(taskIds: readonly string[]): Promise<TaskRecord[]> {
    const rows = await this.db.task.findMany({ where: { id: { in: [...taskIds] } }, include: taskInclude });
    const byId = new Map(rows.map((r) => [r.id, toTaskRecord(r)]));
    return taskIds.flatMap((id) => byId.get(id) ?? []);
  }

  private async requireVisible(actor: Principal, taskIds: string[]): Promise<void> {
    if (taskIds.length === 0) throw badInput('name at least one task');
    if (taskIds.length > maxTasksPerCreate * 10) throw badInput(`at most ${maxTasksPerCreate * 10} tasks at once`);
    const rows = await this.db.task.findMany({ where: { id: { in: taskIds.map(checkTaskId) } }, include: taskInclude });
    const found = new Map(rows.map((r) => [r.id, r]));
    for (const id of taskIds) {
      const row = found.get(id);
      if (row === undefined || !canAccessScope(actor, row.scope)) throw notFound(`task ${id}`);
    }
  }

  private async hubOf(actor: Principal, networkKey: string): Promise<{ id: string; networkId: string }> {
    const { key, scope } = parseScopedKey(networkKey, 'AlchemicalNetwork');
    requireScope(actor, scope);
    const hub = await this.db.taskHub.findFirst({ where: { network: { key, scope } }, select: { id: true, networkId: true } });
    if (hub === null) throw notFound(`network ${networkKey}`);
    return hub;
  }

  private async taskWhere(actor: Principal, filter: TaskFilter) {
    const clauses: object[] = [scopeFilter(actor.scopes)];
    if (filter.scope !== undefined) {
      const scope = parseScope(filter.scope);
      requireScope(actor, scope);
      clauses.push({ scope });
    }
    if (filter.status !== undefined) clauses.push({ status: filter.status });
    if (filter.networkKey !== undefined) {
      const { key, scope } = parseScopedKey(filter.networkKey, 'AlchemicalNetwork');
      requireScope(actor, scope);
      clauses.push({ transformation: { networks: { some: { network: { key, scope } } } } });
    }
    if (filter.transformationKey !== undefined) {
      const { key, scope } = parseScopedKey(filter.transformationKey, 'Transformation');
      requireScope(actor, scope);
      clauses.push({ transformation: { key, scope } });
    }
    return { AND: clauses };
  }
}

export const checkTaskId = (id: string): string => checkId('task', id);

/** Validates and serializes a DAG given to createTasks, refusing one that `count` copies of would store too much of. */
async function dagForTasks(input: unknown, count: number): Promise<SerializedProtocolDag> {
  const dag = await prepareProtocolDag(input);
  const units = dag.unitCount * count;
  if (units > maxDagUnitsPerCreate) {
    throw badInput(
      `createTasks stores at most ${maxDagUnitsPerCreate} ProtocolUnits per request (DAG units × count): ${dag.unitCount} × ${count} = ${units}; create the tasks in several requests`,
      { limit: 'dagUnitsPerRequest', max: maxDagUnitsPerCreate, actual: units },
    );
  }
  const bytes = Buffer.byteLength(dag.text) * count;
  if (bytes > maxDagBytesPerCreate) {
    throw badInput(
      `createTasks stores at most ${maxDagBytesPerCreate} bytes of ProtocolDAG per request (DAG size × count): ${bytes}; create the tasks in several requests`,
      { limit: 'dagBytesPerRequest', max: maxDagBytesPerCreate, actual: bytes },
    );
  }
  return dag;
}

const zeroCounts = () => Object.fromEntries(TaskStatuses.map((s) => [s, 0])) as Record<TaskStatus, number>;

function checkPriority(priority: number): number {
  if (!(Number.isInteger(priority) && priority >= 1 && priority <= 1_000_000)) {
    throw badInput('priority is a whole number from 1 (most urgent) to 1000000');
  }
  return priority;
}
