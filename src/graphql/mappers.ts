/**
 * What each GraphQL object type's resolvers receive as their parent: the domain records the services
 * return, named once here for codegen.ts (`mappers`). When a domain type moves, only this file changes.
 */
import type { ClaimedTask } from '../domain/claims/ClaimService.js';
import type { ComputeManagerRecord } from '../domain/compute/ComputeManagerRegistry.js';
import type { ComputeServiceRecord } from '../domain/compute/ComputeServiceRegistry.js';
import type { DagRecord, ProtocolUnitRecord } from '../domain/dag/DagService.js';
import type { TaskEvent } from '../domain/events/taskEvents.js';
import type { IdentityRecord, TokenRecord } from '../domain/identities/IdentityService.js';
import type { InputObjectRecord } from '../domain/inputs/InputObjectService.js';
import type { ChemicalSystemRecord, NetworkRecord, TransformationRecord } from '../domain/networks/NetworkService.js';
import type { DagResultRecord } from '../domain/results/DagResultReader.js';
import type { ResultFileRecord } from '../domain/results/resultFileRecord.js';
import type { UploadTicket } from '../domain/results/ResultFileUploads.js';
import type { DagBuildFailureRecord } from '../domain/results/taskFailures.js';
import type { UnitResultRecord } from '../domain/results/UnitResultService.js';
import type { TaskRecord } from '../domain/tasks/taskRecords.js';

export type IdentityParent = IdentityRecord;
export type TokenParent = TokenRecord;
export type NetworkParent = NetworkRecord;
export type TransformationParent = TransformationRecord;
export type ChemicalSystemParent = ChemicalSystemRecord;
export type RestartPatternParent = { id: string; pattern: string; maxRetries: number };
export type TaskParent = TaskRecord;
export type DagParent = DagRecord;
/** A unit knows its task, so that its results and state can be loaded. */
export type ProtocolUnitParent = ProtocolUnitRecord & { taskId: string };
export type UnitResultParent = UnitResultRecord;
export type DagBuildFailureParent = DagBuildFailureRecord;
export type ResultFileParent = ResultFileRecord;
export type DagResultParent = DagResultRecord;
export type ComputeServiceParent = ComputeServiceRecord;
export type ComputeManagerParent = ComputeManagerRecord;
export type ClaimParent = ClaimedTask;
export type UploadTicketParent = UploadTicket;
export type InputObjectParent = InputObjectRecord;
/** finishTask and reportDagBuildFailure answer with the DAG result; the task is loaded when asked for. */
export type FinishResultParent = { dagResult: DagResultRecord; restartedBy: string | null; taskId: string; task?: TaskRecord | undefined };

type EventOf<K extends TaskEvent['kind']> = Extract<TaskEvent, { kind: K }>;
export type TaskStatusChangedParent = EventOf<'TaskStatusChanged'>;
export type UnitResultRecordedParent = EventOf<'UnitResultRecorded'>;
export type ResultFileAvailableParent = EventOf<'ResultFileAvailable'>;
export type ProtocolDagResultRecordedParent = EventOf<'ProtocolDagResultRecorded'>;
export type ComputeServiceExpiredParent = EventOf<'ComputeServiceExpired'>;
export type EstimateChangedParent = EventOf<'EstimateChanged'>;
