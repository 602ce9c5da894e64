import { TaskEventBatch } from '../../../domain/events/taskEvents.js';
import type { HotRepositories, StateAccess, StateRepositories } from '../../../domain/state/StateAccess.js';
import type { SqlClient } from '../directSql.js';
import { directTransaction } from '../directTransaction.js';
import type { StateDb } from '../openStateStore.js';
import { claimByTokenHash } from '../sql/claimByToken.js';
import { insertDagResult, insertDagResultWithStatusChange, repeatsOfTransformations } from '../sql/dagResults.js';
import { dagOfTask } from '../sql/dagUnits.js';
import { lockedClaimWithFinishingFacts } from '../sql/finishingFacts.js';
import { lockTransformations } from '../sql/lockTransformations.js';
import { networkKeysOfTransformations } from '../sql/networkKeys.js';
import { countRestart, restartBudgets } from '../sql/restartBudgets.js';
import { lockTasks, tasksAndDescendants } from '../sql/taskLineage.js';
import { removeTasksFromHubs, transformationsOfTasks, writeStatusChange } from '../sql/taskStatusWrites.js';
import { refusedAValue } from '../driverErrors.js';
import { appendTaskEvents } from '../sql/taskEvents.js';
import { insertUnitResult, unitResultsOfTasks, unitSubmissionFacts } from '../sql/unitResults.js';
import { PrismaIdentityRepository } from './PrismaIdentityRepository.js';
import { PrismaNetworkRepository } from './PrismaNetworkRepository.js';
import { PrismaRestartPatternRepository } from './PrismaRestartPatternRepository.js';
import { PrismaTaskRepository } from './PrismaTaskRepository.js';
import { PrismaDagRepository } from './PrismaDagRepository.js';
import { PrismaComputeServiceRepository } from './PrismaComputeServiceRepository.js';
import { PrismaComputeManagerRepository } from './PrismaComputeManagerRepository.js';
import { PrismaClaimRepository } from './PrismaClaimRepository.js';
import { PrismaUnitResultRepository } from './PrismaUnitResultRepository.js';
import { PrismaResultFileRepository } from './PrismaResultFileRepository.js';
import { PrismaDagResultRepository } from './PrismaDagResultRepository.js';
import { PrismaTaskEventOutbox } from './PrismaTaskEventOutbox.js';
import { PrismaImportRepository } from './PrismaImportRepository.js';
import { PrismaInputObjectRepository } from './PrismaInputObjectRepository.js';
import type { StateClient } from './stateClient.js';

function repositoriesOn(client: StateClient): StateRepositories {
  return {
    identities: new PrismaIdentityRepository(client),
    networks: new PrismaNetworkRepository(client),
    restartPatterns: new PrismaRestartPatternRepository(client),
    tasks: new PrismaTaskRepository(client),
    dags: new PrismaDagRepository(client),
    computeServices: new PrismaComputeServiceRepository(client),
    computeManagers: new PrismaComputeManagerRepository(client),
    claims: new PrismaClaimRepository(client),
    unitResults: new PrismaUnitResultRepository(client),
    resultFiles: new PrismaResultFileRepository(client),
    dagResults: new PrismaDagResultRepository(client),
    events: new PrismaTaskEventOutbox(client),
    imports: new PrismaImportRepository(client),
    inputs: new PrismaInputObjectRepository(client),
  };
}

/** The HotRepositories on a client: each call one statement of sql/, so they run in a direct transaction. */
function hotRepositoriesOn(db: SqlClient): HotRepositories {
  return {
    claims: {
      byTokenHash: (tokenHash, options = {}) => claimByTokenHash(db, tokenHash, options.lockTask === true),
    },
    dags: { ofTask: (taskId) => dagOfTask(db, taskId) },
    unitResults: {
      create: (result) => insertUnitResult(db, result),
      ofTasks: (taskIds, filter = {}) => unitResultsOfTasks(db, taskIds, filter.ok),
      submissionFacts: (taskId, unitKey, attempt) => unitSubmissionFacts(db, taskId, unitKey, attempt),
    },
    tasks: {
      withDescendants: (taskIds) => tasksAndDescendants(db, taskIds),
      lock: (taskIds) => lockTasks(db, taskIds),
      writeStatusChange: (write) => writeStatusChange(db, write),
      removeFromHubs: (taskIds) => removeTasksFromHubs(db, taskIds),
      transformationsOf: (taskIds) => transformationsOfTasks(db, taskIds),
    },
    dagResults: {
      create: (result) => insertDagResult(db, result),
      createWithStatusChange: (result, write, events, lockTransformationIds) =>
        insertDagResultWithStatusChange(db, result, write, events, lockTransformationIds),
      repeatsOf: (transformationIds) => repeatsOfTransformations(db, transformationIds),
      lockedClaimWithFinishingFacts: (tokenHash) => lockedClaimWithFinishingFacts(db, tokenHash),
    },
    networks: {
      lockTransformations: (transformationIds) => lockTransformations(db, transformationIds),
      networkKeysOfTransformations: (transformationIds) => networkKeysOfTransformations(db, transformationIds),
    },
    restartPatterns: {
      budgetsOf: (taskId) => restartBudgets(db, taskId),
      countRestart: (taskId, patternId) => countRestart(db, taskId, patternId),
    },
  };
}

/** The domain's StateAccess on a Prisma client (PostgreSQL or PGlite). */
export function createStateAccess(db: StateDb): StateAccess {
  return {
    ...repositoriesOn(db),
    refusedAValue,
    hotTransaction: (work, options = {}) =>
      directTransaction(
        db,
        async (tx) => {
          const events = new TaskEventBatch();
          const result = await work(hotRepositoriesOn(tx), events);
          await appendTaskEvents(tx, events.take());
          return result;
        },
        { timeoutMs: options.timeoutMs },
      ),
    transaction: (work, options = {}) =>
      db.$transaction(
        async (tx) => {
          const events = new TaskEventBatch();
          const result = await work(repositoriesOn(tx), events);
          await appendTaskEvents(tx, events.take());
          return result;
        },
        {
          ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs }),
          ...(options.maxWaitMs === undefined ? {} : { maxWait: options.maxWaitMs }),
        },
      ),
  };
}
