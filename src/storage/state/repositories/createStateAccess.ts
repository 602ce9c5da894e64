import { TaskEventBatch } from '../../../domain/events/taskEvents.js';
import type { StateAccess, StateRepositories } from '../../../domain/state/StateAccess.js';
import type { StateDb } from '../openStateStore.js';
import { appendTaskEvents } from '../sql/taskEvents.js';
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
  };
}

/** The domain's StateAccess on a Prisma client (PostgreSQL or PGlite). */
export function createStateAccess(db: StateDb): StateAccess {
  return {
    ...repositoriesOn(db),
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
