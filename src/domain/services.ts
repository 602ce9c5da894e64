import type { EventSettings, TaskSettings } from '../config.js';
import type { Clock } from './Clock.js';
import type { Logger } from '../observability/logger.js';
import type { ObjectStore } from './objects/ObjectStore.js';
import type { StateDb } from '../storage/state/openStateStore.js';
import type { StateAccess } from './state/StateAccess.js';
import { latestTaskEventId, prunedThrough, readTaskEvents } from '../storage/state/sql/taskEvents.js';
import { ClaimService } from './claims/ClaimService.js';
import { ComputeServiceRegistry } from './compute/ComputeServiceRegistry.js';
import { DagService } from './dag/DagService.js';
import { defaultEventSettings } from './events/eventDefaults.js';
import { TaskEventHub } from './events/TaskEventHub.js';
import { TaskEventService } from './events/TaskEventService.js';
import { IdentityService } from './identities/IdentityService.js';
import { NetworkService } from './networks/NetworkService.js';
import type { ProtocolSettingsChecks } from './networks/protocolSettings.js';
import { DagBuildFailures } from './results/DagBuildFailures.js';
import { DagResultReader } from './results/DagResultReader.js';
import { ResultFileService } from './results/ResultFileService.js';
import { TaskFinisher } from './results/TaskFinisher.js';
import { Re2Matcher } from './restarts/Re2Matcher.js';
import { RestartDecider } from './restarts/RestartDecider.js';
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
  /** Whether a failed attempt's texts match a restart pattern: decide() before the failing transaction, failTask() in it. */
  restarts: RestartDecider;
  /** Matches restart patterns on a thread of its own; the server closes it at shutdown. */
  patternMatcher: Re2Matcher;
  /** Ends a claim whose task's ProtocolDAG could not be built. */
  dagBuildFailures: DagBuildFailures;
  dagResults: DagResultReader;
  /** Follows the event outbox; the server starts it and wakes it on notifications. */
  eventHub: TaskEventHub;
  events: TaskEventService;
}

export interface ServiceDependencies {
  /** Being replaced by `state`: services move from Prisma to the domain's repositories one by one. */
  db: StateDb;
  state: StateAccess;
  objects: ObjectStore;
  settings: TaskSettings;
  events?: EventSettings | undefined;
  log?: Logger | undefined;
  /** Source of randomness for drawing hubs; tests pass a seeded one. */
  random?: () => number;
  /** See IdentityServiceOptions.tokenReuseMs; 0 (every request reads its token) unless given. */
  tokenReuseMs?: number;
  /** Settings checks of the built-in protocols, run at createNetwork; none unless given (see protocolSettings.ts). */
  protocolSettings?: ProtocolSettingsChecks;
  /** The time as compute service expiry reads it; the system clock unless given (tests move their own). */
  clock?: Clock;
}

/** Each replica reads the revocation log at least this often: a lost notification costs at most this. */
const revocationPollMs = 1000;

export function createServices({ db, state: _state, objects, settings, events = defaultEventSettings, log, random, tokenReuseMs = 0, protocolSettings, clock }: ServiceDependencies): Services {
  const compute = new ComputeServiceRegistry(db, settings.computeServiceExpirySeconds, log, clock);
  const patternMatcher = new Re2Matcher();
  const restarts = new RestartDecider(db, patternMatcher, log);
  const networks = new NetworkService(db, protocolSettings, patternMatcher);
  const tasks = new TaskService(db, objects);
  const outbox = {
    latestId: () => latestTaskEventId(db),
    prunedThrough: () => prunedThrough(db),
    read: (afterId: bigint, limit: number, filter?: { taskId?: string }) => readTaskEvents(db, afterId, limit, filter),
  };
  const identities = new IdentityService(db, { tokenReuseMs, revocationPollMs, log });
  const eventHub = new TaskEventHub(outbox, {
    pollMs: events.pollMs, maxQueuedPerSubscriber: events.maxQueuedPerSubscriber, log,
    beforeDelivery: () => identities.revocations.catchUp(),
  });
  return {
    identities,
    networks,
    tasks,
    dags: new DagService(db, objects),
    compute,
    claims: new ClaimService(db, compute, {
      failureLimit: settings.claimFailureLimit,
      failureWindowSeconds: settings.claimFailureWindowSeconds,
    }, random, log),
    unitResults: new UnitResultService(db, objects),
    resultFiles: new ResultFileService(db, objects, settings),
    finisher: new TaskFinisher(db, objects, restarts, log),
    restarts,
    patternMatcher,
    dagBuildFailures: new DagBuildFailures(db, objects, restarts, log),
    dagResults: new DagResultReader(db, objects),
    eventHub,
    events: new TaskEventService(eventHub, outbox, networks, tasks),
  };
}
