import { TaskEventHub } from '../../src/domain/events/TaskEventHub.js';
import type { TaskEventSource } from '../../src/domain/events/TaskEventHub.js';
import type { StoredTaskEvent } from '../../src/domain/events/TaskEventOutbox.js';

/** The outbox's contract in memory: ids in commit order, reads after a cursor. */
class MemoryOutbox implements TaskEventSource {
  readonly rows: StoredTaskEvent[] = [];
  pruned = 0n;
  /** Runs inside every read, to interleave "commits" with a read in progress. */
  duringRead: (() => void) | undefined;

  append(taskId: string, count = 1): void {
    for (let i = 0; i < count; i += 1) {
      const id = BigInt(this.rows.length + 1);
      this.rows.push({
        id,
        kind: 'UnitResultRecorded',
        taskId,
        scope: 'acme-c1-p1',
        transformationKey: 'Transformation-x-acme-c1-p1',
        payload: { unitKey: `u${id}` },
        createdAt: new Date(),
      });
    }
  }
  async latestId() {
    return BigInt(this.rows.length);
  }
  async prunedThrough() {
    return this.pruned;
  }
  reads = 0;
  async read(afterId: bigint, limit: number, filter: { taskId?: string } = {}) {
    this.reads += 1;
    this.duringRead?.();
    return this.rows.filter((r) => r.id > afterId && (filter.taskId === undefined || r.taskId === filter.taskId)).slice(0, limit);
  }
}

async function take(iterator: AsyncIterator<{ cursor: bigint }>, n: number): Promise<bigint[]> {
  const out: bigint[] = [];
  while (out.length < n) {
    const step = await iterator.next();
    if (step.done === true) break;
    out.push(step.value.cursor);
  }
  return out;
}

describe('the event hub (pure ordering and delivery rules)', () => {
  test('a replay and live events racing each other deliver every event once, in cursor order', async () => {
    const outbox = new MemoryOutbox();
    outbox.append('t1', 1200);
    const hub = new TaskEventHub(outbox, { pollMs: 60_000, maxQueuedPerSubscriber: 10_000 });
    await hub.start();
    const events = await hub.subscribe({ accepts: () => true, since: 0n });
    // Commits land (and notify) while the replay pages are being read; the hub delivers them live meanwhile.
    let extra = 0;
    outbox.duringRead = () => {
      if (extra++ >= 5) return;
      outbox.append('t1', 7);
      setImmediate(() => hub.wake());
    };
    hub.wake();
    await hub.settle();
    const cursors = await take(events, 1200 + 5 * 7);
    expect(cursors).toEqual(outbox.rows.map((r) => r.id));
    await hub.stop();
  });

  test('with nobody subscribed wake-ups read nothing; a later subscriber starts at the end, and one with a cursor still gets every event after it', async () => {
    const outbox = new MemoryOutbox();
    const hub = new TaskEventHub(outbox, { pollMs: 60_000, maxQueuedPerSubscriber: 10_000 });
    await hub.start();
    for (let i = 0; i < 50; i += 1) {
      outbox.append('t1');
      hub.wake();
      await hub.settle();
    }
    expect(outbox.reads).toBe(0);

    const live = await hub.subscribe({ accepts: () => true });
    const resumed = await hub.subscribe({ accepts: () => true, since: 40n });
    outbox.append('t1', 3);
    hub.wake();
    await hub.settle();
    expect(await take(live, 3)).toEqual([51n, 52n, 53n]);
    expect(await take(resumed, 13)).toEqual(outbox.rows.slice(40).map((r) => r.id));
    await hub.stop();
  });

  test('a subscriber that falls too far behind is ended with the cursor to resume from', async () => {
    const outbox = new MemoryOutbox();
    const hub = new TaskEventHub(outbox, { pollMs: 60_000, maxQueuedPerSubscriber: 10 });
    await hub.start();
    const slow = await hub.subscribe({ accepts: () => true });
    outbox.append('t1', 3);
    await hub.settle();
    expect(await take(slow, 3)).toEqual([1n, 2n, 3n]);
    outbox.append('t1', 50);
    await hub.settle();
    await expect(slow.next()).rejects.toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      details: { reason: 'SUBSCRIBER_TOO_SLOW', since: '3' },
    });
    expect(hub.subscriberCount).toBe(0);
    await hub.stop();
  });

  test('a cursor before the pruned events is refused; one at the pruning edge is honoured', async () => {
    const outbox = new MemoryOutbox();
    outbox.append('t1', 5);
    outbox.pruned = 3n;
    const hub = new TaskEventHub(outbox, { pollMs: 60_000, maxQueuedPerSubscriber: 100 });
    await hub.start();
    await expect(hub.subscribe({ accepts: () => true, since: 2n })).rejects.toMatchObject({ code: 'CURSOR_EXPIRED' });
    const atEdge = await hub.subscribe({ accepts: () => true, since: 3n });
    expect(await take(atEdge, 2)).toEqual([4n, 5n]);
    await hub.stop();
  });

  test('stopping the hub ends open subscriptions', async () => {
    const outbox = new MemoryOutbox();
    const hub = new TaskEventHub(outbox, { pollMs: 60_000, maxQueuedPerSubscriber: 100 });
    await hub.start();
    const events = await hub.subscribe({ accepts: () => true });
    const pending = events.next();
    await hub.stop();
    expect(await pending).toEqual({ value: undefined, done: true });
  });
});
