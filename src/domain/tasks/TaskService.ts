import type { ObjectStore } from '../objects/ObjectStore.js';
import { prepareProtocolDag, storeNewProtocolDags } from '../dag/storeProtocolDag.js';
import type { SerializedProtocolDag } from '../dag/storeProtocolDag.js';
import { badInput, notFound } from '../errors.js';
import { recordEstimateChangesOfStatus } from '../estimates/EstimateService.js';
import { groupByKey } from '../groupByKey.js';
import { checkId } from '../ids.js';
import { canAccessScope, requireKind, requireScope } from '../principal.js';
import type { Principal } from '../principal.js';
import { parseScope } from '../scope.js';
import type { Scope } from '../scope.js';
import { formatScopedKey, parseScopedKey } from '../scopedKey.js';
import type { NetworkState } from '../networks/networkState.js';
import type { StateAccess } from '../state/StateAccess.js';
import { applyStatusChange } from './applyStatusChange.js';
import { taskSeeds } from './taskSeeds.js';
import { pageOf, pageWindow } from './taskPages.js';
import type { PageRequest } from './taskPages.js';
import type { TaskRecord } from './taskRecords.js';
import type { TaskQuery } from './TaskRepository.js';
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
  hasPreviousPage: boolean;
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

/** Creating tasks, reading them, and the user's levers: status, priority, actioning on hubs. */
export class TaskService {
  constructor(
    private readonly state: StateAccess,
    private readonly objects: ObjectStore,
  ) {}

  async create(
    actor: Principal,
    transformationKey: string,
    count: number,
    options: { extendsId?: string | undefined; priority?: number | undefined; dag?: unknown; seed?: number | undefined } = {},
  ): Promise<TaskRecord[]> {
    requireKind(actor, 'user');
    if (!(Number.isInteger(count) && count >= 1 && count <= maxTasksPerCreate)) {
      throw badInput(`count is a whole number from 1 to ${maxTasksPerCreate}`);
    }
    const priority = checkPriority(options.priority ?? 10);
    const seeds = taskSeeds(count, options.seed);
    const { key, scope } = parseScopedKey(transformationKey, 'Transformation');
    requireScope(actor, scope);
    const dag = options.dag === undefined || options.dag === null ? undefined : await dagForTasks(options.dag, count);

    return this.state.transaction(
      async (tx, events) => {
        const transformation = await tx.networks.findTransformation(scope, key);
        if (transformation === null) throw notFound(`transformation ${transformationKey}`);
        if (options.extendsId !== undefined) {
          const parent = await tx.tasks.get(checkTaskId(options.extendsId));
          if (parent === null || !sameScope(parent.scope, scope)) throw notFound(`task ${options.extendsId}`);
          if (parent.status === 'INVALID' || parent.status === 'DELETED') {
            throw badInput(`task ${parent.id} is ${parent.status} and cannot be extended`, { extends: parent.id, status: parent.status });
          }
          if (parent.transformationId !== transformation.id) {
            throw badInput(`task ${parent.id} belongs to another transformation; a task extends one of its own transformation`);
          }
        }
        const created = await tx.tasks.create(
          {
            scope,
            transformationId: transformation.id,
            priority,
            creatorId: actor.identityId,
            extendsId: options.extendsId ?? null,
          },
          seeds,
        );
        for (const task of created)
          events.add(task.id, { kind: 'TaskStatusChanged', from: null, to: task.status, reason: `created by ${actor.name}` });
        if (dag !== undefined)
          await storeNewProtocolDags(
            tx,
            this.objects,
            created.map((task) => ({ id: task.id, scope })),
            dag,
            actor.identityId,
          );
        return created;
      },
      { timeoutMs: 120_000 },
    );
  }

  async get(actor: Principal, taskId: string): Promise<TaskRecord> {
    const task = await this.state.tasks.get(checkTaskId(taskId));
    // A task id names no scope: one outside the actor's scopes is answered as missing, so neither its
    // existence nor its scope leaks to another tenant.
    if (task === null || !canAccessScope(actor, task.scope)) throw notFound(`task ${taskId}`);
    return task;
  }

  /** Tasks visible to the actor, oldest first (ids are time-ordered UUIDv7), a page at a time, forward or backward. */
  async list(actor: Principal, filter: TaskFilter, page: PageRequest = {}): Promise<TaskPage> {
    const { window, size } = pageWindow(page);
    const after = window.after === undefined ? undefined : checkTaskId(window.after);
    const before = window.before === undefined ? undefined : checkTaskId(window.before);
    const query = this.taskQuery(actor, filter);
    const read = await this.state.tasks.list(query, { after, before, limit: window.limit, fromEnd: window.fromEnd });
    const { items, more } = pageOf(read, size, window);
    return {
      tasks: items,
      hasNextPage: window.fromEnd ? before !== undefined && (await this.state.tasks.anyBeyond(query, { atOrAfter: before })) : more,
      hasPreviousPage: window.fromEnd ? more : after !== undefined && (await this.state.tasks.anyBeyond(query, { atOrBefore: after })),
      totalCount: await this.state.tasks.count(query),
    };
  }

  async statusCounts(actor: Principal, filter: Omit<TaskFilter, 'status'>): Promise<Record<TaskStatus, number>> {
    const counts = zeroCounts();
    for (const group of await this.state.tasks.countByStatus(this.taskQuery(actor, filter))) counts[group.status] = group.count;
    return counts;
  }

  /** Status counts of many transformations in one query (for DataLoader); callers checked scope. */
  async statusCountsByTransformation(transformationIds: readonly string[]): Promise<Map<string, Record<TaskStatus, number>>> {
    const groups = await this.state.tasks.countByTransformationAndStatus(transformationIds);
    const byTransformation = new Map(transformationIds.map((id) => [id, zeroCounts()]));
    for (const group of groups) {
      const counts = byTransformation.get(group.transformationId);
      if (counts !== undefined) counts[group.status] = group.count;
    }
    return byTransformation;
  }

  /** Users may set WAITING, INVALID or DELETED; every change obeys the status machine. */
  async setStatus(actor: Principal, taskIds: string[], status: TaskStatus): Promise<TaskRecord[]> {
    requireKind(actor, 'user');
    assertUserMaySet(status);
    await this.requireVisible(actor, taskIds);
    await this.state.transaction(async (tx, events) => {
      const changes = await applyStatusChange(tx, events, taskIds, status, `set to ${status} by ${actor.name}`);
      await recordEstimateChangesOfStatus(tx, events, changes);
    });
    return this.getMany(taskIds);
  }

  async setPriority(actor: Principal, taskIds: string[], priority: number): Promise<TaskRecord[]> {
    requireKind(actor, 'user');
    checkPriority(priority);
    await this.requireVisible(actor, taskIds);
    await this.state.tasks.setPriority(taskIds, priority);
    return this.getMany(taskIds);
  }

  /**
   * Puts tasks on a network's hub so they can be claimed. Only WAITING, RUNNING or ERROR tasks of the
   * network's own transformations are actioned; the ids of those actioned are returned.
   */
  async action(actor: Principal, networkKey: string, taskIds: string[]): Promise<string[]> {
    requireKind(actor, 'user');
    const hub = await this.hubOf(actor, networkKey);
    if (hub.state === 'DELETED')
      throw badInput(`network ${networkKey} is DELETED: set it ACTIVE or INACTIVE to action tasks on it`, { networkState: 'DELETED' });
    await this.requireVisible(actor, taskIds);
    const eligible = await this.state.tasks.ofNetworkInStatus(taskIds, hub.networkId, actionableStatuses);
    await this.state.tasks.addToHub(hub.hubId, eligible);
    const eligibleIds = new Set(eligible);
    return taskIds.filter((id) => eligibleIds.has(id));
  }

  async cancel(actor: Principal, networkKey: string, taskIds: string[]): Promise<string[]> {
    requireKind(actor, 'user');
    const hub = await this.hubOf(actor, networkKey);
    await this.requireVisible(actor, taskIds);
    return this.state.tasks.removeFromHub(hub.hubId, taskIds);
  }

  async actionedOn(taskIds: readonly string[]): Promise<Map<string, string[]>> {
    const rows = await this.state.tasks.hubNetworksOf(taskIds);
    return groupByKey(
      taskIds,
      rows,
      (row) => row.taskId,
      (row) => formatScopedKey(row.network.key, row.network.scope),
    );
  }

  async getMany(taskIds: readonly string[]): Promise<TaskRecord[]> {
    const byId = new Map((await this.state.tasks.getMany(taskIds)).map((task) => [task.id, task]));
    return taskIds.flatMap((id) => byId.get(id) ?? []);
  }

  private async requireVisible(actor: Principal, taskIds: string[]): Promise<void> {
    if (taskIds.length === 0) throw badInput('name at least one task');
    if (taskIds.length > maxTasksPerCreate * 10) throw badInput(`at most ${maxTasksPerCreate * 10} tasks at once`);
    const found = new Map((await this.state.tasks.getMany(taskIds.map(checkTaskId))).map((task) => [task.id, task]));
    for (const id of taskIds) {
      const row = found.get(id);
      if (row === undefined || !canAccessScope(actor, row.scope)) throw notFound(`task ${id}`);
    }
  }

  private async hubOf(actor: Principal, networkKey: string): Promise<{ hubId: string; networkId: string; state: NetworkState }> {
    const { key, scope } = parseScopedKey(networkKey, 'AlchemicalNetwork');
    requireScope(actor, scope);
    const hub = await this.state.networks.findHub(scope, key);
    if (hub === null) throw notFound(`network ${networkKey}`);
    return hub;
  }

  /** The tasks a filter names, among those the actor may see; naming a scope it does not hold is refused. */
  private taskQuery(actor: Principal, filter: TaskFilter): TaskQuery {
    const query: TaskQuery = { visibleIn: actor.scopes, status: filter.status };
    if (filter.scope !== undefined) {
      query.scope = parseScope(filter.scope);
      requireScope(actor, query.scope);
    }
    if (filter.networkKey !== undefined) {
      query.network = parseScopedKey(filter.networkKey, 'AlchemicalNetwork');
      requireScope(actor, query.network.scope);
    }
    if (filter.transformationKey !== undefined) {
      query.transformation = parseScopedKey(filter.transformationKey, 'Transformation');
      requireScope(actor, query.transformation.scope);
    }
    return query;
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

/** Only these may be put on a hub: a task finished, invalid or deleted has nothing left to claim. */
const actionableStatuses: readonly TaskStatus[] = ['WAITING', 'RUNNING', 'ERROR'];

const sameScope = (a: Scope, b: Scope): boolean => a.org === b.org && a.campaign === b.campaign && a.project === b.project;

const zeroCounts = () => Object.fromEntries(TaskStatuses.map((s) => [s, 0])) as Record<TaskStatus, number>;

export function checkPriority(priority: number): number {
  if (!(Number.isInteger(priority) && priority >= 1 && priority <= 1_000_000)) {
    throw badInput('priority is a whole number from 1 (most urgent) to 1000000');
  }
  return priority;
}
