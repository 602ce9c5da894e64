/**
 * Coalesces concurrent claims on the same hub into one statement. Claims on one hub already queue
 * behind each other in PostgreSQL (the event outbox's lock, the commit's notification), so running
 * one statement per hub at a time costs a claimer nothing, and every claim that arrives meanwhile
 * rides on the next statement: one round trip, one commit and one notification for all of them.
 * A claim arriving while nothing is in flight runs at once; nothing waits for a batch to fill.
 */

/** One claimer's share of a batched statement: `limit` tasks at most, for one compute service. */
export interface HubClaimRequest {
  computeServiceId: string;
  limit: number;
}

/**
 * Runs one statement for several requests; answers with each request's rows, in request order.
 * Tasks go to requests in order, so when the hub runs dry the earliest requests are served first.
 */
export type RunHubClaims<R> = (hubId: string, protocols: readonly string[] | null, requests: readonly HubClaimRequest[]) => Promise<R[][]>;

interface Waiting<R> {
  request: HubClaimRequest;
  resolve: (rows: R[]) => void;
  reject: (error: unknown) => void;
}

interface Lane<R> {
  hubId: string;
  protocols: readonly string[] | null;
  waiting: Array<Waiting<R>>;
  running: boolean;
}

export class HubClaimBatcher<R> {
  private readonly lanes = new Map<string, Lane<R>>();

  /** `maxPerStatement` bounds the tasks one statement may claim (the sum of the batched limits). */
  constructor(
    private readonly run: RunHubClaims<R>,
    private readonly maxPerStatement: number,
  ) {}

  claim(hubId: string, protocols: readonly string[] | null, request: HubClaimRequest): Promise<R[]> {
    if (request.limit > this.maxPerStatement) throw new RangeError(`one claim takes at most ${this.maxPerStatement} tasks, not ${request.limit}`);
    // Claimers with different protocol lists see different tasks, so they share a statement only with their own kind.
    const key = `${hubId} ${protocols === null ? '*' : JSON.stringify(protocols)}`;
    let lane = this.lanes.get(key);
    if (lane === undefined) {
      lane = { hubId, protocols, waiting: [], running: false };
      this.lanes.set(key, lane);
    }
    const answer = new Promise<R[]>((resolve, reject) => lane.waiting.push({ request, resolve, reject }));
    if (!lane.running) void this.drain(key, lane);
    return answer;
  }

  private async drain(key: string, lane: Lane<R>): Promise<void> {
    lane.running = true;
    try {
      while (lane.waiting.length > 0) {
        const batch = this.takeBatch(lane);
        try {
          const answers = await this.run(lane.hubId, lane.protocols, batch.map((w) => w.request));
          batch.forEach((w, i) => w.resolve(answers[i] ?? []));
        } catch (error) {
          for (const w of batch) w.reject(error);
        }
      }
    } finally {
      lane.running = false;
      this.lanes.delete(key);
    }
  }

  /** The oldest waiting requests whose limits fit in one statement (always at least one). */
  private takeBatch(lane: Lane<R>): Array<Waiting<R>> {
    let total = 0;
    let count = 0;
    for (const w of lane.waiting) {
      if (count > 0 && total + w.request.limit > this.maxPerStatement) break;
      total += w.request.limit;
      count += 1;
    }
    return lane.waiting.splice(0, count);
  }
}
