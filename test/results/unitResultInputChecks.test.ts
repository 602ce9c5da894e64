import { okResult } from '../support/fixtures.js';
import { codeOf } from '../support/refusals.js';
import { claimedTask, useWorkerDomain } from '../support/workerDomain.js';

/** What a unit result must be before anything is written: refused with BAD_USER_INPUT, nothing recorded. */
describe('unit result input checks (real PostgreSQL + s3rver)', () => {
  const d = useWorkerDomain();

  test('times out of order or beyond what a timestamp keeps, and NUL in an exception, are refused and record nothing', async () => {
    const claim = await claimedTask(d, 'checked');
    const submit = (result: Parameters<typeof d.h.services.unitResults.submit>[2]) =>
      codeOf(d.h.services.unitResults.submit(d.worker, claim.claimToken, result));

    expect(await submit({ ...okResult('u'), startedAt: new Date('2026-01-02'), endedAt: new Date('2026-01-01') })).toBe('BAD_USER_INPUT');
    expect(await submit({ ...okResult('u'), endedAt: new Date(Date.UTC(10_000, 0, 1)) })).toBe('BAD_USER_INPUT');
    expect(await submit({ ...okResult('u'), ok: false, outputs: undefined, exception: 'Bad\u0000Error' })).toBe('BAD_USER_INPUT');
    expect(await d.h.state.db.unitResult.count({ where: { taskId: claim.taskId } })).toBe(0);
  });
});
