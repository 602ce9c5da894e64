import DataLoader from 'dataloader';
import type { ClaimAttemptRow } from '../domain/claims/taskAttempts.js';
import type { DagRecord } from '../domain/dag/DagService.js';
import type { TransformationEstimate } from '../domain/estimates/combineRepeats.js';
import type { TokenRecord } from '../domain/identities/IdentityService.js';
import type { InputObjectRecord } from '../domain/inputs/InputObjectService.js';
import type { ChemicalSystemRecord, TransformationRecord } from '../domain/networks/NetworkService.js';
import type { DagResultRecord } from '../domain/results/DagResultReader.js';
import type { ResultFileRecord } from '../domain/results/ResultFileService.js';
import type { UnitResultRecord } from '../domain/results/UnitResultService.js';
import { formatScope, parseScope } from '../domain/scope.js';
import type { Scope } from '../domain/scope.js';
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
  /** A reference in a scope (see inputReferenceKey) → the input object it names; one query per scope. */
  inputObjectByReference: DataLoader<string, InputObjectRecord | null>;
}

/** The loader key of a reference in a scope: none of the three parts holds a space. */
export function inputReferenceKey(scope: Scope, reference: { sha256: string } | { key: string }): string {
  return 'sha256' in reference ? `${formatScope(scope)} sha256 ${reference.sha256}` : `${formatScope(scope)} key ${reference.key}`;
}

async function loadInputObjects(services: Services, loaderKeys: readonly string[]): Promise<Array<InputObjectRecord | null>> {
  const requests = loaderKeys.map((loaderKey) => {
    const [scope = '', kind, value = ''] = loaderKey.split(' ');
    return { scope: parseScope(scope), references: kind === 'sha256' ? { sha256s: [value], keys: [] } : { sha256s: [], keys: [value] } };
  });
  const found = await services.inputs.referenced(requests);
  const byLoaderKey = new Map<string, InputObjectRecord>();
  for (const object of found) {
    byLoaderKey.set(inputReferenceKey(object.scope, { sha256: object.sha256 }), object);
    for (const key of object.keys) byLoaderKey.set(inputReferenceKey(object.scope, { key }), object);
  }
  return loaderKeys.map((loaderKey) => byLoaderKey.get(loaderKey) ?? null);
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
    inputObjectByReference: new DataLoader((loaderKeys) => loadInputObjects(services, loaderKeys)),
  };
}
