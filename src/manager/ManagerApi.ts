import type { ApiClient } from '../client/ApiClient.js';
import type { TrackedJob } from './jobs.js';

export interface ClaimableCount {
  protocol: string;
  scope: string;
  count: number;
}

const toJobInput = (job: TrackedJob) => ({
  jobId: job.jobId,
  state: job.state,
  reason: job.reason ?? null,
  submittedAt: job.submittedAt.toISOString(),
  startedAt: job.startedAt?.toISOString() ?? null,
  endedAt: job.endedAt?.toISOString() ?? null,
});

/** The GraphQL operations a compute manager makes. */
export class ManagerApi {
  constructor(private readonly api: ApiClient) {}

  async expirySeconds(): Promise<number> {
    const data = await this.api.request<{ computeServicePolicy: { expirySeconds: number } }>('{ computeServicePolicy { expirySeconds } }');
    return data.computeServicePolicy.expirySeconds;
  }

  async register(name: string, backend: string, host: string): Promise<string> {
    const data = await this.api.request<{ registerComputeManager: { id: string } }>(
      'mutation ($name: String!, $backend: String!, $host: String) { registerComputeManager(name: $name, backend: $backend, host: $host) { id } }',
      { name, backend, host },
    );
    return data.registerComputeManager.id;
  }

  async claimable(protocols: readonly string[] | null, scope: string | null): Promise<ClaimableCount[]> {
    const data = await this.api.request<{ claimableTaskCounts: ClaimableCount[] }>(
      'query ($protocols: [String!], $scope: String) { claimableTaskCounts(protocols: $protocols, scope: $scope) { protocol scope count } }',
      { protocols, scope },
    );
    return data.claimableTaskCounts;
  }

  /** Also the manager's heartbeat. */
  async report(managerId: string, jobs: readonly TrackedJob[]): Promise<void> {
    await this.api.request(
      'mutation ($id: ID!, $jobs: [ComputeManagerJobInput!]!) { reportComputeManagerJobs(computeManagerId: $id, jobs: $jobs) { id } }',
      { id: managerId, jobs: jobs.map(toJobInput) },
    );
  }

  async deregister(managerId: string): Promise<void> {
    await this.api.request('mutation ($id: ID!) { deregisterComputeManager(computeManagerId: $id) { id } }', { id: managerId });
  }
}
