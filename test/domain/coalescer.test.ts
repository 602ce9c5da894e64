import { Coalescer } from '../../src/domain/Coalescer.js';

interface Request {
  computeServiceId: string;
  limit: number;
}

interface Lane {
  hubId: string;
  protocols: readonly string[] | null;
}

interface Statement extends Lane {
  requests: Request[];
  finish: (answers: string[][]) => void;
  fail: (error: Error) => void;
}

/** A statement runner the test finishes by hand, so it decides what is in flight when. */
function manualRunner() {
  const statements: Statement[] = [];
  const run = (lane: Lane, requests: readonly Request[]) =>
    new Promise<string[][]>((resolve, reject) => statements.push({ ...lane, requests: [...requests], finish: resolve, fail: reject }));
  return { statements, run };
}

/** Claims keyed by hub and protocols, sized by the tasks they ask for: how ClaimService uses it. */
function hubClaims(maxPerBatch: number) {
  const { statements, run } = manualRunner();
  const coalescer = new Coalescer<Lane, Request, string[]>(run, { size: (r) => r.limit, maxPerBatch });
  const claim = (hubId: string, protocols: readonly string[] | null, request: Request) =>
    coalescer.submit(`${hubId} ${JSON.stringify(protocols)}`, { hubId, protocols }, request);
  return { statements, batcher: { claim } };
}

/**
 * One-task claims of one hub on a Coalescer that isolates failures whose message starts with "refused"
 * (as a request's own value refused by the database), finished by hand.
 */
function isolatingClaims() {
  const { statements, run } = manualRunner();
  const coalescer = new Coalescer<Lane, Request, string[]>(run, {
    size: (r) => r.limit,
    maxPerBatch: 100,
    isolateFailures: (error) => (error as Error).message.startsWith('refused'),
  });
  const ask = (computeServiceId: string) => coalescer.submit('hub', { hubId: 'hub', protocols: null }, { computeServiceId, limit: 1 });
  return { statements, ask };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('Coalescer', () => {
  test('a claim arriving while nothing is in flight runs at once, alone', async () => {
    const { statements, batcher } = hubClaims(100);
    const answer = batcher.claim('hub', ['p'], { computeServiceId: 's1', limit: 2 });
    expect(statements).toHaveLength(1);
    expect(statements[0]!.requests).toEqual([{ computeServiceId: 's1', limit: 2 }]);
    statements[0]!.finish([['t1', 't2']]);
    await expect(answer).resolves.toEqual(['t1', 't2']);
  });

  test('claims arriving while a statement is in flight share the next one, in arrival order, each getting its own answer', async () => {
    const { statements, batcher } = hubClaims(100);
    const first = batcher.claim('hub', null, { computeServiceId: 's1', limit: 1 });
    const second = batcher.claim('hub', null, { computeServiceId: 's2', limit: 1 });
    const third = batcher.claim('hub', null, { computeServiceId: 's3', limit: 3 });
    expect(statements).toHaveLength(1);
    statements[0]!.finish([['a']]);
    await settle();
    expect(statements).toHaveLength(2);
    expect(statements[1]!.requests.map((r) => r.computeServiceId)).toEqual(['s2', 's3']);
    statements[1]!.finish([['b'], []]);
    await expect(first).resolves.toEqual(['a']);
    await expect(second).resolves.toEqual(['b']);
    await expect(third).resolves.toEqual([]);
  });

  test('one statement never claims more than the cap: the rest wait for the next', async () => {
    const { statements, batcher } = hubClaims(10);
    void batcher.claim('hub', null, { computeServiceId: 'busy', limit: 1 });
    const waiting = [6, 4, 1, 10].map((limit, i) => batcher.claim('hub', null, { computeServiceId: `s${i}`, limit }));
    statements[0]!.finish([[]]);
    await settle();
    expect(statements[1]!.requests.map((r) => r.limit)).toEqual([6, 4]);
    statements[1]!.finish([[], []]);
    await settle();
    expect(statements[2]!.requests.map((r) => r.limit)).toEqual([1]);
    statements[2]!.finish([[]]);
    await settle();
    expect(statements[3]!.requests.map((r) => r.limit)).toEqual([10]);
    statements[3]!.finish([[]]);
    await Promise.all(waiting);
    expect(() => batcher.claim('hub', null, { computeServiceId: 'greedy', limit: 11 })).toThrow(RangeError);
  });

  test('different hubs and different protocol lists never share a statement, and run side by side', async () => {
    const { statements, batcher } = hubClaims(100);
    void batcher.claim('hub-a', ['x'], { computeServiceId: 's1', limit: 1 });
    void batcher.claim('hub-a', ['y'], { computeServiceId: 's2', limit: 1 });
    void batcher.claim('hub-a', null, { computeServiceId: 's3', limit: 1 });
    void batcher.claim('hub-b', ['x'], { computeServiceId: 's4', limit: 1 });
    expect(statements.map((s) => [s.hubId, s.protocols])).toEqual([
      ['hub-a', ['x']],
      ['hub-a', ['y']],
      ['hub-a', null],
      ['hub-b', ['x']],
    ]);
  });

  test('a failed statement fails the claims it carried, and the claims queued behind it still run', async () => {
    const { statements, batcher } = hubClaims(100);
    const doomed = batcher.claim('hub', null, { computeServiceId: 's1', limit: 1 });
    const later = batcher.claim('hub', null, { computeServiceId: 's2', limit: 1 });
    statements[0]!.fail(new Error('connection reset'));
    await expect(doomed).rejects.toThrow('connection reset');
    await settle();
    expect(statements).toHaveLength(2);
    statements[1]!.finish([['t']]);
    await expect(later).resolves.toEqual(['t']);
    // Nothing is left behind: the next claim starts a fresh statement at once.
    void batcher.claim('hub', null, { computeServiceId: 's3', limit: 1 });
    expect(statements).toHaveLength(3);
  });

  test('a statement that answers the wrong number of requests fails them all instead of answering some wrongly', async () => {
    const { statements, batcher } = hubClaims(100);
    void batcher.claim('hub', null, { computeServiceId: 'busy', limit: 1 });
    const a = batcher.claim('hub', null, { computeServiceId: 's1', limit: 1 });
    const b = batcher.claim('hub', null, { computeServiceId: 's2', limit: 1 });
    statements[0]!.finish([[]]);
    await settle();
    statements[1]!.finish([['only one answer']]);
    await expect(a).rejects.toThrow('a batch of 2 requests got 1 answers');
    await expect(b).rejects.toThrow('a batch of 2 requests got 1 answers');
  });

  test('with isolated failures, a failed shared statement runs each request again alone: only the one refused fails', async () => {
    const { statements, ask } = isolatingClaims();
    void ask('busy');
    const answers = ['s1', 'bad', 's3'].map((id) =>
      ask(id).then(
        (claimed) => ({ claimed }),
        (error: Error) => ({ failed: error.message }),
      ),
    );
    statements[0]!.finish([[]]);
    await settle();
    expect(statements[1]!.requests.map((r) => r.computeServiceId)).toEqual(['s1', 'bad', 's3']);
    statements[1]!.fail(new Error('refused'));
    for (const [i, outcome] of [['t1'], null, ['t3']].entries()) {
      await settle();
      expect(statements[2 + i]!.requests).toHaveLength(1);
      if (outcome === null) statements[2 + i]!.fail(new Error('refused alone'));
      else statements[2 + i]!.finish([outcome]);
    }
    expect(await Promise.all(answers)).toEqual([{ claimed: ['t1'] }, { failed: 'refused alone' }, { claimed: ['t3'] }]);
  });

  test('a request that fails alone is not run a second time, isolated or not', async () => {
    const { statements, ask } = isolatingClaims();
    const answer = ask('s1');
    statements[0]!.fail(new Error('refused'));
    await expect(answer).rejects.toThrow('refused');
    expect(statements).toHaveLength(1);
  });

  test("a shared statement failing with an error not said to be one request's (an outage) fails them all at once, without a try each", async () => {
    const { statements, ask } = isolatingClaims();
    void ask('busy');
    const answers = ['s1', 's2'].map((id) => ask(id).catch((error: Error) => error.message));
    statements[0]!.finish([[]]);
    await settle();
    statements[1]!.fail(new Error('connection refused by the network'));
    expect(await Promise.all(answers)).toEqual(['connection refused by the network', 'connection refused by the network']);
    expect(statements).toHaveLength(2);
  });
});
