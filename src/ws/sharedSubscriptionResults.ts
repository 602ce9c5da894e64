import { createSourceEventStream, execute, subscribe } from 'graphql';
import type { ExecutionArgs, ExecutionResult } from 'graphql';

type Result = ExecutionResult | Promise<ExecutionResult>;

/**
 * graphql-ws's `subscribe`, with each live event executed once for every subscription asking the same
 * thing. graphql-js executes a subscription's selection set anew for every subscriber and every event
 * (variables coerced again each time): with a thousand dashboards watching, that was a quarter of the
 * server's work per event. Subscriptions registered with the same key (`register`: the same document
 * text, operation, variables and rights) share the result computed for an event object, which the
 * event hub hands to all of them as one object; the result is kept only as long as that object lives.
 *
 * The key includes the subscriber's rights, so a result is shared only between subscribers who may
 * see the same things, even if a field of an event one day resolves through the caller's context.
 */
export function sharedSubscriptionResults() {
  const keys = new WeakMap<ExecutionArgs, string>();
  const results = new WeakMap<object, Map<string, Result>>();

  const executeShared = (args: ExecutionArgs, key: string, payload: unknown): Result => {
    if (typeof payload !== 'object' || payload === null) return execute({ ...args, rootValue: payload });
    let byKey = results.get(payload);
    if (byKey === undefined) {
      byKey = new Map();
      results.set(payload, byKey);
    }
    let result = byKey.get(key);
    if (result === undefined) {
      result = execute({ ...args, rootValue: payload });
      byKey.set(key, result);
    }
    return result;
  };

  return {
    /** Marks prepared arguments as answering to `key`; returns them. */
    register(args: ExecutionArgs, key: string): ExecutionArgs {
      keys.set(args, key);
      return args;
    },
    /** What graphql-ws calls for a subscription operation, in place of graphql-js's `subscribe`. */
    async subscribe(args: ExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
      const key = keys.get(args);
      if (key === undefined) return subscribe(args);
      const stream = await createSourceEventStream(args);
      if (!(Symbol.asyncIterator in stream)) return stream;
      return mapEvents(stream[Symbol.asyncIterator](), (payload) => executeShared(args, key, payload));
    },
  };
}

/**
 * The source's events as results, as graphql-js maps them: an iterator object rather than an async
 * generator, so that `return()` reaches the source at once even while a `next()` waits for an event
 * (an async generator would queue it behind that wait, and the hub would keep the subscriber).
 */
function mapEvents(source: AsyncIterator<unknown>, map: (payload: unknown) => Result): AsyncIterableIterator<ExecutionResult> {
  const close = async (): Promise<void> => {
    await source.return?.();
  };
  const mapped: Required<AsyncIterableIterator<ExecutionResult>> = {
    async next() {
      const step = await source.next();
      if (step.done === true) return { value: undefined, done: true };
      try {
        return { value: await map(step.value), done: false };
      } catch (error) {
        await close().catch(() => undefined);
        throw error;
      }
    },
    async return() {
      await close();
      return { value: undefined, done: true };
    },
    async throw(error: unknown) {
      if (source.throw !== undefined) {
        const step = await source.throw(error);
        if (step.done !== true) return { value: await map(step.value), done: false };
        return { value: undefined, done: true };
      }
      await close();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  return mapped;
}
