/**
 * Coalesces concurrent requests of the same kind into one statement. A lane (a key) runs one
 * statement at a time; requests arriving while it is in flight wait and all ride on the next one:
 * one round trip, one commit for all of them. A request arriving at an idle lane runs at once, so
 * nothing waits for a batch to fill: batches grow only when requests already queue.
 *
 * Used where many clients ask the same kind of question at once: token lookups (every request),
 * claims and unit results, whose statements queue behind each other in PostgreSQL anyway (the event
 * outbox's lock, the commit's notification), so one statement per lane costs a caller nothing.
 */

/** Runs one statement for several requests; answers each request, in request order. */
export type RunBatch<L, Q, A> = (lane: L, requests: readonly Q[]) => Promise<A[]>;

interface Waiting<Q, A> {
  request: Q;
  resolve: (answer: A) => void;
  reject: (error: unknown) => void;
}

interface Lane<L, Q, A> {
  args: L;
  waiting: Array<Waiting<Q, A>>;
}

export interface CoalescerOptions<Q> {
  /** How much of a statement's capacity a request takes (e.g. the tasks it asks for). */
  size: (request: Q) => number;
  /** Capacity of one statement. */
  maxPerBatch: number;
  /**
   * When a statement for several requests fails with an error this says a request's own value may
   * have caused, run each of them again alone, so that the request refused fails only itself (an
   * outage fails them all at once, without a try each). Only for statements that change nothing when
   * they fail.
   */
  isolateFailures?: (error: unknown) => boolean;
}

export class Coalescer<L, Q, A> {
  private readonly lanes = new Map<string, Lane<L, Q, A>>();

  constructor(
    private readonly run: RunBatch<L, Q, A>,
    private readonly options: CoalescerOptions<Q>,
  ) {}

  /** Requests under one key share statements; `args` says what the lane's statements are about (the first request's are kept). */
  submit(key: string, args: L, request: Q): Promise<A> {
    const size = this.options.size(request);
    if (size > this.options.maxPerBatch) throw new RangeError(`one request takes at most ${this.options.maxPerBatch}, not ${size}`);
    const idle = !this.lanes.has(key);
    const lane = this.lanes.get(key) ?? { args, waiting: [] };
    this.lanes.set(key, lane);
    const answer = new Promise<A>((resolve, reject) => lane.waiting.push({ request, resolve, reject }));
    if (idle) void this.drain(key, lane);
    return answer;
  }

  private async drain(key: string, lane: Lane<L, Q, A>): Promise<void> {
    try {
      while (lane.waiting.length > 0) {
        const batch = this.takeBatch(lane);
        try {
          const answers = await this.run(
            lane.args,
            batch.map((w) => w.request),
          );
          if (answers.length !== batch.length) throw new Error(`a batch of ${batch.length} requests got ${answers.length} answers`);
          batch.forEach((w, i) => w.resolve(answers[i]!));
        } catch (error) {
          if (batch.length > 1 && this.options.isolateFailures?.(error) === true) await this.runEachAlone(lane.args, batch);
          else for (const w of batch) w.reject(error);
        }
      }
    } finally {
      this.lanes.delete(key);
    }
  }

  private async runEachAlone(args: L, batch: ReadonlyArray<Waiting<Q, A>>): Promise<void> {
    for (const w of batch) {
      try {
        const [answer] = await this.run(args, [w.request]);
        w.resolve(answer!);
      } catch (error) {
        w.reject(error);
      }
    }
  }

  /** The oldest waiting requests that fit in one statement (always at least one). */
  private takeBatch(lane: Lane<L, Q, A>): Array<Waiting<Q, A>> {
    let total = 0;
    let count = 0;
    for (const w of lane.waiting) {
      const size = this.options.size(w.request);
      if (count > 0 && total + size > this.options.maxPerBatch) break;
      total += size;
      count += 1;
    }
    return lane.waiting.splice(0, count);
  }
}
