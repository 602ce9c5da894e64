import type { Logger } from '../../observability/logger.js';
import { DomainError, ErrorCode } from '../errors.js';
import { toTaskEvent } from './taskEvents.js';
import type { TaskEvent } from './taskEvents.js';
import type { TaskEventOutbox } from './TaskEventOutbox.js';

/** Where the hub reads events from: the outbox, in id order. */
export type TaskEventSource = Pick<TaskEventOutbox, 'latestId' | 'prunedThrough' | 'read'>;

export interface TaskEventHubOptions {
  /** Read the outbox at least this often, whether or not a notification came (notifications are hints). */
  pollMs: number;
  /** A subscriber this many events behind is dropped; it may reconnect with its last cursor. */
  maxQueuedPerSubscriber: number;
  /**
   * Awaited after events are read and before they are handed out: resolves once every revocation
   * committed before them has closed its connections, so no event committed after a token was
   * revoked reaches that token's subscriptions on any replica. Rejecting, the events wait for the next read.
   */
  beforeDelivery?: (() => Promise<void>) | undefined;
  log?: Logger | undefined;
}

export interface SubscriptionRequest {
  /** Whether the subscriber wants (and may see) an event; checked for every event, caught-up or live. */
  accepts: (event: TaskEvent) => boolean;
  /** Replay every stored event after this cursor before going live. */
  since?: bigint | undefined;
  /** Narrows the replay query to one task (an index lookup instead of a scan of everything since). */
  taskId?: string | undefined;
}

const readBatch = 500;

/**
 * One per server process. It follows the outbox table from where it started, in id order (which is
 * commit order, see appendTaskEvents), and hands each event to the subscribers that accept it. A read
 * happens on every wake-up (LISTEN/NOTIFY, or an in-process commit) and on a timer; wake-ups that come
 * while a read is running fold into one more read, so nothing is skipped and nothing is read twice.
 * With nobody subscribed it reads nothing (a busy server would otherwise read every claim's event
 * back for no one); the first subscriber moves the cursor to the end of the outbox.
 */
export class TaskEventHub {
  private cursor = 0n;
  /** Wake-ups were skipped while nobody was subscribed: the cursor may be behind the outbox. */
  private behind = false;
  private readonly subscribers = new Set<Subscriber>();
  private reading: Promise<void> | undefined;
  private readAgain = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Called with how many deliveries each read made (for metrics). */
  onDelivered: ((count: number) => void) | undefined;

  constructor(
    private readonly source: TaskEventSource,
    private readonly options: TaskEventHubOptions,
  ) {}

  async start(): Promise<void> {
    this.cursor = await this.source.latestId();
    this.timer = setInterval(() => this.wake(), this.options.pollMs);
    this.timer.unref();
  }

  /** Every event up to this cursor has been handed to the subscribers (while nobody subscribes, it stands still). */
  get position(): bigint {
    return this.cursor;
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /** Something may have been committed: read the outbox (now, or right after the read in progress). */
  wake(): void {
    if (this.stopped) return;
    if (this.reading !== undefined) {
      this.readAgain = true;
      return;
    }
    this.reading = this.readUntilCurrent()
      .catch((error: unknown) => this.options.log?.warn({ err: error }, 'reading task events failed; retrying on the next wake-up'))
      .finally(() => {
        this.reading = undefined;
        if (this.readAgain) {
          this.readAgain = false;
          this.wake();
        }
      });
  }

  /** Resolves once every event committed before the call has been handed out. */
  async settle(): Promise<void> {
    this.wake();
    while (this.reading !== undefined) await this.reading;
  }

  /**
   * A stream of accepted events. With `since`, first the stored events after it, then live ones, each
   * exactly once and in cursor order. Refused with CURSOR_EXPIRED when pruning has removed events after
   * `since`, because the stream could not be complete.
   */
  async subscribe(request: SubscriptionRequest): Promise<AsyncIterableIterator<TaskEvent>> {
    if (this.stopped) throw new DomainError(ErrorCode.SERVICE_UNAVAILABLE, 'the server is shutting down');
    if (request.since !== undefined) {
      const pruned = await this.source.prunedThrough();
      if (request.since < pruned) {
        throw new DomainError(
          ErrorCode.CURSOR_EXPIRED,
          `events after ${request.since} were pruned (kept from ${pruned + 1n}); start again without since`,
          {
            since: request.since.toString(),
            oldestAvailable: (pruned + 1n).toString(),
          },
        );
      }
    }
    await this.catchUpWhileIdle();
    // Registered before the replay is read: anything committed meanwhile arrives live, and the
    // replay stops where live delivery started, so the two neither overlap nor leave a gap.
    const liveFrom = this.cursor;
    const subscriber = new Subscriber(request.accepts, this.options.maxQueuedPerSubscriber, () => this.subscribers.delete(subscriber));
    this.subscribers.add(subscriber);
    if (request.since !== undefined && request.since < liveFrom) {
      subscriber.replay(this.replayPages(request, request.since, liveFrom));
    }
    // A wake-up skipped while the cursor moved is read now.
    this.wake();
    return subscriber;
  }

  /**
   * Skipping to the end of the outbox is the same as reading and discarding every event in it, as
   * long as nobody is subscribed and no read is running when the cursor moves.
   */
  private async catchUpWhileIdle(): Promise<void> {
    while (this.behind && this.subscribers.size === 0) {
      if (this.reading !== undefined) {
        await this.reading;
        continue;
      }
      const latest = await this.source.latestId();
      if (this.subscribers.size > 0 || this.reading !== undefined) continue;
      if (latest > this.cursor) this.cursor = latest;
      this.behind = false;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    for (const subscriber of [...this.subscribers]) subscriber.end();
    while (this.reading !== undefined) await this.reading;
  }

  private async *replayPages(request: SubscriptionRequest, since: bigint, until: bigint): AsyncGenerator<TaskEvent> {
    let after = since;
    while (after < until) {
      const rows = await this.source.read(after, readBatch, request.taskId === undefined ? {} : { taskId: request.taskId });
      for (const row of rows) {
        if (BigInt(row.id) > until) return;
        yield toTaskEvent(row);
      }
      if (rows.length < readBatch) return;
      after = BigInt(rows[rows.length - 1]!.id);
    }
  }

  private async readUntilCurrent(): Promise<void> {
    if (this.subscribers.size === 0) {
      this.behind = true;
      return;
    }
    for (;;) {
      const rows = await this.source.read(this.cursor, readBatch);
      if (rows.length > 0) await this.options.beforeDelivery?.();
      let delivered = 0;
      for (const row of rows) {
        const event = toTaskEvent(row);
        // Set per event: a subscriber registering between two reads starts exactly after what it missed.
        this.cursor = event.cursor;
        for (const subscriber of this.subscribers) if (subscriber.offer(event)) delivered += 1;
      }
      if (delivered > 0) this.onDelivered?.(delivered);
      if (rows.length < readBatch) return;
    }
  }
}

/**
 * One subscription's queue. Replayed events come first; live events wait behind them. The queue is
 * bounded: a subscriber that does not keep up is ended with an error naming its last cursor, rather
 * than growing the server's memory without limit.
 */
class Subscriber implements AsyncIterableIterator<TaskEvent> {
  private readonly queue: TaskEvent[] = [];
  private waiting: ((result: IteratorResult<TaskEvent>) => void) | undefined;
  private failWaiting: ((error: unknown) => void) | undefined;
  private pendingReplay: AsyncIterator<TaskEvent> | undefined;
  private lastCursor = -1n;
  private failure: unknown;
  private done = false;

  constructor(
    private readonly accepts: (event: TaskEvent) => boolean,
    private readonly maxQueued: number,
    private readonly onClose: () => void,
  ) {}

  replay(events: AsyncIterator<TaskEvent>): void {
    this.pendingReplay = events;
  }

  /** Queues a live event if wanted; true when it was. */
  offer(event: TaskEvent): boolean {
    if (this.done || !this.accepts(event)) return false;
    if (this.waiting !== undefined && this.pendingReplay === undefined) {
      const resolve = this.waiting;
      this.clearWaiting();
      this.lastCursor = event.cursor;
      resolve({ value: event, done: false });
      return true;
    }
    if (this.queue.length >= this.maxQueued) {
      this.fail(
        new DomainError(
          ErrorCode.SERVICE_UNAVAILABLE,
          `subscriber fell more than ${this.maxQueued} events behind; resubscribe with since: "${this.lastCursor}"`,
          {
            reason: 'SUBSCRIBER_TOO_SLOW',
            since: this.lastCursor.toString(),
          },
        ),
      );
      return false;
    }
    this.queue.push(event);
    return true;
  }

  async next(): Promise<IteratorResult<TaskEvent>> {
    while (this.pendingReplay !== undefined && !this.done) {
      let step: IteratorResult<TaskEvent>;
      try {
        step = await this.pendingReplay.next();
      } catch (error) {
        this.fail(error);
        break;
      }
      if (step.done === true) {
        this.pendingReplay = undefined;
        break;
      }
      if (step.value.cursor > this.lastCursor && this.accepts(step.value)) {
        this.lastCursor = step.value.cursor;
        return { value: step.value, done: false };
      }
    }
    for (;;) {
      const event = this.queue.shift();
      if (event === undefined) break;
      if (event.cursor <= this.lastCursor) continue;
      this.lastCursor = event.cursor;
      return { value: event, done: false };
    }
    if (this.failure !== undefined) {
      const failure = this.failure;
      this.failure = undefined;
      throw failure;
    }
    if (this.done) return { value: undefined, done: true };
    return new Promise<IteratorResult<TaskEvent>>((resolve, reject) => {
      this.waiting = resolve;
      this.failWaiting = reject;
    });
  }

  async return(): Promise<IteratorResult<TaskEvent>> {
    this.end();
    return { value: undefined, done: true };
  }

  async throw(error: unknown): Promise<IteratorResult<TaskEvent>> {
    this.end();
    throw error;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<TaskEvent> {
    return this;
  }

  end(): void {
    this.close();
  }

  private fail(error: unknown): void {
    this.close({ error });
  }

  /** Stops for good: a waiting `next` ends (or, with an error, rejects; else the error waits for the next `next`). */
  private close(failed?: { error: unknown }): void {
    if (this.done) return;
    this.done = true;
    this.queue.length = 0;
    void this.pendingReplay?.return?.();
    this.pendingReplay = undefined;
    this.onClose();
    const resolve = this.waiting;
    const reject = this.failWaiting;
    this.clearWaiting();
    if (failed === undefined) resolve?.({ value: undefined, done: true });
    else if (reject !== undefined) reject(failed.error);
    else this.failure = failed.error;
  }

  private clearWaiting(): void {
    this.waiting = undefined;
    this.failWaiting = undefined;
  }
}
