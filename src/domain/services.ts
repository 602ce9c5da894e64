import type { TaskSettings } from '../config.js';
import type { Logger } from '../observability/logger.js';
import type { ObjectStore } from '../storage/objects/ObjectStore.js';
import type { StateDb } from '../storage/state/openStateStore.js';
import { ClaimService } from './claims/ClaimService.js';
import { ComputeServiceRegistry } from './compute/ComputeServiceRegistry.js';
import { DagService } from './dag/DagService.js';
import { IdentityService } from './identities/IdentityService.js';
import { NetworkService } from './networks/NetworkService.js';
import { DagResultReader } from './results/DagResultReader.js';
import { ResultFileService } from './results/ResultFileService.js';
import { TaskFinisher } from './results/TaskFinisher.js';
import { UnitResultService } from './results/UnitResultService.js';
import { TaskService } from './tasks/TaskService.js';

/** The domain services a transport (GraphQL over HTTP or WebSocket, the CLI) may call. */
export interface Services {
  identities: IdentityService;
  networks: NetworkService;
  tasks: TaskService;
  dags: DagService;
  compute: ComputeServiceRegistry;
  claims: ClaimService;
  unitResults: UnitResultService;
  resultFiles: ResultFileService;
  finisher: TaskFinisher;
  dagResults: DagResultReader;
}

export interface ServiceDependencies {
  db: StateDb;
  objects: ObjectStore;
  settings: TaskSettings;
  log?: Logger | undefined;
  /** Source of randomness for drawing hubs; tests pass a seeded one. */
  random?: () => number;
}

export function createServices({ db, objects, settings, log, random }: ServiceDependencies): Services {
  const compute = new ComputeServiceRegistry(db, settings.computeServiceExpirySeconds, log);
  return {
    identities: new IdentityService(db),
    networks: new NetworkService(db),
    tasks: new TaskService(db, objects),
    dags: new DagService(db, objects),
    compute,
    claims: new ClaimService(db, compute, {
      failureLimit: settings.claimFailureLimit,
      failureWindowSeconds: settings.claimFailureWindowSeconds,
    }, random, log),
    unitResults: new UnitResultService(db, objects),
    resultFiles: new ResultFileService(db, objects, settings),
    finisher: new TaskFinisher(db, objects, log),
    dagResults: new DagResultReader(db, objects),
  };
}
