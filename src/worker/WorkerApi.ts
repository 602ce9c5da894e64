import type { ApiClient } from '../client/ApiClient.js';
import type { ProtocolDagSpec } from '../domain/dag/protocolDag.js';
import type { InputObjectView } from './inputs/TaskInputs.js';
import type { TransformationInfo } from './protocol.js';
import { withRetry } from './retry.js';
import type { RetryOptions } from './retry.js';

export interface RemoteFile {
  unitKey: string;
  path: string;
  size: number;
  sha256: string;
  downloadUrl: string;
}

export interface ClaimedTaskView {
  id: string;
  status: string;
  /** The seed its ProtocolDAG is built with (see Protocol.createDag). */
  seed: number;
  /** `inputObjects`: those its settings and both end states refer to. */
  transformation: TransformationInfo & { inputObjects: InputObjectView[] };
  dag: null | {
    units: Array<{ key: string; name: string; dependencies: string[]; inputs: unknown; state: string; inputObjects: InputObjectView[] }>;
    remaining: { runnable: string[]; blocked: string[] };
  };
  okResults: Array<{ unitKey: string; outputs: unknown }>;
  /** The files of the ok results only: a failed attempt's files are not its unit's. */
  resultFiles: RemoteFile[];
  extends: null | {
    id: string;
    successful: null | { units: Array<{ key: string; result: null | { ok: boolean; outputs?: unknown } }> };
    resultFiles: RemoteFile[];
  };
}

export interface UploadTicket {
  uploadId: string;
  url: string | null;
  /** One answer's worth of part URLs; `partCount` says how many there are in all. */
  parts: Array<{ partNumber: number; url: string; offset: number; size: number }>;
  partCount: number;
}

const ticketFields = 'uploadId url parts { partNumber url offset size } partCount';

export interface UnitResultPayload {
  unitKey: string;
  ok: boolean;
  outputs?: unknown;
  exception?: string;
  traceback?: string;
  startedAt: string;
  endedAt: string;
  log?: string;
}

const fileFields = 'unitKey path size sha256 downloadUrl';
const inputObjectFields = 'sha256 size encoding keys downloadUrl';

/** The GraphQL operations a worker makes, each retried through transient failures. */
export class WorkerApi {
  constructor(
    private readonly api: ApiClient,
    private readonly retry: RetryOptions = {},
  ) {}

  private call<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    return withRetry(() => this.api.request<T>(query, variables), this.retry);
  }

  /** `protocols`: what this worker runs, so users see which waiting tasks no live service takes; `host`: where, shown in Task.attempts. */
  async register(name: string, protocols: readonly string[], host: string | null): Promise<string> {
    const { registerComputeService } = await this.call<{ registerComputeService: { id: string } }>(
      'mutation ($name: String!, $protocols: [String!], $host: String) { registerComputeService(name: $name, protocols: $protocols, host: $host) { id } }',
      { name, protocols, host },
    );
    return registerComputeService.id;
  }

  async expirySeconds(): Promise<number> {
    const { computeServicePolicy } = await this.call<{ computeServicePolicy: { expirySeconds: number } }>(
      '{ computeServicePolicy { expirySeconds } }',
    );
    return computeServicePolicy.expirySeconds;
  }

  async heartbeat(serviceId: string): Promise<void> {
    // One attempt: the next beat is the retry.
    await this.api.request('mutation ($id: ID!) { heartbeat(computeServiceId: $id) { id } }', { id: serviceId });
  }

  async deregister(serviceId: string): Promise<void> {
    await this.call('mutation ($id: ID!) { deregisterComputeService(computeServiceId: $id) { id } }', { id: serviceId });
  }

  /**
   * One attempt, never retried: a claim whose answer was lost may still have claimed tasks, which a
   * second claim would not return. The caller lets them go (see Worker.claim).
   */
  async claim(serviceId: string, count: number, protocols: string[]): Promise<Array<{ token: string; taskId: string }>> {
    const { claimTasks } = await this.api.request<{ claimTasks: Array<{ token: string; task: { id: string } }> }>(
      'mutation ($id: ID!, $count: Int!, $protocols: [String!]) { claimTasks(computeServiceId: $id, count: $count, protocols: $protocols) { token task { id } } }',
      { id: serviceId, count, protocols },
    );
    return claimTasks.map((c) => ({ token: c.token, taskId: c.task.id }));
  }

  async task(taskId: string): Promise<ClaimedTaskView> {
    const { task } = await this.call<{
      task: Omit<ClaimedTaskView, 'extends'> & {
        extends: null | {
          id: string;
          dagResults: Array<{ document: NonNullable<ClaimedTaskView['extends']>['successful'] }>;
          resultFiles: RemoteFile[];
        };
      };
    }>(
      `query ($id: ID!) { task(id: $id) {
         id status seed
         transformation { scopedKey name protocol settings stateA { name components } stateB { name components }
           inputObjects { ${inputObjectFields} } }
         dag { units { key name dependencies inputs state inputObjects { ${inputObjectFields} } } remaining { runnable blocked } }
         okResults: unitResults(ok: true) { unitKey outputs }
         resultFiles(ok: true) { ${fileFields} }
         extends { id dagResults(ok: true) { document } resultFiles(ok: true) { ${fileFields} } } } }`,
      { id: taskId },
    );
    const parent = task.extends;
    return {
      ...task,
      extends:
        parent === null ? null : { id: parent.id, successful: parent.dagResults[0]?.document ?? null, resultFiles: parent.resultFiles },
    };
  }

  /** A fresh download URL for an input object of `scope`; null when the scope holds no such object. */
  async inputObjectUrl(scope: string, sha256: string): Promise<string | null> {
    const { inputObject } = await this.call<{ inputObject: { downloadUrl: string } | null }>(
      'query ($scope: String!, $sha: String!) { inputObject(scope: $scope, sha256: $sha) { downloadUrl } }',
      { scope, sha: sha256 },
    );
    return inputObject?.downloadUrl ?? null;
  }

  async setDag(claimToken: string, dag: ProtocolDagSpec): Promise<void> {
    await this.call('mutation ($c: String!, $dag: JSON!) { setProtocolDAG(claimToken: $c, dag: $dag) { sha256 } }', { c: claimToken, dag });
  }

  /**
   * Tells the server which unit runs now (Task.attempts' runningUnit). One attempt, not retried: it only
   * informs, and the unit must not wait on it (a lost connection is still sent again: idempotentOperations).
   */
  async startUnit(claimToken: string, unitKey: string): Promise<void> {
    await this.api.request('mutation ($c: String!, $u: String!) { startUnit(claimToken: $c, unitKey: $u) }', { c: claimToken, u: unitKey });
  }

  async submitUnitResult(claimToken: string, result: UnitResultPayload): Promise<void> {
    await this.call('mutation ($c: String!, $r: UnitResultInput!) { submitUnitResult(claimToken: $c, result: $r) { id } }', {
      c: claimToken,
      r: result,
    });
  }

  /** Opens an upload; the file's digest comes with the commit (see uploadOutputFile). */
  async createUpload(claimToken: string, file: { unitKey: string; path: string; size: number }): Promise<UploadTicket> {
    const { createResultFileUpload } = await this.call<{ createResultFileUpload: UploadTicket }>(
      `mutation ($c: String!, $unit: String!, $path: String!, $size: SafeInt!) {
         createResultFileUpload(claimToken: $c, unitKey: $unit, path: $path, size: $size) { ${ticketFields} } }`,
      { c: claimToken, unit: file.unitKey, path: file.path, size: file.size },
    );
    return createResultFileUpload;
  }

  /** The part URLs of an open upload from `firstPartNumber` on (one answer's worth). */
  async continueUpload(claimToken: string, uploadId: string, firstPartNumber: number): Promise<UploadTicket> {
    const { continueResultFileUpload } = await this.call<{ continueResultFileUpload: UploadTicket }>(
      `mutation ($c: String!, $u: ID!, $first: Int!) { continueResultFileUpload(claimToken: $c, uploadId: $u, firstPartNumber: $first) { ${ticketFields} } }`,
      { c: claimToken, u: uploadId, first: firstPartNumber },
    );
    return continueResultFileUpload;
  }

  async commitUpload(
    claimToken: string,
    uploadId: string,
    parts: Array<{ partNumber: number; etag: string }>,
    sha256: string,
  ): Promise<void> {
    await this.call(
      'mutation ($c: String!, $u: ID!, $parts: [UploadedPartInput!], $sha: String!) { commitResultFile(claimToken: $c, uploadId: $u, parts: $parts, sha256: $sha) { id } }',
      { c: claimToken, u: uploadId, parts, sha: sha256 },
    );
  }

  /** The task's DAG could not be built: the task fails (ERROR, or WAITING again by a restart pattern). */
  async reportDagBuildFailure(
    claimToken: string,
    exception: string,
    traceback: string,
  ): Promise<{ status: string; restartedBy: string | null }> {
    const { reportDagBuildFailure } = await this.call<{ reportDagBuildFailure: { task: { status: string }; restartedBy: string | null } }>(
      'mutation ($c: String!, $e: String!, $t: String) { reportDagBuildFailure(claimToken: $c, exception: $e, traceback: $t) { task { status } restartedBy } }',
      { c: claimToken, e: exception, t: traceback },
    );
    return { status: reportDagBuildFailure.task.status, restartedBy: reportDagBuildFailure.restartedBy };
  }

  async finish(claimToken: string): Promise<{ status: string; ok: boolean }> {
    const { finishTask } = await this.call<{ finishTask: { task: { status: string }; dagResult: { ok: boolean } } }>(
      'mutation ($c: String!) { finishTask(claimToken: $c) { task { status } dagResult { ok } } }',
      { c: claimToken },
    );
    return { status: finishTask.task.status, ok: finishTask.dagResult.ok };
  }
}
