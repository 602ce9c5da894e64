import type { TaskEvent } from '../../../src/domain/events/taskEvents.js';

export interface CollectedEvents {
  /** Everything received so far, in the order it came. */
  readonly events: TaskEvent[];
  /** Resolves once `done(events)` holds; fails when the stream fails or `deadlineMs` passes first. */
  until(done: (events: TaskEvent[]) => boolean, deadlineMs?: number): Promise<TaskEvent[]>;
  stop(): Promise<void>;
}

/** Reads a subscription in the background, so a test can wait for what it expects with a deadline. */
export function collectEvents(stream: AsyncIterableIterator<TaskEvent>): CollectedEvents {
  const events: TaskEvent[] = [];
  let failure: { error: unknown } | undefined;
  const reading = (async () => {
    try {
      for await (const event of stream) events.push(event);
    } catch (error) {
      failure = { error };
    }
  })();
  return {
    events,
    async until(done, deadlineMs = 30_000) {
      const deadline = Date.now() + deadlineMs;
      while (!done(events)) {
        if (failure !== undefined) throw failure.error;
        if (Date.now() > deadline) throw new Error(`not there after ${deadlineMs} ms; received ${events.length} events`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return events;
    },
    async stop() {
      await stream.return?.();
      await reading;
    },
  };
}
