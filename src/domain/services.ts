import type { EventSettings, TaskSettings } from '../config.js';
import { systemClock } from './Clock.js';
import type { Clock } from './Clock.js';
import type { Logger } from '../observability/logger.js';
import type { ObjectStore } from './objects/ObjectStore.js';
import type { StateAccess } from './state/StateAccess.js';
import { AttemptService } from './claims/AttemptService.js';
import { ClaimableWork } from './claims/ClaimableWork.js';
import { ClaimService } from './claims/ClaimService.js';
import { ComputeManagerRegistry } from './compute/ComputeManagerRegistry.js';
import { ComputeServiceRegistry } from './compute/ComputeServiceRegistry.js';
import { DagService } from './dag/DagService.js';
import { EstimateService } from './estimates/EstimateService.js';
import { defaultEventSettings } from './events/eventDefaults.js';
import { TaskEventHub } from './events/TaskEventHub.js';
import { TaskEventService } from './events/TaskEventService.js';
import { IdentityService } from './identities/IdentityService.js';
import { ImportService } from './imports/ImportService.js';
import { InputObjectService } from './inputs/InputObjectService.js';
import { NetworkService } from './networks/NetworkService.js';
import type { ProtocolSettingsChecks } from './networks/protocolSettings.js';
import { DagBuildFailures } from './results/DagBuildFailures.js';
import { DagResultReader } from './results/DagResultReader.js';
import { ResultFileService } from './results/ResultFileService.js';
import { TaskFinisher } from './results/TaskFinisher.js';
import { UploadSweeper } from './results/UploadSweeper.js';
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
  /** Claimable tasks per protocol and scope, as compute managers watch them. */
  claimableWork: ClaimableWork;
  /** Compute managers and the worker jobs they report. */
  managers: ComputeManagerRegistry;
  /** Tasks' attempts (their claims) and the unit each is running. */
  attempts: AttemptService;
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
  /** Free-energy estimates of transformations and networks, from stored results. */
  estimates: EstimateService;
  /** Follows the event outbox; the server starts it and wakes it on notifications. */
  eventHub: TaskEventHub;
  events: TaskEventService;
  /** Removes abandoned uploads and unreferenced objects; the server starts it. */
  uploadSweeper: UploadSweeper;
  /** Network import: uploads of archived tasks' bytes, and importTask. */
  imports: ImportService;
  /** Input objects (docs/inputs.md): content networks and DAGs refer to, uploaded and stored once per scope. */
  inputs: InputObjectService;
}

export interface ServiceDependencies {
  /** State, through the repositories the domain defines (the state store implements them). */
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
  /**
   * The time as compute service expiry, claim check-in reuse and eligibility, the upload sweeper, token
   * expiry and token reuse read it; the system clock unless given (tests move their own).
   */
  clock?: Clock;
  /** How long after its URLs expired an abandoned upload is swept (see UploadSweeper); an hour unless given. */
  uploadSweepGraceSeconds?: number;
  /** The largest input object accepted (DAGKEEPER_MAX_INPUT_BYTES); 1 GiB unless given. */
  maxInputBytes?: number;
}

/** Each replica reads the revocation log at least this often: a lost notification costs at most this. */
const revocationPollMs = 1000;
/** As DAGKEEPER_UPLOAD_SWEEP_GRACE_SECONDS defaults (src/config.ts). */
const defaultUploadSweepGraceSeconds = 3_600;
/** As DAGKEEPER_MAX_INPUT_BYTES defaults. */
const defaultMaxInputBytes = 1024 ** 3;

export function createServices({
  state,
  objects,
  settings,
  events = defaultEventSettings,
  log,
  random,
  tokenReuseMs = 0,
  protocolSettings,
  clock = systemClock,
  uploadSweepGraceSeconds = defaultUploadSweepGraceSeconds,
  maxInputBytes = defaultMaxInputBytes,
}: ServiceDependencies): Services {
  const compute = new ComputeServiceRegistry(state, settings.computeServiceExpirySeconds, log, clock);
  const patternMatcher = new Re2Matcher();
  const restarts = new RestartDecider(state, patternMatcher, log);
  const networks = new NetworkService(state, protocolSettings, patternMatcher);
  const tasks = new TaskService(state, objects);
  const identities = new IdentityService(state, { tokenReuseMs, revocationPollMs, log, clock });
  const imports = new ImportService(state, objects, settings, clock);
  const inputs = new InputObjectService(state, objects, { ...settings, maxInputBytes }, clock);
  const eventHub = new TaskEventHub(state.events, {
    pollMs: events.pollMs,
    maxQueuedPerSubscriber: events.maxQueuedPerSubscriber,
    log,
    beforeDelivery: () => identities.revocations.catchUp(),
  });
  return {
    identities,
    networks,
    tasks,
    dags: new DagService(state, objects),
    compute,
    claims: new ClaimService(
      state,
      compute,
      {
        failureLimit: settings.claimFailureLimit,
        failureWindowSeconds: settings.claimFailureWindowSeconds,
      },
      { random, log, clock },
    ),
    attempts: new AttemptService(state),
    claimableWork: new ClaimableWork(state),
    managers: new ComputeManagerRegistry(state, compute, clock),
    unitResults: new UnitResultService(state, objects),
    resultFiles: new ResultFileService(state, objects, settings),
    imports,
    inputs,
    finisher: new TaskFinisher(state, objects, restarts, log),
    restarts,
    patternMatcher,
    dagBuildFailures: new DagBuildFailures(state, objects, restarts, log),
    dagResults: new DagResultReader(state, objects),
    estimates: new EstimateService(state),
    eventHub,
    events: new TaskEventService(eventHub, state.events, networks, tasks),
    uploadSweeper: new UploadSweeper(
      state,
      objects,
      { graceSeconds: uploadSweepGraceSeconds, uploadUrlSeconds: settings.uploadUrlSeconds },
      { log, clock, importUploads: imports, inputUploads: inputs.uploads },
    ),
  };
}
