import type { UnitResultRepository } from '../../src/domain/results/UnitResultRepository.js';
import { UnitResultService } from '../../src/domain/results/UnitResultService.js';
import type { StateAccess } from '../../src/domain/state/StateAccess.js';
import { okResult } from '../support/fixtures.js';
import { codeOf } from '../support/refusals.js';
import { claimedTask, useWorkerDomain } from '../support/workerDomain.js';
import { waitFor } from '../support/waitFor.js';

const fiveUnits = { name: 'five', units: ['a', 'b', 'c', 'd', 'e'].map((key) => ({ key, name: key.toUpperCase(), dependencies: [] })) };
/** b depends on a: b is the DAG's only terminal unit. */
const chain = {
  name: 'chain',
  units: [
    { key: 'a', name: 'A', dependencies: [] },
    { key: 'b', name: 'B', dependencies: ['a'] },
  ],
};

/**
 * Unit results submitted at the same time share their statements (UnitResultService's Coalescers):
 * each still gets its own answer, a refused one fails only itself, and a task another transaction holds
 * is not waited for inside a shared statement.
 */
describe('unit results sharing statements (real PostgreSQL + s3rver)', () => {
  const d = useWorkerDomain();
  let networks = 0;

  const claimed = () => claimedTask(d, `shared-${(networks += 1)}`, fiveUnits);

  /** A UnitResultService on the harness's state whose shared statements are counted, and whose writes' answers are kept. */
  function countingService() {
    const access = d.h.state.access;
    const counts = { reads: 0, writes: 0, transactions: 0 };
    const answers: Array<Array<unknown>> = [];
    const unitResults = new Proxy(access.unitResults, {
      get(target, property, receiver) {
        if (property === 'claimsAndSubmissionFacts') {
          return (...args: Parameters<UnitResultRepository['claimsAndSubmissionFacts']>) => {
            counts.reads += 1;
            return target.claimsAndSubmissionFacts(...args);
          };
        }
        if (property === 'createEachIfClaimCurrent') {
          return async (...args: Parameters<UnitResultRepository['createEachIfClaimCurrent']>) => {
            counts.writes += 1;
            const answer = await target.createEachIfClaimCurrent(...args);
            answers.push(answer);
            return answer;
          };
        }
        return Reflect.get(target, property, receiver) as unknown;
      },
    });
    const state = new Proxy(access, {
      get: (target, property, receiver) => {
        if (property === 'unitResults') return unitResults;
        if (property === 'hotTransaction') {
          return (...args: Parameters<StateAccess['hotTransaction']>) => {
            counts.transactions += 1;
            return target.hotTransaction(...args);
          };
        }
        return Reflect.get(target, property, receiver) as unknown;
      },
    }) as StateAccess;
    return { service: new UnitResultService(state, d.h.objects), counts, answers };
  }

  test('five results sent at once take fewer statements than five, and each answer is its own unit’s', async () => {
    const claim = await claimed();
    const { service, counts } = countingService();
    const keys = ['a', 'b', 'c', 'd', 'e'];

    const results = await Promise.all(keys.map((key, i) => service.submit(d.worker, claim.claimToken, okResult(key, { value: i }))));

    expect(results.map((r) => r.unitKey)).toEqual(keys);
    expect(counts.reads).toBeLessThan(5);
    expect(counts.writes).toBeLessThan(5);
    const rows = await d.h.state.db.unitResult.findMany({ where: { taskId: claim.taskId }, orderBy: { unitKey: 'asc' } });
    expect(rows.map((r) => [r.unitKey, (JSON.parse(r.document!) as { outputs: unknown }).outputs])).toEqual(
      keys.map((k, i) => [k, { value: i }]),
    );
    const events = await d.h.state.db.taskEvent.findMany({ where: { taskId: claim.taskId, kind: 'UnitResultRecorded' } });
    expect(events).toHaveLength(5);
  });

  test('an estimate on the DAG’s only terminal unit takes the shared statements; with two terminal units, the locked path', async () => {
    const estimate = { value: -1.5, uncertainty: 0.2, unit: 'kcal/mol' };
    const one = await claimedTask(d, `shared-${(networks += 1)}`, chain);
    const { service, counts } = countingService();
    await service.submit(d.worker, one.claimToken, okResult('a'));
    // A malformed estimate is refused before anything is written.
    expect(await codeOf(service.submit(d.worker, one.claimToken, okResult('b', { estimate: { ...estimate, value: 'x' } })))).toBe(
      'BAD_USER_INPUT',
    );
    const recorded = await service.submit(d.worker, one.claimToken, okResult('b', { estimate }));
    expect(recorded.unitKey).toBe('b');
    expect(counts).toMatchObject({ writes: 2, transactions: 0 });

    const twoEnds = {
      name: 'ends',
      units: [
        { key: 'l', name: 'L', dependencies: [] },
        { key: 'r', name: 'R', dependencies: [] },
      ],
    };
    const two = await claimedTask(d, `shared-${(networks += 1)}`, twoEnds);
    await service.submit(d.worker, two.claimToken, okResult('l', { estimate }));
    expect(counts).toMatchObject({ writes: 2, transactions: 1 });
    expect(await codeOf(service.submit(d.worker, two.claimToken, okResult('r', { estimate })))).toBe('BAD_USER_INPUT');
    const rows = await d.h.state.db.unitResult.findMany({
      where: { taskId: { in: [one.taskId, two.taskId] } },
      orderBy: { unitKey: 'asc' },
    });
    expect(rows.map((r) => r.unitKey)).toEqual(['a', 'b', 'l']);
  });

  test('an estimate on a unit another unit depends on is refused on the shared path, naming outputs.estimate', async () => {
    const claim = await claimedTask(d, `shared-${(networks += 1)}`, chain);
    const { service, counts } = countingService();
    const refused = service.submit(d.worker, claim.claimToken, okResult('a', { estimate: { value: 1, uncertainty: 0.1, unit: 'kT' } }));
    await expect(refused).rejects.toMatchObject({ details: { field: 'outputs.estimate', unitKey: 'a' } });
    expect(counts).toMatchObject({ reads: 1, writes: 0, transactions: 0 });
    expect(await d.h.state.db.unitResult.count({ where: { taskId: claim.taskId } })).toBe(0);
  });

  test('a traceback with a NUL character (which PostgreSQL text cannot hold) is refused with a clear code; results sent with it are recorded', async () => {
    const claim = await claimed();
    const { service } = countingService();
    const bad = { ...okResult('c'), ok: false, outputs: undefined, exception: 'Crash', traceback: 'at \u0000 frame' };

    const settled = await Promise.allSettled(
      ['a', 'b', 'c', 'd'].map((key) => service.submit(d.worker, claim.claimToken, key === 'c' ? bad : okResult(key))),
    );

    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(await codeOf(Promise.reject((settled[2] as PromiseRejectedResult).reason))).toBe('BAD_USER_INPUT');
    expect((await d.h.state.db.unitResult.findMany({ where: { taskId: claim.taskId } })).map((r) => r.unitKey).sort()).toEqual([
      'a',
      'b',
      'd',
    ]);
  });

  test('a log with NUL characters is kept whole, in the object store rather than the row', async () => {
    const claim = await claimed();
    const log = 'binary\u0000output\u0000';
    const result = await d.h.services.unitResults.submit(d.worker, claim.claimToken, { ...okResult('a'), log });
    expect(result).toMatchObject({ log: null });
    expect(result.logKey).not.toBeNull();
    expect(await d.h.services.unitResults.logText(result)).toBe(log);
  });

  test('a task another transaction holds is passed over by the shared write; the locked path waits for it and answers', async () => {
    const claim = await claimed();
    const { service, answers } = countingService();
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let holding!: () => void;
    const held = new Promise<void>((resolve) => (holding = resolve));
    const holder = d.h.state.db.$transaction(
      async (tx) => {
        await tx.$queryRaw`SELECT id FROM "Task" WHERE id = ${claim.taskId}::uuid FOR UPDATE`;
        holding();
        await released;
      },
      { timeout: 60_000 },
    );
    await held;

    const submitted = service.submit(d.worker, claim.claimToken, okResult('a', { value: 1 }));
    await waitFor('the shared write to answer', () => answers.length === 1);
    expect(answers[0]).toEqual([null]);
    release();
    await holder;

    expect(await submitted).toMatchObject({ taskId: claim.taskId, unitKey: 'a' });
    expect(await d.h.state.db.unitResult.count({ where: { taskId: claim.taskId } })).toBe(1);
  });
});
