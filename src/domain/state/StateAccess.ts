import type { TaskEventBatch } from '../events/taskEvents.js';
import type { ClaimRepository } from '../claims/ClaimRepository.js';
import type { ComputeManagerRepository } from '../compute/ComputeManagerRepository.js';
import type { ComputeServiceRepository } from '../compute/ComputeServiceRepository.js';
import type { DagRepository } from '../dag/DagRepository.js';
import type { TaskEventOutbox } from '../events/TaskEventOutbox.js';
import type { IdentityRepository } from '../identities/IdentityRepository.js';
import type { ImportRepository } from '../imports/ImportRepository.js';
import type { InputObjectRepository } from '../inputs/InputObjectRepository.js';
import type { NetworkRepository } from '../networks/NetworkRepository.js';
import type { RestartPatternRepository } from '../restarts/RestartPatternRepository.js';
import type { DagResultRepository } from '../results/DagResultRepository.js';
import type { ResultFileRepository } from '../results/ResultFileRepository.js';
import type { UnitResultRepository } from '../results/UnitResultRepository.js';
import type { TaskRepository } from '../tasks/TaskRepository.js';

/**
 * Every repository the domain reads and writes state through. The domain says here what it needs
 * (dependencies point inward); src/storage/state/repositories implements it on PostgreSQL and PGlite.
 */
export interface StateRepositories {
  identities: IdentityRepository;
  networks: NetworkRepository;
  restartPatterns: RestartPatternRepository;
  tasks: TaskRepository;
  dags: DagRepository;
  computeServices: ComputeServiceRepository;
  computeManagers: ComputeManagerRepository;
  claims: ClaimRepository;
  unitResults: UnitResultRepository;
  resultFiles: ResultFileRepository;
  dagResults: DagResultRepository;
  events: TaskEventOutbox;
  imports: ImportRepository;
  inputs: InputObjectRepository;
}

/**
 * The repository calls that are each one hand-written statement: all a `hotTransaction` offers. The
 * hot worker writes (unit results, finishing a task: its status change through applyStatusChange, its
 * estimate, its restart) need no more, and without Prisma a call costs a fraction of the CPU.
 */
export interface HotRepositories {
  claims: Pick<ClaimRepository, 'byTokenHash'>;
  dags: Pick<DagRepository, 'ofTask'>;
  unitResults: Pick<UnitResultRepository, 'create' | 'ofTasks' | 'submissionFacts'>;
  tasks: Pick<TaskRepository, 'withDescendants' | 'lock' | 'writeStatusChange' | 'removeFromHubs' | 'transformationsOf'>;
  dagResults: Pick<DagResultRepository, 'create' | 'createWithStatusChange' | 'repeatsOf' | 'lockedClaimWithFinishingFacts'>;
  networks: Pick<NetworkRepository, 'lockTransformations' | 'networkKeysOfTransformations'>;
  restartPatterns: Pick<RestartPatternRepository, 'budgetsOf' | 'countRestart'>;
}

export interface TransactionOptions {
  /** Give up (and roll back) after this long; the store's default when absent. */
  timeoutMs?: number;
  /** Give up if the transaction cannot start within this long; the store's default when absent. */
  maxWaitMs?: number;
}

/**
 * The domain's one way to state. Outside a transaction each repository call stands alone;
 * `transaction` runs its work against repositories bound to one transaction and appends the task
 * events the work recorded as the transaction's last statement, so an event exists exactly when the
 * change it reports does (see events/taskEvents.ts).
 */
export interface StateAccess extends StateRepositories {
  /**
   * Whether the store refused a statement for a value in it, so that the same statement without that
   * value may pass (as opposed to a store unreachable, busy or shutting down).
   */
  refusedAValue(error: unknown): boolean;
  transaction<T>(work: (tx: StateRepositories, events: TaskEventBatch) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /** As `transaction`, with only the HotRepositories: cheaper per statement, for the writes workers make most often. */
  hotTransaction<T>(
    work: (tx: HotRepositories, events: TaskEventBatch) => Promise<T>,
    options?: Pick<TransactionOptions, 'timeoutMs'>,
  ): Promise<T>;
}
