import { buildSchema, parse } from 'graphql';
import type { ExecutionArgs, ExecutionResult, GraphQLObjectType } from 'graphql';
import { sharedSubscriptionResults } from '../../src/ws/sharedSubscriptionResults.js';

/** A real schema whose event field counts how often it is resolved, fed by a source the test pushes events into. */
function eventSchema() {
  const schema = buildSchema(`
    type Query { ok: Boolean }
    type Event { name: String, resolvedFor: String }
    type Subscription { events(prefix: String): Event }
  `);
  const sources: Array<{ push(event: object): void; ended: boolean }> = [];
  let resolutions = 0;
  const subscriptionType = schema.getSubscriptionType()!;
  const field = subscriptionType.getFields()['events']!;
  field.subscribe = () => {
    const queue: object[] = [];
    let waiting: ((step: IteratorResult<object>) => void) | undefined;
    const source = {
      ended: false,
      push(event: object) {
        if (waiting !== undefined) {
          const resolve = waiting;
          waiting = undefined;
          resolve({ value: event, done: false });
        } else queue.push(event);
      },
    };
    sources.push(source);
    const iterator: AsyncIterableIterator<object> = {
      next: () =>
        queue.length > 0
          ? Promise.resolve({ value: queue.shift()!, done: false })
          : new Promise<IteratorResult<object>>((resolve) => {
              waiting = resolve;
            }),
      return: () => {
        source.ended = true;
        waiting?.({ value: undefined, done: true });
        return Promise.resolve({ value: undefined, done: true });
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  };
  field.resolve = (event: unknown) => event;
  (schema.getType('Event') as GraphQLObjectType).getFields()['resolvedFor']!.resolve = (
    event: { name: string },
    _args: unknown,
    context: { who: string },
  ) => {
    resolutions += 1;
    return `${event.name} for ${context.who}`;
  };
  return { schema, sources, resolutions: () => resolutions };
}

const subscription = (prefix: string) => ({
  document: parse(`subscription ($prefix: String) { events(prefix: $prefix) { name resolvedFor } }`),
  variableValues: { prefix },
});

async function subscribed(shared: ReturnType<typeof sharedSubscriptionResults>, args: ExecutionArgs, key?: string) {
  const result = await shared.subscribe(key === undefined ? args : shared.register(args, key));
  if (!(Symbol.asyncIterator in result)) throw new Error(`not a stream: ${JSON.stringify(result)}`);
  return result as Required<AsyncIterableIterator<ExecutionResult>>;
}

describe('shared subscription results', () => {
  test('subscriptions asking the same thing get one execution per event, the same result object', async () => {
    const { schema, sources, resolutions } = eventSchema();
    const shared = sharedSubscriptionResults();
    const streams = await Promise.all(
      ['a', 'b', 'c'].map((who) => subscribed(shared, { schema, ...subscription('x'), contextValue: { who } }, 'same rights, same query')),
    );
    const event = { name: 'e1' };
    for (const source of sources) source.push(event);
    const results = await Promise.all(streams.map((stream) => stream.next()));
    expect(resolutions()).toBe(1);
    expect(results[0]!.value).toEqual({ data: { events: { name: 'e1', resolvedFor: 'e1 for a' } } });
    expect(results[1]!.value).toBe(results[0]!.value);
    expect(results[2]!.value).toBe(results[0]!.value);

    // The next event is executed again, once.
    const next = { name: 'e2' };
    for (const source of sources) source.push(next);
    await Promise.all(streams.map((stream) => stream.next()));
    expect(resolutions()).toBe(2);
  });

  test('different keys, or no key, execute on their own', async () => {
    const { schema, sources, resolutions } = eventSchema();
    const shared = sharedSubscriptionResults();
    const first = await subscribed(shared, { schema, ...subscription('x'), contextValue: { who: 'a' } }, 'rights of a');
    const second = await subscribed(shared, { schema, ...subscription('x'), contextValue: { who: 'b' } }, 'rights of b');
    const unkeyed = await subscribed(shared, { schema, ...subscription('x'), contextValue: { who: 'c' } });
    const event = { name: 'e1' };
    for (const source of sources) source.push(event);
    const [a, b, c] = await Promise.all([first.next(), second.next(), unkeyed.next()]);
    expect(resolutions()).toBe(3);
    expect(a.value).toEqual({ data: { events: { name: 'e1', resolvedFor: 'e1 for a' } } });
    expect(b.value).toEqual({ data: { events: { name: 'e1', resolvedFor: 'e1 for b' } } });
    expect(c.value).toEqual({ data: { events: { name: 'e1', resolvedFor: 'e1 for c' } } });
  });

  test('ending a subscription that waits for an event ends its source at once', async () => {
    const { schema, sources } = eventSchema();
    const shared = sharedSubscriptionResults();
    const stream = await subscribed(shared, { schema, ...subscription('x'), contextValue: { who: 'a' } }, 'key');
    const pending = stream.next();
    await stream.return(undefined);
    expect(sources[0]!.ended).toBe(true);
    await expect(pending).resolves.toEqual({ value: undefined, done: true });
  });

  test('a subscription the source refuses answers with its errors, not a stream', async () => {
    const { schema } = eventSchema();
    const shared = sharedSubscriptionResults();
    schema.getSubscriptionType()!.getFields()['events']!.subscribe = () => {
      throw new Error('not allowed');
    };
    const result = await shared.subscribe(shared.register({ schema, ...subscription('x'), contextValue: { who: 'a' } }, 'key'));
    expect(Symbol.asyncIterator in result).toBe(false);
    expect((result as ExecutionResult).errors?.[0]?.message).toBe('not allowed');
  });
});
