import DataLoader from 'dataloader';
import type { ClaimAttemptRow } from '../domain/claims/taskAttempts.js';
import type { DagRecord } from '../domain/dag/DagService.js';
import type { TransformationEstimate } from '../domain/estimates/combineRepeats.js';
import type { TokenRecord } from '../domain/identities/IdentityService.js';
import type { ChemicalSystemRecord, TransformationRecord } from '../domain/networks/NetworkService.js';
import type { DagResultRecord } from '../domain/results/DagResultReader.js';
import type { ResultFileRecord } from '../domain/results/ResultFileService.js';
import type { UnitResultRecord } from '../domain/results/UnitResultService.js';
import type { Services } from '../domain/services.js';
import type { TaskRecord } from '../domain/tasks/taskRecords.js';
import type { TaskStatus } from '../domain/tasks/taskStatus.js';

/** Per-request batching: a list of N objects costs one query per field, not N. */
export interface Loaders {
  scopesOfIdentity: DataLoader<string, string[]>;
  tokensOfIdentity: DataLoader<string, TokenRecord[]>;
  task: DataLoader<string, TaskRecord | null>;
  transformation: DataLoader<string, TransformationRecord | null>;
  chemicalSystem: DataLoader<string, ChemicalSystemRecord | null>;
  dagOfTask: DataLoader<string, DagRecord | null>;
  unitResultsOfTask: DataLoader<string, UnitResultRecord[]>;
  resultFilesOfTask: DataLoader<string, ResultFileRecord[]>;
  /** Only the files of the attempts that produced ok unit results. */
  okResultFilesOfTask: DataLoader<string, ResultFileRecord[]>;
  dagResultsOfTask: DataLoader<string, DagResultRecord[]>;
  hubsOfTask: DataLoader<string, string[]>;
  /** A task's claims: its attempts, before their unit results are joined in (see taskAttempts). */
  claimsOfTask: DataLoader<string, ClaimAttemptRow[]>;
  statusCountsOfTransformation: DataLoader<string, Record<TaskStatus, number> | null>;
  /** Transformation id → its combined estimate (null without repeats). */
  estimateOfTransformation: DataLoader<string, TransformationEstimate | null>;
  /** Protocol → whether no live compute service runs it. */
  protocolUnserved: DataLoader<string, boolean>;
}

/** A loader from a batch function that answers with a Map; missing keys become `fallback`. */
function mapLoader<V>(load: (keys: readonly string[]) => Promise<Map<string, V>>, fallback: () => V): DataLoader<string, V> {
  return new DataLoader(async (keys) => {
    const found = await load(keys);
    return keys.map((key) => found.get(key) ?? fallback());
  });
}

export function createLoaders(services: Services): Loaders {
  return {
    scopesOfIdentity: mapLoader(
      (ids) => services.identities.scopesOf(ids),
      () => [],
    ),
    tokensOfIdentity: mapLoader(
      (ids) => services.identities.tokensOf(ids),
      () => [],
    ),
    task: mapLoader(
      async (ids) => new Map((await services.tasks.getMany(ids)).map((t) => [t.id, t])),
      () => null,
    ),
    transformation: mapLoader(
      (ids) => services.networks.transformationsByIds(ids),
      () => null,
    ),
    chemicalSystem: mapLoader(
      (ids) => services.networks.chemicalSystemsByIds(ids),
      () => null,
    ),
    dagOfTask: mapLoader(
      (ids) => services.dags.ofTasks(ids),
      () => null,
    ),
    unitResultsOfTask: mapLoader(
      (ids) => services.unitResults.ofTasks(ids),
      () => [],
    ),
    resultFilesOfTask: mapLoader(
      (ids) => services.resultFiles.ofTasks(ids),
      () => [],
    ),
    okResultFilesOfTask: mapLoader(
      (ids) => services.resultFiles.ofTasks(ids, { ok: true }),
      () => [],
    ),
    dagResultsOfTask: mapLoader(
      (ids) => services.dagResults.ofTasks(ids),
      () => [],
    ),
    hubsOfTask: mapLoader(
      (ids) => services.tasks.actionedOn(ids),
      () => [],
    ),
    claimsOfTask: mapLoader(
      (ids) => services.attempts.claimsOfTasks(ids),
      () => [],
    ),
    statusCountsOfTransformation: mapLoader(
      (ids) => services.tasks.statusCountsByTransformation(ids),
      () => null,
    ),
    estimateOfTransformation: mapLoader(
      (ids) => services.estimates.ofTransformations(ids),
      () => null,
    ),
    protocolUnserved: new DataLoader(async (protocols) => {
      const unserved = await services.compute.unservedProtocols(protocols);
      return protocols.map((protocol) => unserved.has(protocol));
    }),
  };
}
