import type { AttemptEnding } from '../claims/taskAttempts.js';
import type { Scope } from '../scope.js';
import type { TaskRecord } from './taskRecords.js';
import type { TaskStatus } from './taskStatus.js';

/** What a status change needs to know of a task it has locked. */
export interface LockedTask {
  id: string;
  status: TaskStatus;
  currentClaimId: string | null;
  fence: bigint;
}

/** Tasks to create, alike but for their seeds (see TaskRepository.create). */
export interface NewTasks {
  scope: Scope;
  transformationId: string;
  priority: number;
  creatorId: string;
  extendsId: string | null;
}

/** A network or transformation named by key within its scope. */
export interface ScopedName {
  key: string;
  scope: Scope;
}

/** Which tasks a listing or count covers: every condition given holds. */
export interface TaskQuery {
  /** Scope patterns (`*` parts match anything): a task in none of them is left out. */
  visibleIn: readonly Scope[];
  scope?: Scope | undefined;
  status?: TaskStatus | undefined;
  /** Only tasks of a transformation of this network. */
  network?: ScopedName | undefined;
  transformation?: ScopedName | undefined;
}

/**
 * What one status change writes: the tasks move to `to`, lose their current claim and advance their
 * fence; the claims they held end (with why and how their attempts ended); and with `leaveHubs` the
 * tasks leave every hub.
 */
export interface StatusWrite {
  taskIds: readonly string[];
  to: TaskStatus;
  release: { claimIds: readonly string[]; reason: string; ending: AttemptEnding; at: Date };
  leaveHubs: boolean;
}

/** Tasks: creation, status (through applyStatusChange only), lineage, locks and hub actions. */
export interface TaskRepository {
  /** Creates one task per seed, in order (WAITING, fence 0), and returns them as created. */
  create(tasks: NewTasks, seeds: readonly number[]): Promise<TaskRecord[]>;
  get(taskId: string): Promise<TaskRecord | null>;
  /** The tasks among these ids that exist, in no particular order. */
  getMany(taskIds: readonly string[]): Promise<TaskRecord[]>;
  /**
   * Tasks of the query with ids strictly between `after` and `before` (each bound when given), in id
   * order (ids are time-ordered): the first `limit` of them, or with `fromEnd` the last `limit`.
   */
  list(
    query: TaskQuery,
    window: { after?: string | undefined; before?: string | undefined; limit: number; fromEnd: boolean },
  ): Promise<TaskRecord[]>;
  /** Whether the query has a task with an id at or after (at or before) the one given. */
  anyBeyond(query: TaskQuery, edge: { atOrAfter: string } | { atOrBefore: string }): Promise<boolean>;
  count(query: TaskQuery): Promise<number>;
  /** How many tasks of the query are in each status (statuses without tasks left out). */
  countByStatus(query: TaskQuery): Promise<Array<{ status: TaskStatus; count: number }>>;
  /** The same, for each of several transformations. */
  countByTransformationAndStatus(
    transformationIds: readonly string[],
  ): Promise<Array<{ transformationId: string; status: TaskStatus; count: number }>>;
  setPriority(taskIds: readonly string[], priority: number): Promise<void>;

  /** Each of these tasks' transformation (tasks that do not exist left out). */
  transformationsOf(taskIds: readonly string[]): Promise<Array<{ taskId: string; transformationId: string }>>;

  /** The given tasks and every task that extends them, transitively. */
  withDescendants(taskIds: readonly string[]): Promise<string[]>;
  /**
   * Locks the tasks' rows until the transaction ends, in id order (so that two transactions locking
   * overlapping sets cannot deadlock); those that exist, in id order.
   */
  lock(taskIds: readonly string[]): Promise<LockedTask[]>;
  /** Writes a status change the status machine decided (applyStatusChange), all of it at once. */
  writeStatusChange(write: StatusWrite): Promise<void>;

  /** Of these tasks, those in one of `statuses` whose transformation belongs to the network. */
  ofNetworkInStatus(taskIds: readonly string[], networkId: string, statuses: readonly TaskStatus[]): Promise<string[]>;
  /** Puts the tasks on the hub (those already there stay as they are). */
  addToHub(hubId: string, taskIds: readonly string[]): Promise<void>;
  /** Takes the tasks off the hub; returns those that were on it. */
  removeFromHub(hubId: string, taskIds: readonly string[]): Promise<string[]>;
  /** Takes the tasks off every hub. */
  removeFromHubs(taskIds: readonly string[]): Promise<void>;
  /** The networks on whose hubs each task is. */
  hubNetworksOf(taskIds: readonly string[]): Promise<Array<{ taskId: string; network: ScopedName }>>;
}
